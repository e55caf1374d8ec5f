package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/island-sensors/island"
)

// httpStatus is the one table from error codes to HTTP statuses.
func httpStatus(code string) int {
	switch code {
	case island.EInvalidJSON, island.EInvalidParameter:
		return http.StatusBadRequest
	case island.EBodyTooLarge:
		return http.StatusRequestEntityTooLarge
	case island.EUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case island.EValidation, island.ENodeMismatch, island.EInvalidLens, island.EKeyReused:
		return http.StatusUnprocessableEntity
	case island.EKeyInFlight:
		return http.StatusConflict
	case island.ERunNotFound, island.ENotFound:
		return http.StatusNotFound
	case island.EMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case island.ETooManyRequests:
		return http.StatusTooManyRequests
	case island.EUnavailable:
		return http.StatusServiceUnavailable
	default: // ELensNotLoaded, EInternal and any code the table does not know
		return http.StatusInternalServerError
	}
}

// envelope is the JSON body of every error answer.
type envelope struct {
	Error envelopeError `json:"error"`
}

type envelopeError struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details []string `json:"details"`
}

// answer is a complete JSON response: what an idempotent replay sends again.
type answer struct {
	status int
	code   string // the error code, "" for success
	body   []byte
}

// okAnswer encodes v as a 200 answer.
func okAnswer(v any) answer {
	body, err := json.Marshal(v)
	if err != nil {
		return errAnswer(fmt.Errorf("encode the answer: %w", err))
	}
	return answer{status: http.StatusOK, body: append(body, '\n')}
}

// errAnswer turns err into its status and envelope. An error that is not an
// *island.Error is internal: its text stays in the log, not in the answer.
func errAnswer(err error) answer {
	e := asIslandError(err)
	details := e.Details
	if details == nil {
		details = []string{}
	}
	body, _ := json.Marshal(envelope{Error: envelopeError{Code: e.Code, Message: e.Message,
		Details: details}})
	return answer{status: httpStatus(e.Code), code: e.Code, body: append(body, '\n')}
}

// asIslandError maps Echo's own errors (no route, wrong method) and any
// other error to an *island.Error.
func asIslandError(err error) *island.Error {
	var ie *island.Error
	if errors.As(err, &ie) {
		return ie
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return island.Errorf(island.ENotFound,
				"no such route; the routes are listed in the README under \"Hub HTTP API\"")
		case http.StatusMethodNotAllowed:
			return island.Errorf(island.EMethodNotAllowed,
				"the route does not take this method; the Allow header lists those it takes")
		case http.StatusRequestEntityTooLarge:
			return island.Errorf(island.EBodyTooLarge, "the body is over the hub's limit")
		}
	}
	return island.Errorf(island.EInternal,
		"the hub failed unexpectedly; the cause is in its log; retrying may help")
}

func (a answer) write(c echo.Context) error {
	if a.code != "" {
		c.Set(logCodeKey, a.code)
	}
	return c.Blob(a.status, echo.MIMEApplicationJSON, a.body)
}

// handleError is Echo's error handler: every error becomes the envelope.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	a := errAnswer(err)
	if a.code == island.EInternal {
		s.log.Error("request failed", "method", c.Request().Method,
			"path", c.Request().URL.Path, "err", err)
	}
	if werr := a.write(c); werr != nil {
		s.log.Debug("could not write the error answer", "err", werr)
	}
}
