package edge_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/edge/edgetest"
)

// fakeClock is a clock that only moves when the client sleeps, so that
// backoff tests take no time and their waits can be read back.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// scripted returns a client of node alpha whose requests the transport
// answers and whose waits the clock records.
func scripted(tr *edgetest.Transport, clock *fakeClock) *edge.Client {
	return &edge.Client{
		BaseURL:    "http://hub.test",
		NodeID:     "alpha",
		HTTPClient: tr.Client(),
		Policy: edge.Policy{
			Sleep:          clock.Sleep,
			Now:            clock.Now,
			Jitter:         edge.NewJitter(1),
			AttemptTimeout: 50 * time.Millisecond,
		},
	}
}

func fixture(t *testing.T) []island.Observation {
	t.Helper()
	b, err := island.Fixture("alpha")
	require.NoError(t, err)
	return b.Observations
}

// requireOneKey checks that every request carried the same, non-empty
// Idempotency-Key, the one the result names.
func requireOneKey(t *testing.T, tr *edgetest.Transport, res edge.Result) {
	t.Helper()
	require.NotEmpty(t, res.Key)
	for i, r := range tr.Requests() {
		require.Equal(t, res.Key, r.Header.Get("Idempotency-Key"), "request %d", i+1)
	}
}

func classes(as []edge.Attempt) []edge.Class {
	var out []edge.Class
	for _, a := range as {
		out = append(out, a.Class)
	}
	return out
}

var ok = edgetest.Stored("alpha", 5, 0, 5)

func TestPostRetriesTransientFailures(t *testing.T) {
	unavailable := edgetest.HubError(http.StatusServiceUnavailable, island.EUnavailable, "busy")
	tests := []struct {
		name    string
		script  []edgetest.Outcome
		classes []edge.Class
	}{
		{"TwoFailuresThenSuccess", []edgetest.Outcome{unavailable, edgetest.Fail(edgetest.Reset()), ok},
			[]edge.Class{edge.ClassUnavailable, edge.ClassRead}},
		{"ConnectThenSuccess", []edgetest.Outcome{edgetest.Fail(edgetest.Refused()), ok},
			[]edge.Class{edge.ClassConnect}},
		{"UnreachableThenSuccess", []edgetest.Outcome{edgetest.Fail(edgetest.Unreachable()), ok},
			[]edge.Class{edge.ClassConnect}},
		{"DialTimeoutThenSuccess", []edgetest.Outcome{edgetest.Fail(edgetest.DialTimeout()), ok},
			[]edge.Class{edge.ClassTimeout}},
		{"AttemptTimeoutThenSuccess", []edgetest.Outcome{edgetest.Hang(), ok},
			[]edge.Class{edge.ClassTimeout}},
		{"MalformedThenSuccess", []edgetest.Outcome{edgetest.Fail(edgetest.Malformed()), ok},
			[]edge.Class{edge.ClassProtocol}},
		{"UnexpectedEOFThenSuccess", []edgetest.Outcome{edgetest.Fail(edgetest.UnexpectedEOF()), ok},
			[]edge.Class{edge.ClassProtocol}},
		{"TruncatedAnswerThenSuccess", []edgetest.Outcome{edgetest.Respond(200, `{"node_id":"al`), ok},
			[]edge.Class{edge.ClassProtocol}},
		{"FailFailSuccess", []edgetest.Outcome{edgetest.Fail(edgetest.Refused()),
			edgetest.HubError(http.StatusBadGateway, "", ""), ok},
			[]edge.Class{edge.ClassConnect, edge.ClassUnavailable}},
		{"ResetMidTransferThenSuccess", []edgetest.Outcome{
			edgetest.Respond(200, `{"node_id":"alpha","acc`).CutWith(edgetest.Reset()),
			edgetest.Fail(edgetest.BrokenPipe()), ok},
			[]edge.Class{edge.ClassRead, edge.ClassRead}},
		{"ConnectTimeoutSuccess",
			[]edgetest.Outcome{edgetest.Fail(edgetest.Refused()), edgetest.Hang(), ok},
			[]edge.Class{edge.ClassConnect, edge.ClassTimeout}},
		{"KeyInFlightThenSuccess", []edgetest.Outcome{
			edgetest.HubError(http.StatusConflict, island.EKeyInFlight, "still running"), ok},
			[]edge.Class{edge.ClassUnavailable}},
		{"TooManyRequestsThenSuccess", []edgetest.Outcome{
			edgetest.HubError(http.StatusTooManyRequests, island.ETooManyRequests, "slow down"),
			edgetest.HubError(http.StatusGatewayTimeout, "", ""), ok},
			[]edge.Class{edge.ClassUnavailable, edge.ClassUnavailable}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := edgetest.New(tc.script...)
			res, err := scripted(tr, newFakeClock()).PostObservations(context.Background(), fixture(t))
			require.NoError(t, err)
			assert.Equal(t, edge.StatusSuccess, res.Status)
			assert.Equal(t, len(tc.script), res.Attempts)
			assert.Equal(t, tc.classes, classes(res.Failures))
			assert.Equal(t, 5, res.Accepted)
			require.NoError(t, tr.Err())
			requireOneKey(t, tr, res)
		})
	}
}

