// Package harness runs robustness suites: tables of cases, each a function
// of a *T, run in parallel with a timeout per case, a panic caught as the
// failure of its case, and no goroutine of a case left running when it ends.
//
// A run yields a RunResult in table order, which the reports package turns
// into JUnit XML, JSON and console lines. RunTest runs the same suites under
// go test, each case a subtest.
package harness

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Suite is a named table of cases that together cover one risk.
type Suite struct {
	ID    string // short and stable, such as "R-01"
	Title string // what the suite exercises, in a few words
	Risk  string // what could go wrong that the suite guards against
	Cases []Case
}

// Case is one check of a suite. Run must not be nil; it reports failures
// through its *T like a test does.
type Case struct {
	ID         string        // unique across all suites, such as "R-01a"
	Title      string        // what the case does
	Acceptance string        // what must hold for the case to pass, in words
	Timeout    time.Duration // 0 means the runner's default
	Run        func(t *T)
}

// Name returns the case as reports name it: "R-01a: <title>".
func (c Case) Name() string {
	if c.Title == "" {
		return c.ID
	}
	return c.ID + ": " + c.Title
}

// Validate reports every suite or case without an id or a function, and
// every id used twice, so that a broken table fails before anything runs.
func Validate(suites []Suite) error {
	var errs []error
	seen := map[string]bool{}
	use := func(id, what string) {
		if id == "" {
			errs = append(errs, fmt.Errorf("%s has no id", what))
			return
		}
		if seen[id] {
			errs = append(errs, fmt.Errorf("id %q is used twice: make it unique", id))
		}
		seen[id] = true
	}
	for i, s := range suites {
		use(s.ID, fmt.Sprintf("suite %d (%q)", i, s.Title))
		for j, c := range s.Cases {
			use(c.ID, fmt.Sprintf("case %d of suite %q", j, s.ID))
			if c.Run == nil {
				errs = append(errs, fmt.Errorf("case %q has no Run function", c.ID))
			}
			if c.Timeout < 0 {
				errs = append(errs, fmt.Errorf("case %q has a negative timeout", c.ID))
			}
		}
	}
	return errors.Join(errs...)
}

// Filter selects cases. The zero Filter selects everything.
type Filter struct {
	// Suites lists suite ids to keep; empty keeps every suite.
	Suites []string
	// Run keeps the cases whose id, title or name ("R-01a: <title>") it
	// matches; nil keeps every case.
	Run *regexp.Regexp
}

// Select returns the suites and cases that f keeps, in table order, without
// the suites left empty. It fails when f names a suite that does not exist
// or keeps no case at all.
func Select(suites []Suite, f Filter) ([]Suite, error) {
	known := make([]string, 0, len(suites))
	for _, s := range suites {
		known = append(known, s.ID)
	}
	for _, id := range f.Suites {
		if !slices.Contains(known, id) {
			return nil, fmt.Errorf("no suite has id %q; the suites are %s",
				id, strings.Join(known, ", "))
		}
	}
	var out []Suite
	for _, s := range suites {
		if len(f.Suites) > 0 && !slices.Contains(f.Suites, s.ID) {
			continue
		}
		kept := s
		kept.Cases = nil
		for _, c := range s.Cases {
			if f.keeps(c) {
				kept.Cases = append(kept.Cases, c)
			}
		}
		if len(kept.Cases) > 0 {
			out = append(out, kept)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no case matches the selection: " +
			"check the suite ids and the case pattern against the list of cases")
	}
	return out, nil
}

func (f Filter) keeps(c Case) bool {
	if f.Run == nil {
		return true
	}
	return f.Run.MatchString(c.ID) || f.Run.MatchString(c.Title) ||
		f.Run.MatchString(c.Name())
}
