package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
	"github.com/island-sensors/island/hub/store"
)

// fixtureRunMembers is what one run over the three fixtures holds: 5
// tracks of 3 members each and no unmatched key.
const fixtureRunMembers = 15

// fuseOnce runs fusion once and returns the run.
func fuseOnce(t *testing.T, c *client) hub.Run {
	t.Helper()
	r := c.do(http.MethodPost, "/fusion/run", nil)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	return decode[hub.Run](t, r)
}

// listedIDs reads GET /fusion/results and returns the ids in its order.
func listedIDs(t *testing.T, c *client) []string {
	t.Helper()
	r := c.do(http.MethodGet, "/fusion/results", nil)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	ids := []string{}
	for _, s := range decode[map[string][]hub.RunSummary](t, r)["runs"] {
		ids = append(ids, s.ID)
	}
	return ids
}

// requireDropped checks that each run of ids answers 404 run_not_found,
// with a message that says why a run the hub made may be gone.
func requireDropped(t *testing.T, c *client, ids ...string) {
	t.Helper()
	for _, id := range ids {
		e := requireError(t, c.do(http.MethodGet, "/fusion/results/"+id, nil),
			http.StatusNotFound, island.ERunNotFound)
		assert.Contains(t, e.Error.Message, "within its bounds")
	}
}

func TestRunArchiveDropsOldRunsBySize(t *testing.T) {
	s := startHub(t, hub.Config{Lens: island.DefaultLens(), MaxRuns: 100,
		MaxRunMembers: 2*fixtureRunMembers + 10})
	c := newClient(t, s)
	ingestFixtures(t, c)

	var ids []string
	for k := range 4 {
		ids = append(ids, fuseOnce(t, c).ID)
		kept := min(k+1, 2)
		assert.Equal(t, kept, s.Footprint().Runs, "after run %d", k+1)
		assert.Equal(t, kept*fixtureRunMembers, s.Footprint().RunMembers, "after run %d", k+1)
	}
	requireDropped(t, c, ids[0], ids[1])
	for _, id := range ids[2:] {
		assert.Equal(t, http.StatusOK, c.do(http.MethodGet, "/fusion/results/"+id, nil).status)
	}
	assert.Equal(t, []string{ids[3], ids[2]}, listedIDs(t, c), "newest first")
	assert.Equal(t, 2, statusOf(t, c).Runs)
}

// TestRunArchiveCountsUnmatchedKeys fills the budget exactly with a run of
// unmatched keys and a run of tracks, then adds one more run, which drops
// both of the older ones.
func TestRunArchiveCountsUnmatchedKeys(t *testing.T) {
	s := startHub(t, hub.Config{Lens: island.DefaultLens(), MaxRunMembers: 20})
	c := newClient(t, s)
	r := c.do(http.MethodPost, "/ingest", fixtureFile(t, "alpha.json"))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	lone := fuseOnce(t, c)
	require.Len(t, lone.Unmatched, 5, "one node alone makes no track")
	require.Empty(t, lone.Tracks)
	for _, node := range []string{"bravo", "charlie"} {
		r := c.do(http.MethodPost, "/ingest", fixtureFile(t, node+".json"))
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	}

	full := fuseOnce(t, c)
	assert.Equal(t, hub.Footprint{StoreCounted: true, Runs: 2, RunMembers: 20},
		withoutStore(s.Footprint()), "a budget met exactly keeps both runs")
	assert.Equal(t, []string{full.ID, lone.ID}, listedIDs(t, c))

	newest := fuseOnce(t, c)
	assert.Equal(t, hub.Footprint{StoreCounted: true, Runs: 1, RunMembers: fixtureRunMembers},
		withoutStore(s.Footprint()))
	requireDropped(t, c, lone.ID, full.ID)
	assert.Equal(t, []string{newest.ID}, listedIDs(t, c))
}

// withoutStore returns f with its store counts zeroed.
func withoutStore(f hub.Footprint) hub.Footprint {
	f.Store = store.Footprint{}
	return f
}

