package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/reports"
	"github.com/island-sensors/island/suites"
)

// chaosDeps is what island chaos runs with: the suites, and the grace
// period that a case past its deadline gets before it is abandoned.
type chaosDeps struct {
	suites func() []harness.Suite
	grace  time.Duration
}

func chaosCommand() command {
	return chaosCommandWith(chaosDeps{suites: suites.All})
}

func chaosCommandWith(deps chaosDeps) command {
	return command{
		name:    "chaos",
		summary: "run the robustness suites and write JUnit and JSON reports",
		run: func(ctx context.Context, args []string, env *environment) error {
			return runChaos(ctx, args, env, deps)
		},
	}
}

type chaosOptions struct {
	suites   string
	run      string
	list     bool
	parallel int
	seed     int64
	timeout  time.Duration
	junit    string
	json     string
	verbose  bool
}

const chaosSynopsis = "Run the robustness suites: a line per case as it ends, then a summary,\n" +
	"and the JUnit and JSON reports. Exit status 0 when every case passed,\n" +
	"1 when a case failed, 2 when the harness itself could not run."

func parseChaosFlags(args []string, env *environment) (chaosOptions, error) {
	var o chaosOptions
	fs := newFlagSet("chaos", chaosSynopsis, env)
	fs.StringVar(&o.suites, "suite", "",
		"comma-separated ids of the suites to run, such as R-01,R-03; all when empty")
	fs.StringVar(&o.run, "run", "",
		"regular expression: run only the cases whose id or title it matches")
	fs.BoolVar(&o.list, "list", false,
		"print the selected suites and cases with their acceptance texts, and run nothing")
	fs.IntVar(&o.parallel, "parallel", 0, "how many cases run at once; 0 means one per CPU")
	fs.Int64Var(&o.seed, "seed", 0,
		"seed of the run's random choices, printed and saved; 0 picks one from the clock")
	fs.DurationVar(&o.timeout, "timeout", harness.DefaultTimeout,
		"deadline of each case that sets none of its own")
	fs.StringVar(&o.junit, "junit", "reports/junit.xml",
		"file to write the JUnit XML report to; none when empty")
	fs.StringVar(&o.json, "json", "reports/report.json",
		"file to write the JSON report to; none when empty")
	fs.BoolVar(&o.verbose, "verbose", false, "print each case's log and each failure's detail")
	if err := parseFlags(fs, args, env); err != nil {
		return o, err
	}
	switch {
	case o.parallel < 0:
		return o, fmt.Errorf("--parallel %d: give 0 or more cases", o.parallel)
	case o.timeout <= 0:
		return o, fmt.Errorf("--timeout %v: give a positive duration such as 30s", o.timeout)
	}
	return o, nil
}

func runChaos(ctx context.Context, args []string, env *environment, deps chaosDeps) error {
	o, err := parseChaosFlags(args, env)
	if err != nil {
		return err
	}
	selected, err := selectSuites(deps.suites(), o)
	if err != nil {
		return err
	}
	if o.list {
		return listSuites(env.stdout, selected)
	}
	if o.seed == 0 {
		o.seed = harness.NewSeed(time.Now())
	}
	con := reports.NewConsole(env.stdout, o.verbose)
	runner := &harness.Runner{Parallel: o.parallel, Seed: o.seed, Timeout: o.timeout,
		Grace: deps.grace, OnCase: func(c harness.CaseResult) { _ = con.Case(c) }}
	fmt.Fprintf(env.stdout, "island chaos: %d cases, seed %d\n", countCases(selected), o.seed)
	res, runErr := runner.Run(ctx, selected)
	if res == nil {
		return runErr
	}
	paths, writeErr := writeReports(res, o)
	if err := con.Summary(res, paths...); err != nil {
		return err
	}
	if err := errors.Join(runErr, writeErr); err != nil {
		return err
	}
	if n := res.Counts(); n.Failed > 0 {
		return fmt.Errorf("%w: %d of %d cases (%s)", errFailed, n.Failed, n.Cases,
			strings.Join(failedIDs(res), ", "))
	}
	return nil
}

// selectSuites applies --suite and --run.
func selectSuites(all []harness.Suite, o chaosOptions) ([]harness.Suite, error) {
	if len(all) == 0 {
		return nil, errors.New("no suites are registered: add them to suites.All")
	}
	var f harness.Filter
	for id := range strings.SplitSeq(o.suites, ",") {
		if id = strings.TrimSpace(id); id != "" {
			f.Suites = append(f.Suites, id)
		}
	}
	if o.run != "" {
		re, err := regexp.Compile(o.run)
		if err != nil {
			return nil, fmt.Errorf("--run %q is not a regular expression: %w", o.run, err)
		}
		f.Run = re
	}
	selected, err := harness.Select(all, f)
	if err != nil {
		return nil, fmt.Errorf("%w (island chaos --list shows them)", err)
	}
	return selected, nil
}

func listSuites(w io.Writer, selected []harness.Suite) error {
	var b strings.Builder
	for _, s := range selected {
		fmt.Fprintf(&b, "%s  %s\n  risk: %s\n", s.ID, s.Title, s.Risk)
		for _, c := range s.Cases {
			fmt.Fprintf(&b, "  %-7s %s\n          acceptance: %s\n", c.ID, c.Title, c.Acceptance)
		}
	}
	fmt.Fprintf(&b, "%d cases in %d suites\n", countCases(selected), len(selected))
	_, err := io.WriteString(w, b.String())
	return err
}

// writeReports writes the reports that o asks for and returns their paths.
func writeReports(res *harness.RunResult, o chaosOptions) ([]string, error) {
	var paths []string
	var errs []error
	for _, r := range []struct {
		path  string
		write func(io.Writer, *harness.RunResult) error
	}{{o.junit, reports.WriteJUnit}, {o.json, reports.WriteJSON}} {
		if r.path == "" {
			continue
		}
		if err := reports.WriteFile(r.path, res, r.write); err != nil {
			errs = append(errs, err)
			continue
		}
		paths = append(paths, r.path)
	}
	return paths, errors.Join(errs...)
}

func countCases(selected []harness.Suite) int {
	n := 0
	for _, s := range selected {
		n += len(s.Cases)
	}
	return n
}

func failedIDs(res *harness.RunResult) []string {
	var ids []string
	for _, s := range res.Suites {
		for _, c := range s.Cases {
			if c.Status == harness.StatusFailed {
				ids = append(ids, c.ID)
			}
		}
	}
	return ids
}
