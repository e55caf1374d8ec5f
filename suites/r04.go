package suites

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub"
	"github.com/island-sensors/island/hub/fusion"
)

// R04 is the suite of multi-cycle operation: ingest, fuse and clear, again
// and again on one hub, with nothing carried from one cycle into the next.
func R04() harness.Suite {
	return harness.Suite{
		ID:    "R-04",
		Title: "Multi-cycle operation",
		Risk: "the hub runs many fusion cycles without restart; nothing may leak from " +
			"one cycle into the next",
		Cases: []harness.Case{
			{ID: "R-04a", Title: "cycle 1: ingest 3 nodes, fuse, verify; clear; cycle 2 the same",
				Acceptance: "both cycles give identical results (tracks and matches; " +
					"ids and times aside)",
				Timeout: 10 * time.Second, Run: r04a},
			{ID: "R-04b", Title: "clear between cycles truly resets",
				Acceptance: "after clear, status shows 0 nodes and 0 observations",
				Timeout:    10 * time.Second, Run: r04b},
			{ID: "R-04c", Title: "results of cycle 1 still retrievable after cycle 2",
				Acceptance: "GET /fusion/results/{run_id of cycle 1} returns cycle 1's results",
				Timeout:    10 * time.Second, Run: r04c},
			{ID: "R-04d", Title: "5 rapid cycles back to back",
				Acceptance: "all 5 valid, no state leaks, no memory growth (measured so that " +
					"cases running beside it cannot disturb the figure)",
				Timeout: 15 * time.Second, Run: r04d},
		},
	}
}

// postFixtures posts every node's fixture through its edge and returns
// what was sent.
func postFixtures(t *harness.T, i *harness.Island) []island.Observation {
	var sent []island.Observation
	for _, node := range i.Nodes {
		b := fixture(t, node)
		sent = append(sent, slices.Clone(b.Observations)...)
		postBatch(t, i, b)
	}
	return sent
}

// fixtureCycle is one cycle of operation, up to the clear: every node posts
// its fixture, the hub fuses, and the run must be valid for what was sent.
func fixtureCycle(t *harness.T, i *harness.Island) hub.Run {
	sent := postFixtures(t, i)
	run := fuseHub(t, i)
	requireValidRun(t, i, run, sent)
	return run
}

// requireValidRun requires that run fused exactly sent, nothing older, and
// that its result is the fusion engine's own for sent under the hub's lens.
func requireValidRun(t *harness.T, i *harness.Island, run hub.Run, sent []island.Observation) {
	require.Equal(t, len(sent), run.Observations,
		"run %s fused %d observations, but this cycle sent %d", run.ID, run.Observations,
		len(sent))
	want := fusion.Fuse(sent, i.Hub.Lens())
	require.JSONEq(t, resultJSON(t, want), resultJSON(t, run.Result),
		"run %s is not the fusion engine's result for what this cycle sent", run.ID)
}

// resultJSON encodes r as the hub answers it, empty lists as [].
func resultJSON(t *harness.T, r fusion.Result) string {
	if r.Tracks == nil {
		r.Tracks = []fusion.Track{}
	}
	if r.Unmatched == nil {
		r.Unmatched = []island.ObservationKey{}
	}
	data, err := json.Marshal(r)
	require.NoError(t, err)
	return string(data)
}

// sansIDAndTimes returns run without what differs from cycle to cycle by
// design: its id, when it was made and how long it took.
func sansIDAndTimes(run hub.Run) hub.Run {
	run.ID, run.CreatedAt, run.DurationMS = "", time.Time{}, 0
	return run
}

func r04a(t *harness.T) {
	i := t.Island()
	first := fixtureCycle(t, i)
	require.Equal(t, first.Observations, clearHub(t, i), "the clear removed cycle 1's data")
	second := fixtureCycle(t, i)
	require.NotEqual(t, first.ID, second.ID, "each cycle's run has an id of its own")
	assert.Equal(t, sansIDAndTimes(first), sansIDAndTimes(second),
		"cycle 2's results differ from cycle 1's")
	t.Figure("tracks per cycle", float64(len(first.Tracks)), "tracks")
	t.Figure("matches per cycle", float64(first.Matches), "pairs")
}

// requireReset requires that i's hub holds nothing: no node and no
// observation in its status, its pages or its next run.
func requireReset(t *harness.T, i *harness.Island, after string) {
	st := hubStatus(t, i)
	if st.NodeCount != 0 || len(st.Nodes) != 0 || st.Total != 0 {
		t.Errorf("after %s the status shows %d nodes %v and %d observations; "+
			"want 0 nodes and 0 observations", after, st.NodeCount, st.Nodes, st.Total)
	}
	if left := storedObservations(t, i, ""); len(left) != 0 {
		t.Errorf("after %s GET /observations still lists %d observations", after, len(left))
	}
	for _, node := range i.Nodes {
		if left := storedObservations(t, i, node); len(left) != 0 {
			t.Errorf("after %s GET /observations?node=%s still lists %d observations",
				after, node, len(left))
		}
	}
}

