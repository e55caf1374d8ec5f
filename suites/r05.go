package suites

import (
	"errors"
	"strings"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/chaos"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
)

// Limits of R-05: a case's deadline, and the attempt timeout of the cases
// that wait for one, short so that a blackholed attempt ends quickly, yet
// long enough for an attempt that passes to finish on a busy machine.
const (
	r05Timeout        = 15 * time.Second
	r05AttemptTimeout = 500 * time.Millisecond
)

// r05Bytes is how much of a request or an answer passes before a reset or
// a truncation: enough to be in the middle of it.
const r05Bytes = 64

// r05AnswerBytes is how much of the hub's answer to alpha's fixture passes
// before a reset: past its headers (108 bytes, 135 on a replay) and short of
// its end (166 bytes, 193 on a replay), so that the reset strikes while the
// edge reads the body, as a read error. A reset within the headers would
// reach the edge as a malformed answer instead, since net/http's header
// reader drops the error behind a partial line.
const r05AnswerBytes = 150

// r05Scenario is one scenario of R-05: the faults on alpha's proxy, the
// edge's limits, and what the batch must end as.
type r05Scenario struct {
	name   string
	refuse int           // connection attempts refused first
	faults []chaos.Fault // on alpha's proxy, in this order
	// attempts bounds the batch's attempts; 0 keeps the island's 5.
	attempts int
	// waits tells that an attempt times out, so the edge gives each
	// attempt r05AttemptTimeout.
	waits bool
	want  edge.Result // its Status, Attempts and Replayed
	// classes are the classes of the failed attempts, in order.
	classes []edge.Class
}

// R05 is the suite of mid-flight network disruption: faults that strike
// while a POST is under way, through the chaos proxy, after which the hub
// must hold each observation exactly once.
func R05() harness.Suite {
	return harness.Suite{
		ID:    "R-05",
		Title: "Mid-flight network disruption",
		Risk: "the network degrades during a POST, not before it; the edge must cope " +
			"with partial sends, resets and timeouts",
		Cases: []harness.Case{
			r05Case("R-05a", "connect error on attempt 1, success on attempt 2",
				"success, attempts = 2", r05ConnectError()),
			r05Case("R-05b", "timeout on attempt 1, success on attempt 2",
				"success, attempts = 2", r05Timeout1()),
			r05Case("R-05c", "protocol error (malformed or truncated response) on attempt 1, "+
				"success on attempt 2", "success, attempts = 2", r05ProtocolError()),
			r05Case("R-05d", "fail, fail, success", "success, attempts = 3", r05FailFail()),
			r05Case("R-05e", "connection reset mid-transfer (read error)",
				"retried; succeeds when the resets stop, and ends failed with the attempts "+
					"exhausted when they do not", r05Resets()...),
			r05Case("R-05f", "connect error, then timeout, then success",
				"success, attempts = 3", r05ConnectThenTimeout()),
			r05Case("R-05g", "every attempt fails, with mixed errors",
				"failed, with the correct attempt count", r05AllFail()),
		},
	}
}

// r05Case is a case that runs its scenarios one after the other, each on
// an island of its own.
func r05Case(id, title, acceptance string, ds ...r05Scenario) harness.Case {
	return harness.Case{ID: id, Title: title, Acceptance: acceptance, Timeout: r05Timeout,
		Run: func(t *harness.T) {
			for _, d := range ds {
				r05Run(t, d)
			}
		}}
}

// Faults of R-05, on alpha's proxy.
func r05UpstreamReset(name string, p chaos.Plan) chaos.Fault {
	return chaos.Fault{Name: name, Stream: chaos.Upstream,
		Kind: chaos.Schedule{Plan: p, Action: chaos.Reset, Bytes: r05Bytes}}
}

func r05DownstreamReset(name string, p chaos.Plan) chaos.Fault {
	return chaos.Fault{Name: name, Stream: chaos.Downstream,
		Kind: chaos.Schedule{Plan: p, Action: chaos.Reset, Bytes: r05AnswerBytes}}
}

func r05Blackhole(name string, p chaos.Plan) chaos.Fault {
	return chaos.Fault{Name: name, Stream: chaos.Upstream,
		Kind: chaos.Schedule{Plan: p, Action: chaos.Blackhole}}
}

func r05Truncated(name string, p chaos.Plan) chaos.Fault {
	return chaos.Fault{Name: name, Stream: chaos.Downstream,
		Kind: chaos.Schedule{Plan: p, Action: chaos.Truncate, Bytes: r05Bytes}}
}

func r05First(n int64) chaos.Plan { return chaos.Plan{First: n} }

