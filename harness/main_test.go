package harness_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a goroutine outlives the tests: a case, an island or a runner
// left running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
