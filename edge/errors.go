package edge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/island-sensors/island"
)

// ErrExhausted is matched, through errors.Is, by the error of a batch whose
// attempts ran out while each failure was still worth a retry. The same error
// wraps the last attempt's cause.
var ErrExhausted = errors.New("edge: retries exhausted")

// StatusError is the error of an attempt that the hub answered with an error
// status. Code, Message and Details come from the hub's error envelope; they
// are empty when the answer carried none.
type StatusError struct {
	Status  int
	Code    string
	Message string
	Details []string
	// RetryAfter is the hub's Retry-After, zero when it sent none.
	RetryAfter time.Duration
}

// Error says what the hub answered.
func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the hub answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" || e.Message != "" {
		fmt.Fprintf(&b, " (%s: %s)", e.Code, e.Message)
	}
	if len(e.Details) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(e.Details, "; "))
	}
	return b.String()
}

// Class returns ClassUnavailable for the statuses that a later retry may
// find served (502, 503, 504, 429, and 409 for a key still in flight) and
// ClassStatus for every other.
func (e *StatusError) Class() Class {
	switch e.Status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
		http.StatusTooManyRequests:
		return ClassUnavailable
	case http.StatusConflict:
		if e.Code == island.EKeyInFlight {
			return ClassUnavailable
		}
	}
	return ClassStatus
}

// exhaustedError is the error of a batch whose attempts ran out.
type exhaustedError struct {
	node     string
	url      string
	attempts int
	last     Attempt
}

func (e *exhaustedError) Error() string {
	return fmt.Sprintf("edge: gave up on the batch of node %q after %s; the last (%s) failed: %v; "+
		"check that the hub at %s is up and reachable, or allow more attempts",
		e.node, attempts(e.attempts), e.last.Class, e.last.Err, e.url)
}

func (e *exhaustedError) Unwrap() []error { return []error{ErrExhausted, e.last.Err} }

// attemptTimeoutError is the cause given to an attempt's context, so that
// the error of an attempt that ran out of time says how long it had.
type attemptTimeoutError struct{ limit time.Duration }

func (e *attemptTimeoutError) Error() string {
	return fmt.Sprintf("the attempt took longer than its limit of %v", e.limit)
}

// Timeout reports true: the error is a timeout.
func (e *attemptTimeoutError) Timeout() bool { return true }

// Is makes the error match context.DeadlineExceeded.
func (e *attemptTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// attempts returns "1 attempt" or "n attempts".
func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}
