package suites

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/chaos"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub"
	"github.com/island-sensors/island/hub/store"
)

// The storm of R-08a and R-08b: batches per node, and the edge's policy.
const (
	stormBatches  = 50
	stormReplay   = 25 // batches per node in each of R-08b's two runs
	stormAttempts = 4
	// stormTimeout bounds an attempt. No fault of the storm makes one wait,
	// so only a machine that stalls the process for seconds reaches it.
	stormTimeout = 5 * time.Second
	r08Timeout   = 20 * time.Second
)

// R08 is the suite of exactly-once delivery under chaos, judged on a
// history of every edge operation checked against the hub's store.
func R08() harness.Suite {
	return harness.Suite{
		ID:    "R-08",
		Title: "Exactly-once under chaos",
		Risk: "faults strike at random while every edge posts: a batch whose answer is " +
			"lost is retried or given up, and the hub could lose what it acknowledged, " +
			"store a retried batch twice, or hold what no edge sent",
		Cases: []harness.Case{
			{ID: "R-08a", Title: "a seeded random schedule of faults on all three edges, " +
				"50 batches each",
				Acceptance: "with resets up and down, truncated answers, latency, 503s and " +
					"refused connections striking 3 edges that each post 50 batches of 5 " +
					"to 10 observations in order, concurrently, every batch ends ok, " +
					"failed or unknown, and its history checked against the store read " +
					"back through GET /observations gives lost = 0, duplicated = 0, " +
					"unexpected = 0, and no unknown batch stored in part; every kind of " +
					"fault fired; the seed, the counts and the fault trace's hash are in " +
					"the report",
				Timeout: r08Timeout, Run: r08RandomFaults},
			{ID: "R-08b", Title: "the same seed twice gives the same faults and the same store",
				Acceptance: "the storm of R-08a (3 edges by 25 batches), run on two fresh " +
					"islands with the case's seed, gives the same fault trace (the same " +
					"SHA-256 of every attempt's fault, whether it fired, and every " +
					"batch's outcome) and the same final store, sorted; both are " +
					"exactly once",
				Timeout: r08Timeout, Run: r08SameSeedTwice},
			{ID: "R-08c", Title: "Idempotency-Key conformance",
				Acceptance: "a replay with the same key and body gets the first answer " +
					"again, marked Idempotent-Replayed, and stores nothing; the same key " +
					"with another body gets 422 idempotency_key_reused and stores " +
					"nothing; a retry while the first request is still in flight (held " +
					"at the hub's store) gets 409 idempotency_in_flight, the first then " +
					"completes, and a later replay gets its answer; the store holds each " +
					"observation once",
				Timeout: r08Timeout, Run: r08IdempotencyKeys},
		},
	}
}

// r08RandomFaults runs the storm and checks its history against the store.
func r08RandomFaults(t *harness.T) {
	r := runStorm(t, t.Seed(), stormBatches)
	t.Property("seed", strconv.FormatUint(t.Seed(), 10))
	t.Property("trace.sha256", r.hash)
	t.Figure("storm", r.elapsed.Seconds(), "s")
	t.Figure("batches", float64(r.verdict.History.Ops), "batches")
	for _, kind := range stormKinds[1:] {
		t.Figure("fired."+kind, float64(r.fired[kind]), "attempts")
	}
	r.verdict.Record(t)
	requireStormComplete(t, r, stormBatches)
	if !r.verdict.OK() {
		t.Fatalf("exactly once does not hold under seed %d: %s", t.Seed(), r.verdict)
	}
	for _, kind := range stormKinds[1:] {
		require.Positive(t, r.fired[kind], "the %s fault never fired under seed %d: %v",
			kind, t.Seed(), r.fired)
	}
}

// r08SameSeedTwice runs the storm twice with one seed and compares.
func r08SameSeedTwice(t *harness.T) {
	first := runStorm(t, t.Seed(), stormReplay)
	second := runStorm(t, t.Seed(), stormReplay)
	t.Property("seed", strconv.FormatUint(t.Seed(), 10))
	t.Property("trace.sha256", first.hash)
	t.Property("trace.sha256.second", second.hash)
	t.Figure("storms", (first.elapsed + second.elapsed).Seconds(), "s")
	first.verdict.Record(t)
	for _, r := range []stormRun{first, second} {
		requireStormComplete(t, r, stormReplay)
		require.True(t, r.verdict.OK(), "exactly once under seed %d: %s", t.Seed(), r.verdict)
	}
	require.Equal(t, first.trace, second.trace, "the fault traces of seed %d differ", t.Seed())
	require.Equal(t, first.hash, second.hash)
	require.Equal(t, sortedStore(first.stored), sortedStore(second.stored),
		"the final stores of seed %d differ", t.Seed())
}

