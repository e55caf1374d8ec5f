package harness

import "time"

// Status is the outcome of a case.
type Status string

// The outcomes of a case.
const (
	StatusPassed  Status = "passed"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped" // not run: the run was stopped first
)

// Kinds of failure, from the most to the least telling.
const (
	// FailAbandoned: the case did not return by its deadline plus the grace
	// period; its goroutine was left running, which is a harness error.
	FailAbandoned = "did-not-return"
	FailPanic     = "panic"     // the case or one of its goroutines panicked
	FailTimeout   = "timeout"   // the case returned after its deadline
	FailAssertion = "assertion" // the case reported errors through its T
)

// Failure says why a case failed.
type Failure struct {
	Kind    string // one of the Fail* constants
	Message string // one line
	Detail  string // every error reported, in order, and any stack
}

// LogLine is one line a case logged, at an offset from the case's start.
type LogLine struct {
	Offset time.Duration
	Text   string
}

// Figure is a quantity a case measured, such as an ingest time.
type Figure struct {
	Name  string
	Value float64
	Unit  string
}

// CaseResult is what became of one case.
type CaseResult struct {
	SuiteID    string
	ID         string
	Title      string
	Acceptance string
	Status     Status
	Start      time.Time
	Duration   time.Duration
	Failure    *Failure // nil unless Status is StatusFailed
	Log        []LogLine
	Faults     map[string]int64 // faults that fired, by name; counts > 0 only
	Figures    []Figure         // in the order first recorded
	Properties map[string]string
}

// Name returns the case as reports name it: "R-01a: <title>".
func (r CaseResult) Name() string {
	return Case{ID: r.ID, Title: r.Title}.Name()
}

// SuiteResult holds the results of a suite's cases, in table order.
type SuiteResult struct {
	ID    string
	Title string
	Risk  string
	// Duration is the wall time from the first of its cases starting to
	// the last ending; cases of other suites may have run meanwhile.
	Duration time.Duration
	Cases    []CaseResult
}

// Counts returns how many of the suite's cases passed, failed and were
// skipped.
func (s SuiteResult) Counts() Counts {
	var c Counts
	for _, r := range s.Cases {
		c.add(r)
	}
	return c
}

// RunResult is the outcome of a run, with its suites in table order.
type RunResult struct {
	Start     time.Time
	Duration  time.Duration
	Seed      int64  // the run's seed; each case derives its own from it
	Parallel  int    // how many cases could run at once
	GoVersion string // such as "go1.26.8"
	Host      string // operating system and architecture, such as "linux/amd64"
	Hostname  string
	Suites    []SuiteResult
}

// Counts returns how many cases passed, failed and were skipped.
func (r *RunResult) Counts() Counts {
	var c Counts
	for _, s := range r.Suites {
		for _, cr := range s.Cases {
			c.add(cr)
		}
	}
	return c
}

// Counts tallies case outcomes.
type Counts struct {
	Cases, Passed, Failed, Skipped int
	// Abandoned counts the failed cases that did not return.
	Abandoned int
}

func (c *Counts) add(r CaseResult) {
	c.Cases++
	switch r.Status {
	case StatusPassed:
		c.Passed++
	case StatusFailed:
		c.Failed++
		if r.Failure != nil && r.Failure.Kind == FailAbandoned {
			c.Abandoned++
		}
	default:
		c.Skipped++
	}
}
