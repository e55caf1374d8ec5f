package edge_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/edge/edgetest"
)

func resets(n int) []edgetest.Outcome {
	out := make([]edgetest.Outcome, n)
	for i := range out {
		out[i] = edgetest.Fail(edgetest.Reset())
	}
	return out
}

func TestBackoffIsFullJitterWithinCeilings(t *testing.T) {
	clock := newFakeClock()
	tr := edgetest.New(resets(5)...)
	c := scripted(tr, clock)
	var waits []time.Duration
	c.Policy.AfterAttempt = func(a edge.Attempt) { waits = append(waits, a.Wait) }
	res, err := c.PostObservations(context.Background(), fixture(t))
	require.ErrorIs(t, err, edge.ErrExhausted)

	sleeps := clock.Sleeps()
	require.Len(t, sleeps, 4, "no wait after the last attempt")
	assert.Equal(t, waits[:4], sleeps, "the hook sees the wait the client then takes")
	assert.Zero(t, waits[4])
	for i, d := range sleeps {
		ceiling := edge.Ceiling(edge.DefaultBaseDelay, edge.DefaultMaxDelay, i+1)
		assert.GreaterOrEqual(t, d, time.Duration(0))
		assert.LessOrEqual(t, d, ceiling, "wait %d", i+1)
	}
	var total time.Duration
	for _, d := range sleeps {
		total += d
	}
	assert.Equal(t, total, res.Elapsed, "elapsed comes from the injected clock")
}

func TestCeilingDoublesUpToTheCap(t *testing.T) {
	base, limit := 100*time.Millisecond, 5*time.Second
	want := []time.Duration{100, 200, 400, 800, 1600, 3200, 5000, 5000}
	for i, w := range want {
		assert.Equal(t, w*time.Millisecond, edge.Ceiling(base, limit, i+1), "attempt %d", i+1)
	}
	assert.Equal(t, limit, edge.Ceiling(base, limit, 1000), "no overflow")
}

func TestJitterIsSeededAndSpread(t *testing.T) {
	a, b := edge.NewJitter(7), edge.NewJitter(7)
	limit := time.Second
	var seen []time.Duration
	for range 200 {
		x := a(limit)
		require.Equal(t, x, b(limit), "one seed, one sequence")
		require.GreaterOrEqual(t, x, time.Duration(0))
		require.LessOrEqual(t, x, limit)
		seen = append(seen, x)
	}
	var low, high int
	for _, d := range seen {
		if d < limit/4 {
			low++
		}
		if d > 3*limit/4 {
			high++
		}
	}
	assert.Positive(t, low, "full jitter reaches the bottom quarter")
	assert.Positive(t, high, "and the top quarter")
	assert.Zero(t, a(0))
}

func TestRetryAfterIsHonouredAndCapped(t *testing.T) {
	clock := newFakeClock()
	date := clock.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
	busy := edgetest.HubError(503, island.EUnavailable, "busy")
	tests := []struct {
		name string
		hdr  string
		max  time.Duration
		want time.Duration
	}{
		{"Seconds", "1", 0, time.Second},
		{"HTTPDate", date, 0, 3 * time.Second},
		{"Capped", "120", 2 * time.Second, 2 * time.Second},
		{"DefaultCap", "3600", 0, edge.DefaultMaxRetryAfter},
		// Seconds whose nanoseconds overflow an int64 still mean "long".
		{"HugeCapped", "10000000000", 0, edge.DefaultMaxRetryAfter},
		{"WrappingCapped", "18446744074", 0, edge.DefaultMaxRetryAfter},
		{"BeyondInt64Capped", "99999999999999999999", 0, edge.DefaultMaxRetryAfter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			tr := edgetest.New(busy.WithHeader("Retry-After", tc.hdr), ok)
			c := scripted(tr, clock)
			c.Policy.MaxRetryAfter = tc.max
			res, err := c.PostObservations(context.Background(), fixture(t))
			require.NoError(t, err)
			assert.Equal(t, 2, res.Attempts)
			assert.Equal(t, []time.Duration{tc.want}, clock.Sleeps())
			var se *edge.StatusError
			require.ErrorAs(t, res.Failures[0].Err, &se)
			assert.Positive(t, se.RetryAfter)
		})
	}
}