// requireStormComplete requires that every batch of every node was posted
// and ended.
func requireStormComplete(t *harness.T, r stormRun, batches int) {
	s := r.verdict.History
	require.Equal(t, 3*batches, s.Ops, "batches posted: %s", s)
	require.Zero(t, s.Invoked, "batches that never ended: %s", s)
}

// sortedStore returns one line per stored observation, sorted.
func sortedStore(obs []island.Observation) []string {
	out := make([]string, 0, len(obs))
	for _, o := range obs {
		out = append(out, fmt.Sprintf("%s %s %.6f %.6f %s %.3f", o.Key(),
			o.Timestamp.UTC().Format(time.RFC3339Nano), o.Lat, o.Lon, o.Class, o.Confidence))
	}
	slices.Sort(out)
	return out
}

// stormRun is what one storm did.
type stormRun struct {
	trace   []string // one line per batch, node by node in order
	hash    string   // SHA-256 of trace
	fired   map[string]int
	stored  []island.Observation
	verdict harness.Verdict
	elapsed time.Duration
}

// runStorm makes an island, lets every node post batches under the faults
// that seed schedules, and checks the history against the store.
func runStorm(t *harness.T, seed uint64, batches int) stormRun {
	i := t.IslandWith(harness.IslandConfig{Policy: edge.Policy{
		MaxAttempts: stormAttempts, AttemptTimeout: stormTimeout}})
	h := harness.NewHistory(nil)
	nodes := make([]*stormNode, len(i.Nodes))
	start := time.Now()
	var wg sync.WaitGroup
	for n, name := range i.Nodes {
		nodes[n] = newStormNode(t, i, name, seed, h)
		wg.Add(1)
		t.Go(func() {
			defer wg.Done()
			nodes[n].run(batches)
		})
	}
	wg.Wait()
	r := stormRun{elapsed: time.Since(start), fired: map[string]int{}}
	for _, s := range nodes {
		r.trace = append(r.trace, s.trace...)
		for k, n := range s.fired {
			r.fired[k] += n
		}
	}
	sum := sha256.Sum256([]byte(strings.Join(r.trace, "\n")))
	r.hash = hex.EncodeToString(sum[:])
	stored, err := harness.ReadStore(t.Context(), i.HTTP, i.HubURL())
	require.NoError(t, err)
	r.stored, r.verdict = stored, harness.Check(h.Ops(), stored)
	t.Logf("storm of %d batches per node in %v: %s", batches, r.elapsed.Round(time.Millisecond),
		r.verdict.Counts())
	return r
}

// stormKinds are the faults the storm draws from, "none" first.
var stormKinds = []string{"none", "latency", "reset_up", "reset_down", "truncate_down",
	"status_503", "refuse"}

// stormFault is the fault of one attempt: a kind and its one parameter.
type stormFault struct {
	kind  string
	param int // bytes, or milliseconds of latency
}

func (f stormFault) String() string {
	if f.kind == "none" || f.kind == "refuse" || f.kind == "status_503" {
		return f.kind
	}
	return fmt.Sprintf("%s(%d)", f.kind, f.param)
}

// drawFault draws the fault of one attempt. About four attempts in ten
// fail; the byte counts stay inside the request's and the answer's
// headers, so a reset upstream never lets the hub read a whole request
// and a cut answer always comes after the hub has stored the batch.
func drawFault(rng *rand.Rand) stormFault {
	switch r := rng.IntN(100); {
	case r < 45:
		return stormFault{kind: "none"}
	case r < 57:
		return stormFault{kind: "latency", param: 1 + rng.IntN(8)}
	case r < 69:
		return stormFault{kind: "reset_up", param: 1 + rng.IntN(100)}
	case r < 79:
		return stormFault{kind: "reset_down", param: rng.IntN(100)}
	case r < 89:
		return stormFault{kind: "truncate_down", param: 1 + rng.IntN(100)}
	case r < 95:
		return stormFault{kind: "status_503"}
	default:
		return stormFault{kind: "refuse"}
	}
}

