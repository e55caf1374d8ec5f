package edge_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/edge"
)

// rawServer is a TCP server on loopback whose every connection handle
// drives by hand, for answers no well-behaved HTTP server would give.
type rawServer struct {
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
	requests atomic.Int32
	times    chan time.Time
}

// startRaw serves each connection with handle, which gets the server, the
// connection and a reader on it. Closing the test closes the listener and
// every connection, and waits for the handlers.
func startRaw(t *testing.T, handle func(s *rawServer, c net.Conn, r *bufio.Reader)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &rawServer{ln: ln, times: make(chan time.Time, 16)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				handle(s, c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) URL() string { return "http://" + s.ln.Addr().String() }

// readRequest reads one whole request and counts it.
func (s *rawServer) readRequest(r *bufio.Reader) bool {
	req, err := http.ReadRequest(r)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, req.Body)
	if err != nil {
		return false
	}
	s.requests.Add(1)
	select {
	case s.times <- time.Now():
	default:
	}
	return true
}

const stored = `{"node_id":"alpha","accepted":5,"duplicates":0,"total":5}`

func writeStored(c net.Conn) error {
	_, err := fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\n\r\n%s", len(stored), stored)
	return err
}

// realClient returns a client of node alpha with a transport of its own,
// whose idle connections are closed when the test ends.
func realClient(t testing.TB, url string, p edge.Policy) *edge.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &edge.Client{BaseURL: url, NodeID: "alpha", HTTPClient: &http.Client{Transport: tr},
		Policy: p}
}

// once is a policy of a single attempt.
func once(timeout time.Duration) edge.Policy {
	return edge.Policy{MaxAttempts: 1, AttemptTimeout: timeout}
}

func postOnce(t *testing.T, url string, timeout time.Duration) (edge.Result, error) {
	t.Helper()
	res, err := realClient(t, url, once(timeout)).PostObservations(context.Background(), fixture(t))
	require.Error(t, err)
	require.Len(t, res.Failures, 1)
	assert.Equal(t, 1, res.Attempts)
	t.Logf("%s: %v", res.Failures[0].Class, err)
	return res, err
}

func TestRealSocketClosedListenerIsConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())

	res, err := postOnce(t, url, time.Second)
	assert.Equal(t, edge.ClassConnect, res.Failures[0].Class, "%v", err)
	assert.Equal(t, edge.ClassConnect, edge.Classify(err))
	assert.Zero(t, res.Failures[0].Writes)

	resp, raw := http.Post(url+"/ingest", "application/json", nil)
	if resp != nil {
		resp.Body.Close()
	}
	assert.Equal(t, edge.ClassConnect, edge.Classify(raw), "%v", raw)
}

func TestRealSocketSilentServerIsTimeout(t *testing.T) {
	s := startRaw(t, func(s *rawServer, c net.Conn, r *bufio.Reader) {
		s.readRequest(r)
		_, _ = io.Copy(io.Discard, r) // never answer; return when the client hangs up
	})
	res, err := postOnce(t, s.URL(), 50*time.Millisecond)
	assert.Equal(t, edge.ClassTimeout, res.Failures[0].Class, "%v", err)
	assert.Contains(t, err.Error(), "limit of 50ms")

	t.Run("ResponseHeaderTimeout", func(t *testing.T) {
		tr := &http.Transport{ResponseHeaderTimeout: 20 * time.Millisecond}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Post(s.URL()+"/ingest", "application/json", nil)
		if resp != nil {
			resp.Body.Close()
		}
		require.Error(t, err)
		assert.Equal(t, edge.ClassTimeout, edge.Classify(err), "%v", err)
	})
}

func TestRealSocketGarbageIsProtocol(t *testing.T) {
	answers := map[string]string{
		"Garbage":          "\x00\x01 this is not HTTP\r\n\r\n",
		"HalfStatusLine":   "HTTP/1.1 20",
		"StatusLineOnly":   "HTTP/1.1 200 OK\r\n",
		"TruncatedBody":    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"node_id\":\"al",
		"TruncatedChunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"nod",
		"NotJSON":          "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"Closed":           "",
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			s := startRaw(t, func(s *rawServer, c net.Conn, r *bufio.Reader) {
				if s.readRequest(r) {
					_, _ = io.WriteString(c, answer)
				}
			})
			res, err := postOnce(t, s.URL(), time.Second)
			assert.Equal(t, edge.ClassProtocol, res.Failures[0].Class, "%v", err)
			assert.Equal(t, edge.ClassProtocol, edge.Classify(err))
		})
	}
}

