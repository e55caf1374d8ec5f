package edge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/edge/edgetest"
)

func TestClassify(t *testing.T) {
	post := func(err error) error {
		return &url.Error{Op: "Post", URL: "http://127.0.0.1:9/ingest", Err: err}
	}
	var syntax *json.SyntaxError
	syntaxErr := json.Unmarshal([]byte("{nope"), new(any))
	errors.As(syntaxErr, &syntax)
	tests := []struct {
		name string
		err  error
		want edge.Class
	}{
		{"Nil", nil, ""},
		{"Refused", post(edgetest.Refused()), edge.ClassConnect},
		{"Unreachable", post(edgetest.Unreachable()), edge.ClassConnect},
		{"DNS", post(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "hub"}}),
			edge.ClassConnect},
		{"DialTimeout", post(edgetest.DialTimeout()), edge.ClassTimeout},
		{"DeadlineExceeded", post(context.DeadlineExceeded), edge.ClassTimeout},
		{"OSDeadline", os.ErrDeadlineExceeded, edge.ClassTimeout},
		{"Reset", post(edgetest.Reset()), edge.ClassRead},
		{"ResetWhileDialling", &net.OpError{Op: "dial", Err: edgetest.Reset()}, edge.ClassRead},
		{"BrokenPipe", post(edgetest.BrokenPipe()), edge.ClassRead},
		{"ServerClosedIdle", post(errors.New("http: server closed idle connection")), edge.ClassRead},
		{"UnexpectedEOF", post(io.ErrUnexpectedEOF), edge.ClassProtocol},
		{"EOF", post(io.EOF), edge.ClassProtocol},
		{"Malformed", post(edgetest.Malformed()), edge.ClassProtocol},
		{"JSONSyntax", fmt.Errorf("decoding: %w", syntax), edge.ClassProtocol},
		{"Canceled", post(context.Canceled), edge.ClassCanceled},
		{"500", &edge.StatusError{Status: 500}, edge.ClassStatus},
		{"422", fmt.Errorf("wrapped: %w", &edge.StatusError{Status: 422}), edge.ClassStatus},
		{"409Reused", &edge.StatusError{Status: 409, Code: island.EKeyReused}, edge.ClassStatus},
		{"409InFlight", &edge.StatusError{Status: 409, Code: island.EKeyInFlight}, edge.ClassUnavailable},
		{"502", &edge.StatusError{Status: 502}, edge.ClassUnavailable},
		{"503", &edge.StatusError{Status: 503}, edge.ClassUnavailable},
		{"504", &edge.StatusError{Status: 504}, edge.ClassUnavailable},
		{"429", &edge.StatusError{Status: 429}, edge.ClassUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, edge.Classify(tc.err))
		})
	}
}

func TestStatusErrorMessage(t *testing.T) {
	err := &edge.StatusError{Status: 422, Code: island.EValidation, Message: "the batch is invalid",
		Details: []string{"observations[2].lat: 91 is outside [-90, 90]", "and 1 more"}}
	assert.Equal(t, "the hub answered 422 Unprocessable Entity "+
		"(validation_failed: the batch is invalid): "+
		"observations[2].lat: 91 is outside [-90, 90]; and 1 more", err.Error())
	assert.Equal(t, "the hub answered 502 Bad Gateway", (&edge.StatusError{Status: 502}).Error())
}