func TestReplaceableRetryDecision(t *testing.T) {
	t.Run("RetryOn500", func(t *testing.T) {
		internal := edgetest.HubError(500, island.EInternal, "bug")
		tr := edgetest.New(internal, internal, internal)
		c := scripted(tr, newFakeClock())
		c.Policy.MaxAttempts = 3
		c.Policy.Retry = func(edge.Attempt) bool { return true }
		res, err := c.PostObservations(context.Background(), fixture(t))
		require.ErrorIs(t, err, edge.ErrExhausted)
		var se *edge.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 3, res.Attempts)
		require.NoError(t, tr.Err())
	})
	t.Run("NeverRetryAReset", func(t *testing.T) {
		tr := edgetest.New(edgetest.Fail(edgetest.Reset()))
		c := scripted(tr, newFakeClock())
		c.Policy.Retry = func(a edge.Attempt) bool { return a.Class != edge.ClassRead }
		res, err := c.PostObservations(context.Background(), fixture(t))
		require.Error(t, err)
		assert.NotErrorIs(t, err, edge.ErrExhausted)
		assert.Equal(t, edge.ClassRead, edge.Classify(err))
		assert.Contains(t, err.Error(), "not retried")
		assert.Equal(t, 1, res.Attempts)
		require.NoError(t, tr.Err())
	})
	t.Run("Backoff", func(t *testing.T) {
		clock := newFakeClock()
		tr := edgetest.New(append(resets(3), ok)...)
		c := scripted(tr, clock)
		c.Policy.Backoff = func(_ edge.Policy, a edge.Attempt) time.Duration {
			return time.Duration(a.N) * time.Hour
		}
		_, err := c.PostObservations(context.Background(), fixture(t))
		require.NoError(t, err)
		assert.Equal(t, []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour}, clock.Sleeps())
	})
	t.Run("CanceledIsNeverRetried", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		tr := edgetest.New(edgetest.Fail(context.Canceled))
		c := scripted(tr, newFakeClock())
		c.Policy.Retry = func(edge.Attempt) bool { return true }
		cancel()
		res, err := c.PostObservations(ctx, fixture(t))
		require.ErrorIs(t, err, context.Canceled)
		assert.Zero(t, res.Attempts, "no request is sent on a context already done")
		assert.Equal(t, 1, tr.Remaining())
	})
}

func TestAfterAttemptRunsBeforeTheWait(t *testing.T) {
	clock := newFakeClock()
	tr := edgetest.New(edgetest.Fail(edgetest.Refused()), edgetest.Fail(edgetest.Refused()), ok)
	c := scripted(tr, clock)
	var events []string
	c.Policy.Sleep = func(ctx context.Context, d time.Duration) error {
		events = append(events, "sleep")
		return clock.Sleep(ctx, d)
	}
	var seen []edge.Attempt
	c.Policy.AfterAttempt = func(a edge.Attempt) {
		events = append(events, "attempt "+string(a.Class))
		seen = append(seen, a)
	}
	_, err := c.PostObservations(context.Background(), fixture(t))
	require.NoError(t, err)
	want := []string{"attempt connect", "sleep", "attempt connect", "sleep", "attempt "}
	assert.Equal(t, want, events)
	require.Len(t, seen, 3)
	for i, a := range seen {
		assert.Equal(t, i+1, a.N)
	}
	assert.Equal(t, 200, seen[2].Status)
}

