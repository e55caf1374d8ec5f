package harness

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"
)

// exec runs body in a goroutine of its own and then ends the case: it notes
// an overrun deadline, cancels the context, waits for the goroutines of Go,
// reads the fault sources and runs the cleanups, last registered first.
func (t *T) exec(body func(*T)) {
	t.protect(func() { body(t) })
	overran := errors.Is(t.ctx.Err(), context.DeadlineExceeded)
	t.cancel()

	t.mu.Lock()
	t.overran = overran
	for t.running > 0 {
		t.idle.Wait()
	}
	t.ended = true
	sources := t.sources
	t.mu.Unlock()

	for _, read := range sources {
		t.protect(func() { t.AddFaults(read()) })
	}
	for f := t.popCleanup(); f != nil; f = t.popCleanup() {
		t.protect(f)
	}
}

// protect calls f in a goroutine of its own and waits for it, so that a
// panic or a runtime.Goexit in f ends only f.
func (t *T) protect(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer t.recoverPanic()
		f()
	}()
	<-done
}

func (t *T) popCleanup() func() {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.cleanups)
	if n == 0 {
		return nil
	}
	f := t.cleanups[n-1]
	t.cleanups = t.cleanups[:n-1]
	return f
}

// seal copies what the case recorded into r and freezes t: whatever its
// goroutines do later changes nothing.
func (t *T) seal(r *CaseResult, timeout time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sealed = true
	r.Log = slices.Clone(t.log)
	r.Faults = maps.Clone(t.faults)
	r.Figures = slices.Clone(t.figures)
	r.Properties = maps.Clone(t.props)
	r.Failure = t.failureLocked(timeout)
	r.Status = StatusPassed
	if r.Failure != nil {
		r.Status = StatusFailed
	}
}

// sealAbandoned is seal for a case that did not return: it fails the case
// with the stacks of every goroutine, to show where it hung.
func (t *T) sealAbandoned(r *CaseResult, timeout, grace time.Duration) {
	t.seal(r, timeout)
	detail := []string{}
	if r.Failure != nil {
		detail = append(detail, r.Failure.Detail)
	}
	detail = append(detail, "goroutines when the case was abandoned:\n\n"+allStacks())
	r.Status = StatusFailed
	r.Failure = &Failure{
		Kind: FailAbandoned,
		Message: fmt.Sprintf("did not return within its timeout of %v and a grace "+
			"period of %v: a goroutine of the case ignores its context", timeout, grace),
		Detail: strings.Join(detail, "\n\n"),
	}
}

func (t *T) failureLocked(timeout time.Duration) *Failure {
	if !t.failed && len(t.panics) == 0 && !t.overran {
		return nil
	}
	f := &Failure{Kind: FailAssertion}
	switch {
	case len(t.panics) > 0:
		f.Kind = FailPanic
		f.Message, _, _ = strings.Cut(t.panics[0], "\n")
	case t.overran:
		f.Kind = FailTimeout
		f.Message = fmt.Sprintf("ran past its timeout of %v", timeout)
		if len(t.errs) > 0 {
			f.Message += ": " + summarize(t.errs[0])
		}
	case len(t.errs) > 0:
		f.Message = summarize(t.errs[0])
	default:
		f.Message = "failed without a message: Fail or FailNow was called alone"
	}
	if n := len(t.errs) + len(t.panics) - 1; n > 0 {
		f.Message += fmt.Sprintf(" (and %d more)", n)
	}
	f.Detail = strings.Join(append(slices.Clone(t.panics), t.errs...), "\n\n")
	return f
}

// allStacks returns the stacks of all goroutines, cut at 256 KiB.
func allStacks() string {
	buf := make([]byte, 256<<10)
	return string(buf[:runtime.Stack(buf, true)])
}
