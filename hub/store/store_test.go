package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub/store"
)

// batch returns n valid observations of node whose ids are prefix-0 ...
func batch(node, prefix string, n int) []island.Observation {
	obs := make([]island.Observation, n)
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	for i := range obs {
		obs[i] = island.Observation{ID: fmt.Sprintf("%s-%d", prefix, i), NodeID: node,
			Timestamp: t0.Add(time.Duration(i) * time.Second), Lat: 34, Lon: -118,
			Class: "vehicle", Confidence: 1}
	}
	return obs
}

func TestAddCountsDuplicates(t *testing.T) {
	ctx := context.Background()
	s := store.New()
	a, err := s.Add(ctx, batch("alpha", "a", 5))
	require.NoError(t, err)
	assert.Equal(t, store.Added{Accepted: 5, Total: 5}, a)

	// The same ids again, plus two new ones: only the new ones are stored.
	a, err = s.Add(ctx, batch("alpha", "a", 7))
	require.NoError(t, err)
	assert.Equal(t, store.Added{Accepted: 2, Duplicates: 5, Total: 7}, a)

	// The same ids from another node are other observations.
	a, err = s.Add(ctx, batch("bravo", "a", 3))
	require.NoError(t, err)
	assert.Equal(t, store.Added{Accepted: 3, Total: 10}, a)

	st, err := s.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.Status{Nodes: map[string]int{"alpha": 7, "bravo": 3}, Total: 10}, st)
}

func TestClear(t *testing.T) {
	ctx := context.Background()
	s := store.New()
	_, err := s.Add(ctx, batch("alpha", "a", 4))
	require.NoError(t, err)
	n, err := s.Clear(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	st, err := s.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.Status{Nodes: map[string]int{}, Total: 0}, st)

	// After a clear the same observations may be stored again.
	a, err := s.Add(ctx, batch("alpha", "a", 4))
	require.NoError(t, err)
	assert.Equal(t, 4, a.Accepted)
}

func TestListPages(t *testing.T) {
	ctx := context.Background()
	s := store.New()
	_, err := s.Add(ctx, batch("alpha", "a", 5))
	require.NoError(t, err)
	_, err = s.Add(ctx, batch("bravo", "b", 4))
	require.NoError(t, err)
	_, err = s.Add(ctx, batch("alpha", "c", 2))
	require.NoError(t, err)

	ids := func(q store.Query) []string {
		var out []string
		for i := 0; i < 100; i++ {
			p, err := s.List(ctx, q)
			require.NoError(t, err)
			for _, o := range p.Observations {
				out = append(out, o.Key().String())
			}
			if p.Next == "" {
				return out
			}
			q.After = p.Next
		}
		t.Fatal("List never reached the end")
		return nil
	}
	all := ids(store.Query{Limit: 1000})
	require.Len(t, all, 11)
	assert.Equal(t, []string{"alpha/a-0", "alpha/a-1"}, all[:2])
	assert.Equal(t, "bravo/b-0", all[5])
	assert.Equal(t, all, ids(store.Query{Limit: 3}), "pages of 3 give the same order")
	alpha := ids(store.Query{Node: "alpha", Limit: 2})
	assert.Equal(t, []string{"alpha/a-0", "alpha/a-1", "alpha/a-2", "alpha/a-3", "alpha/a-4",
		"alpha/c-0", "alpha/c-1"}, alpha)
	assert.Empty(t, ids(store.Query{Node: "zulu", Limit: 5}))

	p, err := s.List(ctx, store.Query{Limit: 11})
	require.NoError(t, err)
	assert.Empty(t, p.Next, "a page that reaches the end has no next cursor")

	_, err = s.List(ctx, store.Query{After: "nope", Limit: 5})
	assert.Equal(t, island.EInvalidParameter, island.ErrorCode(err))
}

func TestListCursorSurvivesClear(t *testing.T) {
	ctx := context.Background()
	s := store.New()
	_, err := s.Add(ctx, batch("alpha", "a", 4))
	require.NoError(t, err)
	p, err := s.List(ctx, store.Query{Limit: 2})
	require.NoError(t, err)
	require.NotEmpty(t, p.Next)
	_, err = s.Clear(ctx)
	require.NoError(t, err)
	_, err = s.Add(ctx, batch("alpha", "z", 3))
	require.NoError(t, err)
	// An old cursor points before everything stored since the clear.
	p, err = s.List(ctx, store.Query{After: p.Next, Limit: 10})
	require.NoError(t, err)
	assert.Len(t, p.Observations, 3)
}