// chaosFault returns the proxy fault of f; refuse and none have none.
func (f stormFault) chaosFault() chaos.Fault {
	switch f.kind {
	case "latency":
		return chaos.Fault{Name: f.kind, Stream: chaos.Downstream,
			Kind: chaos.Latency{Latency: time.Duration(f.param) * time.Millisecond}}
	case "reset_up":
		return chaos.Fault{Name: f.kind, Stream: chaos.Upstream,
			Kind: chaos.ResetAfter{Bytes: int64(f.param)}}
	case "reset_down":
		return chaos.Fault{Name: f.kind, Stream: chaos.Downstream,
			Kind: chaos.ResetAfter{Bytes: int64(f.param)}}
	case "truncate_down":
		return chaos.Fault{Name: f.kind, Stream: chaos.Downstream,
			Kind: chaos.LimitData{Bytes: int64(f.param)}}
	default:
		return chaos.Fault{Name: f.kind, Stream: chaos.Downstream,
			Kind: chaos.HTTPStatus{Plan: chaos.Plan{First: 1},
				Status: http.StatusServiceUnavailable}}
	}
}

// stormNode posts one node's batches in order, with the fault of each
// attempt installed on the node's proxy before the attempt and removed
// after it. Its fields after the constructor's are touched only by the
// goroutine that posts, on which the edge also calls its AfterAttempt.
type stormNode struct {
	t     *harness.T
	node  string
	seed  uint64
	proxy *chaos.Proxy
	rec   harness.Recorder

	plan     []stormFault // of the batch being posted, one per attempt
	current  *stormFault  // installed for the attempt under way
	refused  int64        // the proxy's refusals before the current attempt
	attempts []string     // of the batch being posted
	faults   []string     // that fired during the batch being posted
	trace    []string
	fired    map[string]int
}

func newStormNode(t *harness.T, i *harness.Island, node string, seed uint64,
	h *harness.History) *stormNode {
	s := &stormNode{t: t, node: node, seed: seed, proxy: i.Proxy(node), fired: map[string]int{}}
	c := *i.Edge(node)
	// One connection per attempt, so that every fault meets a fresh one.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	t.Cleanup(tr.CloseIdleConnections)
	c.HTTPClient = &http.Client{Transport: tr}
	own := c.Policy.AfterAttempt // the island's, which tells the proxy
	c.Policy.AfterAttempt = func(a edge.Attempt) {
		own(a)
		s.afterAttempt(a)
	}
	s.rec = harness.Recorder{Client: &c, History: h}
	return s
}

// rngOf returns the source of batch b's size and faults: a function of the
// seed, the node and b alone, whatever the other nodes do meanwhile.
func (s *stormNode) rngOf(b int) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", s.node, b)
	return rand.New(rand.NewPCG(s.seed, h.Sum64()))
}

func (s *stormNode) run(batches int) {
	base := int64(s.seed%1_000_000) * 1000
	for b := range batches {
		if s.t.Context().Err() != nil {
			return
		}
		rng := s.rngOf(b)
		obs := edge.Generate(s.node, 5+rng.IntN(6), base+int64(b)+1)
		s.plan = make([]stormFault, stormAttempts)
		for n := range s.plan {
			s.plan[n] = drawFault(rng)
		}
		s.attempts, s.faults = nil, nil
		s.install(s.plan[0])
		id, res, _ := s.rec.Post(s.t.Context(), island.Batch{NodeID: s.node, Observations: obs})
		s.settle() // when the batch ended before the attempt planned
		s.rec.History.AddFaults(id, s.faults...)
		s.trace = append(s.trace, fmt.Sprintf("%s/%03d n=%d %s -> %s/%d", s.node, b,
			len(obs), strings.Join(s.attempts, " "), res.Status, res.Attempts))
	}
}

// afterAttempt settles the fault of attempt a and installs the next one.
func (s *stormNode) afterAttempt(a edge.Attempt) {
	s.settle()
	if a.Retry && a.N < len(s.plan) {
		s.install(s.plan[a.N])
	}
}

