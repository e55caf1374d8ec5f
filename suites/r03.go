package suites

import (
	"errors"
	"net/http"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/chaos"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
)

// r03Timeout bounds each case of R-03; each takes well under a second.
const r03Timeout = 10 * time.Second

// R03 is the suite of partial failure recovery: a fusion that fails must
// leave the store whole, and edges must retry what is transient and only
// that.
func R03() harness.Suite {
	return harness.Suite{
		ID:    "R-03",
		Title: "Partial failure recovery",
		Risk: "the hub or the network fails during operation; edges must retry; " +
			"the hub must not lose what it already ingested when fusion fails",
		Cases: []harness.Case{
			{ID: "R-03a", Title: "fusion fails (lens not loaded)",
				Acceptance: "500 `lens_not_loaded`; the observations ingested before are " +
					"still present",
				Timeout: r03Timeout, Run: r03FusionFails},
			{ID: "R-03b", Title: "ingest after a failed fusion",
				Acceptance: "new observations accepted; with the lens loaded, fusion then " +
					"succeeds",
				Timeout: r03Timeout, Run: r03IngestAfterFailedFusion},
			{ID: "R-03c", Title: "edge retry: the first 2 attempts fail, the 3rd succeeds",
				Acceptance: "success, attempts = 3",
				Timeout:    r03Timeout, Run: r03EdgeRetry},
			{ID: "R-03d", Title: "the hub answers 500 on ingest (injected at the proxy)",
				Acceptance: "the edge returns a status error after exactly 1 attempt; 500 is " +
					"not transient",
				Timeout: r03Timeout, Run: r03HubAnswers500},
			{ID: "R-03e", Title: "2 of 3 nodes ingest, fusion runs; the 3rd node arrives, " +
				"fusion runs again",
				Acceptance: "the second run has more matches than the first",
				Timeout:    r03Timeout, Run: r03LateNode},
		},
	}
}

// requireFusionRefused runs POST /fusion/run on a hub with no lens and
// requires the 500 lens_not_loaded answer.
func requireFusionRefused(t *harness.T, i *harness.Island) {
	status, body := hubDo(t, i, http.MethodPost, "/fusion/run", nil)
	require.Equal(t, http.StatusInternalServerError, status,
		"fusion with no lens loaded must answer 500; it answered: %s", body)
	require.Equal(t, island.ELensNotLoaded, errorCodeOf(body),
		"fusion with no lens loaded must say %s; it answered: %s", island.ELensNotLoaded, body)
}

func r03FusionFails(t *harness.T) {
	i := t.IslandWith(harness.IslandConfig{NoLens: true})
	var sent []island.Batch
	for _, node := range i.Nodes {
		b := fixture(t, node)
		postThroughEdge(t, i, node, b)
		sent = append(sent, b)
	}
	before := storedObservations(t, i, "")
	requireFusionRefused(t, i)
	after := storedObservations(t, i, "")
	if d := storeDiff(before, after); d != "" {
		t.Fatalf("the failed fusion changed the store: %s", d)
	}
	require.Equal(t, before, after, "the failed fusion changed the store's order")
	requireExactlyOnce(t, i, sent...)
	require.Zero(t, hubStatus(t, i).Runs, "a failed fusion keeps no run")
	t.Figure("observations_kept", float64(len(after)), "observations")
}

func r03IngestAfterFailedFusion(t *harness.T) {
	i := t.IslandWith(harness.IslandConfig{NoLens: true})
	first := fixture(t, "alpha")
	postThroughEdge(t, i, "alpha", first)
	requireFusionRefused(t, i)

	sent := []island.Batch{first}
	for _, node := range []string{"bravo", "charlie"} {
		b := fixture(t, node)
		res := postThroughEdge(t, i, node, b)
		require.Equal(t, len(b.Observations), res.Accepted,
			"%s's batch after the failed fusion must be accepted whole", node)
		sent = append(sent, b)
	}
	requireExactlyOnce(t, i, sent...)

	hubJSON(t, i, http.MethodPut, "/lens", island.DefaultLens(), nil)
	run := fuseHub(t, i)
	require.Equal(t, hubStatus(t, i).Total, run.Observations,
		"the fusion after loading the lens must fuse everything stored")
	require.Positive(t, run.Matches, "the fusion after loading the lens found no matches")
	t.Figure("matches", float64(run.Matches), "pairs")
	t.Figure("fusion_time", run.DurationMS/1000, "s")
}

