package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"time"

	"github.com/island-sensors/island/harness"
)

// JSONFormat names the shape of the JSON report; it changes when a field
// changes meaning or goes away.
const JSONFormat = "island-chaos-report/1"

// Report is the JSON report of a run. Times are RFC 3339 in UTC, durations
// and offsets are seconds, suites and cases are in table order, and maps are
// written with their keys sorted. An example, shortened:
//
//	{
//	  "format": "island-chaos-report/1",
//	  "start": "2026-03-14T10:00:00Z", "duration_s": 4.2,
//	  "seed": 123456789, "parallel": 2,
//	  "go_version": "go1.26.8", "host": "linux/amd64", "hostname": "ci-7",
//	  "totals": {"cases": 24, "passed": 23, "failed": 1, "skipped": 0},
//	  "suites": [{
//	    "id": "R-02", "title": "Large payload", "risk": "…", "duration_s": 1.9,
//	    "totals": {"cases": 4, "passed": 3, "failed": 1, "skipped": 0},
//	    "cases": [{
//	      "id": "R-02a", "title": "100 observations per node",
//	      "acceptance": "ingest < 1 s, fusion completes, matches > 0",
//	      "status": "failed", "start": "2026-03-14T10:00:00.1Z", "duration_s": 0.4,
//	      "failure": {"kind": "assertion", "message": "one line", "detail": "…"},
//	      "faults": {"reset_peer": 2},
//	      "figures": [{"name": "ingest", "value": 0.12, "unit": "s"}],
//	      "properties": {"edges": "3"},
//	      "log": [{"offset_s": 0.003, "text": "posted 300"}]
//	    }]
//	  }]
//	}
//
// A case's status is "passed", "failed" or "skipped" (not run, as the run
// was stopped first, and then without a start); failure is present only
// when the case failed, and its kind is "assertion", "timeout", "panic" or
// "did-not-return".
type Report struct {
	Format    string        `json:"format"`
	Start     time.Time     `json:"start"`
	DurationS float64       `json:"duration_s"`
	Seed      int64         `json:"seed"`
	Parallel  int           `json:"parallel"`
	GoVersion string        `json:"go_version"`
	Host      string        `json:"host"`
	Hostname  string        `json:"hostname"`
	Totals    Totals        `json:"totals"`
	Suites    []SuiteReport `json:"suites"`
}

// Totals counts the outcomes of cases.
type Totals struct {
	Cases   int `json:"cases"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// SuiteReport is one suite of a Report. DurationS is the wall time from the
// start of its first case to the end of its last.
type SuiteReport struct {
	ID        string       `json:"id"`
	Title     string       `json:"title"`
	Risk      string       `json:"risk"`
	DurationS float64      `json:"duration_s"`
	Totals    Totals       `json:"totals"`
	Cases     []CaseReport `json:"cases"`
}

// CaseReport is one case of a Report. A case judged on a history of edge
// operations carries the history's summary and the checker's verdict in
// Figures ("history.*" and "check.*" counts) and Properties
// ("check.verdict", and for a seeded storm "seed" and "trace.sha256"), as
// harness.Verdict.Record writes them.
type CaseReport struct {
	ID         string            `json:"id"`
	Title      string            `json:"title"`
	Acceptance string            `json:"acceptance"`
	Status     string            `json:"status"`
	Start      time.Time         `json:"start,omitzero"`
	DurationS  float64           `json:"duration_s"`
	Failure    *FailureReport    `json:"failure,omitempty"`
	Faults     map[string]int64  `json:"faults"`
	Figures    []FigureReport    `json:"figures"`
	Properties map[string]string `json:"properties"`
	Log        []LogReport       `json:"log"`
}

// FailureReport says why a case failed: Message is one line, Detail holds
// every error and any stack.
type FailureReport struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Detail  string `json:"detail"`
}

// FigureReport is a quantity a case measured.
type FigureReport struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// LogReport is a line of a case's log, OffsetS seconds after its start.
type LogReport struct {
	OffsetS float64 `json:"offset_s"`
	Text    string  `json:"text"`
}

// NewReport returns the JSON report of r.
func NewReport(r *harness.RunResult) Report {
	rep := Report{
		Format:    JSONFormat,
		Start:     r.Start.UTC(),
		DurationS: secs(r.Duration),
		Seed:      r.Seed,
		Parallel:  r.Parallel,
		GoVersion: r.GoVersion,
		Host:      r.Host,
		Hostname:  r.Hostname,
		Totals:    totals(r.Counts()),
		Suites:    []SuiteReport{},
	}
	for _, s := range r.Suites {
		sr := SuiteReport{ID: s.ID, Title: s.Title, Risk: s.Risk,
			DurationS: secs(s.Duration), Totals: totals(s.Counts()), Cases: []CaseReport{}}
		for _, c := range s.Cases {
			sr.Cases = append(sr.Cases, caseReport(c))
		}
		rep.Suites = append(rep.Suites, sr)
	}
	return rep
}

func caseReport(c harness.CaseResult) CaseReport {
	cr := CaseReport{
		ID: c.ID, Title: c.Title, Acceptance: c.Acceptance,
		Status:     string(c.Status),
		Start:      c.Start.UTC(),
		DurationS:  secs(c.Duration),
		Faults:     map[string]int64{},
		Figures:    []FigureReport{},
		Properties: map[string]string{},
		Log:        []LogReport{},
	}
	if f := c.Failure; f != nil {
		cr.Failure = &FailureReport{Kind: f.Kind, Message: f.Message, Detail: f.Detail}
	}
	maps.Copy(cr.Faults, c.Faults)
	maps.Copy(cr.Properties, c.Properties)
	for _, f := range c.Figures {
		cr.Figures = append(cr.Figures, FigureReport{Name: f.Name, Value: f.Value, Unit: f.Unit})
	}
	for _, l := range c.Log {
		cr.Log = append(cr.Log, LogReport{OffsetS: secs(l.Offset), Text: l.Text})
	}
	return cr
}

// WriteJSON writes the JSON report of r to w, indented.
func WriteJSON(w io.Writer, r *harness.RunResult) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(NewReport(r)); err != nil {
		return fmt.Errorf("encoding the JSON report: %w", err)
	}
	return nil
}

func totals(c harness.Counts) Totals {
	return Totals{Cases: c.Cases, Passed: c.Passed, Failed: c.Failed, Skipped: c.Skipped}
}

// secs returns d in seconds, rounded to the microsecond.
func secs(d time.Duration) float64 {
	return math.Round(d.Seconds()*1e6) / 1e6
}
