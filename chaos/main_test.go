package chaos_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a goroutine outlives the tests: a proxy, a
// toxic's connection, a test server or an edge's connection left running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