func TestSnapshotIsACopy(t *testing.T) {
	ctx := context.Background()
	s := store.New()
	_, err := s.Add(ctx, batch("alpha", "a", 3))
	require.NoError(t, err)
	snap, err := s.Snapshot(ctx)
	require.NoError(t, err)
	snap[0].Lat = 1
	_, err = s.Add(ctx, batch("bravo", "b", 3))
	require.NoError(t, err)
	assert.Len(t, snap, 3, "later batches do not show in an earlier snapshot")
	again, err := s.Snapshot(ctx)
	require.NoError(t, err)
	assert.Len(t, again, 6)
	assert.Equal(t, 34.0, again[0].Lat, "changing a snapshot does not change the store")
}

// TestConcurrentBatchesAreAtomic races writers, clearers, status readers and
// snapshots. Every batch has batchSize observations of its writer's node, so
// any view that splits a batch shows a node count that is not a multiple of
// batchSize.
func TestConcurrentBatchesAreAtomic(t *testing.T) {
	const writers, batches, batchSize = 4, 200, 7
	ctx := context.Background()
	s := store.New()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 16)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := fmt.Sprintf("node%d", w)
			for b := 0; b < batches; b++ {
				a, err := s.Add(ctx, batch(node, fmt.Sprintf("b%d", b), batchSize))
				if err != nil || a.Accepted != batchSize {
					report(fmt.Errorf("batch %s/%d: %+v, %v", node, b, a, err))
				}
			}
		}()
	}
	var readers sync.WaitGroup
	readers.Add(3)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Clear(ctx); err != nil {
				report(err)
			}
		}
	}()
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			st, _ := s.Status(ctx)
			sum := 0
			for n, c := range st.Nodes {
				sum += c
				if c%batchSize != 0 {
					report(fmt.Errorf("status shows %d observations of %s", c, n))
				}
			}
			if sum != st.Total {
				report(fmt.Errorf("status nodes add up to %d, total is %d", sum, st.Total))
			}
		}
	}()
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			snap, _ := s.Snapshot(ctx)
			if len(snap)%batchSize != 0 {
				report(fmt.Errorf("a snapshot holds %d observations", len(snap)))
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// Whatever survived the last clear holds whole batches only.
	snap, err := s.Snapshot(ctx)
	require.NoError(t, err)
	perBatch := map[string]int{}
	for _, o := range snap {
		perBatch[o.NodeID+"/"+o.ID[:len(o.ID)-2]]++
	}
	for b, n := range perBatch {
		assert.Equal(t, batchSize, n, b)
	}
}

// TestConcurrentDuplicates sends the same batch from many goroutines at once:
// it is stored exactly once.
func TestConcurrentDuplicates(t *testing.T) {
	ctx := context.Background()
	s := store.New()
	var wg sync.WaitGroup
	accepted := make([]int, 8)
	for i := range accepted {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := s.Add(ctx, batch("alpha", "a", 50))
			assert.NoError(t, err)
			accepted[i] = a.Accepted
		}()
	}
	wg.Wait()
	sum := 0
	for _, a := range accepted {
		sum += a
	}
	assert.Equal(t, 50, sum)
	st, err := s.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, 50, st.Total)
}

// TestAddMixedNodes stores one call's observations of several nodes under
// each node.
func TestAddMixedNodes(t *testing.T) {
	ctx := context.Background()
	s := store.New()
	obs := append(batch("alpha", "a", 2), batch("bravo", "b", 3)...)
	obs = append(obs, batch("alpha", "c", 1)...)
	a, err := s.Add(ctx, obs)
	require.NoError(t, err)
	assert.Equal(t, store.Added{Accepted: 6, Total: 6}, a)
	st, err := s.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"alpha": 3, "bravo": 3}, st.Nodes)
	p, err := s.List(ctx, store.Query{Node: "alpha", Limit: 10})
	require.NoError(t, err)
	require.Len(t, p.Observations, 3)
	assert.Equal(t, "c-0", p.Observations[2].ID)
}
