package fusion

import (
	"fmt"
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/island-sensors/island"
)

// benchScene is n sightings from three nodes of n/3 targets at a constant,
// realistic density: about one target in five has another within the gates
// of the default lens, so each target is a few sightings and little else.
func benchScene(n int) []island.Observation {
	targets := n / 3
	return scene(sceneSpec{seed: uint64(n), targets: targets, nodes: threeNodes,
		lat: 34.05, lon: -118.24, sideM: math.Sqrt(float64(targets) * 650), spanS: 600,
		detect: 1, noiseM: 10, noiseS: 1, misclassified: 0.05})
}

var benchSizes = []int{1500, 15000, 150000}

// BenchmarkFuse measures the grid engine. Compare it with
// BenchmarkBruteForce in the same run.
func BenchmarkFuse(b *testing.B) {
	for _, n := range benchSizes {
		obs := benchScene(n)
		lens := island.DefaultLens()
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var res Result
			cpu := cpuTime(b)
			for b.Loop() {
				res = Fuse(obs, lens)
			}
			b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(res.Matches), "matches")
		})
	}
}

// BenchmarkBruteForce measures the reference, which compares every pair,
// and reports its cost per pair so that it can be extrapolated to sizes
// too large to run.
func BenchmarkBruteForce(b *testing.B) {
	for _, n := range benchSizes[:2] {
		obs := benchScene(n)
		lens := island.DefaultLens()
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var res Result
			cpu := cpuTime(b)
			for b.Loop() {
				res = bruteForce(obs, lens)
			}
			cpuPerOp := float64((cpuTime(b) - cpu).Nanoseconds()) / float64(b.N)
			pairs := float64(n) * float64(n-1) / 2
			b.ReportMetric(cpuPerOp, "cpu-ns/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/pairs, "ns/pair")
			b.ReportMetric(float64(res.Matches), "matches")
		})
	}
}

// cpuTime is the processor time the process has used, in user and system
// mode. On a shared machine it tells more of the work done than the wall
// clock does; the benchmarks report it beside ns/op.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
