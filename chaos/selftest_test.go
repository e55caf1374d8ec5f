package chaos_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/chaos"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/hub"
)

// selfTest is one fault sent through a proxy to a real hub by a real edge.
type selfTest struct {
	name    string
	fault   chaos.Fault // none when Kind is nil
	refuse  int         // RefuseNext(refuse) before the post
	classes []edge.Class
	status  string // edge.StatusSuccess or edge.StatusFailed
	fired   chaos.Counter
	stored  int // observations the hub holds afterwards
}

func selfTests() []selfTest {
	ok, failed := edge.StatusSuccess, edge.StatusFailed
	read, proto := edge.ClassRead, edge.ClassProtocol
	first := func(n int64) chaos.Plan { return chaos.Plan{First: n} }
	return []selfTest{
		{name: "latency", fault: fault("f", chaos.Downstream,
			chaos.Latency{Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond}),
			status: ok, fired: chaos.Counter{Connections: 1}, stored: 5},
		{name: "bandwidth", fault: fault("f", chaos.Downstream, chaos.Bandwidth{KBps: 100}),
			status: ok, fired: chaos.Counter{Connections: 1}, stored: 5},
		{name: "slicer", fault: fault("f", chaos.Upstream,
			chaos.Slicer{AverageSize: 64, SizeVariation: 16, Delay: time.Microsecond}),
			status: ok, fired: chaos.Counter{Connections: 1}, stored: 5},
		{name: "slow_close", fault: fault("f", chaos.Downstream,
			chaos.SlowClose{Delay: 10 * time.Millisecond}),
			status: ok, fired: chaos.Counter{Connections: 1}, stored: 5},
		{name: "limit_data", fault: fault("f", chaos.Downstream, chaos.LimitData{Bytes: 30}),
			classes: []edge.Class{proto, proto, proto}, status: failed,
			fired: chaos.Counter{Connections: 3}, stored: 5},
		{name: "reset_peer", fault: fault("f", chaos.Upstream, chaos.ResetPeer{}),
			classes: []edge.Class{read, read, read}, status: failed,
			fired: chaos.Counter{Connections: 3}},
		{name: "timeout", fault: fault("f", chaos.Upstream, chaos.Timeout{}),
			classes: []edge.Class{edge.ClassTimeout, edge.ClassTimeout, edge.ClassTimeout},
			status:  failed, fired: chaos.Counter{Connections: 3}},
		{name: "schedule first 2 reset", fault: fault("f", chaos.Upstream,
			chaos.Schedule{Plan: first(2), Action: chaos.Reset}),
			classes: []edge.Class{read, read}, status: ok,
			fired: chaos.Counter{Connections: 2}, stored: 5},
		{name: "schedule blackhole", fault: fault("f", chaos.Upstream,
			chaos.Schedule{Plan: first(1), Action: chaos.Blackhole}),
			classes: []edge.Class{edge.ClassTimeout}, status: ok,
			fired: chaos.Counter{Connections: 1}, stored: 5},
		{name: "schedule truncate", fault: fault("f", chaos.Downstream,
			chaos.Schedule{Plan: first(1), Action: chaos.Truncate, Bytes: 20}),
			classes: []edge.Class{proto}, status: ok,
			fired: chaos.Counter{Connections: 1}, stored: 5},
		{name: "reset_after", fault: fault("f", chaos.Upstream, chaos.ResetAfter{Bytes: 10}),
			classes: []edge.Class{read, read, read}, status: failed,
			fired: chaos.Counter{Connections: 3, Bytes: 30}},
		{name: "http_status 503", fault: fault("f", chaos.Downstream, chaos.HTTPStatus{
			Plan: first(1), Status: 503, RetryAfter: time.Second}),
			classes: []edge.Class{edge.ClassUnavailable}, status: ok,
			fired: chaos.Counter{Requests: 1}, stored: 5},
		{name: "http_status 500", fault: fault("f", chaos.Downstream,
			chaos.HTTPStatus{Plan: first(1), Status: 500}),
			classes: []edge.Class{edge.ClassStatus}, status: failed,
			fired: chaos.Counter{Requests: 1}, stored: 5},
		{name: "refuse next 2", refuse: 2,
			classes: []edge.Class{edge.ClassConnect, edge.ClassConnect}, status: ok,
			fired: chaos.Counter{Connections: 2}, stored: 5},
	}
}

func fault(name string, s chaos.Stream, k chaos.Kind) chaos.Fault {
	return chaos.Fault{Name: name, Stream: s, Kind: k}
}

func TestFaultSelfTest(t *testing.T) {
	for _, tc := range selfTests() {
		t.Run(tc.name, func(t *testing.T) { runSelfTest(t, tc) })
	}
}

func runSelfTest(t *testing.T, tc selfTest) {
	leakCheck(t)
	h := hub.New(hub.Config{Lens: island.DefaultLens()})
	require.NoError(t, h.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = h.Close() })
	s := newServer(t, 11)
	p, err := s.CreateProxy("alpha", strings.TrimPrefix(h.URL(), "http://"))
	require.NoError(t, err)
	name := tc.fault.Name
	if tc.fault.Kind != nil {
		require.NoError(t, p.AddFault(tc.fault))
	} else {
		require.NoError(t, p.RefuseNext(tc.refuse))
		name = chaos.RefuseFault
	}
	res := post(t, p)
	require.Equal(t, tc.status, res.Status, "result %+v", res)
	require.Equal(t, tc.classes, classes(res.Failures))
	got := counter(t, p, name)
	require.Equal(t, tc.fired.Connections, got.Connections, "connections")
	require.Equal(t, tc.fired.Requests, got.Requests, "requests")
	if tc.fired.Bytes != 0 {
		require.Equal(t, tc.fired.Bytes, got.Bytes, "bytes")
	}
	require.Equal(t, tc.stored, storedCount(t, h))
}

// post sends alpha's fixture through p in at most three attempts, with no
// real backoff wait, telling p of each attempt.
func post(t *testing.T, p *chaos.Proxy) edge.Result {
	t.Helper()
	batch, err := island.Fixture("alpha")
	require.NoError(t, err)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	pol := edge.DefaultPolicy()
	pol.MaxAttempts = 3
	pol.AttemptTimeout = 300 * time.Millisecond
	pol.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	pol.AfterAttempt = func(edge.Attempt) { require.NoError(t, p.AttemptDone()) }
	c := edge.Client{BaseURL: p.URL(), NodeID: "alpha", HTTPClient: &http.Client{Transport: tr},
		Policy: pol}
	res, _ := c.PostObservations(context.Background(), batch.Observations)
	return res
}

func classes(as []edge.Attempt) []edge.Class {
	var out []edge.Class
	for _, a := range as {
		out = append(out, a.Class)
	}
	return out
}

// storedCount asks the hub, directly, how many observations it holds.
func storedCount(t *testing.T, h *hub.Server) int {
	t.Helper()
	resp, err := freshClient(t).Get(h.URL() + "/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	var st struct {
		Total int `json:"total"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st.Total
}
