package edge

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Defaults of DefaultPolicy.
const (
	DefaultMaxAttempts    = 5
	DefaultBaseDelay      = 100 * time.Millisecond
	DefaultMaxDelay       = 5 * time.Second
	DefaultAttemptTimeout = 10 * time.Second
	DefaultMaxRetryAfter  = 30 * time.Second
)

// Policy says how often and how patiently a Client retries a batch. A zero
// field takes the value of DefaultPolicy, so a Policy may name only what it
// changes. A Policy is a value: a Client never changes the one it is given.
type Policy struct {
	// MaxAttempts bounds the attempts of one batch, the first included.
	MaxAttempts int
	// BaseDelay is the ceiling of the first backoff; each later ceiling is
	// twice the one before, up to MaxDelay.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// AttemptTimeout bounds one attempt, from dialling to the last byte of
	// the answer.
	AttemptTimeout time.Duration
	// MaxRetryAfter caps how long a hub's Retry-After may make the client
	// wait.
	MaxRetryAfter time.Duration

	// Retry decides whether a failed attempt is worth another. It is not
	// asked about ClassCanceled, which is never retried, and a true answer
	// after the last allowed attempt ends the batch with ErrExhausted.
	Retry func(a Attempt) bool
	// Backoff returns how long to wait after the failed attempt a.
	Backoff func(p Policy, a Attempt) time.Duration
	// Jitter returns a duration drawn uniformly from [0, limit]; the
	// default backoff draws its wait with it. It must be safe for
	// concurrent use; NewJitter makes a seeded one.
	Jitter func(limit time.Duration) time.Duration
	// Sleep waits for d or until ctx is done, then returns ctx's error if
	// it is done.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of attempt durations and elapsed times.
	Now func() time.Time
	// AfterAttempt, when set, is called after every attempt, successful or
	// not, on the goroutine of the post and before any backoff wait.
	AfterAttempt func(a Attempt)
}

// DefaultPolicy returns the shipped policy: 5 attempts, full-jitter
// exponential backoff from 100 ms capped at 5 s, 10 s per attempt, and a
// hub's Retry-After honoured up to 30 s.
func DefaultPolicy() Policy {
	return Policy{
		MaxAttempts:    DefaultMaxAttempts,
		BaseDelay:      DefaultBaseDelay,
		MaxDelay:       DefaultMaxDelay,
		AttemptTimeout: DefaultAttemptTimeout,
		MaxRetryAfter:  DefaultMaxRetryAfter,
		Retry:          DefaultRetry,
		Backoff:        DefaultBackoff,
		Jitter:         randomJitter,
		Sleep:          Sleep,
		Now:            time.Now,
	}
}

// withDefaults returns p with every zero field set from DefaultPolicy.
func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	fill := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	fill(&p.BaseDelay, d.BaseDelay)
	fill(&p.MaxDelay, d.MaxDelay)
	fill(&p.AttemptTimeout, d.AttemptTimeout)
	fill(&p.MaxRetryAfter, d.MaxRetryAfter)
	if p.Retry == nil {
		p.Retry = d.Retry
	}
	if p.Backoff == nil {
		p.Backoff = d.Backoff
	}
	if p.Jitter == nil {
		p.Jitter = d.Jitter
	}
	if p.Sleep == nil {
		p.Sleep = d.Sleep
	}
	if p.Now == nil {
		p.Now = d.Now
	}
	return p
}

// DefaultRetry retries every class but ClassStatus and ClassCanceled.
func DefaultRetry(a Attempt) bool {
	switch a.Class {
	case ClassStatus, ClassCanceled, "":
		return false
	}
	return true
}

// DefaultBackoff waits for the hub's Retry-After, capped at p.MaxRetryAfter,
// when the attempt carried one; otherwise for a full-jitter exponential
// backoff: a duration drawn by p.Jitter from [0, min(p.MaxDelay,
// p.BaseDelay * 2^(a.N-1))].
func DefaultBackoff(p Policy, a Attempt) time.Duration {
	if a.RetryAfter > 0 {
		return min(a.RetryAfter, p.MaxRetryAfter)
	}
	return p.Jitter(Ceiling(p.BaseDelay, p.MaxDelay, a.N))
}

// Ceiling returns min(maxDelay, base * 2^(n-1)), the longest backoff after
// attempt n, without overflowing.
func Ceiling(base, maxDelay time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxDelay; i++ {
		d *= 2
	}
	return min(d, maxDelay)
}

// Sleep waits for d, or until ctx is done, in which case it returns the
// context's cause. It is the default Policy.Sleep.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

func randomJitter(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	return rand.N(limit + 1)
}

// NewJitter returns a Policy.Jitter that draws from a generator seeded with
// seed, so that a run's waits can be replayed. It is safe for concurrent use;
// the sequence is reproducible when one goroutine draws.
func NewJitter(seed uint64) func(limit time.Duration) time.Duration {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func(limit time.Duration) time.Duration {
		if limit <= 0 {
			return 0
		}
		mu.Lock()
		defer mu.Unlock()
		return time.Duration(r.Int64N(int64(limit) + 1))
	}
}
