package suites_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub/store"
	"github.com/island-sensors/island/suites"
)

// truncatingStore stores at most limit observations of a batch and answers
// as if it had stored them all: a hub that loses the tail of large
// payloads while it tells the edge everything arrived.
type truncatingStore struct {
	*store.Store
	limit int
}

func (s *truncatingStore) Add(ctx context.Context, obs []island.Observation) (store.Added, error) {
	kept := obs[:min(len(obs), s.limit)]
	a, err := s.Store.Add(ctx, kept)
	a.Accepted += len(obs) - len(kept)
	return a, err
}

// ghostStore stores an empty batch as one observation of its own, so that
// an empty list is answered and counted as if something had been sent.
type ghostStore struct{ *store.Store }

func (s ghostStore) Add(ctx context.Context, obs []island.Observation) (store.Added, error) {
	if len(obs) == 0 {
		b, err := island.Fixture("alpha")
		if err != nil {
			return store.Added{}, err
		}
		obs = b.Observations[:1]
	}
	return s.Store.Add(ctx, obs)
}

func TestTruncatingStoreAnswersWhatItDidNotStore(t *testing.T) {
	ctx := context.Background()
	s := &truncatingStore{Store: store.New(), limit: 2}
	b, err := island.Fixture("alpha")
	require.NoError(t, err)
	a, err := s.Add(ctx, b.Observations)
	require.NoError(t, err)
	assert.Equal(t, 5, a.Accepted)
	st, err := s.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, st.Total)
}

// TestR02cFailsWhenTheHubLosesTheTailOfLargeBatches runs R-02c against a
// hub that keeps only the first 100 observations of a batch but answers
// for all of them: the case must fail on what the hub holds.
func TestR02cFailsWhenTheHubLosesTheTailOfLargeBatches(t *testing.T) {
	cr := runTampered(t, suites.R02(), "R-02c", func(cfg *harness.IslandConfig) {
		cfg.Hub.Store = &truncatingStore{Store: store.New(), limit: 100}
	})
	require.Equal(t, harness.StatusFailed, cr.Status, "R-02c passed against a lossy hub")
	assert.Contains(t, cr.Failure.Message+cr.Failure.Detail, "total")
}

// TestR02dFailsWhenAnEmptyBatchStoresSomething runs R-02d against a hub
// that stores an observation for an empty batch: the case must fail.
func TestR02dFailsWhenAnEmptyBatchStoresSomething(t *testing.T) {
	cr := runTampered(t, suites.R02(), "R-02d", func(cfg *harness.IslandConfig) {
		cfg.Hub.Store = ghostStore{Store: store.New()}
	})
	require.Equal(t, harness.StatusFailed, cr.Status, "R-02d passed against a hub that "+
		"stores empty batches")
	assert.Contains(t, cr.Failure.Message, "accepted of an empty batch of alpha")
}
