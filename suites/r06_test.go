package suites_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub/store"
	"github.com/island-sensors/island/suites"
)

// requireR06Fails runs one case of R-06 with tamper and requires it to
// fail on an assertion whose message holds each of want.
func requireR06Fails(t *testing.T, id string, tamper func(*harness.IslandConfig),
	want ...string) harness.CaseResult {
	t.Helper()
	cr := runTampered(t, suites.R06(), id, tamper)
	require.Equal(t, harness.StatusFailed, cr.Status, "%s passed against a broken part", id)
	require.NotNil(t, cr.Failure)
	t.Logf("%s failed as it must, in %v: %s", id, cr.Duration, cr.Failure.Message)
	assert.Equal(t, harness.FailAssertion, cr.Failure.Kind)
	for _, w := range want {
		assert.Contains(t, cr.Failure.Message, w)
	}
	return cr
}

// TestR06dFailsWhenTheEdgeDoesNotRetry runs R-06d with edges that never
// retry: the first truncated request ends the batch, which the case must
// report.
func TestR06dFailsWhenTheEdgeDoesNotRetry(t *testing.T) {
	requireR06Fails(t, "R-06d", func(cfg *harness.IslandConfig) {
		cfg.Policy.Retry = func(edge.Attempt) bool { return false }
	}, "failed at attempt 1 (protocol), which is not retried")
}

// TestR06gFailsOnItsDeadlineWhenTheEdgeIgnoresTheAttemptTimeout runs R-06g
// with edges that would wait an hour for one attempt: the case must fail on
// the edge's deadline, soon after it, rather than wait.
func TestR06gFailsOnItsDeadlineWhenTheEdgeIgnoresTheAttemptTimeout(t *testing.T) {
	cr := requireR06Fails(t, "R-06g", func(cfg *harness.IslandConfig) {
		cfg.Policy.AttemptTimeout = time.Hour
	}, "past its deadline")
	assert.Less(t, cr.Duration, 8*time.Second, "the case waited for the hung edge")
}

// TestR06iFailsWhenTheEdgeIgnoresRetryAfter runs R-06i with edges that
// retry at once, whatever the hub asked.
func TestR06iFailsWhenTheEdgeIgnoresRetryAfter(t *testing.T) {
	requireR06Fails(t, "R-06i", func(cfg *harness.IslandConfig) {
		cfg.Policy.Backoff = func(edge.Policy, edge.Attempt) time.Duration { return 0 }
	}, "the wait the edge chose")
}

// TestR06jFailsWhenTheBudgetIsShorterThanTheWindow runs R-06j with edges
// of 2 attempts, too few to bridge the short window.
func TestR06jFailsWhenTheBudgetIsShorterThanTheWindow(t *testing.T) {
	requireR06Fails(t, "R-06j", func(cfg *harness.IslandConfig) {
		cfg.Policy.MaxAttempts = 2
	}, "gave up on the batch of node \"alpha\" after 2 attempts")
}

// TestR06cFailsWhenTheHubChangesWhatItStores runs R-06c against a store that
// rounds the confidence of what it is given.
func TestR06cFailsWhenTheHubChangesWhatItStores(t *testing.T) {
	requireR06Fails(t, "R-06c", func(cfg *harness.IslandConfig) {
		cfg.Hub.Store = &roundingStore{Store: store.New()}
	}, "changed")
}

// roundingStore stores each observation with its confidence rounded to a
// tenth, as a lossy encoding would.
type roundingStore struct{ *store.Store }

func (s *roundingStore) Add(ctx context.Context, obs []island.Observation) (store.Added, error) {
	cp := make([]island.Observation, len(obs))
	for k, o := range obs {
		o.Confidence = float64(int(o.Confidence*10)) / 10
		cp[k] = o
	}
	return s.Store.Add(ctx, cp)
}