// install puts f on the proxy for the next attempt.
func (s *stormNode) install(f stormFault) {
	s.current = &f
	var err error
	switch f.kind {
	case "none":
	case "refuse":
		s.refused = s.refusals()
		err = s.proxy.RefuseNext(1)
	default:
		err = s.proxy.AddFault(f.chaosFault())
	}
	if err != nil {
		s.t.Errorf("installing %s on the proxy of %s: %v", f, s.node, err)
	}
}

// settle records whether the installed fault fired, counts it into the
// case, and takes it off the proxy.
func (s *stormNode) settle() {
	f := s.current
	if f == nil {
		return
	}
	s.current = nil
	n, err := s.firedCount(*f)
	if err != nil {
		s.t.Errorf("settling %s on the proxy of %s: %v", f, s.node, err)
	}
	word := "passed"
	if n > 0 {
		word = "fired"
		s.fired[f.kind]++
		s.faults = append(s.faults, s.node+"/"+f.kind)
	}
	s.attempts = append(s.attempts, fmt.Sprintf("a%d=%s:%s", len(s.attempts)+1, f, word))
}

// firedCount returns how often f acted during its attempt and removes it.
// Refusals stay counted by the proxy; the others are counted into the case
// here, since a removed fault's counters go with it.
func (s *stormNode) firedCount(f stormFault) (int64, error) {
	switch f.kind {
	case "none":
		return 0, nil
	case "refuse":
		if err := s.proxy.RefuseNext(0); err != nil { // the attempt may not have come
			return 0, err
		}
		return s.refusals() - s.refused, nil
	}
	n := int64(0)
	cs, err := s.proxy.Counters()
	for _, c := range cs {
		if c.Fault == f.kind {
			n = c.Connections + c.Requests
		}
	}
	s.t.AddFaults(map[string]int64{s.node + "/" + f.kind: n})
	if rerr := s.proxy.RemoveFault(f.kind); err == nil {
		err = rerr
	}
	return n, err
}

// refusals returns how many attempts the proxy has refused so far.
func (s *stormNode) refusals() int64 {
	cs, err := s.proxy.Counters()
	if err != nil {
		s.t.Errorf("reading the counters of the proxy of %s: %v", s.node, err)
	}
	for _, c := range cs {
		if c.Fault == chaos.RefuseFault {
			return c.Connections
		}
	}
	return 0
}

// gatedStore holds the batch whose first observation is hold at the door
// of the store until release closes, so that its request stays in flight.
type gatedStore struct {
	*store.Store
	hold    string
	entered chan struct{} // closed when the held batch arrives
	release chan struct{}
	once    sync.Once
}

// Add implements hub.Store.
func (g *gatedStore) Add(ctx context.Context, obs []island.Observation) (store.Added, error) {
	if len(obs) > 0 && obs[0].ID == g.hold {
		g.once.Do(func() { close(g.entered) })
		select {
		case <-g.release:
		case <-ctx.Done():
			return store.Added{}, ctx.Err()
		}
	}
	return g.Store.Add(ctx, obs)
}

// r08IdempotencyKeys checks the hub's answers to a replay, to a key reused
// with another body and to a retry while the first request is in flight.
func r08IdempotencyKeys(t *harness.T) {
	seed := int64(t.Seed() % 1_000_000)
	first, other, held := edge.Generate("alpha", 5, seed), edge.Generate("alpha", 6, seed+1),
		edge.Generate("bravo", 7, seed+2)
	gate := &gatedStore{Store: store.New(), hold: held[0].ID,
		entered: make(chan struct{}), release: make(chan struct{})}
	i := t.IslandWith(harness.IslandConfig{Hub: hub.Config{Store: gate}})
	release := sync.OnceFunc(func() { close(gate.release) })
	t.Cleanup(release)

	key := edge.NewKey()
	firstBody := batchBody(t, "alpha", first)
	ans := keyedPost(t, i.HTTP, i.HubURL(), key, firstBody)
	require.Equal(t, http.StatusOK, ans.status, "the first post: %s", ans.body)
	before := storedSorted(t, i)
	requireReplay(t, keyedPost(t, i.HTTP, i.HubURL(), key, firstBody), ans)
	res, err := i.Edge("alpha").PostBatchWithKey(t.Context(),
		island.Batch{NodeID: "alpha", Observations: first}, key)
	require.NoError(t, err, "the replay through alpha's edge")
	require.True(t, res.Replayed, "the edge saw no replay: %+v", res)
	require.Equal(t, len(first), res.Accepted, "the edge's replay carries the first answer")
	require.Equal(t, before, storedSorted(t, i), "a replay stored something")

	reused := keyedPost(t, i.HTTP, i.HubURL(), key, batchBody(t, "alpha", other))
	requireRefusal(t, reused, http.StatusUnprocessableEntity, island.EKeyReused)
	require.Equal(t, before, storedSorted(t, i), "a reused key stored its other body")

	inFlight(t, i, gate, release, batchBody(t, "bravo", held))
	ops := []harness.Op{keyedOp(0, harness.OpOK, first), keyedOp(1, harness.OpFailed, other),
		keyedOp(2, harness.OpOK, held)}
	stored, err := harness.ReadStore(t.Context(), i.HTTP, i.HubURL())
	require.NoError(t, err)
	v := harness.Check(ops, stored)
	v.Record(t)
	require.True(t, v.OK(), "the store after the key checks: %s", v)
}