func TestRunArchiveKeepsTheNewestRunAloneOverBudget(t *testing.T) {
	s := startHub(t, hub.Config{Lens: island.DefaultLens(), MaxRunMembers: 1})
	c := newClient(t, s)
	ingestFixtures(t, c)

	var ids []string
	for k := range 3 {
		run := fuseOnce(t, c)
		ids = append(ids, run.ID)
		assert.Len(t, run.Tracks, 5, "run %d is answered whole", k+1)
		assert.Equal(t, []string{run.ID}, listedIDs(t, c), "after run %d", k+1)
		got := c.do(http.MethodGet, "/fusion/results/"+run.ID, nil)
		require.Equal(t, http.StatusOK, got.status, "the newest run is kept: %s", got.body)
		assert.Equal(t, run, decode[hub.Run](t, got))
	}
	requireDropped(t, c, ids[:2]...)
	f := s.Footprint()
	assert.Equal(t, 1, f.Runs)
	assert.Equal(t, fixtureRunMembers, f.RunMembers, "the newest run alone is over the budget")
}

func TestRunArchiveDefaultsHoldManyFixtureRuns(t *testing.T) {
	s := startHub(t, hub.Config{Lens: island.DefaultLens(), MaxRuns: 3})
	c := newClient(t, s)
	ingestFixtures(t, c)
	for range 5 {
		fuseOnce(t, c)
	}
	f := s.Footprint()
	assert.Equal(t, 3, f.Runs, "with the default size bound only MaxRuns bounds small runs")
	assert.Equal(t, 3*fixtureRunMembers, f.RunMembers)
}

// TestRunArchiveBoundsHoldUnderConcurrentRuns runs fusion from several
// clients at once while others list the runs and read the footprint: both
// bounds hold at every reading, and the list stays newest first.
func TestRunArchiveBoundsHoldUnderConcurrentRuns(t *testing.T) {
	const (
		fusers, readers, runsEach = 4, 2, 10
		budget                    = 3*fixtureRunMembers + 5
	)
	s := startHub(t, hub.Config{Lens: island.DefaultLens(), MaxRuns: 5, MaxRunMembers: budget})
	c := newClient(t, s)
	ingestFixtures(t, c)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var fuse, read sync.WaitGroup
	errs := make(chan error, fusers+readers)
	for range fusers {
		fuse.Go(func() {
			for range runsEach {
				if _, err := getOrPost(ctx, c, http.MethodPost, "/fusion/run"); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range readers {
		read.Go(func() {
			for ctx.Err() == nil {
				if err := checkArchive(ctx, c, s, budget); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	fuse.Wait()
	cancel()
	read.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	require.NoError(t, checkArchive(context.Background(), c, s, budget))
	assert.Equal(t, hub.Footprint{StoreCounted: true, Runs: 3, RunMembers: 3 * fixtureRunMembers},
		withoutStore(s.Footprint()))
	ids := listedIDs(t, c)
	require.Len(t, ids, 3)
	newest := c.do(http.MethodPost, "/fusion/run", nil)
	require.Equal(t, http.StatusOK, newest.status)
	assert.Equal(t, []string{decode[hub.Run](t, newest).ID, ids[0], ids[1]}, listedIDs(t, c))
}

// checkArchive reads the footprint and GET /fusion/results once and says
// what breaks the archive's bounds or its order. A context ended by the
// test is no error.
func checkArchive(ctx context.Context, c *client, s *hub.Server, budget int) error {
	if f := s.Footprint(); f.Runs > 3 || f.RunMembers > budget {
		return fmt.Errorf("the archive holds %d runs of %d members; want at most 3 runs "+
			"within %d members", f.Runs, f.RunMembers, budget)
	}
	body, err := getOrPost(ctx, c, http.MethodGet, "/fusion/results")
	if err != nil || ctx.Err() != nil {
		return err
	}
	var list struct {
		Runs []hub.RunSummary `json:"runs"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("decode GET /fusion/results: %w", err)
	}
	ids := make([]string, len(list.Runs))
	for i, r := range list.Runs {
		ids[i] = r.ID
	}
	if len(ids) > 3 || !sort.IsSorted(sort.Reverse(sort.StringSlice(ids))) {
		return fmt.Errorf("GET /fusion/results lists %v: want at most 3, newest first", ids)
	}
	return nil
}

// getOrPost sends a request without a body and returns the body of a 200
// answer; unlike client.do it is safe to call from any goroutine. Once
// ctx ends it returns nil, nil.
func getOrPost(ctx context.Context, c *client, method, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if ctx.Err() != nil {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, body)
	}
	return body, nil
}
