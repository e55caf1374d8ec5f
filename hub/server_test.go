package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
	"github.com/island-sensors/island/hub/store"
)

// syncBuffer is a bytes.Buffer safe for the hub's goroutines to log into.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRequestLog(t *testing.T) {
	var out syncBuffer
	log := slog.New(slog.NewJSONHandler(&out, nil))
	c := newClient(t, startHub(t, hub.Config{Logger: log}))
	c.do(http.MethodPost, "/ingest", fixtureFile(t, "alpha.json"))
	c.do(http.MethodGet, "/nope", nil)

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		lines = append(lines, m)
	}
	require.Len(t, lines, 2, "one line per request: %s", out.String())
	assert.Equal(t, "POST", lines[0]["method"])
	assert.Equal(t, "/ingest", lines[0]["path"])
	assert.Equal(t, 200.0, lines[0]["status"])
	assert.Equal(t, "alpha", lines[0]["node"])
	assert.Contains(t, lines[0], "duration")
	assert.Equal(t, 404.0, lines[1]["status"])
	assert.Equal(t, island.ENotFound, lines[1]["code"])
	assert.NotContains(t, out.String(), "alpha-0001", "no payloads in the log")
}

// TestRequestLogBoundsTheNode: a node id far over the limit, in a batch or
// a query, or a path as long, does not make a log line as long as itself.
func TestRequestLogBoundsTheNode(t *testing.T) {
	var out syncBuffer
	log := slog.New(slog.NewJSONHandler(&out, nil))
	c := newClient(t, startHub(t, hub.Config{Logger: log}))
	huge := strings.Repeat("n", 20<<10)
	requireError(t, c.do(http.MethodPost, "/ingest",
		[]byte(`{"node_id":"`+huge+`","observations":[]}`)),
		http.StatusUnprocessableEntity, island.EValidation)
	c.do(http.MethodGet, "/observations?node="+huge, nil)
	c.do(http.MethodGet, "/fusion/results/"+huge, nil)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3, out.String())
	for _, l := range lines {
		assert.Less(t, len(l), 1000, "%.300s", l)
		assert.Regexp(t, `\.\.\. \(\d+ bytes\)`, l)
	}
}

// TestConcurrentIngestAndClear races ingest, clear, status and fusion over
// HTTP. Each status must add up, and show whole batches only.
func TestConcurrentIngestAndClear(t *testing.T) {
	const batchSize, batches, writers = 10, 40, 3
	s := startHub(t, hub.Config{Lens: island.DefaultLens()})
	c := newClient(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	tr := &http.Transport{MaxIdleConnsPerHost: writers + 1}
	defer tr.CloseIdleConnections()
	bodies := make([][][]byte, writers)
	for w := range bodies {
		for b := range batches {
			bodies[w] = append(bodies[w], mustJSON(t, numberedBatch(fmt.Sprintf("node%d", w), b,
				batchSize)))
		}
	}
	var wg, readers sync.WaitGroup
	errs := make(chan error, writers*batches+100)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, body := range bodies[w] {
				if r := post(ctx, tr, s.URL()+"/ingest", body); r != http.StatusOK {
					errs <- fmt.Errorf("ingest answered %d", r)
				}
			}
		}()
	}
	readers.Add(1)
	go func() {
		defer readers.Done()
		for ctx.Err() == nil {
			if r := post(ctx, tr, s.URL()+"/clear", nil); r != http.StatusOK && ctx.Err() == nil {
				errs <- fmt.Errorf("clear answered %d", r)
			}
			if r := post(ctx, tr, s.URL()+"/fusion/run", nil); r != http.StatusOK && ctx.Err() == nil {
				errs <- fmt.Errorf("fusion answered %d", r)
			}
		}
	}()
	check := func() {
		st := statusOf(t, c)
		sum := 0
		for n, k := range st.Nodes {
			sum += k
			if k%batchSize != 0 {
				errs <- fmt.Errorf("status shows %d observations of %s", k, n)
			}
		}
		if sum != st.Total {
			errs <- fmt.Errorf("status nodes add up to %d, total is %d", sum, st.Total)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		default:
			check()
		}
	}
	cancel()
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	check()
}

func numberedBatch(node string, n, size int) island.Batch {
	b := island.Batch{NodeID: node}
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	for i := range size {
		b.Observations = append(b.Observations, island.Observation{
			ID: fmt.Sprintf("%s-%d-%d", node, n, i), Timestamp: t0.Add(time.Duration(i) * time.Second),
			Lat: 34 + float64(i)/1000, Lon: -118, Class: "vehicle", Confidence: 1})
	}
	return b
}

// post sends a JSON POST from a goroutine and returns the status, or 0 when
// no answer came.
func post(ctx context.Context, tr http.RoundTripper, url string, body []byte) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestShutdownFinishesRequestsInFlight holds an ingest inside the store,
// shuts down, and checks that the ingest still gets its answer.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	bs := &blockingStore{Store: store.New(), started: make(chan struct{}, 1),
		release: make(chan struct{})}
	s := startHub(t, hub.Config{Store: bs})
	c := newClient(t, s)
	answered := make(chan reply, 1)
	go func() { answered <- c.do(http.MethodPost, "/ingest", fixtureFile(t, "alpha.json")) }()
	<-bs.started

	stopped := make(chan error, 1)
	go func() { stopped <- s.Shutdown(context.Background()) }()
	require.Eventually(t, func() bool {
		conn, err := net.Dial("tcp", s.Addr())
		if err == nil {
			conn.Close()
		}
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "the hub stops accepting connections")
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(bs.release)
	r := <-answered
	assert.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	require.NoError(t, <-stopped)
}

// TestSilentClientIsDropped opens a connection and sends nothing: the hub
// closes it once the header timeout passes.
func TestSilentClientIsDropped(t *testing.T) {
	s := startHub(t, hub.Config{Timeouts: hub.Timeouts{ReadHeader: 50 * time.Millisecond}})
	conn, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = conn.Read(make([]byte, 1024))
	var ne net.Error
	require.Error(t, err)
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the hub closed the connection: %v", err)
}

func TestStartTwice(t *testing.T) {
	s := startHub(t, hub.Config{})
	assert.Error(t, s.Start("127.0.0.1:0"))
	assert.True(t, strings.HasPrefix(s.URL(), "http://127.0.0.1:"), s.URL())
	assert.Error(t, hub.New(hub.Config{}).Start("256.0.0.1:0"))
	assert.NoError(t, hub.New(hub.Config{}).Shutdown(context.Background()), "not started")
	assert.Empty(t, hub.New(hub.Config{}).URL())
}
