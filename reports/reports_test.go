package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/reports"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const schema = "testdata/junit-10.xsd"

var start = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// sample is a run with every kind of outcome, fixed to the millisecond.
func sample() *harness.RunResult {
	return &harness.RunResult{
		Start: start, Duration: ms(2500), Seed: 123456789, Parallel: 2,
		GoVersion: "go1.26.8", Host: "linux/amd64", Hostname: "lab-1",
		Suites: []harness.SuiteResult{{
			ID: "R-01", Title: "Concurrent edge submission",
			Risk: "several edges post at once", Duration: ms(900),
			Cases: []harness.CaseResult{{
				SuiteID: "R-01", ID: "R-01a", Title: "3 edges POST at once",
				Acceptance: "all 15 observations stored", Status: harness.StatusPassed,
				Start: at(0), Duration: ms(400),
				Log: []harness.LogLine{{Offset: ms(3), Text: "posted 15"},
					{Offset: ms(250), Text: "level=INFO msg=stored count=15"}},
				Faults:     map[string]int64{"reset_peer": 2, "latency": 1},
				Figures:    []harness.Figure{{Name: "ingest", Value: 0.125, Unit: "s"}},
				Properties: map[string]string{"edges": "3"},
			}, {
				SuiteID: "R-01", ID: "R-01b", Title: "10 concurrent POSTs",
				Acceptance: "total == the sum of all posts", Status: harness.StatusFailed,
				Start: at(100), Duration: ms(800),
				Failure: &harness.Failure{Kind: harness.FailAssertion,
					Message: "Not equal: expected: 50 actual : 49",
					Detail:  "Error: Not equal:\n  expected: 50\n  actual  : 49 <lost & found>"},
			}},
		}, {
			ID: "R-02", Title: "Large payload", Risk: "big batches time out",
			Duration: ms(1500),
			Cases: []harness.CaseResult{{
				SuiteID: "R-02", ID: "R-02a", Title: "hangs", Acceptance: "ingest < 1 s",
				Status: harness.StatusFailed, Start: at(1000), Duration: ms(1500),
				Failure: &harness.Failure{Kind: harness.FailAbandoned,
					Message: "did not return within its timeout of 1s",
					Detail:  "goroutine 7 [chan receive]:"},
			}, {
				SuiteID: "R-02", ID: "R-02b", Title: "panics", Acceptance: "fusion completes",
				Status: harness.StatusFailed, Start: at(1100), Duration: ms(5),
				Failure: &harness.Failure{Kind: harness.FailPanic, Message: "panic: boom",
					Detail: "panic: boom\n\ngoroutine 9 [running]:"},
			}, {
				SuiteID: "R-02", ID: "R-02c", Title: "not reached",
				Acceptance: "accepted == sent", Status: harness.StatusSkipped,
			}},
		}},
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./reports -update to create it")
	assert.Equal(t, string(want), string(got), "run go test ./reports -update if the change is meant")
}

func render(t *testing.T, write func(io.Writer, *harness.RunResult) error,
	r *harness.RunResult) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b, r))
	return b.Bytes()
}

func TestJUnitGolden(t *testing.T) {
	golden(t, "sample.junit.xml", render(t, reports.WriteJUnit, sample()))
}

func TestJSONGolden(t *testing.T) {
	out := render(t, reports.WriteJSON, sample())
	golden(t, "sample.report.json", out)

	var back reports.Report
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, reports.NewReport(sample()), back)
	assert.Equal(t, reports.JSONFormat, back.Format)
	assert.Equal(t, reports.Totals{Cases: 5, Passed: 1, Failed: 3, Skipped: 1}, back.Totals)
}

func TestConsoleGolden(t *testing.T) {
	var b bytes.Buffer
	for _, verbose := range []bool{false, true} {
		con := reports.NewConsole(&b, verbose)
		for _, s := range sample().Suites {
			for _, c := range s.Cases {
				require.NoError(t, con.Case(c))
			}
		}
		require.NoError(t, con.Summary(sample(), "reports/junit.xml", "reports/report.json"))
	}
	golden(t, "sample.console.txt", b.Bytes())
}

// xmllint validates path against the JUnit schema and returns its output.
func xmllint(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal("xmllint is missing, and the JUnit report cannot be checked against " +
			"its schema without it: install libxml2-utils (apt-get install -y libxml2-utils)")
	}
	return exec.CommandContext(t.Context(), bin, "--noout", "--schema", schema, path).
		CombinedOutput()
}

func TestJUnitValidatesAgainstTheSchema(t *testing.T) {
	runs := map[string]*harness.RunResult{"sample": sample(), "live": liveRun(t)}
	for name, r := range runs {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "junit.xml")
			require.NoError(t, reports.WriteFile(path, r, reports.WriteJUnit))
			out, err := xmllint(t, path)
			require.NoError(t, err, "%s", out)
			assert.Contains(t, string(out), "validates")
		})
	}
}