func TestPostReturnsStatusErrorAtOnce(t *testing.T) {
	for _, status := range []int{500, 400, 404, 413, 415, 422} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			tr := edgetest.New(edgetest.HubError(status, island.EInternal, "it broke"))
			res, err := scripted(tr, newFakeClock()).PostObservations(context.Background(), fixture(t))
			var se *edge.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, status, se.Status)
			assert.Equal(t, island.EInternal, se.Code)
			assert.Equal(t, "it broke", se.Message)
			assert.NotErrorIs(t, err, edge.ErrExhausted)
			assert.Equal(t, edge.StatusFailed, res.Status)
			assert.Equal(t, 1, res.Attempts)
			assert.Len(t, tr.Requests(), 1, "no second request may be sent")
			require.NoError(t, tr.Err())
			assert.Equal(t, []edge.Class{edge.ClassStatus}, classes(res.Failures))
		})
	}
}

func TestPostStatusErrorCarriesDetails(t *testing.T) {
	body := `{"error":{"code":"validation_failed","message":"the batch is invalid",` +
		`"details":["observations[0].lat: 91 is outside [-90, 90]"]}}`
	tr := edgetest.New(edgetest.Respond(422, body))
	_, err := scripted(tr, newFakeClock()).PostObservations(context.Background(), fixture(t))
	var se *edge.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []string{"observations[0].lat: 91 is outside [-90, 90]"}, se.Details)
	assert.Contains(t, err.Error(), "422")
	assert.Contains(t, err.Error(), "91 is outside")
}

func TestPostGivesUpAfterMaxAttempts(t *testing.T) {
	tests := []struct {
		name   string
		script []edgetest.Outcome
	}{
		{"ResetEveryTime", []edgetest.Outcome{
			edgetest.Respond(200, `{"node`).CutWith(edgetest.Reset()),
			edgetest.Fail(edgetest.Reset()), edgetest.Fail(edgetest.Reset()),
			edgetest.Fail(edgetest.BrokenPipe()), edgetest.Fail(edgetest.Reset())}},
		{"MixedErrors", []edgetest.Outcome{
			edgetest.Fail(edgetest.Refused()), edgetest.Hang(), edgetest.Fail(edgetest.Malformed()),
			edgetest.Fail(edgetest.Reset()), edgetest.HubError(503, island.EUnavailable, "busy")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := edgetest.New(tc.script...)
			res, err := scripted(tr, newFakeClock()).PostObservations(context.Background(), fixture(t))
			require.ErrorIs(t, err, edge.ErrExhausted)
			assert.Equal(t, edge.StatusFailed, res.Status)
			assert.Equal(t, edge.DefaultMaxAttempts, res.Attempts)
			assert.Len(t, res.Failures, edge.DefaultMaxAttempts)
			assert.Contains(t, err.Error(), "after 5 attempts")
			last := res.Failures[len(res.Failures)-1]
			assert.ErrorIs(t, err, last.Err, "the error wraps the last cause")
			assert.Equal(t, edge.Classify(last.Err), edge.Classify(err))
			require.NoError(t, tr.Err())
			requireOneKey(t, tr, res)
		})
	}
}