// inFlight posts body through bravo's proxy, and while the gate holds it
// at the hub's store, retries it under the same key straight to the hub.
func inFlight(t *harness.T, i *harness.Island, gate *gatedStore, release func(),
	body []byte) {
	key := edge.NewKey()
	done := make(chan keyedAnswer, 1)
	t.Go(func() { done <- keyedPost(t, i.HTTP, i.Proxy("bravo").URL(), key, body) })
	select {
	case <-gate.entered:
	case <-t.Context().Done():
		t.Fatalf("the held batch never reached the hub's store")
	}
	retry := keyedPost(t, i.HTTP, i.HubURL(), key, body)
	requireRefusal(t, retry, http.StatusConflict, island.EKeyInFlight)
	release()
	var firstAns keyedAnswer
	select {
	case firstAns = <-done:
	case <-t.Context().Done():
		t.Fatalf("the held request did not complete once released")
	}
	require.Equal(t, http.StatusOK, firstAns.status, "the held request: %s", firstAns.body)
	requireReplay(t, keyedPost(t, i.HTTP, i.HubURL(), key, body), firstAns)
}

// keyedAnswer is the hub's answer to a keyed post.
type keyedAnswer struct {
	status   int
	replayed string
	body     []byte
}

// keyedPost posts body to base's /ingest under key and reads the answer.
func keyedPost(t *harness.T, c *http.Client, base, key string, body []byte) keyedAnswer {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/ingest",
		bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(hub.HeaderIdempotencyKey, key)
	resp, err := c.Do(req)
	require.NoError(t, err, "POST %s/ingest got no answer", base)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "reading the answer of POST %s/ingest", base)
	return keyedAnswer{status: resp.StatusCode, body: data,
		replayed: resp.Header.Get(hub.HeaderIdempotentReplay)}
}

// requireReplay requires that got is first's answer again, marked as a
// replay.
func requireReplay(t *harness.T, got, first keyedAnswer) {
	require.Equal(t, first.status, got.status, "the replay's status: %s", got.body)
	require.JSONEq(t, string(first.body), string(got.body), "the replay's answer")
	require.Equal(t, "true", got.replayed, "the replay is not marked %s",
		hub.HeaderIdempotentReplay)
}

// requireRefusal requires that the hub refused with status and code.
func requireRefusal(t *harness.T, got keyedAnswer, status int, code string) {
	require.Equal(t, status, got.status, "the answer: %s", got.body)
	require.Equal(t, code, errorCodeOf(got.body), "the answer: %s", got.body)
}

func batchBody(t *harness.T, node string, obs []island.Observation) []byte {
	data, err := json.Marshal(island.Batch{NodeID: node, Observations: obs})
	require.NoError(t, err)
	return data
}

// storedSorted reads the whole store back, sorted.
func storedSorted(t *harness.T, i *harness.Island) []string {
	stored, err := harness.ReadStore(t.Context(), i.HTTP, i.HubURL())
	require.NoError(t, err)
	return sortedStore(stored)
}

// keyedOp is an operation of R-08c for the checker.
func keyedOp(id int, status harness.OpStatus, obs []island.Observation) harness.Op {
	op := harness.Op{ID: id, Node: obs[0].NodeID, Status: status}
	for _, o := range obs {
		op.Observations = append(op.Observations, o.Key())
	}
	return op
}
