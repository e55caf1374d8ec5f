package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/reports"
)

// chaosExamples are suites for testing the command: one that passes, one
// with a failing case, and one whose case ignores its deadline until
// release is closed.
type chaosExamples struct {
	mu      sync.Mutex
	ran     []string
	release chan struct{}
}

func (x *chaosExamples) note(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ran = append(x.ran, id)
}

func (x *chaosExamples) ranIDs() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]string(nil), x.ran...)
}

func (x *chaosExamples) suites() []harness.Suite {
	pass := func(t *harness.T) {
		x.note(t.Name())
		t.Logf("stored %d observations", 15)
	}
	return []harness.Suite{
		{ID: "X-01", Title: "passing", Risk: "none", Cases: []harness.Case{
			{ID: "X-01a", Title: "first", Acceptance: "all stored", Run: pass},
			{ID: "X-01b", Title: "second", Acceptance: "none lost", Run: pass},
		}},
		{ID: "X-02", Title: "failing", Risk: "loss", Cases: []harness.Case{
			{ID: "X-02a", Title: "loses one", Acceptance: "15 stored", Run: func(t *harness.T) {
				x.note(t.Name())
				assert.Equal(t, 15, 14, "stored")
			}},
		}},
		{ID: "X-03", Title: "hanging", Risk: "hangs", Cases: []harness.Case{
			{ID: "X-03a", Title: "ignores its context", Acceptance: "returns",
				Run: func(t *harness.T) { <-x.release }},
		}},
	}
}

type chaosRun struct {
	stdout, stderr bytes.Buffer
	code           int
	err            error
}

// runChaosCmd runs island chaos over the example suites and returns what
// it printed and its exit code.
func runChaosCmd(t *testing.T, x *chaosExamples, vars map[string]string,
	args ...string) *chaosRun {
	t.Helper()
	r := &chaosRun{}
	env := &environment{stdout: &r.stdout, stderr: &r.stderr,
		getenv: func(k string) string { return vars[k] }}
	cmd := chaosCommandWith(chaosDeps{suites: x.suites, grace: 20 * time.Millisecond})
	r.err = cmd.run(context.Background(), args, env)
	r.code = exitCode(r.err, &r.stderr)
	return r
}

func newChaosExamples(t *testing.T) *chaosExamples {
	x := &chaosExamples{release: make(chan struct{})}
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		close(x.release)
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond) // polling, with a deadline
		}
		assert.LessOrEqual(t, runtime.NumGoroutine(), base, "goroutines left behind")
	})
	return x
}

func reportPaths(t *testing.T) (string, string, []string) {
	dir := t.TempDir()
	junit, js := filepath.Join(dir, "out", "junit.xml"), filepath.Join(dir, "out", "report.json")
	return junit, js, []string{"--junit", junit, "--json", js}
}

func readChaosReport(t *testing.T, path string) reports.Report {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep reports.Report
	require.NoError(t, json.Unmarshal(data, &rep))
	return rep
}

func TestChaosAllPassed(t *testing.T) {
	x := newChaosExamples(t)
	junit, js, out := reportPaths(t)
	r := runChaosCmd(t, x, nil, append(out, "--suite", "X-01", "--seed", "42")...)

	require.NoError(t, r.err, r.stderr.String())
	assert.Equal(t, exitOK, r.code)
	assert.ElementsMatch(t, []string{"X-01a", "X-01b"}, x.ranIDs())
	stdout := r.stdout.String()
	for _, want := range []string{"island chaos: 2 cases, seed 42\n", "PASS X-01a   first (",
		"PASS X-01b   second (", "X-01    PASS  2/2 passed", "PASS: 2 cases, 2 passed, 0 failed",
		"seed 42\n", "reports: " + junit + ", " + js + "\n"} {
		assert.Contains(t, stdout, want)
	}
	assert.NotContains(t, stdout, "stored 15 observations", "logs only with --verbose")
	rep := readChaosReport(t, js)
	assert.Equal(t, int64(42), rep.Seed)
	assert.Equal(t, reports.Totals{Cases: 2, Passed: 2}, rep.Totals)
	assert.FileExists(t, junit)
}

func TestChaosCaseFailed(t *testing.T) {
	x := newChaosExamples(t)
	_, js, out := reportPaths(t)
	r := runChaosCmd(t, x, nil, append(out, "--suite", "X-01,X-02", "--verbose")...)

	require.ErrorIs(t, r.err, errFailed)
	assert.Equal(t, exitFailed, r.code)
	assert.Equal(t, "island: failed: 1 of 3 cases (X-02a)\n", r.stderr.String())
	stdout := r.stdout.String()
	assert.Contains(t, stdout, "FAIL X-02a   loses one (")
	assert.Contains(t, stdout, "assertion: Not equal: expected: 15 actual : 14; stored")
	assert.Contains(t, stdout, "s stored 15 observations\n", "--verbose prints logs")
	assert.Contains(t, stdout, "     | ", "--verbose prints the failure's detail")
	assert.Equal(t, reports.Totals{Cases: 3, Passed: 2, Failed: 1},
		readChaosReport(t, js).Totals)
}

func TestChaosHarnessBroke(t *testing.T) {
	x := newChaosExamples(t)
	junit, js, out := reportPaths(t)
	r := runChaosCmd(t, x, nil, append(out, "--suite", "X-03", "--timeout", "20ms")...)

	require.ErrorIs(t, r.err, harness.ErrAbandoned)
	assert.Equal(t, exitBroken, r.code)
	assert.Contains(t, r.stderr.String(), "island: a case did not return: X-03a")
	assert.Contains(t, r.stdout.String(), "did-not-return: did not return within its timeout")
	assert.FileExists(t, junit, "the reports are written even so")
	assert.Equal(t, reports.Totals{Cases: 1, Failed: 1}, readChaosReport(t, js).Totals)
}

