package harness

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// Defaults of a Runner.
const (
	DefaultTimeout = 30 * time.Second
	DefaultGrace   = 5 * time.Second
)

// ErrAbandoned is wrapped by Run's error when a case did not return by its
// deadline plus the grace period. Its goroutine still runs, so the process
// should report the run broken and exit.
var ErrAbandoned = errors.New("a case did not return")

// Runner runs suites. Set its fields before Run; the zero Runner runs with
// the defaults below and seed 0.
type Runner struct {
	// Parallel is how many cases may run at once; 0 means runtime.NumCPU().
	Parallel int
	// Seed is the run's seed, from which each case derives its own.
	Seed int64
	// Timeout is the deadline of a case that sets none; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Grace is how long past its deadline a case may take to return, with
	// its cleanups, before it is abandoned; 0 means DefaultGrace.
	Grace time.Duration
	// Now is the clock of start times, durations and log offsets; nil
	// means time.Now. Deadlines always use the real clock.
	Now func() time.Time
	// Hostname names the machine in the results; "" means os.Hostname.
	Hostname string
	// OnCase, if set, is called with each case's result as the case ends,
	// one call at a time.
	OnCase func(CaseResult)
	// Tamper, if set, may change the configuration of every island a case
	// makes, before it starts: a hub whose store loses writes, an edge
	// whose policy retries what it must not. Negative controls use it to
	// show that a case fails when the property it checks is broken.
	Tamper func(*IslandConfig)
}

// Run runs the cases of suites, up to Parallel at once, each in table order
// of starting, and returns their results in table order. A failing,
// panicking or overrunning case is a result, not an error. Run fails when
// the suites or the Runner's settings are invalid (and then runs nothing), when a case had to be
// abandoned (wrapping ErrAbandoned), and when ctx ends before every case
// ran (the cases not started are then StatusSkipped).
func (r *Runner) Run(ctx context.Context, suites []Suite) (*RunResult, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	if err := Validate(suites); err != nil {
		return nil, fmt.Errorf("the suites are invalid: %w", err)
	}
	res := r.newResult(suites)
	sem := semaphore.NewWeighted(int64(res.Parallel))
	var g errgroup.Group
	var report sync.Mutex
dispatch:
	for i, s := range suites {
		for j, c := range s.Cases {
			if sem.Acquire(ctx, 1) != nil {
				break dispatch
			}
			g.Go(func() error {
				defer sem.Release(1)
				cr := r.runCase(ctx, s, c)
				res.Suites[i].Cases[j] = cr
				r.notify(&report, cr)
				return nil
			})
		}
	}
	_ = g.Wait() // the workers return no errors
	res.Duration = r.now()().Sub(res.Start)
	for i := range res.Suites {
		res.Suites[i].Duration = span(res.Suites[i].Cases)
	}
	return res, runError(ctx, res)
}

// check refuses settings that would panic in the semaphore or abandon
// every case at once.
func (r *Runner) check() error {
	switch {
	case r.Parallel < 0:
		return fmt.Errorf("Runner.Parallel is %d: give 0 for one case per CPU, "+
			"or a positive count", r.Parallel)
	case r.Timeout < 0:
		return fmt.Errorf("Runner.Timeout is %v: give 0 for %v, or a positive duration",
			r.Timeout, DefaultTimeout)
	case r.Grace < 0:
		return fmt.Errorf("Runner.Grace is %v: give 0 for %v, or a positive duration",
			r.Grace, DefaultGrace)
	}
	return nil
}

func (r *Runner) newResult(suites []Suite) *RunResult {
	res := &RunResult{
		Start:     r.now()(),
		Seed:      r.Seed,
		Parallel:  cmp.Or(r.Parallel, runtime.NumCPU()),
		GoVersion: runtime.Version(),
		Host:      runtime.GOOS + "/" + runtime.GOARCH,
		Hostname:  r.Hostname,
		Suites:    make([]SuiteResult, len(suites)),
	}
	if res.Hostname == "" {
		res.Hostname, _ = os.Hostname()
	}
	for i, s := range suites {
		sr := SuiteResult{ID: s.ID, Title: s.Title, Risk: s.Risk}
		for _, c := range s.Cases {
			sr.Cases = append(sr.Cases, CaseResult{SuiteID: s.ID, ID: c.ID,
				Title: c.Title, Acceptance: c.Acceptance, Status: StatusSkipped})
		}
		res.Suites[i] = sr
	}
	return res
}

func (r *Runner) notify(mu *sync.Mutex, cr CaseResult) {
	if r.OnCase == nil {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	r.OnCase(cr)
}

// runCase runs one case under its deadline and waits for it to end, or
// abandons it once the grace period past the deadline is over.
func (r *Runner) runCase(ctx context.Context, s Suite, c Case) CaseResult {
	timeout := cmp.Or(c.Timeout, r.Timeout, DefaultTimeout)
	grace := cmp.Or(r.Grace, DefaultGrace)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := newT(cctx, c.ID, r.Seed, r.now())
	t.tamper = r.Tamper
	cr := CaseResult{SuiteID: s.ID, ID: c.ID, Title: c.Title,
		Acceptance: c.Acceptance, Start: t.start}

	done := make(chan struct{})
	go func() {
		defer close(done)
		t.exec(c.Run)
	}()
	watchdog := time.NewTimer(timeout + grace)
	defer watchdog.Stop()
	select {
	case <-done:
		t.seal(&cr, timeout)
	case <-watchdog.C:
		t.sealAbandoned(&cr, timeout, grace)
	}
	cr.Duration = t.now().Sub(cr.Start)
	return cr
}

func (r *Runner) now() func() time.Time {
	if r.Now == nil {
		return time.Now
	}
	return r.Now
}

// span returns the wall time from the first start to the last end of the
// cases that ran.
func span(cases []CaseResult) time.Duration {
	var first, last time.Time
	for _, c := range cases {
		if c.Status == StatusSkipped {
			continue
		}
		if first.IsZero() || c.Start.Before(first) {
			first = c.Start
		}
		if end := c.Start.Add(c.Duration); end.After(last) {
			last = end
		}
	}
	return last.Sub(first)
}

func runError(ctx context.Context, res *RunResult) error {
	var errs []error
	var ids []string
	for _, s := range res.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil && c.Failure.Kind == FailAbandoned {
				ids = append(ids, c.ID)
			}
		}
	}
	if len(ids) > 0 {
		errs = append(errs, fmt.Errorf("%w: %s; make its goroutines end with "+
			"the case's context", ErrAbandoned, strings.Join(ids, ", ")))
	}
	if res.Counts().Skipped > 0 && ctx.Err() != nil {
		errs = append(errs, fmt.Errorf("the run was stopped before every case ran: %w",
			ctx.Err()))
	}
	return errors.Join(errs...)
}

// NewSeed returns a seed taken from the clock: positive, and small enough
// to type and to survive a JSON number.
func NewSeed(now time.Time) int64 {
	return now.UnixNano()%999_999_999 + 1
}