// resetAfter writes answer, then resets the connection: with a linger of
// zero, Close sends RST instead of FIN.
func resetAfter(answer string) func(s *rawServer, c net.Conn, r *bufio.Reader) {
	return func(s *rawServer, c net.Conn, r *bufio.Reader) {
		if !s.readRequest(r) {
			return
		}
		_, _ = io.WriteString(c, answer)
		_ = c.(*net.TCPConn).SetLinger(0)
	}
}

func TestRealSocketResetIsRead(t *testing.T) {
	answers := map[string]string{
		"AfterTheRequest": "",
		"MidBody":         "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"node_id\":\"al",
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			s := startRaw(t, resetAfter(answer))
			res, err := postOnce(t, s.URL(), time.Second)
			assert.Equal(t, edge.ClassRead, res.Failures[0].Class, "%v", err)
			assert.Equal(t, edge.ClassRead, edge.Classify(err))
			assert.EqualValues(t, 1, s.requests.Load())
		})
	}
}

func TestRealSocketResetThenSuccess(t *testing.T) {
	var conns atomic.Int32
	s := startRaw(t, func(s *rawServer, c net.Conn, r *bufio.Reader) {
		if conns.Add(1) <= 2 {
			resetAfter("")(s, c, r)
			return
		}
		if s.readRequest(r) {
			_ = writeStored(c)
		}
	})
	res, err := realClient(t, s.URL(), edge.Policy{Sleep: noWait}).PostObservations(
		context.Background(), fixture(t))
	require.NoError(t, err)
	assert.Equal(t, 3, res.Attempts)
	assert.Equal(t, []edge.Class{edge.ClassRead, edge.ClassRead}, classes(res.Failures))
	assert.EqualValues(t, 3, s.requests.Load())
}

func noWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func TestRealSocketRetryAfterIsWaited(t *testing.T) {
	var n atomic.Int32
	s := startRaw(t, func(s *rawServer, c net.Conn, r *bufio.Reader) {
		for s.readRequest(r) {
			if n.Add(1) == 1 {
				_, _ = io.WriteString(c, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"+
					"Content-Length: 0\r\n\r\n")
				continue
			}
			_ = writeStored(c)
		}
	})
	c := realClient(t, s.URL(), edge.Policy{})
	res, err := c.PostObservations(context.Background(), fixture(t))
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempts)
	assert.Equal(t, []edge.Class{edge.ClassUnavailable}, classes(res.Failures))
	assert.Equal(t, time.Second, res.Failures[0].Wait)
	first, second := <-s.times, <-s.times
	assert.GreaterOrEqual(t, second.Sub(first), time.Second,
		"the second request waited for Retry-After")
	assert.GreaterOrEqual(t, res.Elapsed, time.Second)
}

// dropSecond answers the first request of each connection and keeps it
// alive, then reads the second and closes without answering: the way a
// server's keep-alive timeout meets a client that reuses the connection.
func dropSecond(s *rawServer, c net.Conn, r *bufio.Reader) {
	if !s.readRequest(r) || writeStored(c) != nil {
		return
	}
	s.readRequest(r)
}

func TestTransportReplayIsImpossibleAndAttemptsAreTruthful(t *testing.T) {
	t.Run("Control", func(t *testing.T) {
		// Without the client's guard, net/http replays the second request on
		// a new connection and the caller never learns of it.
		s := startRaw(t, dropSecond)
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr}
		for i := range 2 {
			req, err := http.NewRequest(http.MethodPost, s.URL()+"/ingest", strings.NewReader("{}"))
			require.NoError(t, err)
			req.Header.Set("Idempotency-Key", "k")
			resp, err := hc.Do(req)
			require.NoError(t, err, "request %d", i+1)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		assert.EqualValues(t, 3, s.requests.Load(), "two calls, three requests on the wire")
	})
	t.Run("Client", func(t *testing.T) {
		s := startRaw(t, dropSecond)
		c := realClient(t, s.URL(), edge.Policy{Sleep: noWait})
		first, err := c.PostObservations(context.Background(), fixture(t))
		require.NoError(t, err)
		assert.Equal(t, 1, first.Attempts)
		second, err := c.PostObservations(context.Background(), fixture(t))
		require.NoError(t, err)
		assert.Equal(t, 2, second.Attempts, "the dead reused connection is an attempt")
		require.Len(t, second.Failures, 1)
		f := second.Failures[0]
		assert.True(t, f.Reused, "the failed attempt went over the kept-alive connection")
		assert.Equal(t, 1, f.Writes)
		t.Logf("%s: %v", f.Class, f.Err)
		assert.EqualValues(t, first.Attempts+second.Attempts, s.requests.Load(),
			"every request the server read is an attempt the results count")
	})
}
