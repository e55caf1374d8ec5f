package suites_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/harness"
)

// runTampered runs the one case id of suite, with the seed 1, on islands
// that tamper changes, and returns its result. The negative controls use it
// to show that a case fails when the part it checks is broken.
func runTampered(t *testing.T, suite harness.Suite, id string,
	tamper func(*harness.IslandConfig)) harness.CaseResult {
	t.Helper()
	sel, err := harness.Select([]harness.Suite{suite},
		harness.Filter{Run: regexp.MustCompile("^" + regexp.QuoteMeta(id) + "$")})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := (&harness.Runner{Seed: 1, Tamper: tamper}).Run(ctx, sel)
	require.NoError(t, err)
	require.Len(t, res.Suites, 1)
	require.Len(t, res.Suites[0].Cases, 1)
	cr := res.Suites[0].Cases[0]
	require.Equal(t, id, cr.ID)
	return cr
}