func TestJUnitTextSurvivesParsing(t *testing.T) {
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Out     string `xml:"system-out"`
				Failure string `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(render(t, reports.WriteJUnit, liveRun(t)), &doc))
	cases := doc.Suites[0].Cases
	require.Len(t, cases, 3)
	assert.Equal(t, "L-1: passes <&>", cases[0].Name)
	assert.Contains(t, cases[0].Out, "control \uFFFD and <tags> & \"quotes\"")
	assert.Contains(t, cases[1].Failure, "Error Trace:")
	assert.Contains(t, cases[2].Failure, "panic: ]]> in a panic")
}

func TestSchemaCheckCanFail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junit.xml")
	bad := `<testsuites><testsuite name="R-01" tests="1" failures="0">` +
		`<testcase classname="R-01"/></testsuite></testsuites>`
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
	out, err := xmllint(t, path)
	require.Error(t, err, "a testsuite without errors and a testcase without a name "+
		"must not validate")
	assert.Contains(t, string(out), "fails to validate")
}

// liveRun runs real cases, whose failures carry stacks and testify output,
// and whose logs hold text that XML must escape.
func liveRun(t *testing.T) *harness.RunResult {
	t.Helper()
	cases := []harness.Case{
		{ID: "L-1", Title: "passes <&>", Acceptance: "a \"quoted\" text",
			Run: func(t *harness.T) {
				t.Logf("control \x01 and <tags> & \"quotes\"")
				t.AddFaults(map[string]int64{"slicer": 4})
				t.Figure("fusion", 0.002, "s")
			}},
		{ID: "L-2", Title: "fails", Run: func(t *harness.T) {
			require.Equal(t, []int{1, 2}, []int{2, 1})
		}},
		{ID: "L-3", Title: "panics", Run: func(t *harness.T) { panic(errors.New("]]> in a panic")) }},
	}
	r := &harness.Runner{Seed: 5}
	res, err := r.Run(context.Background(), []harness.Suite{{ID: "L", Cases: cases}})
	require.NoError(t, err)
	return res
}

func TestJUnitShape(t *testing.T) {
	out := string(render(t, reports.WriteJUnit, sample()))
	for _, want := range []string{
		`<testsuite name="R-01" tests="2" failures="1" errors="0" skipped="0" time="0.900"` +
			` timestamp="2026-03-14T10:00:00Z" hostname="lab-1" id="0" package="island">`,
		`<testsuite name="R-02" tests="3" failures="1" errors="1" skipped="1"`,
		`<testcase name="R-01a: 3 edges POST at once" classname="R-01" time="0.400">`,
		`<property name="R-01a.fault.latency" value="1"></property>`,
		`<property name="R-01a.fault.reset_peer" value="2"></property>`,
		`<property name="R-01a.acceptance" value="all 15 observations stored">`,
		`<property name="seed" value="123456789"></property>`,
		`<failure message="Not equal: expected: 50 actual : 49" type="assertion">`,
		"<![CDATA[Error: Not equal:\n  expected: 50\n  actual  : 49 <lost & found>]]></failure>",
		`<error message="did not return within its timeout of 1s" type="did-not-return">`,
		`<skipped message="not run: the run was stopped first" type="skipped">`,
		"<system-out><![CDATA[acceptance: all 15 observations stored\n    0.003s posted 15\n",
	} {
		assert.Contains(t, out, want)
	}
}

func TestWriteFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	path := filepath.Join(dir, "report.json")
	require.NoError(t, reports.WriteFile(path, sample(), reports.WriteJSON))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, render(t, reports.WriteJSON, sample()), got)

	broken := func(w io.Writer, _ *harness.RunResult) error {
		_, _ = io.WriteString(w, "half")
		return errors.New("disk full")
	}
	err = reports.WriteFile(path, sample(), broken)
	assert.ErrorContains(t, err, "cannot write the report "+path+": disk full")
	got, _ = os.ReadFile(path)
	assert.Equal(t, render(t, reports.WriteJSON, sample()), got, "the old file is kept whole")
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no temporary file is left")

	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	err = reports.WriteFile(filepath.Join(blocker, "x.json"), sample(), reports.WriteJSON)
	assert.ErrorContains(t, err, "cannot create the report directory")
}

func TestConsoleLines(t *testing.T) {
	var b bytes.Buffer
	con := reports.NewConsole(&b, false)
	require.NoError(t, con.Case(sample().Suites[0].Cases[1]))
	assert.Equal(t, "FAIL R-01b   10 concurrent POSTs (0.800s)\n"+
		"     assertion: Not equal: expected: 50 actual : 49\n", b.String())
	assert.False(t, strings.Contains(b.String(), "lost & found"), "no detail unless verbose")
}
