// Package suites holds Island's robustness suites, R-01 onwards: one file
// per suite, each a table of cases for the harness. island chaos and
// go test run the same definitions.
package suites

import "github.com/island-sensors/island/harness"

// All returns every suite in id order. A suite's file defines it; this list
// is where it joins the runs.
func All() []harness.Suite {
	return []harness.Suite{
		R01(),
		R02(),
		R03(),
		R04(),
		R05(),
		R06(),
		R07(),
		R08(),
	}
}
