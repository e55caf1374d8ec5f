package hub_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a goroutine outlives the tests: a server, a
// handler or a client's connection left running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
