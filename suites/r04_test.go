package suites_test

import (
	"context"
	"maps"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub/store"
	"github.com/island-sensors/island/suites"
)

// stickyNodesStore clears badly: Clear empties the observations, but the
// status goes on counting each node with what it held before the clear.
type stickyNodesStore struct {
	*store.Store

	mu    sync.Mutex
	ghost map[string]int // node counts from before the clears
}

func newStickyNodesStore() *stickyNodesStore {
	return &stickyNodesStore{Store: store.New(), ghost: map[string]int{}}
}

func (s *stickyNodesStore) Clear(ctx context.Context) (int, error) {
	st, err := s.Store.Status(ctx)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	maps.Copy(s.ghost, st.Nodes)
	s.mu.Unlock()
	return s.Store.Clear(ctx)
}

func (s *stickyNodesStore) Status(ctx context.Context) (store.Status, error) {
	st, err := s.Store.Status(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	for node, n := range s.ghost {
		if st.Nodes[node] == 0 {
			st.Nodes[node] = n
		}
	}
	return st, err
}

func TestStickyNodesStoreKeepsNodesAfterClear(t *testing.T) {
	ctx := context.Background()
	s := newStickyNodesStore()
	b, err := island.Fixture("alpha")
	require.NoError(t, err)
	_, err = s.Add(ctx, b.Observations)
	require.NoError(t, err)
	_, err = s.Clear(ctx)
	require.NoError(t, err)
	st, err := s.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"alpha": 5}, st.Nodes)
	snap, err := s.Snapshot(ctx)
	require.NoError(t, err)
	assert.Empty(t, snap, "the observations are gone")
}

// TestR04bFailsWhenAClearLeavesNodeCounts runs R-04b against a hub whose
// status still counts the nodes after a clear.
func TestR04bFailsWhenAClearLeavesNodeCounts(t *testing.T) {
	cr := runTampered(t, suites.R04(), "R-04b", func(cfg *harness.IslandConfig) {
		cfg.Hub.Store = newStickyNodesStore()
	})
	require.Equal(t, harness.StatusFailed, cr.Status)
	t.Logf("R-04b failed: %s", cr.Failure.Message)
	assert.Equal(t, harness.FailAssertion, cr.Failure.Kind)
	assert.Contains(t, cr.Failure.Message,
		"after clear the status shows 3 nodes map[alpha:5 bravo:5 charlie:5] "+
			"and 0 observations; want 0 nodes and 0 observations")
}

// hoardingStore clears by hiding: Clear empties what the store shows but
// keeps a copy of everything it cleared, and counts that copy, honestly, in
// its footprint.
type hoardingStore struct {
	*store.Store

	mu   sync.Mutex
	kept []island.Observation
}

func (s *hoardingStore) Clear(ctx context.Context) (int, error) {
	snap, err := s.Store.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.kept = append(s.kept, snap...)
	s.mu.Unlock()
	return s.Store.Clear(ctx)
}

func (s *hoardingStore) Footprint() store.Footprint {
	f := s.Store.Footprint()
	s.mu.Lock()
	defer s.mu.Unlock()
	f.Slots += cap(s.kept)
	return f
}

// TestR04dFailsWhenClearsKeepWhatTheyRemove runs R-04d against a hub whose
// store keeps in memory everything it clears.
func TestR04dFailsWhenClearsKeepWhatTheyRemove(t *testing.T) {
	cr := runTampered(t, suites.R04(), "R-04d", func(cfg *harness.IslandConfig) {
		cfg.Hub.Store = &hoardingStore{Store: store.New()}
	})
	require.Equal(t, harness.StatusFailed, cr.Status)
	t.Logf("R-04d failed: %s", cr.Failure.Message)
	assert.Contains(t, cr.Failure.Message, "after cycle 1's clear the store still holds")
}
