package suites_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/suites"
)

// TestR03dFailsWhenTheEdgeRetries500 runs R-03d against edges that retry
// every failure, a 500 included: the case must fail, saying so.
func TestR03dFailsWhenTheEdgeRetries500(t *testing.T) {
	cr := runTampered(t, suites.R03(), "R-03d", func(cfg *harness.IslandConfig) {
		cfg.Policy.Retry = func(edge.Attempt) bool { return true }
	})
	require.Equal(t, harness.StatusFailed, cr.Status, "R-03d passed with an edge that retries 500")
	require.NotNil(t, cr.Failure)
	t.Logf("R-03d failed as it must: %s", cr.Failure.Message)
	assert.Equal(t, harness.FailAssertion, cr.Failure.Kind)
	assert.Contains(t, cr.Failure.Message, "the edge must not retry a 500")
	assert.Contains(t, cr.Failure.Message, "actual : 5")
}
