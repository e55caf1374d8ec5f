// Package island holds the domain of the Island sensor network: observations
// that edge nodes post, the batches that carry them, the lens that tells the
// hub how to fuse them, and the coded error that every layer returns.
package island

import (
	"errors"
	"fmt"
)

// Error codes. Each is stable and machine-readable; the hub maps each to one
// HTTP status in a single table.
const (
	EInvalidJSON       = "invalid_json"           // the body is not well-formed JSON
	EUnsupportedMedia  = "unsupported_media_type" // the body is not JSON
	EBodyTooLarge      = "body_too_large"         // the body is over the limit
	EValidation        = "validation_failed"      // well-formed, but a field is wrong
	ENodeMismatch      = "node_mismatch"          // an observation names another node
	EInvalidLens       = "invalid_lens"           // the lens fails validation
	ELensNotLoaded     = "lens_not_loaded"        // fusion needs a lens
	ERunNotFound       = "run_not_found"          // no run has that id
	ENotFound          = "not_found"              // no such route
	EMethodNotAllowed  = "method_not_allowed"     // the route exists, not the method
	EKeyInFlight       = "idempotency_in_flight"  // the key's first request is running
	EKeyReused         = "idempotency_key_reused" // the key was used with another body
	EInvalidParameter  = "invalid_parameter"      // a query parameter is wrong
	EInternal          = "internal"               // a bug or an unexpected failure
	EUnavailable       = "unavailable"            // the hub cannot serve now; retry
	ETooManyRequests   = "too_many_requests"      // slow down; retry later
	EStatusUnspecified = "status"                 // an error status with no known code
)

// Error is the one error type of Island. Code is one of the E* constants,
// Message says what was wrong for a person, and Details lists each failing
// field or item, one line each.
type Error struct {
	Code    string
	Message string
	Details []string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Details) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", e.Code, e.Message, e.Details[0])
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, EInternal for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EInternal
	}
}
