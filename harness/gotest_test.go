package harness_test

import (
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/harness"
)

const bridgeChild = "HARNESS_TEST_BRIDGE_CHILD"

// TestBridgeChild is run by TestRunTest in a child process, where its
// failing subtest cannot fail the parent.
func TestBridgeChild(t *testing.T) {
	if os.Getenv(bridgeChild) != "1" {
		t.Skip("runs only as the child process of TestRunTest")
	}
	harness.RunTest(t,
		suite("B",
			harness.Case{ID: "B-1", Title: "passes", Acceptance: "all stored",
				Run: func(t *harness.T) {
					t.Logf("stored %d", 15)
					t.Figure("ingest", 0.125, "s")
					t.AddFaults(map[string]int64{"reset": 2})
				}},
			harness.Case{ID: "B-2", Title: "fails", Acceptance: "none lost",
				Run: func(t *harness.T) { assert.Equal(t, 15, 14) }}),
		suite("E"))
}

func TestRunTest(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), os.Args[0],
		"-test.run=^TestBridgeChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), bridgeChild+"=1", harness.SeedEnv+"=99")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the child must fail: %v\n%s", err, out)
	assert.Equal(t, 1, exit.ExitCode())
	for _, want := range []string{
		"seed 99 (set ISLAND_SEED=99 to run with the same seed)",
		"--- PASS: TestBridgeChild/B/B-1",
		"B-1: passes\n", "acceptance: all stored", "s stored 15",
		"figure ingest = 0.125 s", "fault reset fired 2 times",
		"--- FAIL: TestBridgeChild/B/B-2",
		"B-2 failed (assertion): Not equal: expected: 15 actual : 14",
	} {
		assert.Contains(t, string(out), want)
	}
}

func TestRunTestSkipsWithoutCases(t *testing.T) {
	var sub *testing.T
	t.Run("empty", func(t *testing.T) {
		sub = t
		harness.RunTest(t, suite("E"))
	})
	assert.True(t, sub.Skipped())
}
