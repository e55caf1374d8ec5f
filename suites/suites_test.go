package suites_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/suites"
)

// TestSuites runs every case of every suite as a subtest:
// go test ./suites -run 'TestSuites/R-01/R-01a' runs one.
func TestSuites(t *testing.T) {
	harness.RunTest(t, suites.All()...)
}

func TestSuitesAreWellFormed(t *testing.T) {
	all := suites.All()
	require.NoError(t, harness.Validate(all))
	ids := []string{}
	for _, s := range all {
		ids = append(ids, s.ID)
		assert.NotEmpty(t, s.Title, s.ID)
		assert.NotEmpty(t, s.Risk, s.ID)
		for _, c := range s.Cases {
			assert.True(t, strings.HasPrefix(c.ID, s.ID), "%s belongs to %s", c.ID, s.ID)
			assert.NotEmpty(t, c.Title, c.ID)
			assert.NotEmpty(t, c.Acceptance, c.ID)
		}
	}
	assert.True(t, slices.IsSorted(ids), "suites are listed in id order: %v", ids)
}
