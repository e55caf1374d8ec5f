package harness_test

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/harness"
)

// noLeak fails t unless the goroutines it started are gone by its end.
func noLeak(t *testing.T) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
			runtime.Gosched()
			time.Sleep(time.Millisecond) // polling, with a deadline
		}
		assert.LessOrEqual(t, runtime.NumGoroutine(), base, "goroutines left behind")
	})
}

// stepClock is a clock that moves by step at every reading.
type stepClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

func suite(id string, cases ...harness.Case) harness.Suite {
	return harness.Suite{ID: id, Title: id + " title", Risk: id + " risk", Cases: cases}
}

func run(t *testing.T, r *harness.Runner, suites ...harness.Suite) *harness.RunResult {
	t.Helper()
	res, err := r.Run(context.Background(), suites)
	require.NoError(t, err)
	return res
}

func only(t *testing.T, res *harness.RunResult) harness.CaseResult {
	t.Helper()
	require.Len(t, res.Suites, 1)
	require.Len(t, res.Suites[0].Cases, 1)
	return res.Suites[0].Cases[0]
}

func TestPassingCaseRecordsItsReport(t *testing.T) {
	noLeak(t)
	clock := &stepClock{now: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC),
		step: 10 * time.Millisecond}
	c := harness.Case{ID: "X-01a", Title: "passes", Acceptance: "it passes",
		Run: func(t *harness.T) {
			t.Logf("posted %d", 5)
			t.Logger().Info("stored", "count", 5)
			t.Figure("ingest", 0.5, "s")
			t.Figure("ingest", 0.25, "s")
			t.Figure("fusion", 1, "s")
			t.Property("edges", "3")
			t.AddFaults(map[string]int64{"reset": 2, "never": 0})
			t.FaultSource(func() map[string]int64 { return map[string]int64{"reset": 1} })
			_, ok := t.Deadline()
			assert.True(t, ok)
			assert.Equal(t, "X-01a", t.Name())
		}}
	res := run(t, &harness.Runner{Now: clock.Now, Seed: 42, Hostname: "box"}, suite("X-01", c))

	cr := only(t, res)
	assert.Equal(t, harness.StatusPassed, cr.Status)
	assert.Nil(t, cr.Failure)
	assert.Equal(t, "X-01a: passes", cr.Name())
	assert.Equal(t, "it passes", cr.Acceptance)
	require.Len(t, cr.Log, 2)
	assert.Equal(t, "posted 5", cr.Log[0].Text)
	assert.Equal(t, `level=INFO msg=stored count=5`, cr.Log[1].Text)
	assert.Greater(t, cr.Log[0].Offset, time.Duration(0))
	assert.Greater(t, cr.Log[1].Offset, cr.Log[0].Offset)
	assert.Equal(t, []harness.Figure{{Name: "ingest", Value: 0.25, Unit: "s"},
		{Name: "fusion", Value: 1, Unit: "s"}}, cr.Figures)
	assert.Equal(t, map[string]string{"edges": "3"}, cr.Properties)
	assert.Equal(t, map[string]int64{"reset": 3}, cr.Faults)

	assert.Equal(t, int64(42), res.Seed)
	assert.Equal(t, "box", res.Hostname)
	assert.Equal(t, runtime.Version(), res.GoVersion)
	assert.Equal(t, runtime.GOOS+"/"+runtime.GOARCH, res.Host)
	assert.Equal(t, clock.now.Sub(res.Start), res.Duration)
	assert.Equal(t, harness.Counts{Cases: 1, Passed: 1}, res.Counts())
}

