package suites_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/suites"
)

// TestR05eFailsWhenTheEdgeDoesNotRetryResets runs R-05e against edges that
// give up at the first reset: the case must fail, saying that the edge
// stopped after one attempt that it did not retry.
func TestR05eFailsWhenTheEdgeDoesNotRetryResets(t *testing.T) {
	cr := runTampered(t, suites.R05(), "R-05e", func(cfg *harness.IslandConfig) {
		cfg.Policy.Retry = func(a edge.Attempt) bool {
			return a.Class != edge.ClassRead && edge.DefaultRetry(a)
		}
	})
	require.Equal(t, harness.StatusFailed, cr.Status,
		"R-05e passed with an edge that does not retry a reset")
	require.NotNil(t, cr.Failure)
	t.Logf("R-05e failed as it must: %s", cr.Failure.Message)
	assert.Equal(t, harness.FailAssertion, cr.Failure.Kind)
	assert.Contains(t, cr.Failure.Message, "the edge made 1 attempts, want 3")
	assert.Contains(t, cr.Failure.Message, "read (not retried)")
}
