package suites

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/chaos"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
)

// r06Node is the edge whose link each case of R-06 hurts; the others post
// through healthy proxies beside it.
const r06Node = "alpha"

// R06 returns suite R-06, Network degradation: the faults a poor link has,
// each through one edge's proxy while the other two edges stay healthy.
func R06() harness.Suite {
	return harness.Suite{
		ID:    "R-06",
		Title: "Network degradation",
		Risk: "one edge's link turns slow, narrow, choppy, cut, reset, silent or down " +
			"while the others stay healthy: the edge must retry what is transient, " +
			"give up in time on what is not and say why, the hub must store nothing " +
			"of a partial request and each observation exactly once, and the healthy " +
			"edges must not notice",
		Cases: []harness.Case{
			{ID: "R-06a", Title: "latency with jitter on one edge's answers",
				Acceptance: "every post of the degraded edge succeeds in one attempt and " +
					"takes at least the toxic's latency less its jitter; the healthy edges' " +
					"median post time moves by less than half the latency from their " +
					"baseline measured in the same case, each of their posts in one " +
					"attempt; the latency fault acted; each observation stored once",
				Timeout: 15 * time.Second, Run: r06Latency},
			{ID: "R-06b", Title: "bandwidth cap on a 1,500-observation batch",
				Acceptance: "the batch is stored in one attempt with no failed attempt, " +
					"1,500 accepted and no duplicates, taking at least nine tenths of the " +
					"time the cap allows for its body; the bandwidth fault acted; the " +
					"healthy edges succeed in one attempt; each observation stored once",
				Timeout: 20 * time.Second, Run: r06Bandwidth},
			{ID: "R-06c", Title: "slicer: the stream cut into small, delayed pieces",
				Acceptance: "the batch is stored in one attempt with no failed attempt; " +
					"the slicer acted on both streams; the hub stores exactly what was " +
					"sent, field for field, each observation once; the healthy edges " +
					"succeed in one attempt",
				Timeout: 10 * time.Second, Run: r06Slicer},
			r06CutCase(r06RequestCut()),
			r06CutCase(r06AnswerCut()),
			r06CutCase(r06AnswerReset()),
			{ID: "R-06g", Title: "blackhole: the link swallows every request",
				Acceptance: "the degraded edge ends failed with retries exhausted after " +
					"exactly 3 attempts, each a timeout of at least most of its 200 ms, " +
					"within 3 attempt timeouts plus its backoff and 2 s of slack; the " +
					"timeout fault held between 1 and 3 of their connections; nothing of " +
					"it is stored; the healthy edges each succeed in one attempt; each of " +
					"theirs stored once",
				Timeout: 10 * time.Second, Run: r06Blackhole},
			{ID: "R-06h", Title: "slow_close on both streams",
				Acceptance: "3 posts, each on a new connection, each succeed in one " +
					"attempt with no failure and each ends before the close delay; the " +
					"slow_close fault acted on 3 connections in each direction; the " +
					"healthy edges succeed in one attempt; each observation stored once",
				Timeout: 10 * time.Second, Run: r06SlowClose},
			{ID: "R-06i", Title: "503 with Retry-After: 1",
				Acceptance: "attempt 1 is unavailable (503) with a Retry-After of 1 s; " +
					"the edge waits at least 1 s by its real clock, then succeeds on " +
					"attempt 2 with the hub's first answer replayed; the status fault " +
					"answered 1 request; the healthy edges succeed in one attempt; each " +
					"observation stored once",
				Timeout: 10 * time.Second, Run: r06RetryAfter},
			{ID: "R-06j", Title: "link down for a window, then up",
				Acceptance: "down for 2 attempts, inside the 5-attempt budget: the edge " +
					"succeeds on attempt 3 after connect, connect; down for 8 attempts, " +
					"beyond it: the edge ends failed with retries exhausted after 5 " +
					"connect failures, and once the link is up the same batch under the " +
					"same key is stored in one attempt; 7 attempts refused in all; the " +
					"healthy edges succeed in one attempt; each observation stored once",
				Timeout: 10 * time.Second, Run: r06LinkDown},
		},
	}
}

