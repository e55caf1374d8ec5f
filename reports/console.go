package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/island-sensors/island/harness"
)

// Console writes a line per case as it ends and a summary of the run. It is
// not safe for concurrent use; harness.Runner calls OnCase one at a time.
type Console struct {
	w       io.Writer
	verbose bool
}

// NewConsole returns a Console writing to w. When verbose, each case's log
// and each failure's detail follow its line.
func NewConsole(w io.Writer, verbose bool) *Console {
	return &Console{w: w, verbose: verbose}
}

// Case writes the line of a case that ended: its outcome, id, title and
// duration, then the failure's message and, when verbose, its log and the
// failure's detail.
func (c *Console) Case(r harness.CaseResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-7s %s (%s)\n", outcome(r.Status), r.ID, r.Title, dur(r.Duration))
	if f := r.Failure; f != nil && strings.HasPrefix(f.Message, f.Kind) {
		fmt.Fprintf(&b, "     %s\n", f.Message)
	} else if f != nil {
		fmt.Fprintf(&b, "     %s: %s\n", f.Kind, f.Message)
	}
	if c.verbose {
		for _, l := range r.Log {
			fmt.Fprintf(&b, "     %8.3fs %s\n", l.Offset.Seconds(), l.Text)
		}
		if r.Failure != nil && r.Failure.Detail != "" {
			b.WriteString(indent(r.Failure.Detail, "     | "))
		}
	}
	_, err := io.WriteString(c.w, b.String())
	return err
}

// Summary writes the counts of each suite and of the run, the wall times,
// the seed and the paths of the reports written.
func (c *Console) Summary(r *harness.RunResult, reportPaths ...string) error {
	var b strings.Builder
	b.WriteString("\n")
	for _, s := range r.Suites {
		n := s.Counts()
		fmt.Fprintf(&b, "%-7s %s  %d/%d passed  %s  %s\n", s.ID, verdict(n), n.Passed,
			n.Cases, dur(s.Duration), s.Title)
	}
	n := r.Counts()
	fmt.Fprintf(&b, "\n%s: %d cases, %d passed, %d failed", verdict(n), n.Cases,
		n.Passed, n.Failed)
	if n.Skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped", n.Skipped)
	}
	fmt.Fprintf(&b, " in %s (parallel %d)\n", dur(r.Duration), r.Parallel)
	fmt.Fprintf(&b, "seed %d\n", r.Seed)
	if len(reportPaths) > 0 {
		fmt.Fprintf(&b, "reports: %s\n", strings.Join(reportPaths, ", "))
	}
	_, err := io.WriteString(c.w, b.String())
	return err
}

func outcome(s harness.Status) string {
	switch s {
	case harness.StatusPassed:
		return "PASS"
	case harness.StatusFailed:
		return "FAIL"
	default:
		return "SKIP"
	}
}

func verdict(n harness.Counts) string {
	switch {
	case n.Failed > 0:
		return "FAIL"
	case n.Skipped > 0:
		return "INCOMPLETE"
	default:
		return "PASS"
	}
}

func dur(d time.Duration) string {
	return fmt.Sprintf("%.3fs", d.Seconds())
}

func indent(text, prefix string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return prefix + strings.Join(lines, "\n"+prefix) + "\n"
}
