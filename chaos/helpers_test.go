package chaos_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/chaos"
)

// upstream is a real HTTP server on loopback that counts its requests.
type upstream struct {
	*httptest.Server
	hits atomic.Int64
}

func newUpstream(t testing.TB) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"padding":"0123456789012345678901234567890123456789"}`)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) hostPort() string { return u.Listener.Addr().String() }

// newServer returns a chaos server closed when the test ends.
func newServer(t testing.TB, seed int64) *chaos.Server {
	t.Helper()
	s := chaos.New(chaos.Options{Seed: seed})
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// leakCheck fails the test if, once all its other cleanups have run, more
// goroutines remain than when it was called. Call it first.
func leakCheck(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() { noGoroutinesAbove(t, before) })
}

// freshClient returns an HTTP client that opens a new connection per request.
func freshClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// get makes one GET and returns the status, or the error.
func get(c *http.Client, url string) (int, []byte, http.Header, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, resp.Header, err
}

func counter(t *testing.T, p *chaos.Proxy, fault string) chaos.Counter {
	t.Helper()
	cs, err := p.Counters()
	require.NoError(t, err)
	for _, c := range cs {
		if c.Fault == fault {
			return c
		}
	}
	t.Fatalf("no counter for fault %q in %+v", fault, cs)
	return chaos.Counter{}
}

// dial reports whether a TCP connection to addr can be opened.
func dial(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err
}

// noGoroutinesAbove polls, until a deadline, for the number of goroutines to
// fall back to n, and fails the test with a dump of them if it does not.
func noGoroutinesAbove(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left, want %d:\n%s", runtime.NumGoroutine(), n,
				buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond)
	}
}