// r06Timed is what one edge posted in a round of R-06a, and how long each
// post took by the edge's clock.
type r06Timed struct {
	elapsed []time.Duration
	sent    []island.Observation
}

// r06Round has every edge post posts small batches, one after another,
// all edges at once, each in one attempt.
func r06Round(t *harness.T, i *harness.Island, posts int, seed int64) map[string]*r06Timed {
	out := map[string]*r06Timed{}
	var wg sync.WaitGroup
	for _, node := range i.Nodes {
		r, c := &r06Timed{}, i.Edge(node)
		out[node] = r
		wg.Add(1)
		t.Go(func() {
			defer wg.Done()
			for k := range posts {
				obs := edge.Generate(node, 5, seed+int64(k))
				res, err := c.PostObservations(t.Context(), obs)
				require.NoError(t, err, "post %d of %s", k+1, node)
				require.Equal(t, 1, res.Attempts, "attempts of post %d of %s", k+1, node)
				r.elapsed = append(r.elapsed, res.Elapsed)
				r.sent = append(r.sent, obs...)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

func r06Latency(t *harness.T) {
	const posts = 5
	lat := chaos.Latency{Latency: 250 * time.Millisecond, Jitter: 50 * time.Millisecond}
	i := t.Island()
	base := r06Round(t, i, posts, 1)
	p := r06AddFault(t, i, chaos.Fault{Name: "latency", Stream: chaos.Downstream, Kind: lat})
	after := r06Round(t, i, posts, 1+posts)

	var sent []island.Batch
	for _, node := range i.Nodes {
		b, a := r06Median(base[node].elapsed), r06Median(after[node].elapsed)
		t.Figure(node+" baseline median", r06Ms(b), "ms")
		t.Figure(node+" degraded median", r06Ms(a), "ms")
		sent = append(sent, island.Batch{NodeID: node,
			Observations: slices.Concat(base[node].sent, after[node].sent)})
		if node == r06Node {
			for k, d := range after[node].elapsed {
				require.GreaterOrEqual(t, d, lat.Latency-lat.Jitter,
					"post %d of the degraded edge took %v, less than the toxic's latency", k+1, d)
			}
			continue
		}
		require.Less(t, a-b, lat.Latency/2, "the healthy edge %s moved from a median of "+
			"%v to %v beside a degraded edge", node, b, a)
	}
	require.GreaterOrEqual(t, r06Counter(t, p, "latency").Connections, int64(1),
		"the latency fault acted")
	requireExactlyOnce(t, i, sent...)
}

func r06Bandwidth(t *harness.T) {
	const transfer = 300 * time.Millisecond // what the cap makes of the body
	// A busy machine makes the hub slow to take 1,500 observations: the
	// attempt has ample room beyond the transfer.
	i := t.IslandWith(harness.IslandConfig{Policy: edge.Policy{AttemptTimeout: 10 * time.Second}})
	obs := r06Batch(1500, 2)
	size := r06BodySize(t, obs)
	rate := max(1, int64(size)/transfer.Milliseconds()) // bytes per ms are KB/s
	p := r06AddFault(t, i, chaos.Fault{Name: "bandwidth", Stream: chaos.Upstream,
		Kind: chaos.Bandwidth{KBps: rate}})
	healthy := r06Healthy(t, i)
	res, err := i.Edge(r06Node).PostObservations(t.Context(), obs)
	r06RequireStored(t, res, err, len(obs), 1)

	least := time.Duration(size) * time.Millisecond / time.Duration(rate)
	t.Figure("body", float64(size), "bytes")
	t.Figure("cap", float64(rate), "KB/s")
	t.Figure("post", r06Ms(res.Elapsed), "ms")
	require.GreaterOrEqual(t, res.Elapsed, least*9/10,
		"a %d-byte body went faster than a cap of %d KB/s allows", size, rate)
	require.GreaterOrEqual(t, r06Counter(t, p, "bandwidth").Connections, int64(1),
		"the bandwidth fault acted")
	r06Once(t, i, obs, healthy())
}

func r06Slicer(t *harness.T) {
	// Each piece waits for a timer, which a busy machine makes late: give
	// the attempt room for that.
	i := t.IslandWith(harness.IslandConfig{Policy: edge.Policy{AttemptTimeout: 5 * time.Second}})
	sl := chaos.Slicer{AverageSize: 64, SizeVariation: 32, Delay: 100 * time.Microsecond}
	p := r06AddFault(t, i, chaos.Fault{Name: "slicer_up", Stream: chaos.Upstream, Kind: sl})
	r06AddFault(t, i, chaos.Fault{Name: "slicer_down", Stream: chaos.Downstream, Kind: sl})
	healthy := r06Healthy(t, i)
	obs := r06Batch(30, 3)
	res, err := i.Edge(r06Node).PostObservations(t.Context(), obs)
	r06RequireStored(t, res, err, len(obs), 1)
	for _, name := range []string{"slicer_up", "slicer_down"} {
		require.GreaterOrEqual(t, r06Counter(t, p, name).Connections, int64(1),
			"the fault %s acted", name)
	}
	r06Once(t, i, obs, healthy())
}

// r06Cut is a case in which a fault hurts the first attempts of a batch,
// each failing with one class, and the next attempt succeeds.
type r06Cut struct {
	id, title, acceptance string
	// fault returns the fault, and how many bytes its counter must show it
	// passed per connection (0: not checked).
	fault    func(t *harness.T, i *harness.Island) (chaos.Fault, int64)
	attempts int        // attempts the fault hurts
	class    edge.Class // the class of each
	// answer tells that the fault hurts the answer, not the request: the
	// hub stores the batch at the first attempt and replays its answer.
	answer bool
}

func r06CutCase(c r06Cut) harness.Case {
	return harness.Case{ID: c.id, Title: c.title, Acceptance: c.acceptance,
		Timeout: 10 * time.Second, Run: func(t *harness.T) { r06RunCut(t, c) }}
}

func r06RequestCut() r06Cut {
	return r06Cut{id: "R-06d", title: "request truncated mid-body (limit_data upstream)",
		acceptance: "the first 2 attempts lose the request halfway through its body and " +
			"fail as protocol; after each, the hub holds nothing of the batch; attempt 3 " +
			"succeeds with all 100 observations newly accepted, none a duplicate and no " +
			"answer replayed; limit_data acted on 2 connections; the healthy edges " +
			"succeed in one attempt; each observation stored once",
		fault: func(t *harness.T, _ *harness.Island) (chaos.Fault, int64) {
			half := int64(r06BodySize(t, r06Batch(100, 4)) / 2)
			return chaos.Fault{Name: "limit_data", Stream: chaos.Upstream,
				Kind: chaos.LimitData{Bytes: half}}, 0
		},
		attempts: 2, class: edge.ClassProtocol}
}

func r06AnswerCut() r06Cut {
	return r06Cut{id: "R-06e", title: "response truncated (limit_data downstream)",
		acceptance: "the first 2 answers are cut after 30 bytes and fail as protocol; " +
			"the hub stored the batch at attempt 1; attempt 3 succeeds with the first " +
			"answer replayed (100 accepted, no duplicates); limit_data acted on 2 " +
			"connections; the healthy edges succeed in one attempt; each observation " +
			"stored once",
		fault: func(*harness.T, *harness.Island) (chaos.Fault, int64) {
			return chaos.Fault{Name: "limit_data", Stream: chaos.Downstream,
				Kind: chaos.LimitData{Bytes: 30}}, 0
		},
		attempts: 2, class: edge.ClassProtocol, answer: true}
}

func r06AnswerReset() r06Cut {
	return r06Cut{id: "R-06f", title: "reset after N bytes of the response",
		acceptance: "the first answer is reset (RST) 8 bytes into its body and fails as " +
			"read; the hub stored the batch at attempt 1; attempt 2 succeeds with the " +
			"first answer replayed (100 accepted, no duplicates); reset_after reset 1 " +
			"connection after passing exactly those N bytes; the healthy edges succeed " +
			"in one attempt; each observation stored once",
		fault: func(t *harness.T, i *harness.Island) (chaos.Fault, int64) {
			n := r06AnswerHead(t, i) + 8
			return chaos.Fault{Name: "reset_after", Stream: chaos.Downstream,
				Kind: chaos.ResetAfter{Bytes: n}}, n
		},
		attempts: 1, class: edge.ClassRead, answer: true}
}

// r06AnswerHead returns the length of the status line and headers of the
// hub's answer to a stored batch, asked straight of the hub with an empty
// batch, whose answer has headers of the same length. The body of such an
// answer is over 50 bytes long.
func r06AnswerHead(t *harness.T, i *harness.Island) int64 {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, i.HubURL()+"/ingest",
		strings.NewReader(`{"node_id":"`+r06Node+`","observations":[]}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := i.HTTP.Do(req)
	require.NoError(t, err, "posting an empty batch straight to the hub")
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the hub's answer to an empty batch")
	n := len(resp.Proto) + len(" ") + len(resp.Status) + len("\r\n")
	for k, vs := range resp.Header {
		for _, v := range vs {
			n += len(k) + len(": ") + len(v) + len("\r\n")
		}
	}
	return int64(n + len("\r\n"))
}

func r06RunCut(t *harness.T, c r06Cut) {
	i := t.Island()
	obs := r06Batch(100, 4)
	f, bytes := c.fault(t, i)
	between := func(a edge.Attempt) {
		want := 0
		if c.answer {
			want = len(obs)
		}
		require.Equal(t, want, hubStatus(t, i).Nodes[r06Node],
			"observations of %s the hub holds after attempt %d", r06Node, a.N)
	}
	cl, lifted := r06FaultFirst(t, i, f, c.attempts, between)
	healthy := r06Healthy(t, i)
	res, err := cl.PostObservations(t.Context(), obs)
	r06RequireStored(t, res, err, len(obs), c.attempts+1, r06Repeat(c.class, c.attempts)...)
	require.Equal(t, c.answer, res.Replayed, "the hub replayed its first answer")
	require.True(t, lifted.Removed, "the fault was lifted after attempt %d", c.attempts)
	require.Equal(t, int64(c.attempts), lifted.Fired.Connections,
		"connections the fault %s acted on", f.Name)
	if bytes > 0 {
		require.Equal(t, bytes*int64(c.attempts), lifted.Fired.Bytes,
			"bytes the fault %s passed", f.Name)
	}
	r06Once(t, i, obs, healthy())
}

func r06Blackhole(t *harness.T) {
	const attempts = 3
	pol := edge.Policy{MaxAttempts: attempts, AttemptTimeout: 200 * time.Millisecond}
	i := t.IslandWith(harness.IslandConfig{Policy: pol})
	p := r06AddFault(t, i, chaos.Fault{Name: "blackhole", Stream: chaos.Upstream,
		Kind: chaos.Timeout{}})
	deadline := attempts*pol.AttemptTimeout + r06Backoff(attempts) + 2*time.Second
	healthy := r06Healthy(t, i)
	ctx, cancel := context.WithTimeout(t.Context(), deadline+time.Second)
	defer cancel()
	start := time.Now()
	res, err := i.Edge(r06Node).PostObservations(ctx, r06Batch(5, 5))
	took := time.Since(start)
	t.Figure("gave up after", r06Ms(took), "ms")

	require.LessOrEqual(t, took, deadline, "the edge gave up after %v, past its deadline "+
		"of %v (%d attempts of %v and their backoff)", took, deadline, attempts,
		pol.AttemptTimeout)
	require.ErrorIs(t, err, edge.ErrExhausted)
	require.Equal(t, edge.StatusFailed, res.Status)
	require.Equal(t, attempts, res.Attempts)
	require.Equal(t, r06Repeat(edge.ClassTimeout, attempts), failureClasses(res))
	for _, a := range res.Failures {
		require.GreaterOrEqual(t, a.Duration, pol.AttemptTimeout*3/4,
			"attempt %d timed out early", a.N)
	}
	// An attempt that a busy machine times out before the proxy has linked
	// its connection to the hub never reaches the fault, so the count may
	// fall short of the attempts.
	held := r06Counter(t, p, "blackhole").Connections
	require.True(t, held >= 1 && held <= attempts, "the blackhole held %d connections "+
		"of %d attempts", held, attempts)
	r06Once(t, i, nil, healthy())
}

// r06Backoff returns the longest the island's policy waits between
// attempts attempts.
func r06Backoff(attempts int) time.Duration {
	def := harness.IslandPolicy()
	var sum time.Duration
	for n := 1; n < attempts; n++ {
		sum += edge.Ceiling(def.BaseDelay, def.MaxDelay, n)
	}
	return sum
}

func r06SlowClose(t *harness.T) {
	const delay = 2 * time.Second
	i := t.Island()
	sc := chaos.SlowClose{Delay: delay}
	p := r06AddFault(t, i, chaos.Fault{Name: "slow_close_up", Stream: chaos.Upstream, Kind: sc})
	r06AddFault(t, i, chaos.Fault{Name: "slow_close_down", Stream: chaos.Downstream, Kind: sc})
	healthy := r06Healthy(t, i)
	// Without keep-alive every post has a connection of its own, which the
	// hub closes after its answer.
	c := r06WithTransport(t, i.Edge(r06Node), &http.Transport{DisableKeepAlives: true})
	var sent []island.Observation
	for k := range 3 {
		obs := r06Batch(5, int64(6+k))
		res, err := c.PostObservations(t.Context(), obs)
		r06RequireStored(t, res, err, len(obs), 1)
		require.Less(t, res.Elapsed, delay, "post %d waited for the slow close", k+1)
		sent = append(sent, obs...)
	}
	for _, name := range []string{"slow_close_up", "slow_close_down"} {
		require.Equal(t, int64(3), r06Counter(t, p, name).Connections,
			"connections the fault %s acted on", name)
	}
	r06Once(t, i, sent, healthy())
}

// r06WithTransport returns a copy of c, with its policy, that sends through
// tr; the case's end closes tr's idle connections.
func r06WithTransport(t *harness.T, c *edge.Client, tr *http.Transport) *edge.Client {
	t.Cleanup(tr.CloseIdleConnections)
	cp := *c
	cp.HTTPClient = &http.Client{Transport: tr}
	return &cp
}

func r06RetryAfter(t *harness.T) {
	i := t.Island()
	p := r06AddFault(t, i, chaos.Fault{Name: "unavailable", Stream: chaos.Downstream,
		Kind: chaos.HTTPStatus{Plan: chaos.Plan{First: 1}, Status: http.StatusServiceUnavailable,
			RetryAfter: time.Second}})
	healthy := r06Healthy(t, i)
	obs := r06Batch(5, 9)
	start := time.Now()
	res, err := i.Edge(r06Node).PostObservations(t.Context(), obs)
	took := time.Since(start)
	t.Figure("post", r06Ms(took), "ms")
	r06RequireStored(t, res, err, len(obs), 2, edge.ClassUnavailable)

	a := res.Failures[0]
	require.Equal(t, http.StatusServiceUnavailable, a.Status)
	require.Equal(t, time.Second, a.RetryAfter, "the Retry-After the edge read")
	require.GreaterOrEqual(t, a.Wait, time.Second, "the wait the edge chose")
	require.GreaterOrEqual(t, took, time.Second, "the post's time by the real clock")
	require.GreaterOrEqual(t, res.Elapsed, time.Second, "the post's time by the edge's clock")
	require.True(t, res.Replayed, "the hub stored attempt 1 and replayed its answer")
	require.Equal(t, int64(1), r06Counter(t, p, "unavailable").Requests,
		"requests the status fault answered")
	r06Once(t, i, obs, healthy())
}

func r06LinkDown(t *harness.T) {
	i := t.Island()
	p := i.Proxy(r06Node)
	healthy := r06Healthy(t, i)
	budget := harness.IslandPolicy().MaxAttempts

	// A fresh transport for each window, so that no kept-alive connection
	// outlives the link going down.
	c := r06WithTransport(t, i.Edge(r06Node), http.DefaultTransport.(*http.Transport).Clone())
	short := r06Batch(5, 10)
	require.NoError(t, p.RefuseNext(2), "taking the link down for 2 attempts")
	res, err := c.PostObservations(t.Context(), short)
	r06RequireStored(t, res, err, len(short), 3, edge.ClassConnect, edge.ClassConnect)

	c = r06WithTransport(t, i.Edge(r06Node), http.DefaultTransport.(*http.Transport).Clone())
	long := r06Batch(5, 11)
	require.NoError(t, p.RefuseNext(budget+3), "taking the link down for %d attempts", budget+3)
	res, err = c.PostObservations(t.Context(), long)
	require.ErrorIs(t, err, edge.ErrExhausted)
	require.Equal(t, edge.StatusFailed, res.Status)
	require.Equal(t, budget, res.Attempts)
	require.Equal(t, r06Repeat(edge.ClassConnect, budget), failureClasses(res))

	require.NoError(t, p.RefuseNext(0), "bringing the link up")
	res, err = c.PostBatchWithKey(t.Context(),
		island.Batch{NodeID: r06Node, Observations: long}, res.Key)
	r06RequireStored(t, res, err, len(long), 1)
	require.Equal(t, int64(2+budget), r06Counter(t, p, chaos.RefuseFault).Connections,
		"attempts refused")
	r06Once(t, i, append(short, long...), healthy())
}

// r06Repeat returns n times c.
func r06Repeat(c edge.Class, n int) []edge.Class {
	out := []edge.Class{}
	for range n {
		out = append(out, c)
	}
	return out
}

// r06Counter returns what the fault named fault of p did; the fault must
// be there.
func r06Counter(t *harness.T, p *chaos.Proxy, fault string) chaos.Counter {
	cs, err := p.Counters()
	require.NoError(t, err, "reading the counters of proxy %s", p.Name())
	for _, c := range cs {
		if c.Fault == fault {
			return c
		}
	}
	t.Fatalf("proxy %s has no counter for fault %q: %+v", p.Name(), fault, cs)
	return chaos.Counter{}
}

// r06AddFault adds f to the degraded edge's proxy.
func r06AddFault(t *harness.T, i *harness.Island, f chaos.Fault) *chaos.Proxy {
	p := i.Proxy(r06Node)
	require.NoError(t, p.AddFault(f), "adding fault %s to proxy %s", f.Name, r06Node)
	return p
}

// r06Batch returns n observations of the degraded edge, from a seed that
// no other batch of the case uses.
func r06Batch(n int, seed int64) []island.Observation {
	return edge.Generate(r06Node, n, seed)
}

// r06Once requires the hub to hold each observation of the degraded edge's
// obs and of the batches others sent exactly once, and nothing else.
func r06Once(t *harness.T, i *harness.Island, obs []island.Observation,
	others []island.Batch) {
	sent := append([]island.Batch{{NodeID: r06Node, Observations: obs}}, others...)
	requireExactlyOnce(t, i, sent...)
}

// r06RequireStored requires res to be a success of the given attempt count,
// with exactly the failure classes want, and the hub's counts of a batch of
// n observations it had not seen.
func r06RequireStored(t *harness.T, res edge.Result, err error, n, attempts int,
	want ...edge.Class) {
	require.NoError(t, err, "the degraded edge's batch")
	require.Equal(t, edge.StatusSuccess, res.Status)
	require.Equal(t, attempts, res.Attempts, "attempts of the degraded edge: %+v", res.Failures)
	require.Equal(t, append([]edge.Class{}, want...), failureClasses(res),
		"classes of the degraded edge's failed attempts")
	require.Equal(t, n, res.Accepted, "observations newly stored")
	require.Zero(t, res.Duplicates, "observations the hub had already")
}

// r06Healthy posts the fixtures of every edge but the degraded one, each
// from a goroutine of its own, while the case hurts the degraded edge's
// link. They keep at least the island's usual attempt timeout when a case
// shortens the degraded edge's, so that a busy machine cannot fail them.
// The returned wait requires each to be stored in one attempt with no
// failure, and returns what they sent.
func r06Healthy(t *harness.T, i *harness.Island) func() []island.Batch {
	type outcome struct {
		node string
		sent island.Batch
		res  edge.Result
		err  error
	}
	out := make(chan outcome, len(i.Nodes))
	n := 0
	for _, node := range i.Nodes {
		if node == r06Node {
			continue
		}
		n++
		b, c := fixture(t, node), *i.Edge(node)
		c.Policy.AttemptTimeout = max(c.Policy.AttemptTimeout,
			harness.IslandPolicy().AttemptTimeout)
		t.Go(func() {
			res, err := c.PostBatch(t.Context(), b)
			out <- outcome{node: node, sent: b, res: res, err: err}
		})
	}
	return func() []island.Batch {
		var sent []island.Batch
		for range n {
			var o outcome
			select {
			case o = <-out:
			case <-t.Context().Done():
				t.Fatalf("the healthy edges did not finish: %v", context.Cause(t.Context()))
			}
			require.NoError(t, o.err, "the healthy edge %s", o.node)
			require.Equal(t, 1, o.res.Attempts, "attempts of the healthy edge %s", o.node)
			require.Empty(t, o.res.Failures, "failures of the healthy edge %s", o.node)
			sent = append(sent, o.sent)
		}
		return sent
	}
}

// r06Lifted records a fault that hurt only the first attempts of a batch.
type r06Lifted struct {
	Fired   chaos.Counter // what the fault did, read just before its removal
	Removed bool
}

// r06FaultFirst adds f to the degraded edge's proxy and returns a copy of
// that edge whose k-th attempt ends by removing it, so that only attempts
// 1..k meet it. What the fault did is read first, into the case's faults
// and the record. between, when set, runs after each of attempts 1..k,
// before the fault is removed; it runs on the posting goroutine.
func r06FaultFirst(t *harness.T, i *harness.Island, f chaos.Fault, k int,
	between func(edge.Attempt)) (*edge.Client, *r06Lifted) {
	p := r06AddFault(t, i, f)
	rec := &r06Lifted{}
	c := *i.Edge(r06Node)
	inner := c.Policy.AfterAttempt
	c.Policy.AfterAttempt = func(a edge.Attempt) {
		if inner != nil {
			inner(a)
		}
		if a.N > k || rec.Removed {
			return
		}
		if between != nil {
			between(a)
		}
		if a.N == k {
			rec.Fired = r06Counter(t, p, f.Name)
			t.AddFaults(map[string]int64{r06Node + "/" + f.Name: rec.Fired.Connections +
				rec.Fired.Requests})
			require.NoError(t, p.RemoveFault(f.Name), "lifting fault %s", f.Name)
			rec.Removed = true
		}
	}
	return &c, rec
}

// r06Median returns the median of ds, which must not be empty.
func r06Median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	slices.Sort(s)
	return s[len(s)/2]
}

func r06Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// r06BodySize returns the size of the JSON body of a batch of obs.
func r06BodySize(t *harness.T, obs []island.Observation) int {
	body, err := json.Marshal(island.Batch{NodeID: r06Node, Observations: obs})
	require.NoError(t, err)
	return len(body)
}
