package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a goroutine outlives the tests: a command's server, proxy or edge
// left running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