func TestChaosSeed(t *testing.T) {
	x := newChaosExamples(t)
	_, js, out := reportPaths(t)
	r := runChaosCmd(t, x, map[string]string{"ISLAND_SEED": "77"},
		append(out, "--suite", "X-01")...)
	require.NoError(t, r.err)
	assert.Contains(t, r.stdout.String(), "seed 77\n")

	r = runChaosCmd(t, x, nil, append(out, "--suite", "X-01")...)
	require.NoError(t, r.err)
	m := regexp.MustCompile(`seed (\d+)\n`).FindStringSubmatch(r.stdout.String())
	require.NotNil(t, m, r.stdout.String())
	seed := readChaosReport(t, js).Seed
	assert.Positive(t, seed)
	assert.Equal(t, m[1], strconv.FormatInt(seed, 10), "the seed printed is the seed saved")
}

func TestChaosRunSelectsCases(t *testing.T) {
	x := newChaosExamples(t)
	_, _, out := reportPaths(t)
	r := runChaosCmd(t, x, nil, append(out, "--run", `^X-01b$|loses`, "--parallel", "1")...)
	require.ErrorIs(t, r.err, errFailed)
	assert.Equal(t, []string{"X-01b", "X-02a"}, x.ranIDs())
	assert.Contains(t, r.stdout.String(), "island chaos: 2 cases")
}

func TestChaosList(t *testing.T) {
	x := newChaosExamples(t)
	r := runChaosCmd(t, x, nil, "--list", "--suite", "X-01,X-02")
	require.NoError(t, r.err)
	assert.Empty(t, x.ranIDs(), "--list runs nothing")
	assert.Equal(t, `X-01  passing
  risk: none
  X-01a   first
          acceptance: all stored
  X-01b   second
          acceptance: none lost
X-02  failing
  risk: loss
  X-02a   loses one
          acceptance: 15 stored
3 cases in 2 suites
`, r.stdout.String())
}

func TestChaosErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown suite", []string{"--suite", "R-99"},
			`island: no suite has id "R-99"; the suites are X-01, X-02, X-03 ` +
				"(island chaos --list shows them)\n"},
		{"no match", []string{"--run", "nothing"}, "island: no case matches the selection"},
		{"bad pattern", []string{"--run", "("}, `island: --run "(" is not a regular expression`},
		{"negative parallel", []string{"--parallel", "-1"}, "island: --parallel -1: give 0 or more"},
		{"zero timeout", []string{"--timeout", "0s"}, "island: --timeout 0s: give a positive"},
		{"unknown flag", []string{"--bogus"}, "flag provided but not defined: -bogus"},
		{"argument", []string{"R-01"}, `island chaos: unexpected argument "R-01"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := newChaosExamples(t)
			r := runChaosCmd(t, x, nil, c.args...)
			assert.Equal(t, exitBroken, r.code)
			assert.Contains(t, r.stderr.String(), c.want)
			assert.Empty(t, x.ranIDs())
		})
	}
}

func TestChaosUnwritableReport(t *testing.T) {
	x := newChaosExamples(t)
	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	r := runChaosCmd(t, x, nil, "--suite", "X-01", "--json", "",
		"--junit", filepath.Join(blocker, "junit.xml"))
	assert.Equal(t, exitBroken, r.code)
	assert.Contains(t, r.stderr.String(), "island: cannot create the report directory")
	assert.Contains(t, r.stdout.String(), "PASS: 2 cases", "the summary is printed even so")
	assert.NotContains(t, r.stdout.String(), "reports:")
}

func TestChaosWithoutSuites(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := &environment{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	cmd := chaosCommandWith(chaosDeps{suites: func() []harness.Suite { return nil }})
	err := cmd.run(context.Background(), nil, env)
	assert.Equal(t, exitBroken, exitCode(err, &stderr))
	assert.Equal(t, "island: no suites are registered: add them to suites.All\n", stderr.String())
}

func TestChaosHelp(t *testing.T) {
	x := newChaosExamples(t)
	r := runChaosCmd(t, x, nil, "--help")
	assert.Equal(t, exitOK, r.code)
	assert.Equal(t, chaosHelp, r.stdout.String())
}

const chaosHelp = `Usage: island chaos [flags]

Run the robustness suites: a line per case as it ends, then a summary,
and the JUnit and JSON reports. Exit status 0 when every case passed,
1 when a case failed, 2 when the harness itself could not run.

Flags:
  --json (ISLAND_JSON)
    	file to write the JSON report to; none when empty (default reports/report.json)
  --junit (ISLAND_JUNIT)
    	file to write the JUnit XML report to; none when empty (default reports/junit.xml)
  --list (ISLAND_LIST)
    	print the selected suites and cases with their acceptance texts, and run nothing
  --parallel (ISLAND_PARALLEL)
    	how many cases run at once; 0 means one per CPU
  --run (ISLAND_RUN)
    	regular expression: run only the cases whose id or title it matches
  --seed (ISLAND_SEED)
    	seed of the run's random choices, printed and saved; 0 picks one from the clock
  --suite (ISLAND_SUITE)
    	comma-separated ids of the suites to run, such as R-01,R-03; all when empty
  --timeout (ISLAND_TIMEOUT)
    	deadline of each case that sets none of its own (default 30s)
  --verbose (ISLAND_VERBOSE)
    	print each case's log and each failure's detail
`
