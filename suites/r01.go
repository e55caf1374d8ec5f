package suites

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub"
)

// R01 is the suite of concurrent edge submission: edges that post at once,
// alone and against status reads and clears, started together on a barrier.
func R01() harness.Suite {
	return harness.Suite{
		ID:    "R-01",
		Title: "Concurrent edge submission",
		Risk:  "several edges post at once; the store's lock is unproven under contention",
		Cases: []harness.Case{
			{ID: "R-01a", Title: "3 edges POST their fixtures simultaneously to /ingest",
				Acceptance: "all 15 observations stored, no data loss",
				Timeout:    10 * time.Second, Run: r01a},
			{ID: "R-01b", Title: "10 concurrent POSTs (stress)",
				Acceptance: "all observations stored; total == the sum of all posts",
				Timeout:    10 * time.Second, Run: r01b},
			{ID: "R-01c", Title: "concurrent ingest and concurrent status reads",
				Acceptance: "no deadlock; every status read is consistent " +
					"(the node counts add up to the total)",
				Timeout: 15 * time.Second, Run: r01c},
			{ID: "R-01d", Title: "concurrent ingest and clear (a race)",
				Acceptance: "no crash; each batch is present whole or absent whole; " +
					"after a clear that follows all ingests, the store is empty",
				Timeout: 15 * time.Second, Run: r01d},
		},
	}
}

