package suites_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a goroutine outlives the cases: a hub, a
// proxy, an edge's connection or a case's own goroutine left running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
