package harness

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// T is what a case gets to do its work and report on it. It satisfies
// testify's require.TestingT and assert.TestingT, so the case can use both.
//
// Every method is safe to call from any goroutine, except that FailNow
// (and Fatal, Fatalf, and testify's require functions, which call it) ends
// only the goroutine that calls it, through runtime.Goexit, as in package
// testing. Call it from the case's own goroutine or from one started with
// Go; from any other goroutine it marks the case failed and ends that
// goroutine, which its owner must then survive.
type T struct {
	id     string
	ctx    context.Context
	cancel context.CancelFunc
	now    func() time.Time
	start  time.Time
	seed   uint64
	rng    *rand.Rand
	logger *slog.Logger
	tamper func(*IslandConfig) // see Runner.Tamper

	mu       sync.Mutex
	idle     *sync.Cond // signalled when the last goroutine of Go returns
	running  int        // goroutines started by Go that have not returned
	ended    bool       // the body and its goroutines returned: Go refuses
	sealed   bool       // the result was taken: nothing changes any more
	failed   bool
	overran  bool // the body returned after the case's deadline
	errs     []string
	panics   []string
	cleanups []func()
	log      []LogLine
	figures  []Figure
	props    map[string]string
	faults   map[string]int64
	sources  []func() map[string]int64
}

func newT(ctx context.Context, id string, runSeed int64, now func() time.Time) *T {
	t := &T{id: id, now: now, start: now(), seed: caseSeed(runSeed, id)}
	t.ctx, t.cancel = context.WithCancel(ctx)
	t.idle = sync.NewCond(&t.mu)
	t.rng = rand.New(rand.NewPCG(t.seed, t.seed^0x9e3779b97f4a7c15))
	t.logger = slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{
		Level:       slog.LevelDebug,
		ReplaceAttr: dropTime,
	}))
	return t
}

// caseSeed derives a case's seed from the run's seed and the case's id, so
// that a case draws the same numbers whatever else runs beside it.
func caseSeed(runSeed int64, id string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", runSeed, id)
	return h.Sum64()
}

// Name returns the case's id.
func (t *T) Name() string { return t.id }

// Context returns the case's context. It is done at the case's deadline,
// when the case calls FailNow, when the run is stopped, and when the case
// returns, before its cleanups run.
func (t *T) Context() context.Context { return t.ctx }

// Deadline returns the case's deadline.
func (t *T) Deadline() (time.Time, bool) { return t.ctx.Deadline() }

// Seed returns the case's seed, derived from the run's seed and the case's
// id.
func (t *T) Seed() uint64 { return t.seed }

// Rand returns the case's random source, seeded with Seed. It is not safe
// for concurrent use: draw from it in the case's goroutine, or give each
// goroutine a source of its own seeded from it.
func (t *T) Rand() *rand.Rand { return t.rng }

// Logger returns a logger whose records land in the case's log.
func (t *T) Logger() *slog.Logger { return t.logger }

// Helper exists for testify; T reports no source positions of its own.
func (t *T) Helper() {}

// Log records its arguments, formatted as by fmt.Sprintln, in the case's log.
func (t *T) Log(args ...any) { t.addLog(strings.TrimSuffix(fmt.Sprintln(args...), "\n")) }

// Logf records a formatted line in the case's log.
func (t *T) Logf(format string, args ...any) { t.addLog(fmt.Sprintf(format, args...)) }

func (t *T) addLog(text string) {
	at := t.now().Sub(t.start)
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.sealed {
		t.log = append(t.log, LogLine{Offset: at, Text: text})
	}
}

// Errorf records a formatted error and marks the case failed; the case goes
// on.
func (t *T) Errorf(format string, args ...any) { t.addError(fmt.Sprintf(format, args...)) }

// Error records its arguments as an error and marks the case failed; the
// case goes on.
func (t *T) Error(args ...any) { t.addError(strings.TrimSuffix(fmt.Sprintln(args...), "\n")) }

func (t *T) addError(msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.sealed {
		t.failed = true
		t.errs = append(t.errs, msg)
	}
}

// Fail marks the case failed without a message; the case goes on.
func (t *T) Fail() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.sealed {
		t.failed = true
	}
}

// Failed reports whether the case has failed so far.
func (t *T) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed || len(t.panics) > 0
}

// FailNow marks the case failed, cancels its context so that its other
// goroutines wind down, and ends the calling goroutine (see T). The
// cleanups still run.
func (t *T) FailNow() {
	t.Fail()
	t.cancel()
	runtime.Goexit()
}

// Fatal is Error followed by FailNow.
func (t *T) Fatal(args ...any) {
	t.Error(args...)
	t.FailNow()
}

// Fatalf is Errorf followed by FailNow.
func (t *T) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	t.FailNow()
}

// Cleanup registers f to run when the case ends, after its context is done
// and its goroutines have returned. Cleanups run last registered first, each
// even when the case or an earlier cleanup failed, panicked or called
// FailNow.
func (t *T) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

// Go runs f in a goroutine that the case's end waits for: the case is not
// over, and its cleanups do not run, until f returns. f should return once
// the case's context is done. A panic in f fails the case; FailNow in f ends
// f. Go may be called from such goroutines too, but not once the case has
// ended, when it records an error instead.
func (t *T) Go(f func()) {
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		t.Errorf("Go was called after the case ended: start goroutines " +
			"before the case returns")
		return
	}
	t.running++
	t.mu.Unlock()
	go func() {
		defer t.goDone()
		defer t.recoverPanic()
		f()
	}()
}

func (t *T) goDone() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running--
	if t.running == 0 {
		t.idle.Broadcast()
	}
}

// Figure records a measured quantity, such as an ingest time in seconds.
// Recording a name again replaces its value. The value must be finite.
func (t *T) Figure(name string, value float64, unit string) {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		t.Errorf("figure %q is %v: record a finite value", name, value)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sealed {
		return
	}
	for i := range t.figures {
		if t.figures[i].Name == name {
			t.figures[i] = Figure{Name: name, Value: value, Unit: unit}
			return
		}
	}
	t.figures = append(t.figures, Figure{Name: name, Value: value, Unit: unit})
}

// Property records a key and value for the reports; a key set again takes
// the new value.
func (t *T) Property(key, value string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sealed {
		return
	}
	if t.props == nil {
		t.props = map[string]string{}
	}
	t.props[key] = value
}

// AddFaults adds to the counts of faults that fired during the case, by
// fault name. Counts of zero or less are ignored.
func (t *T) AddFaults(counts map[string]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.addFaultsLocked(counts)
}

func (t *T) addFaultsLocked(counts map[string]int64) {
	if t.sealed {
		return
	}
	for name, n := range counts {
		if n <= 0 {
			continue
		}
		if t.faults == nil {
			t.faults = map[string]int64{}
		}
		t.faults[name] += n
	}
}

// FaultSource registers read, which the case's end calls once, after the
// case's goroutines have returned and before its cleanups run, and whose
// counts it adds as with AddFaults. A chaos proxy's fault counters are such
// a source.
func (t *T) FaultSource(read func() map[string]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sources = append(t.sources, read)
}

func (t *T) recoverPanic() {
	v := recover()
	if v == nil {
		return
	}
	msg := fmt.Sprintf("panic: %v\n\n%s", v, debug.Stack())
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.sealed {
		t.panics = append(t.panics, msg)
	}
}

// logWriter turns each record of a slog text handler into a log line.
type logWriter struct{ t *T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.addLog(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