func TestFailuresAreResultsOfTheirCase(t *testing.T) {
	noLeak(t)
	after := make(chan string, 4)
	cases := []harness.Case{
		{ID: "F-1", Title: "assert", Run: func(t *harness.T) {
			assert.Equal(t, 15, 14, "stored")
			assert.True(t, false)
			after <- "assert"
		}},
		{ID: "F-2", Title: "require", Run: func(t *harness.T) {
			require.FailNow(t, "no hub", "port %d", 0)
			after <- "require"
		}},
		{ID: "F-3", Title: "panic", Run: func(t *harness.T) {
			panic(errors.New("store: 1 observation lost"))
		}},
		{ID: "F-4", Title: "fail alone", Run: func(t *harness.T) { t.FailNow() }},
		{ID: "F-5", Title: "non-finite figure", Run: func(t *harness.T) {
			t.Figure("rate", 1/zero(), "1/s")
		}},
	}
	res := run(t, &harness.Runner{Parallel: 2}, suite("F", cases...))
	close(after)
	var ran []string
	for s := range after {
		ran = append(ran, s)
	}
	assert.Equal(t, []string{"assert"}, ran, "only assert goes on after a failure")

	got := res.Suites[0].Cases
	want := []struct{ kind, message string }{
		{harness.FailAssertion, "Not equal: expected: 15 actual : 14; stored (and 1 more)"},
		{harness.FailAssertion, "no hub; port 0"},
		{harness.FailPanic, "panic: store: 1 observation lost"},
		{harness.FailAssertion, "failed without a message: Fail or FailNow was called alone"},
		{harness.FailAssertion, `figure "rate" is +Inf: record a finite value`},
	}
	for i, w := range want {
		require.NotNil(t, got[i].Failure, got[i].ID)
		assert.Equal(t, harness.StatusFailed, got[i].Status)
		assert.Equal(t, w.kind, got[i].Failure.Kind, got[i].ID)
		assert.Equal(t, w.message, got[i].Failure.Message, got[i].ID)
	}
	assert.Contains(t, got[0].Failure.Detail, "Should be true")
	assert.Contains(t, got[2].Failure.Detail, "harness_test.TestFailuresAreResultsOfTheirCase")
	assert.Equal(t, harness.Counts{Cases: 5, Failed: 5}, res.Counts())
}

func zero() float64 { return 0 }

func TestCleanupsRunLastFirstWhateverHappens(t *testing.T) {
	noLeak(t)
	var mu sync.Mutex
	order := map[string][]string{}
	note := func(id, s string) {
		mu.Lock()
		defer mu.Unlock()
		order[id] = append(order[id], s)
	}
	body := func(end func(t *harness.T)) func(t *harness.T) {
		return func(t *harness.T) {
			for _, name := range []string{"first", "second", "third"} {
				t.Cleanup(func() {
					note(t.Name(), name)
					assert.Error(t, t.Context().Err(), "context done before cleanups")
				})
			}
			t.Cleanup(func() { panic("in a cleanup") })
			t.Cleanup(func() { t.Cleanup(func() { note(t.Name(), "nested") }) })
			t.Cleanup(func() { t.FailNow() })
			end(t)
		}
	}
	cases := []harness.Case{
		{ID: "C-1", Run: body(func(t *harness.T) {})},
		{ID: "C-2", Run: body(func(t *harness.T) { t.FailNow() })},
		{ID: "C-3", Run: body(func(t *harness.T) { panic("in the case") })},
	}
	res := run(t, &harness.Runner{}, suite("C", cases...))
	want := []string{"nested", "third", "second", "first"}
	for _, c := range res.Suites[0].Cases {
		assert.Equal(t, want, order[c.ID], c.ID)
		require.NotNil(t, c.Failure, c.ID)
		assert.Contains(t, c.Failure.Detail, "panic: in a cleanup", c.ID)
	}
	assert.Equal(t, "panic: in the case (and 1 more)", res.Suites[0].Cases[2].Failure.Message)
}

func TestGoIsWaitedFor(t *testing.T) {
	noLeak(t)
	var mu sync.Mutex
	var events []string
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, s)
	}
	cases := []harness.Case{
		{ID: "G-1", Title: "waits", Run: func(t *harness.T) {
			t.Cleanup(func() { note("cleanup") })
			t.Go(func() {
				<-t.Context().Done()
				t.Go(func() { note("nested goroutine") })
				note("goroutine")
			})
		}},
		{ID: "G-2", Title: "FailNow in a goroutine", Run: func(t *harness.T) {
			t.Go(func() { require.Fail(t, "from a goroutine") })
			<-t.Context().Done() // FailNow cancels the context
		}},
		{ID: "G-3", Title: "panic in a goroutine", Run: func(t *harness.T) {
			t.Go(func() { panic("from a goroutine") })
		}},
		{ID: "G-4", Title: "Go after the end", Run: func(t *harness.T) {
			t.Cleanup(func() { t.Go(func() { note("never") }) })
		}},
	}
	res := run(t, &harness.Runner{Parallel: 1}, suite("G", cases...))
	got := res.Suites[0].Cases

	assert.Equal(t, harness.StatusPassed, got[0].Status)
	assert.ElementsMatch(t, []string{"goroutine", "nested goroutine"}, events[:2])
	assert.Equal(t, []string{"cleanup"}, events[2:])
	assert.Equal(t, "from a goroutine", got[1].Failure.Message)
	assert.Equal(t, "panic: from a goroutine", got[2].Failure.Message)
	assert.Contains(t, got[3].Failure.Message, "Go was called after the case ended")
}

