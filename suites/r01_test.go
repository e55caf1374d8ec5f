package suites_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub/store"
	"github.com/island-sensors/island/suites"
)

// lossyStore loses writes under contention, as a store without a working
// lock would: an Add that arrives while another is being applied is
// answered as stored and dropped. To make the overlap certain rather than
// lucky, an Add that finds the store idle holds its write open until a
// second Add arrives, or for holdOpen at most.
type lossyStore struct {
	*store.Store
	holdOpen time.Duration

	mu      sync.Mutex
	busy    bool
	arrived chan struct{} // closed by the first Add that finds the store busy
	dropped int
}

func newLossyStore(holdOpen time.Duration) *lossyStore {
	return &lossyStore{Store: store.New(), holdOpen: holdOpen}
}

func (s *lossyStore) Add(ctx context.Context, obs []island.Observation) (store.Added, error) {
	s.mu.Lock()
	if s.busy {
		s.dropped += len(obs)
		select {
		case <-s.arrived:
		default:
			close(s.arrived)
		}
		s.mu.Unlock()
		st, err := s.Store.Status(ctx)
		return store.Added{Accepted: len(obs), Total: st.Total + len(obs)}, err
	}
	s.busy, s.arrived = true, make(chan struct{})
	arrived := s.arrived
	s.mu.Unlock()

	timer := time.NewTimer(s.holdOpen)
	defer timer.Stop()
	select {
	case <-arrived:
	case <-timer.C:
	case <-ctx.Done():
	}
	a, err := s.Store.Add(ctx, obs)
	s.mu.Lock()
	s.busy = false
	s.mu.Unlock()
	return a, err
}

func (s *lossyStore) lost() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

func TestLossyStoreDropsOnlyOverlappingWrites(t *testing.T) {
	ctx := context.Background()
	s := newLossyStore(time.Millisecond)
	for _, node := range island.FixtureNodes {
		b, err := island.Fixture(node)
		require.NoError(t, err)
		_, err = s.Add(ctx, b.Observations)
		require.NoError(t, err)
	}
	st, err := s.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, 15, st.Total, "writes one after another are all kept")
	assert.Zero(t, s.lost())
}

// TestR01aFailsWhenTheStoreDropsWritesUnderContention runs R-01a against a
// hub whose store answers an overlapping write as accepted and drops it.
func TestR01aFailsWhenTheStoreDropsWritesUnderContention(t *testing.T) {
	var stores []*lossyStore
	cr := runTampered(t, suites.R01(), "R-01a", func(cfg *harness.IslandConfig) {
		s := newLossyStore(time.Second)
		stores = append(stores, s)
		cfg.Hub.Store = s
	})
	require.Len(t, stores, 1)
	require.Positive(t, stores[0].lost(), "the posts overlapped in the store")
	require.Equal(t, harness.StatusFailed, cr.Status)
	t.Logf("R-01a failed: %s", cr.Failure.Message)
	assert.Equal(t, harness.FailAssertion, cr.Failure.Kind)
	assert.Contains(t, cr.Failure.Message, "the hub lost or mangled acknowledged data")
	assert.Regexp(t, `of 15 observations sent and \d+ stored: \d+ lost`, cr.Failure.Message)
	assert.Contains(t, cr.Failure.Detail, "the status counts")
}