func TestPostMixedFailuresKeepTheirClasses(t *testing.T) {
	tr := edgetest.New(edgetest.Fail(edgetest.Refused()), edgetest.Hang(),
		edgetest.Fail(edgetest.Malformed()), edgetest.Fail(edgetest.Reset()),
		edgetest.HubError(503, island.EUnavailable, "busy"))
	res, err := scripted(tr, newFakeClock()).PostObservations(context.Background(), fixture(t))
	require.ErrorIs(t, err, edge.ErrExhausted)
	var se *edge.StatusError
	require.ErrorAs(t, err, &se, "the last cause was the 503")
	assert.Equal(t, []edge.Class{edge.ClassConnect, edge.ClassTimeout, edge.ClassProtocol,
		edge.ClassRead, edge.ClassUnavailable}, classes(res.Failures))
	for i, a := range res.Failures {
		assert.Equal(t, i+1, a.N)
		assert.Equal(t, a.Class, edge.Classify(a.Err), "attempt %d", a.N)
		assert.Equal(t, i < 4, a.Retry, "attempt %d", a.N)
	}
}

func TestPostSendsTheBatch(t *testing.T) {
	tr := edgetest.New(ok)
	obs := fixture(t)
	_, err := scripted(tr, newFakeClock()).PostObservations(context.Background(), obs)
	require.NoError(t, err)
	reqs := tr.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.Equal(t, "http://hub.test/ingest", reqs[0].URL)
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
	var sent island.Batch
	require.NoError(t, json.Unmarshal(reqs[0].Body, &sent))
	assert.Equal(t, island.Batch{NodeID: "alpha", Observations: obs}, sent)
}

func TestPostBatchKeepsItsKeyAcrossCalls(t *testing.T) {
	tr := edgetest.New(edgetest.Fail(edgetest.Reset()), ok)
	c := scripted(tr, newFakeClock())
	b := island.Batch{Observations: fixture(t)}
	first, err := c.PostBatchWithKey(context.Background(), b, "k-1")
	require.NoError(t, err)
	assert.Equal(t, "k-1", first.Key)
	for _, r := range tr.Requests() {
		assert.Equal(t, "k-1", r.Header.Get("Idempotency-Key"))
	}

	tr2 := edgetest.New(ok, ok)
	c.HTTPClient = tr2.Client()
	r1, err := c.PostBatch(context.Background(), b)
	require.NoError(t, err)
	r2, err := c.PostBatch(context.Background(), b)
	require.NoError(t, err)
	assert.NotEqual(t, r1.Key, r2.Key, "each batch gets a key of its own")

	tr3 := edgetest.New(ok)
	c.HTTPClient = tr3.Client()
	r3, err := c.PostBatchWithKey(context.Background(), b, "")
	require.NoError(t, err)
	assert.NotEmpty(t, r3.Key, "an empty key is replaced")
	assert.Equal(t, r3.Key, tr3.Requests()[0].Header.Get("Idempotency-Key"))
}

func TestScriptOverrunIsReported(t *testing.T) {
	tr := edgetest.New(edgetest.Fail(edgetest.Reset()))
	res, err := scripted(tr, newFakeClock()).PostObservations(context.Background(), fixture(t))
	require.Error(t, err)
	assert.ErrorIs(t, err, edgetest.ErrScriptExhausted)
	assert.Equal(t, edge.DefaultMaxAttempts, res.Attempts)
	assert.ErrorIs(t, tr.Err(), edgetest.ErrScriptExhausted)
}

func TestSuccessResultCounts(t *testing.T) {
	tr := edgetest.New(edgetest.Stored("alpha", 3, 2, 17))
	res, err := scripted(tr, newFakeClock()).PostObservations(context.Background(), fixture(t))
	require.NoError(t, err)
	assert.Equal(t, edge.Result{Status: edge.StatusSuccess, Attempts: 1, Accepted: 3, Duplicates: 2,
		Total: 17, Key: res.Key}, res)
}