func r05Every() chaos.Plan { return chaos.Plan{Every: 1} }

func r05Succeeded(attempts int) edge.Result {
	return edge.Result{Status: edge.StatusSuccess, Attempts: attempts}
}

func r05ConnectError() r05Scenario {
	return r05Scenario{name: "refused once", refuse: 1,
		want: r05Succeeded(2), classes: []edge.Class{edge.ClassConnect}}
}

func r05Timeout1() r05Scenario {
	return r05Scenario{name: "first connection blackholed",
		faults: []chaos.Fault{r05Blackhole("blackhole_first", r05First(1))}, waits: true,
		want: r05Succeeded(2), classes: []edge.Class{edge.ClassTimeout}}
}

// r05ProtocolError cuts the hub's answer short after the hub has stored the
// batch, so the retry is answered from the hub's record of its key.
func r05ProtocolError() r05Scenario {
	want := r05Succeeded(2)
	want.Replayed = true
	return r05Scenario{name: "first answer truncated",
		faults: []chaos.Fault{r05Truncated("truncate_first", r05First(1))},
		want:   want, classes: []edge.Class{edge.ClassProtocol}}
}

func r05FailFail() r05Scenario {
	return r05Scenario{name: "two requests reset",
		faults: []chaos.Fault{r05UpstreamReset("reset_first_2", r05First(2))},
		want:   r05Succeeded(3), classes: []edge.Class{edge.ClassRead, edge.ClassRead}}
}

// r05Resets resets requests and answers mid-transfer, first twice, then on
// every attempt.
func r05Resets() []r05Scenario {
	read := edge.ClassRead
	replayed := r05Succeeded(3)
	replayed.Replayed = true
	exhausted := edge.Result{Status: edge.StatusFailed, Attempts: 4}
	return []r05Scenario{
		{name: "two requests reset, then none",
			faults: []chaos.Fault{r05UpstreamReset("reset_request", r05First(2))},
			want:   r05Succeeded(3), classes: []edge.Class{read, read}},
		{name: "two answers reset, then none",
			faults: []chaos.Fault{r05DownstreamReset("reset_answer", r05First(2))},
			want:   replayed, classes: []edge.Class{read, read}},
		{name: "every request reset", attempts: 4,
			faults: []chaos.Fault{r05UpstreamReset("reset_request", r05Every())},
			want:   exhausted, classes: []edge.Class{read, read, read, read}},
		{name: "every answer reset", attempts: 4,
			faults: []chaos.Fault{r05DownstreamReset("reset_answer", r05Every())},
			want:   exhausted, classes: []edge.Class{read, read, read, read}},
	}
}

// r05ConnectThenTimeout refuses the first attempt and blackholes the first
// connection, which is the second attempt's.
func r05ConnectThenTimeout() r05Scenario {
	return r05Scenario{name: "refused, then blackholed", refuse: 1,
		faults: []chaos.Fault{r05Blackhole("blackhole_first", r05First(1))}, waits: true,
		want: r05Succeeded(3), classes: []edge.Class{edge.ClassConnect, edge.ClassTimeout}}
}

// r05AllFail fails each of five attempts: refused; blackholed; the request
// reset (the blackhole lets the later connections through, and a connection
// reaches the reset only past it); then two answers truncated, the first
// after the hub stored the batch.
func r05AllFail() r05Scenario {
	return r05Scenario{name: "refused, blackholed, reset, truncated twice", refuse: 1,
		faults: []chaos.Fault{
			r05Blackhole("blackhole_first", r05First(1)),
			r05UpstreamReset("reset_next", r05First(1)),
			r05Truncated("truncate_answers", r05Every()),
		},
		attempts: 5, waits: true, want: edge.Result{Status: edge.StatusFailed, Attempts: 5},
		classes: []edge.Class{edge.ClassConnect, edge.ClassTimeout, edge.ClassRead,
			edge.ClassProtocol, edge.ClassProtocol}}
}

