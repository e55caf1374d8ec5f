package suites

import (
	"net/http"
	"slices"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub"
)

// largePolicy gives the edges of R-02 time enough per attempt for a large
// batch on a busy machine, so that a slow attempt is measured, not retried.
func largePolicy() edge.Policy { return edge.Policy{AttemptTimeout: 10 * time.Second} }

// largeSeed is the fixed seed of R-02's data, so that every run posts and
// fuses the same observations.
const largeSeed = 20260314

// largePayload is a case of R-02 that posts perNode generated observations
// from each node and fuses them.
type largePayload struct {
	perNode     int
	ingestLimit time.Duration // for all nodes' batches, one after another
	fusionLimit time.Duration // 0 for none
	wantMatches bool
}

// R02 is the suite of large payloads: batches of hundreds of observations,
// generated from the fixtures with a fixed seed, ingested and fused.
func R02() harness.Suite {
	return harness.Suite{
		ID:    "R-02",
		Title: "Large payload",
		Risk: "edges batch hundreds of observations; serialisation, transfer and fusion " +
			"must cope without timeouts or memory trouble",
		Cases: []harness.Case{
			{ID: "R-02a", Title: "100 observations per node (300 in all)",
				Acceptance: "ingest < 1 s, fusion completes, matches > 0",
				Timeout:    15 * time.Second,
				Run: largePayload{perNode: 100, ingestLimit: time.Second,
					wantMatches: true}.run},
			{ID: "R-02b", Title: "500 observations per node (1,500 in all)",
				Acceptance: "ingest < 2 s, fusion completes < 10 s",
				Timeout:    20 * time.Second,
				Run: largePayload{perNode: 500, ingestLimit: 2 * time.Second,
					fusionLimit: 10 * time.Second}.run},
			{ID: "R-02c", Title: "payload size validation",
				Acceptance: "each response's accepted count equals what was sent",
				Timeout:    15 * time.Second, Run: r02c},
			{ID: "R-02d", Title: "empty observations list",
				Acceptance: "accepted = 0, no error",
				Timeout:    10 * time.Second, Run: r02d},
		},
	}
}

func (lp largePayload) run(t *harness.T) {
	i := t.IslandWith(harness.IslandConfig{Policy: largePolicy()})
	var batches []island.Batch
	for _, node := range i.Nodes {
		batches = append(batches, generated(node, lp.perNode, largeSeed))
	}
	sent := flatten(batches)

	start := time.Now()
	for _, b := range batches {
		postBatch(t, i, b)
	}
	ingest := time.Since(start)
	t.Figure("ingest time", ingest.Seconds(), "s")
	requireStored(t, i, sent)

	start = time.Now()
	run := fuseHub(t, i)
	fusion := time.Since(start)
	t.Figure("fusion time", fusion.Seconds(), "s")
	t.Figure("fusion time in the hub", run.DurationMS/1000, "s")
	t.Figure("matches", float64(run.Matches), "pairs")
	t.Figure("tracks", float64(len(run.Tracks)), "tracks")

	if ingest >= lp.ingestLimit {
		t.Errorf("ingesting %d observations of each of %d nodes took %v; the limit is %v",
			lp.perNode, len(i.Nodes), ingest, lp.ingestLimit)
	}
	require.Equal(t, len(sent), run.Observations, "the run fused every stored observation")
	if lp.fusionLimit > 0 && fusion >= lp.fusionLimit {
		t.Errorf("fusing %d observations took %v; the limit is %v",
			len(sent), fusion, lp.fusionLimit)
	}
	if lp.wantMatches && run.Matches == 0 {
		t.Errorf("fusing %d observations of targets that every node saw found no matches",
			len(sent))
	}
}

// payloadSizes are the batch sizes of R-02c, from one observation to
// batches of several hundred kilobytes.
func payloadSizes() []int { return []int{1, 2, 10, 99, 100, 101, 500, 1000, 2000} }

func r02c(t *harness.T) {
	i := t.IslandWith(harness.IslandConfig{Policy: largePolicy()})
	sizes, total := payloadSizes(), 0
	for k, n := range sizes {
		b := generated(i.Nodes[k%len(i.Nodes)], n, largeSeed+int64(k))
		res := postBatch(t, i, b)
		total += n
		if res.Duplicates != 0 || res.Total != total {
			t.Errorf("a batch of %d of %s was answered with %d duplicates and a total of %d; "+
				"want 0 and %d", n, b.NodeID, res.Duplicates, res.Total, total)
		}
	}
	t.Figure("largest batch", float64(slices.Max(sizes)), "observations")
	require.Equal(t, total, hubStatus(t, i).Total, "the status counts every batch")
}

func r02d(t *harness.T) {
	i := t.Island()
	for _, node := range i.Nodes {
		b := island.Batch{NodeID: node, Observations: []island.Observation{}}
		res, err := i.Edge(node).PostBatch(t.Context(), b)
		require.NoError(t, err, "%s posted an empty batch through its edge", node)
		require.Zero(t, res.Accepted, "accepted of an empty batch of %s", node)
	}
	var ans hub.Ingested
	hubJSON(t, i, http.MethodPost, "/ingest",
		map[string]any{"node_id": "alpha", "observations": []any{}}, &ans)
	require.Equal(t, hub.Ingested{NodeID: "alpha"}, ans,
		"the hub's answer to an empty observations list")
	st := hubStatus(t, i)
	require.Zero(t, st.Total, "nothing is stored from empty batches: %+v", st)
	require.Zero(t, st.NodeCount, "no node appears from empty batches: %+v", st)
}
