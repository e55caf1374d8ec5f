package edge_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run when a goroutine of the client, a test server or
// net/http outlives the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if left := leftover(5 * time.Second); left != "" {
			fmt.Fprintf(os.Stderr, "goroutines left behind by the tests:\n%s\n", left)
			code = 1
		}
	}
	os.Exit(code)
}

// leftover waits up to limit for the goroutines that the tests started to
// end, and returns the stacks of those still running.
func leftover(limit time.Duration) string {
	deadline := time.Now().Add(limit)
	for {
		var left []string
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "net/http") || strings.Contains(g, "island/edge") ||
				strings.Contains(g, "island/hub") {
				if !strings.Contains(g, "edge_test.leftover") && !strings.Contains(g, "edge_test.TestMain") {
					left = append(left, g)
				}
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return strings.Join(left, "\n\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