func TestOverrunningCases(t *testing.T) {
	noLeak(t)
	release := make(chan struct{})
	cases := []harness.Case{
		{ID: "O-1", Title: "returns late", Timeout: 20 * time.Millisecond,
			Run: func(t *harness.T) {
				<-t.Context().Done()
				t.Errorf("hub: %v", t.Context().Err())
			}},
		{ID: "O-2", Title: "never returns", Timeout: 20 * time.Millisecond,
			Run: func(t *harness.T) {
				t.Log("waiting")
				<-release
				t.Log("too late to matter")
			}},
		{ID: "O-3", Title: "passes beside them", Run: func(t *harness.T) {}},
	}
	r := &harness.Runner{Grace: 50 * time.Millisecond}
	res, err := r.Run(context.Background(), []harness.Suite{suite("O", cases...)})
	close(release)

	require.ErrorIs(t, err, harness.ErrAbandoned)
	assert.ErrorContains(t, err, "O-2")
	got := res.Suites[0].Cases
	assert.Equal(t, harness.FailTimeout, got[0].Failure.Kind)
	assert.Equal(t, "ran past its timeout of 20ms: hub: context deadline exceeded",
		got[0].Failure.Message)
	assert.Equal(t, harness.FailAbandoned, got[1].Failure.Kind)
	assert.Contains(t, got[1].Failure.Message, "did not return within its timeout of 20ms")
	assert.Contains(t, got[1].Failure.Detail, "goroutines when the case was abandoned")
	assert.Len(t, got[1].Log, 1, "a line logged after abandonment is dropped")
	assert.Equal(t, harness.StatusPassed, got[2].Status)
	assert.Equal(t, harness.Counts{Cases: 3, Passed: 1, Failed: 2, Abandoned: 1}, res.Counts())
}

func TestParallelResultsKeepTableOrder(t *testing.T) {
	noLeak(t)
	const n = 4
	var gates [n + 1]chan struct{}
	for i := range gates {
		gates[i] = make(chan struct{})
	}
	close(gates[n])
	var cases []harness.Case
	for i := range n {
		cases = append(cases, harness.Case{ID: string(rune('a' + i)),
			Run: func(t *harness.T) {
				<-gates[i+1] // the last case ends first, then the one before it
			}})
	}
	var finished []string
	r := &harness.Runner{Parallel: n, OnCase: func(c harness.CaseResult) {
		finished = append(finished, c.ID)
		close(gates[c.ID[0]-'a'])
	}}
	res := run(t, r, suite("P", cases[:2]...), suite("Q", cases[2:]...))

	assert.Equal(t, []string{"d", "c", "b", "a"}, finished)
	var ids []string
	for _, s := range res.Suites {
		for _, c := range s.Cases {
			ids = append(ids, c.SuiteID+"/"+c.ID)
			assert.Equal(t, harness.StatusPassed, c.Status)
		}
	}
	assert.Equal(t, []string{"P/a", "P/b", "Q/c", "Q/d"}, ids)
}

func TestSeedsDependOnRunSeedAndCaseOnly(t *testing.T) {
	noLeak(t)
	draws := func(parallel int, seed int64) map[string][2]uint64 {
		var mu sync.Mutex
		got := map[string][2]uint64{}
		var cases []harness.Case
		for _, id := range []string{"s1", "s2", "s3"} {
			cases = append(cases, harness.Case{ID: id, Run: func(t *harness.T) {
				mu.Lock()
				defer mu.Unlock()
				got[id] = [2]uint64{t.Seed(), t.Rand().Uint64()}
			}})
		}
		run(t, &harness.Runner{Parallel: parallel, Seed: seed}, suite("S", cases...))
		return got
	}
	one := draws(1, 7)
	assert.Equal(t, one, draws(3, 7))
	assert.NotEqual(t, one["s1"], one["s2"])
	assert.NotEqual(t, one, draws(1, 8))
}

func TestStoppedRunSkipsTheRest(t *testing.T) {
	noLeak(t)
	ctx, cancel := context.WithCancel(context.Background())
	cases := []harness.Case{
		{ID: "a", Run: func(t *harness.T) { cancel(); <-t.Context().Done() }},
		{ID: "b", Run: func(t *harness.T) {}},
	}
	res, err := (&harness.Runner{Parallel: 1}).Run(ctx, []harness.Suite{suite("K", cases...)})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, harness.StatusSkipped, res.Suites[0].Cases[1].Status)
	assert.Equal(t, harness.Counts{Cases: 2, Passed: 1, Skipped: 1}, res.Counts())
}