// together runs f(0) ... f(n-1), each in a goroutine of the case, and lets
// them all go at once: each waits at a barrier until all n are ready. It
// returns when every f has returned.
func together(t *harness.T, n int, f func(k int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for k := range n {
		t.Go(func() {
			defer done.Done()
			ready.Done()
			select {
			case <-start:
				f(k)
			case <-t.Context().Done():
			}
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// postBatch posts b through its node's edge and requires that the hub
// stored all of it as new.
func postBatch(t *harness.T, i *harness.Island, b island.Batch) edge.Result {
	res, err := i.Edge(b.NodeID).PostBatch(t.Context(), b)
	require.NoError(t, err, "%s posted a batch of %d", b.NodeID, len(b.Observations))
	require.Equal(t, len(b.Observations), res.Accepted,
		"the hub's accepted count for a batch of %d of %s", len(b.Observations), b.NodeID)
	return res
}

// generated returns a batch of n observations of node from edge.Generate,
// whose seed also keeps its ids apart from every other seed's.
func generated(node string, n int, seed int64) island.Batch {
	return island.Batch{NodeID: node, Observations: edge.Generate(node, n, seed)}
}

// flatten returns the observations of every batch, in order, as copies.
func flatten(batches []island.Batch) []island.Observation {
	var out []island.Observation
	for _, b := range batches {
		out = append(out, b.Observations...)
	}
	return slices.Clone(out)
}

func r01a(t *harness.T) {
	i := t.Island()
	batches := make([]island.Batch, len(i.Nodes))
	for k, node := range i.Nodes {
		batches[k] = fixture(t, node)
	}
	sent := flatten(batches)
	together(t, len(batches), func(k int) { postBatch(t, i, batches[k]) })
	requireStored(t, i, sent)
	t.Figure("observations stored", float64(len(sent)), "observations")
}

// requireStored checks that i's hub holds exactly sent, each observation
// once, and that its status counts the same.
func requireStored(t *harness.T, i *harness.Island, sent []island.Observation) {
	if d := storeDiff(sent, storedObservations(t, i, "")); d != "" {
		t.Errorf("the hub lost or mangled acknowledged data: %s", d)
	}
	st := hubStatus(t, i)
	if st.Total != len(sent) {
		t.Errorf("the status counts %d observations, but %d were sent and acknowledged",
			st.Total, len(sent))
	}
	if p := statusProblem(st); p != "" {
		t.Errorf("the status is inconsistent: %s", p)
	}
}

// stressPosts is how many batches R-01b posts at once.
const stressPosts = 10

func r01b(t *harness.T) {
	i := t.Island()
	base := t.Rand().Int64N(1 << 40)
	batches := make([]island.Batch, stressPosts)
	for k := range batches {
		node := i.Nodes[k%len(i.Nodes)]
		batches[k] = generated(node, 5+t.Rand().IntN(46), base+int64(k))
	}
	sent := flatten(batches)
	var accepted atomic.Int64
	together(t, len(batches), func(k int) {
		accepted.Add(int64(postBatch(t, i, batches[k]).Accepted))
	})
	requireStored(t, i, sent)
	require.Equal(t, int64(len(sent)), accepted.Load(),
		"the accepted counts of the %d posts add up to what they sent", stressPosts)
	t.Figure("posts", stressPosts, "batches")
	t.Figure("observations stored", float64(len(sent)), "observations")
}

// Sizes of the load of R-01c and R-01d.
const (
	raceBatches = 6 // batches each node posts, one after another
	raceReaders = 4 // goroutines that read the status meanwhile
	raceReads   = 400
	raceClears  = 20
)

// nodeLoad returns raceBatches generated batches for each node, of random
// sizes, with ids that no other batch has.
func nodeLoad(t *harness.T, nodes []string) map[string][]island.Batch {
	base := t.Rand().Int64N(1 << 40)
	load := map[string][]island.Batch{}
	for n, node := range nodes {
		for k := range raceBatches {
			seed := base + int64(n*raceBatches+k)
			load[node] = append(load[node], generated(node, 10+t.Rand().IntN(41), seed))
		}
	}
	return load
}

// prefixSums returns the counts a node may show while its batches are
// stored one after another, each whole: 0, len(b0), len(b0)+len(b1), ...
func prefixSums(batches []island.Batch) []int {
	sums := []int{0}
	for _, b := range batches {
		sums = append(sums, sums[len(sums)-1]+len(b.Observations))
	}
	return sums
}

// statusCheck checks status reads taken while nodes post their batches in
// order: each read must be consistent, show each node at a whole number of
// batches, and never go back. It is safe for concurrent use.
type statusCheck struct {
	allowed map[string][]int
	reads   atomic.Int64
	mu      sync.Mutex
	bad     []string
}

func (c *statusCheck) check(st hub.StatusAnswer, last map[string]int) {
	c.reads.Add(1)
	p := statusProblem(st)
	for node, n := range st.Nodes {
		switch {
		case p != "":
		case !slices.Contains(c.allowed[node], n):
			p = fmt.Sprintf("%s shows %d observations, which is no whole number of its "+
				"batches %v: a batch was seen half applied", node, n, c.allowed[node])
		case n < last[node]:
			p = fmt.Sprintf("%s went back from %d to %d observations", node, last[node], n)
		}
		last[node] = n
	}
	if p != "" {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.bad = append(c.bad, p)
	}
}

func r01c(t *harness.T) {
	i := t.Island()
	load := nodeLoad(t, i.Nodes)
	check := &statusCheck{allowed: map[string][]int{}}
	for node, bs := range load {
		check.allowed[node] = prefixSums(bs)
	}
	writing := atomic.Int64{}
	writing.Store(int64(len(i.Nodes)))
	together(t, len(i.Nodes)+raceReaders, func(k int) {
		if k < len(i.Nodes) {
			defer writing.Add(-1)
			for _, b := range load[i.Nodes[k]] {
				postBatch(t, i, b)
			}
			return
		}
		last := map[string]int{}
		for n := 0; n < raceReads && writing.Load() > 0; n++ {
			check.check(hubStatus(t, i), last)
		}
	})
	var all []island.Batch
	for _, node := range i.Nodes {
		all = append(all, load[node]...)
	}
	requireStored(t, i, flatten(all))
	t.Figure("status reads during ingest", float64(check.reads.Load()), "reads")
	require.Positive(t, check.reads.Load(),
		"no status read was taken while the edges posted, so the race was not run")
	if len(check.bad) > 0 {
		t.Errorf("%d of %d status reads were inconsistent; the first: %s",
			len(check.bad), check.reads.Load(), check.bad[0])
	}
}

func r01d(t *harness.T) {
	i := t.Island()
	load := nodeLoad(t, i.Nodes)
	// The clears race the first half of the batches, so that some batches
	// end cleared and the later ones stay.
	var posted atomic.Int64
	half := int64(len(i.Nodes) * raceBatches / 2)
	clears := 0
	together(t, len(i.Nodes)+1, func(k int) {
		if k < len(i.Nodes) {
			for _, b := range load[i.Nodes[k]] {
				postBatch(t, i, b)
				posted.Add(1)
			}
			return
		}
		for ; clears < raceClears && posted.Load() < half; clears++ {
			clearHub(t, i)
		}
	})
	t.Figure("clears during ingest", float64(clears), "clears")
	require.Positive(t, clears, "no clear ran while the edges posted, so the race was not run")
	whole, absent := checkBatchesWhole(t, i, load)
	t.Figure("batches present whole", float64(whole), "batches")
	t.Figure("batches absent whole", float64(absent), "batches")

	clearHub(t, i)
	st := hubStatus(t, i)
	if st.Total != 0 || len(st.Nodes) != 0 || st.NodeCount != 0 {
		t.Errorf("after a clear that followed every ingest the status shows %d observations "+
			"of %d nodes %v; want none", st.Total, st.NodeCount, st.Nodes)
	}
	if left := storedObservations(t, i, ""); len(left) != 0 {
		t.Errorf("after a clear that followed every ingest GET /observations still lists "+
			"%d observations", len(left))
	}
	hubJSON(t, i, http.MethodGet, "/healthz", nil, nil)
}

// checkBatchesWhole reads each node's store back and checks that each of
// its batches is there whole or not at all, and that nothing else is. It
// returns how many batches were present and how many absent.
func checkBatchesWhole(t *harness.T, i *harness.Island,
	load map[string][]island.Batch) (whole, absent int) {
	for _, node := range i.Nodes {
		stored := map[string]int{}
		for _, o := range storedObservations(t, i, node) {
			if stored[o.ID]++; stored[o.ID] == 2 {
				t.Errorf("%s/%s is stored twice", node, o.ID)
			}
		}
		for k, b := range load[node] {
			n := 0
			for _, o := range b.Observations {
				n += min(stored[o.ID], 1)
				delete(stored, o.ID)
			}
			switch n {
			case 0:
				absent++
			case len(b.Observations):
				whole++
			default:
				t.Errorf("batch %d of %s is stored in part: %d of its %d observations "+
					"survived a clear", k+1, node, n, len(b.Observations))
			}
		}
		if len(stored) > 0 {
			t.Errorf("%s holds %d observations that are in none of its batches",
				node, len(stored))
		}
	}
	return whole, absent
}
