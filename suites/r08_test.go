package suites_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub/store"
	"github.com/island-sensors/island/suites"
)

// dropOneStore silently drops the last observation of the first batch of
// more than one that it is given, and answers as if it had stored it.
type dropOneStore struct {
	*store.Store
	mu      sync.Mutex
	dropped []island.ObservationKey
}

func (s *dropOneStore) Add(ctx context.Context, obs []island.Observation) (store.Added, error) {
	s.mu.Lock()
	drop := len(s.dropped) == 0 && len(obs) > 1
	if drop {
		s.dropped = append(s.dropped, obs[len(obs)-1].Key())
		obs = obs[:len(obs)-1]
	}
	s.mu.Unlock()
	added, err := s.Store.Add(ctx, obs)
	if drop && err == nil {
		added.Accepted++
		added.Total++
	}
	return added, err
}

// twiceStore stores a retried batch twice: the first batch that reaches it
// again, every observation of it already stored, is kept a second time
// instead of being counted as duplicates, and the last page of List shows
// the second copies.
type twiceStore struct {
	*store.Store
	mu    sync.Mutex
	again []island.Observation
}

func (s *twiceStore) Add(ctx context.Context, obs []island.Observation) (store.Added, error) {
	copied := slices.Clone(obs)
	added, err := s.Store.Add(ctx, obs)
	if err != nil || len(copied) == 0 || added.Duplicates != len(copied) {
		return added, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.again == nil {
		s.again = copied
		added.Accepted, added.Duplicates = len(copied), 0
	}
	return added, nil
}

func (s *twiceStore) List(ctx context.Context, q store.Query) (store.Page, error) {
	p, err := s.Store.List(ctx, q)
	if err != nil || p.Next != "" {
		return p, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.again {
		if q.Node == "" || q.Node == o.NodeID {
			p.Observations = append(p.Observations, o)
		}
	}
	return p, nil
}

func (s *twiceStore) doubled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.again)
}

func TestTwiceStoreShowsARetriedBatchTwice(t *testing.T) {
	ctx := context.Background()
	s := &twiceStore{Store: store.New()}
	batch := edge.Generate("alpha", 3, 1)
	_, err := s.Add(ctx, slices.Clone(batch))
	require.NoError(t, err)
	p, err := s.List(ctx, store.Query{Limit: 10})
	require.NoError(t, err)
	assert.Len(t, p.Observations, 3, "a batch seen once is stored once")
	added, err := s.Add(ctx, slices.Clone(batch))
	require.NoError(t, err)
	assert.Equal(t, store.Added{Accepted: 3, Total: 3}, added)
	p, err = s.List(ctx, store.Query{Limit: 10})
	require.NoError(t, err)
	assert.Len(t, p.Observations, 6)
	assert.Equal(t, 3, s.doubled())
}

func TestR08aFailsWhenTheStoreDropsAnObservation(t *testing.T) {
	var mu sync.Mutex
	var stores []*dropOneStore
	cr := runTampered(t, suites.R08(), "R-08a", func(cfg *harness.IslandConfig) {
		s := &dropOneStore{Store: store.New()}
		mu.Lock()
		stores = append(stores, s)
		mu.Unlock()
		cfg.Hub.Store = s
	})
	require.Equal(t, harness.StatusFailed, cr.Status)
	require.Len(t, stores, 1, "R-08a makes one island")
	require.Len(t, stores[0].dropped, 1)
	assert.Contains(t, cr.Failure.Message, "violated: lost=1 duplicated=0 unexpected=0")
	assert.Contains(t, cr.Failure.Detail, "lost: "+stores[0].dropped[0].String())
	assert.True(t, strings.HasPrefix(cr.Properties["check.verdict"], "violated: lost=1 "),
		cr.Properties["check.verdict"])
	t.Log(cr.Failure.Message)
}

func TestR08aFailsWhenTheStoreKeepsARetriedBatchTwice(t *testing.T) {
	var mu sync.Mutex
	var stores []*twiceStore
	cr := runTampered(t, suites.R08(), "R-08a", func(cfg *harness.IslandConfig) {
		s := &twiceStore{Store: store.New()}
		mu.Lock()
		stores = append(stores, s)
		mu.Unlock()
		cfg.Hub.Store = s
		// A hub that remembers one key forgets a batch's key before its
		// retry comes, so that the retry reaches the store.
		cfg.Hub.MaxKeys = 1
	})
	require.Equal(t, harness.StatusFailed, cr.Status)
	require.Len(t, stores, 1, "R-08a makes one island")
	n := stores[0].doubled()
	require.Positive(t, n, "no retried batch reached the store: %s", cr.Failure.Message)
	assert.Contains(t, cr.Failure.Message,
		fmt.Sprintf("violated: lost=0 duplicated=%d unexpected=0", n))
	t.Log(cr.Failure.Message)
}