func TestValidate(t *testing.T) {
	pass := func(*harness.T) {}
	err := harness.Validate([]harness.Suite{
		suite("A", harness.Case{ID: "A-1", Run: pass}, harness.Case{ID: "A-1", Run: pass}),
		suite("", harness.Case{ID: "B-1"}, harness.Case{Run: pass, Timeout: -1}),
	})
	require.Error(t, err)
	for _, want := range []string{`id "A-1" is used twice`, `suite 1 (" title") has no id`,
		`case "B-1" has no Run function`, `case 1 of suite "" has no id`,
		`case "" has a negative timeout`} {
		assert.ErrorContains(t, err, want)
	}
	_, err = (&harness.Runner{}).Run(context.Background(),
		[]harness.Suite{suite("A", harness.Case{ID: "A-1"})})
	assert.ErrorContains(t, err, "the suites are invalid")
	ok := suite("A", harness.Case{ID: "A-1", Run: pass})
	assert.NoError(t, harness.Validate([]harness.Suite{ok}))
}

func TestSelect(t *testing.T) {
	pass := func(*harness.T) {}
	all := []harness.Suite{
		suite("R-01", harness.Case{ID: "R-01a", Title: "three edges", Run: pass},
			harness.Case{ID: "R-01b", Title: "stress", Run: pass}),
		suite("R-02", harness.Case{ID: "R-02a", Title: "large", Run: pass}),
	}
	ids := func(suites []harness.Suite) []string {
		var out []string
		for _, s := range suites {
			for _, c := range s.Cases {
				out = append(out, c.ID)
			}
		}
		return out
	}
	cases := []struct {
		name   string
		filter harness.Filter
		want   []string
	}{
		{"everything", harness.Filter{}, []string{"R-01a", "R-01b", "R-02a"}},
		{"a suite", harness.Filter{Suites: []string{"R-02"}}, []string{"R-02a"}},
		{"by id", harness.Filter{Run: regexp.MustCompile(`a$`)}, []string{"R-01a", "R-02a"}},
		{"by title", harness.Filter{Run: regexp.MustCompile(`stress`)}, []string{"R-01b"}},
		{"by name", harness.Filter{Run: regexp.MustCompile(`^R-01a: three`)}, []string{"R-01a"}},
		{"both", harness.Filter{Suites: []string{"R-01"}, Run: regexp.MustCompile(`a`)},
			[]string{"R-01a"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := harness.Select(all, c.filter)
			require.NoError(t, err)
			assert.Equal(t, c.want, ids(got))
		})
	}
	_, err := harness.Select(all, harness.Filter{Suites: []string{"R-09"}})
	assert.EqualError(t, err, `no suite has id "R-09"; the suites are R-01, R-02`)
	_, err = harness.Select(all, harness.Filter{Run: regexp.MustCompile(`nothing`)})
	assert.ErrorContains(t, err, "no case matches")
	assert.Len(t, all[0].Cases, 2, "Select leaves its input alone")
}

func TestNewSeed(t *testing.T) {
	for _, ns := range []int64{0, 999_999_998, 1<<62 + 12345} {
		s := harness.NewSeed(time.Unix(0, ns))
		assert.Positive(t, s)
		assert.Less(t, s, int64(1)<<53)
	}
	assert.NotEqual(t, harness.NewSeed(time.Unix(0, 1)), harness.NewSeed(time.Unix(0, 2)))
}

func TestRunnerRefusesNegativeSettings(t *testing.T) {
	noLeak(t)
	for _, r := range []harness.Runner{{Parallel: -1}, {Timeout: -time.Second},
		{Grace: -time.Second}} {
		ran := false
		cases := []harness.Case{{ID: "a", Run: func(*harness.T) { ran = true }}}
		// The deadline only bounds the test: a runner that does not refuse the
		// settings waits for it, or abandons the case at once.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		res, err := r.Run(ctx, []harness.Suite{suite("K", cases...)})
		cancel()
		require.Error(t, err, "%+v", r)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		assert.NotErrorIs(t, err, harness.ErrAbandoned)
		assert.ErrorContains(t, err, "give 0")
		assert.Nil(t, res)
		assert.False(t, ran, "a case ran under %+v", r)
	}
}