// r05Run posts alpha's fixture through its proxy under d's faults
// and checks the outcome; then, with the network healed, it sends a failed
// batch again under its key, and requires that the hub holds each
// observation exactly once.
func r05Run(t *harness.T, d r05Scenario) {
	pol := edge.Policy{MaxAttempts: d.attempts}
	if d.waits {
		pol.AttemptTimeout = r05AttemptTimeout
	}
	i := t.IslandWith(harness.IslandConfig{Policy: pol})
	p := i.Proxy("alpha")
	for _, f := range d.faults {
		require.NoError(t, p.AddFault(f), "%s: adding the fault %s", d.name, f.Name)
	}
	require.NoError(t, p.RefuseNext(d.refuse), "%s: refusing %d attempts", d.name, d.refuse)

	b := fixture(t, "alpha")
	res, err := i.Edge("alpha").PostBatch(t.Context(), b)
	t.Logf("%s: %s after %d attempts in %v; failed attempts: %s", d.name, res.Status,
		res.Attempts, res.Elapsed, r05Failures(res))
	require.Equal(t, d.want.Attempts, res.Attempts,
		"%s: the edge made %d attempts, want %d; its failed attempts: %s",
		d.name, res.Attempts, d.want.Attempts, r05Failures(res))
	require.Equal(t, d.classes, failureClasses(res), "%s: the classes of the failed attempts",
		d.name)
	require.Equal(t, d.want.Status, res.Status, "%s: the batch's outcome (error: %v)",
		d.name, err)
	if d.want.Status == edge.StatusSuccess {
		require.NoError(t, err, d.name)
		require.Equal(t, d.want.Replayed, res.Replayed,
			"%s: whether the hub answered from its record of the batch's key", d.name)
	} else {
		require.True(t, errors.Is(err, edge.ErrExhausted),
			"%s: the batch must end with its attempts exhausted, not with: %v", d.name, err)
		r05Resend(t, i, d, res)
	}
	requireExactlyOnce(t, i, b)
	t.Figure("elapsed, "+d.name, res.Elapsed.Seconds(), "s")
	t.Figure("attempts, "+d.name, float64(res.Attempts), "attempts")
}

// r05Failures lists the failed attempts of res by class, each saying
// whether the edge retried it.
func r05Failures(res edge.Result) string {
	if len(res.Failures) == 0 {
		return "none"
	}
	parts := make([]string, len(res.Failures))
	for n, a := range res.Failures {
		parts[n] = string(a.Class) + " (not retried)"
		if a.Retry {
			parts[n] = string(a.Class) + " (retried)"
		}
	}
	return strings.Join(parts, ", ")
}

// r05Resend requires that the failed batch is stored at most once, then
// heals alpha's network and sends the failed batch again under the
// key of its attempts, as an edge does with a batch whose fate it does not
// know; the hub must store it, or tell that it had.
func r05Resend(t *harness.T, i *harness.Island, d r05Scenario, failed edge.Result) {
	seen := map[island.ObservationKey]bool{}
	for _, o := range storedObservations(t, i, "") {
		require.False(t, seen[o.Key()], "%s: observation %s of the failed batch is stored twice",
			d.name, o.Key())
		seen[o.Key()] = true
	}
	p := i.Proxy("alpha")
	for _, f := range d.faults {
		t.AddFaults(r05FaultCounts(t, p, f.Name))
		require.NoError(t, p.RemoveFault(f.Name), "%s: removing the fault %s", d.name, f.Name)
	}
	b := fixture(t, "alpha")
	res, err := i.Edge("alpha").PostBatchWithKey(t.Context(), b, failed.Key)
	require.NoError(t, err, "%s: sending the failed batch again on a healed network", d.name)
	require.Equal(t, 1, res.Attempts, "%s: the batch sent again on a healed network", d.name)
	r05ResendUnkeyed(t, i, d, b)
}

// r05ResendUnkeyed sends b once more under a key the hub has never seen, as
// an edge does that lost the key of a batch it had sent: the hub, which
// holds the batch by now, must know every observation by its identity and
// store none again.
func r05ResendUnkeyed(t *harness.T, i *harness.Island, d r05Scenario, b island.Batch) {
	res, err := i.Edge("alpha").PostBatchWithKey(t.Context(), b, edge.NewKey())
	require.NoError(t, err, "%s: sending the batch again under a new key", d.name)
	require.False(t, res.Replayed, "%s: the hub replayed an answer to a key it never saw",
		d.name)
	require.Equal(t, 0, res.Accepted,
		"%s: observations the hub newly stored from a batch it already held", d.name)
	require.Equal(t, len(b.Observations), res.Duplicates,
		"%s: observations the hub counted as duplicates of what it held", d.name)
}

// r05FaultCounts returns how often the fault named fault of p fired, as the
// island counts it, so that it is counted though it is removed.
func r05FaultCounts(t *harness.T, p *chaos.Proxy, fault string) map[string]int64 {
	cs, err := p.Counters()
	require.NoError(t, err, "reading the counters of proxy %s", p.Name())
	out := map[string]int64{}
	for _, c := range cs {
		if c.Fault == fault {
			out[p.Name()+"/"+c.Fault] = c.Connections + c.Requests
		}
	}
	return out
}
