package edge

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
)

// Class names what kind of failure an attempt met. The retry policy decides
// on the class, and a Result lists the class of every failed attempt.
type Class string

// The classes of failure. DefaultRetry retries all but ClassStatus and
// ClassCanceled.
const (
	// ClassConnect: no connection could be made (refused, unreachable).
	ClassConnect Class = "connect"
	// ClassTimeout: the dial, the response header or the whole attempt took
	// too long.
	ClassTimeout Class = "timeout"
	// ClassProtocol: the answer was malformed or cut short, or the
	// connection ended before an answer. It is also the class of any
	// failure of the exchange that no other class names.
	ClassProtocol Class = "protocol"
	// ClassRead: the connection was reset or broken while the request was
	// written or the answer read.
	ClassRead Class = "read"
	// ClassUnavailable: the hub answered 502, 503, 504 or 429, or 409 for a
	// key whose first request is still in flight: it may serve a retry.
	ClassUnavailable Class = "unavailable"
	// ClassStatus: the hub answered 500 or another error status, which a
	// retry would only repeat.
	ClassStatus Class = "status"
	// ClassCanceled: the caller's context was canceled or expired. It is
	// never retried.
	ClassCanceled Class = "canceled"
)

// Classify returns the class of an error returned by an HTTP exchange with
// the hub: by http.Client.Do, by reading or decoding the answer, or by
// PostBatch. It returns "" for nil.
//
// A bare context.DeadlineExceeded is taken for the end of an attempt's own
// time (ClassTimeout); the Client marks the errors that the caller's context
// caused, so that they classify as ClassCanceled.
func Classify(err error) Class {
	var se *StatusError
	switch {
	case err == nil:
		return ""
	case errors.As(err, new(*canceledError)), errors.Is(err, context.Canceled):
		return ClassCanceled
	case errors.As(err, &se):
		return se.Class()
	case isTimeout(err):
		return ClassTimeout
	case isConnect(err):
		return ClassConnect
	case isBroken(err):
		return ClassRead
	default:
		return ClassProtocol
	}
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isConnect(err error) bool {
	for _, errno := range []syscall.Errno{
		syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH,
		syscall.EHOSTDOWN, syscall.ENETDOWN, syscall.EADDRNOTAVAIL,
	} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" && !isBroken(err) {
		return true
	}
	return errors.As(err, new(*net.DNSError))
}

func isBroken(err error) bool {
	for _, errno := range []syscall.Errno{syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED} {
		if errors.Is(err, errno) {
			return true
		}
	}
	// net/http reports a keep-alive connection that the server closed just
	// as it was reused with an unexported error of this text.
	return strings.Contains(err.Error(), "server closed idle connection")
}

// canceledError marks an error that the caller's context caused.
type canceledError struct{ err error }

func (e *canceledError) Error() string { return e.err.Error() }
func (e *canceledError) Unwrap() error { return e.err }