func r03EdgeRetry(t *harness.T) {
	i := t.Island()
	require.NoError(t, i.Proxy("alpha").AddFault(chaos.Fault{Name: "reset_first_2",
		Stream: chaos.Upstream,
		Kind:   chaos.Schedule{Plan: chaos.Plan{First: 2}, Action: chaos.Reset, Bytes: 64}}))
	b := fixture(t, "alpha")
	res := postThroughEdge(t, i, "alpha", b)
	require.Equal(t, 3, res.Attempts, "two failed attempts and a third that succeeds")
	require.Equal(t, []edge.Class{edge.ClassRead, edge.ClassRead}, failureClasses(res),
		"the classes of the failed attempts")
	requireExactlyOnce(t, i, b)
	t.Figure("attempts", float64(res.Attempts), "attempts")
	t.Figure("elapsed", res.Elapsed.Seconds(), "s")
}

func r03HubAnswers500(t *harness.T) {
	i := t.Island()
	p := i.Proxy("alpha")
	require.NoError(t, p.AddFault(chaos.Fault{Name: "hub_500", Stream: chaos.Downstream,
		Kind: chaos.HTTPStatus{Plan: chaos.Plan{Every: 1}, Status: http.StatusInternalServerError}}))
	b := fixture(t, "alpha")
	res, err := i.Edge("alpha").PostBatch(t.Context(), b)
	require.Equal(t, 1, res.Attempts,
		"the edge must not retry a 500, which a retry would only repeat; classes %v",
		failureClasses(res))
	var se *edge.StatusError
	require.ErrorAs(t, err, &se, "the edge must return the hub's status error")
	require.Equal(t, http.StatusInternalServerError, se.Status, "the status the edge returned")
	require.False(t, errors.Is(err, edge.ErrExhausted),
		"a 500 ends the batch at once, not by running out of attempts: %v", err)
	require.Equal(t, edge.StatusFailed, res.Status)
	require.Equal(t, []edge.Class{edge.ClassStatus}, failureClasses(res))
	require.Equal(t, int64(1), r03Answered(t, p, "hub_500"),
		"the proxy must have answered exactly one request with 500")
	requireExactlyOnce(t, i, b) // the hub stored the batch; only its answer was replaced
}

// r03Answered returns how many requests the fault named fault of p answered.
func r03Answered(t *harness.T, p *chaos.Proxy, fault string) int64 {
	cs, err := p.Counters()
	require.NoError(t, err, "reading the counters of proxy %s", p.Name())
	for _, c := range cs {
		if c.Fault == fault {
			return c.Requests
		}
	}
	t.Fatalf("proxy %s has no fault %q", p.Name(), fault)
	return 0
}

func r03LateNode(t *harness.T) {
	i := t.Island()
	var sent []island.Batch
	for _, node := range i.Nodes[:2] {
		b := fixture(t, node)
		postThroughEdge(t, i, node, b)
		sent = append(sent, b)
	}
	run1 := fuseHub(t, i)
	late := i.Nodes[2]
	b := fixture(t, late)
	postThroughEdge(t, i, late, b)
	sent = append(sent, b)
	run2 := fuseHub(t, i)
	requireExactlyOnce(t, i, sent...)
	require.Greater(t, run2.Observations, run1.Observations,
		"the second run must fuse %s's observations too", late)
	require.Greater(t, run2.Matches, run1.Matches,
		"the second run, with %s's observations, must have more matches than the first", late)
	t.Figure("matches_first", float64(run1.Matches), "pairs")
	t.Figure("matches_second", float64(run2.Matches), "pairs")
}
