package suites_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub"
	"github.com/island-sensors/island/hub/store"
	"github.com/island-sensors/island/suites"
)

// TestR07eFailsWithoutABodyLimit runs R-07e against a hub whose body limit
// is a gigabyte: the oversized batch is stored, and the case must say both
// that the answer was wrong and what was stored.
func TestR07eFailsWithoutABodyLimit(t *testing.T) {
	cr := runTampered(t, suites.R07(), "R-07e", func(cfg *harness.IslandConfig) {
		cfg.Hub.MaxBody = 1 << 30
	})
	require.Equal(t, harness.StatusFailed, cr.Status, "R-07e passed with no body limit")
	require.NotNil(t, cr.Failure)
	t.Logf("R-07e failed as it must: %s", cr.Failure.Message)
	assert.Equal(t, harness.FailAssertion, cr.Failure.Kind)
	assert.Contains(t, cr.Failure.Detail, "the status of the answer")
	assert.Contains(t, cr.Failure.Detail, "expected: 413")
	assert.Contains(t, cr.Failure.Detail, "actual  : 200")
	assert.Contains(t, cr.Failure.Detail, "the store changed under a rejected request")
	assert.Contains(t, cr.Failure.Detail, "300 unexpected (charlie/charlie-h-0001")
}

// TestR07FailsWhenTheStoreChangesByItself runs two cases against a store
// that keeps an observation of its own each time its status is read: the
// comparison of the store before and after the rejected request must name
// it.
func TestR07FailsWhenTheStoreChangesByItself(t *testing.T) {
	for _, id := range []string{"R-07a", "R-07m"} {
		t.Run(id, func(t *testing.T) {
			cr := runTampered(t, suites.R07(), id, func(cfg *harness.IslandConfig) {
				cfg.Hub.Store = &strayStore{Store: store.New()}
			})
			require.Equal(t, harness.StatusFailed, cr.Status, "%s passed with a store that "+
				"changes by itself", id)
			require.NotNil(t, cr.Failure)
			t.Logf("%s failed as it must: %s", id, cr.Failure.Message)
			assert.Contains(t, cr.Failure.Message, "the store changed under a rejected request")
			assert.Contains(t, cr.Failure.Message, "unexpected (stray/stray-")
			assert.Contains(t, cr.Failure.Detail, "GET /status")
		})
	}
}

// TestR07nFailsWithALongHeaderTimeout runs R-07n against a hub that waits a
// minute for headers: the case must give up on it within its bound, saying
// how far the slow client had got.
func TestR07nFailsWithALongHeaderTimeout(t *testing.T) {
	start := time.Now()
	cr := runTampered(t, suites.R07(), "R-07n", func(cfg *harness.IslandConfig) {
		cfg.Hub.Timeouts.ReadHeader = time.Minute
	})
	require.Equal(t, harness.StatusFailed, cr.Status, "R-07n passed with a minute's header timeout")
	require.NotNil(t, cr.Failure)
	t.Logf("R-07n failed as it must after %v: %s", time.Since(start).Round(time.Millisecond),
		cr.Failure.Message)
	assert.Contains(t, cr.Failure.Message, "the hub still held open a client that had sent")
	assert.Contains(t, cr.Failure.Message, "its ReadHeaderTimeout is 750ms")
}

// strayStore is a store that keeps an observation of its own, of node
// "stray", each time its status is read: a store that changes by itself.
type strayStore struct {
	*store.Store
	mu sync.Mutex
	n  int
}

func (s *strayStore) stray(ctx context.Context) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	o := island.Observation{ID: fmt.Sprintf("stray-%04d", n), NodeID: "stray",
		Timestamp: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC), Class: island.DefaultClass,
		Confidence: 1}
	if _, err := s.Store.Add(ctx, []island.Observation{o}); err != nil {
		panic("the stray store cannot add to its own store: " + err.Error())
	}
}

func (s *strayStore) Status(ctx context.Context) (store.Status, error) {
	s.stray(ctx)
	return s.Store.Status(ctx)
}

var _ hub.Store = (*strayStore)(nil)
