package harness

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// SeedEnv names the environment variable that sets RunTest's seed.
const SeedEnv = "ISLAND_SEED"

// RunTest runs every case of suites as a parallel subtest of t, named
// "<suite id>/<case id>", with the same T, deadlines and results as a Run.
// A failed case fails its subtest with the failure; its log, figures and
// faults go to the subtest's log. The seed comes from ISLAND_SEED, or from
// the clock when that is unset, and is logged so that a run can be repeated.
// With no cases at all the test is skipped.
func RunTest(t *testing.T, suites ...Suite) {
	t.Helper()
	if err := Validate(suites); err != nil {
		t.Fatalf("the suites are invalid: %v", err)
	}
	if !slices.ContainsFunc(suites, func(s Suite) bool { return len(s.Cases) > 0 }) {
		t.Skip("no cases to run")
	}
	seed, err := testSeed(os.Getenv(SeedEnv))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seed %d (set %s=%d to run with the same seed)", seed, SeedEnv, seed)
	r := &Runner{Seed: seed}
	for _, s := range suites {
		t.Run(s.ID, func(t *testing.T) {
			t.Parallel()
			for _, c := range s.Cases {
				t.Run(c.ID, func(t *testing.T) {
					t.Parallel()
					logResult(t, r.runCase(t.Context(), s, c))
				})
			}
		})
	}
}

func testSeed(v string) (int64, error) {
	if v == "" {
		return NewSeed(time.Now()), nil
	}
	seed, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a whole number: set it to a seed "+
			"printed by an earlier run, or unset it", SeedEnv, v)
	}
	return seed, nil
}

func logResult(t *testing.T, cr CaseResult) {
	t.Helper()
	t.Logf("%s\nacceptance: %s", cr.Name(), cr.Acceptance)
	for _, l := range cr.Log {
		t.Logf("%8.3fs %s", l.Offset.Seconds(), l.Text)
	}
	for _, f := range cr.Figures {
		t.Logf("figure %s = %g %s", f.Name, f.Value, f.Unit)
	}
	for _, name := range slices.Sorted(maps.Keys(cr.Faults)) {
		t.Logf("fault %s fired %d times", name, cr.Faults[name])
	}
	if f := cr.Failure; f != nil {
		t.Errorf("%s failed (%s): %s\n\n%s", cr.ID, f.Kind, f.Message, f.Detail)
	}
}
