// Package reports writes the results of a harness run as JUnit XML for CI,
// as a JSON document for tools, and as lines on a console for people.
package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/island-sensors/island/harness"
)

// junitPackage is the package attribute of every testsuite.
const junitPackage = "island"

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	ID         int             `xml:"id,attr"`
	Package    string          `xml:"package,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitOutcome `xml:"skipped"`
	Error     *junitOutcome `xml:"error"`
	Failure   *junitOutcome `xml:"failure"`
	SystemOut *junitText    `xml:"system-out"`
}

// junitText is text written as CDATA, so that logs and stacks read as they
// were written.
type junitText struct {
	Text string `xml:",cdata"`
}

type junitOutcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// WriteJUnit writes r as JUnit XML to w: one testsuite per suite, named by
// its id; one testcase per case, named "<id>: <title>" with the suite's id
// as its class name. A failed case carries a failure with its one-line
// message and its detail, or an error when it did not return; its log is
// its system-out. The suite's properties hold its title, risk, the seed and
// the platform, and for each case "<id>.acceptance", "<id>.fault.<name>"
// (times fired), "<id>.figure.<name>" and "<id>.property.<key>", sorted by
// name, since the schema gives a testcase no properties of its own.
func WriteJUnit(w io.Writer, r *harness.RunResult) error {
	doc := junitSuites{Name: "island chaos", Time: seconds(r.Duration)}
	for i, s := range r.Suites {
		js := junitSuiteOf(r, i, s)
		doc.Tests += js.Tests
		doc.Failures += js.Failures
		doc.Errors += js.Errors
		doc.Suites = append(doc.Suites, js)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encoding the JUnit report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitSuiteOf(r *harness.RunResult, i int, s harness.SuiteResult) junitSuite {
	js := junitSuite{
		Name:      s.ID,
		Time:      seconds(s.Duration),
		Timestamp: suiteStart(r, s).UTC().Format(time.RFC3339),
		Hostname:  r.Hostname,
		ID:        i,
		Package:   junitPackage,
	}
	props := map[string]string{
		"title": s.Title,
		"risk":  s.Risk,
		"seed":  strconv.FormatInt(r.Seed, 10),
		"go":    r.GoVersion,
		"host":  r.Host,
	}
	for _, c := range s.Cases {
		jc := junitCaseOf(c)
		js.Tests++
		switch {
		case jc.Error != nil:
			js.Errors++
		case jc.Failure != nil:
			js.Failures++
		case jc.Skipped != nil:
			js.Skipped++
		}
		js.Cases = append(js.Cases, jc)
		caseProperties(props, c)
	}
	for _, name := range slices.Sorted(maps.Keys(props)) {
		js.Properties = append(js.Properties, junitProperty{Name: name, Value: props[name]})
	}
	return js
}

func junitCaseOf(c harness.CaseResult) junitCase {
	jc := junitCase{Name: c.Name(), Classname: c.SuiteID, Time: seconds(c.Duration),
		SystemOut: systemOut(c)}
	switch f := c.Failure; {
	case c.Status == harness.StatusSkipped:
		jc.Skipped = &junitOutcome{Message: "not run: the run was stopped first",
			Type: string(harness.StatusSkipped)}
	case f != nil && f.Kind == harness.FailAbandoned:
		jc.Error = &junitOutcome{Message: f.Message, Type: f.Kind, Text: xmlSafe(f.Detail)}
	case f != nil:
		jc.Failure = &junitOutcome{Message: f.Message, Type: f.Kind, Text: xmlSafe(f.Detail)}
	}
	return jc
}

func caseProperties(props map[string]string, c harness.CaseResult) {
	props[c.ID+".acceptance"] = c.Acceptance
	for name, n := range c.Faults {
		props[c.ID+".fault."+name] = strconv.FormatInt(n, 10)
	}
	for _, f := range c.Figures {
		props[c.ID+".figure."+f.Name] = strings.TrimSpace(
			strconv.FormatFloat(f.Value, 'g', -1, 64) + " " + f.Unit)
	}
	for k, v := range c.Properties {
		props[c.ID+".property."+k] = v
	}
}

// systemOut is the acceptance text and then the log, a line each with its
// offset in seconds from the case's start.
func systemOut(c harness.CaseResult) *junitText {
	if c.Status == harness.StatusSkipped {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "acceptance: %s\n", c.Acceptance)
	for _, l := range c.Log {
		fmt.Fprintf(&b, "%9.3fs %s\n", l.Offset.Seconds(), l.Text)
	}
	return &junitText{Text: xmlSafe(b.String())}
}

// xmlSafe replaces what XML 1.0 cannot hold, even as CDATA, with U+FFFD:
// control characters other than tab, newline and carriage return, and bytes
// that are not UTF-8.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == utf8.RuneError, r >= 0xD800 && r <= 0xDFFF,
			r == 0xFFFE, r == 0xFFFF:
			return utf8.RuneError
		}
		return r
	}, s)
}

// suiteStart is the start of the suite's first case, or of the run when
// none of them ran.
func suiteStart(r *harness.RunResult, s harness.SuiteResult) time.Time {
	var start time.Time
	for _, c := range s.Cases {
		if c.Status != harness.StatusSkipped && (start.IsZero() || c.Start.Before(start)) {
			start = c.Start
		}
	}
	if start.IsZero() {
		return r.Start
	}
	return start
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}