func TestCallerCancelStopsTheBatch(t *testing.T) {
	t.Run("DuringTheWait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tr := edgetest.New(edgetest.Fail(edgetest.Reset()))
		c := scripted(tr, newFakeClock())
		c.Policy.Sleep = func(ctx context.Context, _ time.Duration) error {
			cancel()
			return ctx.Err()
		}
		res, err := c.PostObservations(ctx, fixture(t))
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, edge.ClassCanceled, edge.Classify(err))
		assert.Equal(t, edge.StatusFailed, res.Status)
		assert.Equal(t, 1, res.Attempts)
		require.NoError(t, tr.Err(), "no request after the cancel")
	})
	t.Run("DuringTheAttempt", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tr := edgetest.New(edgetest.Hang())
		c := scripted(tr, newFakeClock())
		c.Policy.AttemptTimeout = time.Hour
		obs := fixture(t)
		done := make(chan struct{})
		var res edge.Result
		var err error
		go func() {
			defer close(done)
			res, err = c.PostObservations(ctx, obs)
		}()
		require.Eventually(t, func() bool { return len(tr.Requests()) == 1 },
			5*time.Second, time.Millisecond)
		cancel()
		<-done
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, []edge.Class{edge.ClassCanceled}, classes(res.Failures))
		assert.Equal(t, 1, res.Attempts)
		assert.False(t, res.Failures[0].Retry)
	})
	t.Run("CallerDeadlineIsNotAnAttemptTimeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		tr := edgetest.New(edgetest.Hang())
		c := scripted(tr, newFakeClock())
		c.Policy.AttemptTimeout = time.Hour
		res, err := c.PostObservations(ctx, fixture(t))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, edge.ClassCanceled, edge.Classify(err))
		assert.Equal(t, []edge.Class{edge.ClassCanceled}, classes(res.Failures))
		require.NoError(t, tr.Err())
	})
}

func TestAttemptTimeoutSaysItsLimit(t *testing.T) {
	tr := edgetest.New(edgetest.Hang())
	c := scripted(tr, newFakeClock())
	c.Policy.MaxAttempts = 1
	c.Policy.AttemptTimeout = 5 * time.Millisecond
	res, err := c.PostObservations(context.Background(), fixture(t))
	require.ErrorIs(t, err, edge.ErrExhausted)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, edge.ClassTimeout, edge.Classify(err))
	assert.Contains(t, err.Error(), "limit of 5ms")
	assert.Equal(t, 1, res.Attempts)
}

func TestDefaultPolicy(t *testing.T) {
	p := edge.DefaultPolicy()
	assert.Equal(t, 5, p.MaxAttempts)
	assert.Equal(t, 100*time.Millisecond, p.BaseDelay)
	assert.Equal(t, 5*time.Second, p.MaxDelay)
	assert.Equal(t, 10*time.Second, p.AttemptTimeout)
	for _, c := range []edge.Class{edge.ClassConnect, edge.ClassTimeout, edge.ClassProtocol,
		edge.ClassRead, edge.ClassUnavailable} {
		assert.True(t, p.Retry(edge.Attempt{Class: c}), c)
	}
	assert.False(t, p.Retry(edge.Attempt{Class: edge.ClassStatus}))
	assert.False(t, p.Retry(edge.Attempt{Class: edge.ClassCanceled}))
}

func TestSleep(t *testing.T) {
	require.NoError(t, edge.Sleep(context.Background(), time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, edge.Sleep(ctx, time.Hour), context.Canceled)
	require.ErrorIs(t, edge.Sleep(ctx, 0), context.Canceled)
}

func TestSleepFailureEndsTheBatch(t *testing.T) {
	tr := edgetest.New(edgetest.Fail(edgetest.Reset()))
	c := scripted(tr, newFakeClock())
	c.Policy.Sleep = func(context.Context, time.Duration) error { return errors.New("no timer") }
	res, err := c.PostObservations(context.Background(), fixture(t))
	require.ErrorContains(t, err, "could not wait for attempt 2: no timer")
	assert.Equal(t, 1, res.Attempts)
	assert.Equal(t, edge.StatusFailed, res.Status)
}