func r04b(t *harness.T) {
	i := t.Island()
	sent := postFixtures(t, i)
	st := hubStatus(t, i)
	require.Equal(t, len(i.Nodes), st.NodeCount, "before the clear: %+v", st)
	require.Equal(t, len(sent), st.Total, "before the clear: %+v", st)

	require.Equal(t, len(sent), clearHub(t, i), "the clear's count of what it removed")
	requireReset(t, i, "clear")
	require.Zero(t, fuseHub(t, i).Observations, "a run after the clear finds nothing to fuse")

	// The next cycle starts from nothing: every observation is new again.
	requireStored(t, i, postFixtures(t, i))
}

// cycle2Seed is the fixed seed of the data of R-04c's second cycle.
const cycle2Seed = 4

func r04c(t *harness.T) {
	i := t.Island()
	first := fixtureCycle(t, i)
	clearHub(t, i)

	var sent []island.Observation
	for _, node := range i.Nodes {
		b := generated(node, 20, cycle2Seed)
		sent = append(sent, slices.Clone(b.Observations)...)
		postBatch(t, i, b)
	}
	second := fuseHub(t, i)
	requireValidRun(t, i, second, sent)
	require.NotEqual(t, sansIDAndTimes(first), sansIDAndTimes(second),
		"the two cycles fused different data, so their results must differ")

	got := fetchRun(t, i, first.ID)
	assert.Equal(t, first, got, "GET /fusion/results/%s after cycle 2", first.ID)
	var list struct {
		Runs []hub.RunSummary `json:"runs"`
	}
	hubJSON(t, i, http.MethodGet, "/fusion/results", nil, &list)
	ids := []string{}
	for _, r := range list.Runs {
		ids = append(ids, r.ID)
	}
	assert.Equal(t, []string{second.ID, first.ID}, ids, "the runs kept, newest first")
}

// rapidCycles is how many cycles R-04d runs.
const rapidCycles = 5

// footprintCheck follows a hub's footprint over cycles: the store must
// hold the same after every ingest and give everything back at every
// clear, and only the bounded archives of runs and keys may grow, by one
// run per cycle and one key per batch.
type footprintCheck struct {
	t       *harness.T
	hub     *hub.Server
	start   hub.Footprint
	ingest  hub.Footprint // after cycle 1's ingest
	batches int           // batches each cycle posts
}

func (c *footprintCheck) afterIngest(cycle int) {
	f := c.hub.Footprint()
	if cycle == 1 {
		c.ingest = f
		c.t.Figure("store observations after ingest", float64(f.Store.Observations), "entries")
		c.t.Figure("store index entries after ingest", float64(indexEntries(f)), "entries")
		return
	}
	if f.Store != c.ingest.Store {
		c.t.Errorf("after cycle %d's ingest the store holds %+v; after cycle 1's it held %+v",
			cycle, f.Store, c.ingest.Store)
	}
}

func (c *footprintCheck) afterClear(cycle int) {
	f := c.hub.Footprint()
	c.t.Figure(fmt.Sprintf("cycle %d: store entries after clear", cycle),
		float64(f.Store.Observations+indexEntries(f)), "entries")
	c.t.Figure(fmt.Sprintf("cycle %d: runs kept", cycle), float64(f.Runs), "runs")
	c.t.Figure(fmt.Sprintf("cycle %d: idempotency keys held", cycle), float64(f.Keys), "keys")
	if f.Store != c.start.Store {
		c.t.Errorf("after cycle %d's clear the store still holds %+v; before the first "+
			"cycle it held %+v", cycle, f.Store, c.start.Store)
	}
	if want := c.start.Runs + cycle; f.Runs != want {
		c.t.Errorf("after cycle %d the hub keeps %d runs; want %d, one per cycle",
			cycle, f.Runs, want)
	}
	if want := c.start.Keys + cycle*c.batches; f.Keys != want {
		c.t.Errorf("after cycle %d the hub holds %d idempotency keys; want %d, one per batch",
			cycle, f.Keys, want)
	}
}

// indexEntries counts the store's entries besides its observations.
func indexEntries(f hub.Footprint) int {
	return f.Store.Slots + f.Store.Chunks + f.Store.Nodes + f.Store.IDs
}

func r04d(t *harness.T) {
	i := t.Island()
	fc := &footprintCheck{t: t, hub: i.Hub, start: i.Hub.Footprint(), batches: len(i.Nodes)}
	require.True(t, fc.start.StoreCounted,
		"the hub's store does not count its entries, so its memory cannot be followed")
	var runs []hub.Run
	for cycle := 1; cycle <= rapidCycles; cycle++ {
		sent := postFixtures(t, i)
		fc.afterIngest(cycle)
		run := fuseHub(t, i)
		requireValidRun(t, i, run, sent)
		require.Equal(t, len(sent), clearHub(t, i), "cycle %d's clear", cycle)
		requireReset(t, i, fmt.Sprintf("cycle %d's clear", cycle))
		fc.afterClear(cycle)
		runs = append(runs, run)
	}
	ids := map[string]bool{}
	for k, run := range runs {
		ids[run.ID] = true
		assert.Equal(t, sansIDAndTimes(runs[0]), sansIDAndTimes(run),
			"cycle %d's results differ from cycle 1's", k+1)
	}
	require.Len(t, ids, rapidCycles, "each cycle's run has an id of its own")
}
