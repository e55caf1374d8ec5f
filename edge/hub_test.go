package edge_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/hub"
)

func startHub(t testing.TB) *hub.Server {
	t.Helper()
	h := hub.New(hub.Config{Lens: island.DefaultLens()})
	require.NoError(t, h.Start("127.0.0.1:0"))
	t.Cleanup(func() { require.NoError(t, h.Close()) })
	return h
}

func hubStatus(t *testing.T, url string) hub.StatusAnswer {
	t.Helper()
	resp, err := http.Get(url + "/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st hub.StatusAnswer
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

// loser is a TCP proxy in front of the hub that lets the first request
// through and, once the hub has answered it, loses the answer: lose gets the
// client and hub connections after the hub's answer headers were read. Every
// later connection is piped both ways.
type loser struct {
	ln    net.Listener
	hub   string
	lose  func(client net.Conn, answer *bufio.Reader)
	conns atomic.Int32
	wg    sync.WaitGroup
	mu    sync.Mutex
	open  []net.Conn
}

func startLoser(t *testing.T, hubAddr string, lose func(net.Conn, *bufio.Reader)) *loser {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &loser{ln: ln, hub: hubAddr, lose: lose}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.open {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *loser) URL() string { return "http://" + p.ln.Addr().String() }

func (p *loser) track(c net.Conn) {
	p.mu.Lock()
	p.open = append(p.open, c)
	p.mu.Unlock()
}

func (p *loser) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(client)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(client, p.conns.Add(1) == 1)
		}()
	}
}

func (p *loser) serve(client net.Conn, lose bool) {
	defer client.Close()
	upstream, err := net.Dial("tcp", p.hub)
	if err != nil {
		return
	}
	p.track(upstream)
	defer upstream.Close()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_, _ = io.Copy(upstream, client)
	}()
	if !lose {
		_, _ = io.Copy(client, upstream)
		return
	}
	r := bufio.NewReader(upstream)
	if _, err := r.Peek(1); err != nil { // the hub has handled the request
		return
	}
	p.lose(client, r)
}

// resetClient drops the hub's answer and resets the client's connection.
func resetClient(client net.Conn, _ *bufio.Reader) {
	_ = client.(*net.TCPConn).SetLinger(0)
}

// cutAnswer forwards the hub's answer headers and a few bytes of its body,
// then closes.
func cutAnswer(client net.Conn, answer *bufio.Reader) {
	resp, err := http.ReadResponse(answer, nil)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	head := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
	body := make([]byte, 10)
	n, _ := io.ReadFull(resp.Body, body)
	_, _ = io.WriteString(client, head+string(body[:n]))
}

func TestLostAnswerIsStoredOnceAtARealHub(t *testing.T) {
	tests := []struct {
		name  string
		lose  func(net.Conn, *bufio.Reader)
		class edge.Class
	}{
		{"Reset", resetClient, edge.ClassRead},
		{"Cut", cutAnswer, edge.ClassProtocol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := startHub(t)
			proxy := startLoser(t, h.Addr(), tc.lose)
			c := realClient(t, proxy.URL(), edge.Policy{Sleep: noWait})
			obs := fixture(t)

			res, err := c.PostObservations(context.Background(), obs)
			require.NoError(t, err)
			assert.Equal(t, 2, res.Attempts)
			assert.Equal(t, []edge.Class{tc.class}, classes(res.Failures))
			assert.True(t, res.Replayed, "the hub answered the retry from its key")
			assert.Equal(t, 5, res.Accepted, "the first answer, sent again")
			assert.Equal(t, 0, res.Duplicates)

			st := hubStatus(t, h.URL())
			assert.Equal(t, 5, st.Total, "stored once")
			assert.Equal(t, map[string]int{"alpha": 5}, st.Nodes)

			again, err := c.PostObservations(context.Background(), obs)
			require.NoError(t, err)
			assert.Equal(t, 1, again.Attempts)
			assert.False(t, again.Replayed)
			assert.Equal(t, 0, again.Accepted, "a new key, the same observations")
			assert.Equal(t, 5, again.Duplicates)
			assert.Equal(t, 5, hubStatus(t, h.URL()).Total)
		})
	}
}

func TestRealHubAnswers(t *testing.T) {
	h := startHub(t)
	c := realClient(t, h.URL(), edge.Policy{Sleep: noWait})
	res, err := c.PostObservations(context.Background(), edge.Generate("alpha", 200, 3))
	require.NoError(t, err)
	assert.Equal(t, edge.Result{Status: edge.StatusSuccess, Attempts: 1, Accepted: 200, Total: 200,
		Elapsed: res.Elapsed, Key: res.Key}, res)

	bad := fixture(t)
	bad[2].Lat = 91
	res, err = c.PostObservations(context.Background(), bad)
	var se *edge.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusUnprocessableEntity, se.Status)
	assert.Equal(t, island.EValidation, se.Code)
	require.NotEmpty(t, se.Details)
	assert.Contains(t, se.Details[0], "observations[2].lat")
	assert.Equal(t, 1, res.Attempts)

	_, err = c.PostBatchWithKey(context.Background(), island.Batch{Observations: fixture(t)}, res.Key)
	require.ErrorAs(t, err, &se, "a key reused with another body")
	assert.Equal(t, island.EKeyReused, se.Code)
	assert.Equal(t, edge.ClassStatus, edge.Classify(err))
}
