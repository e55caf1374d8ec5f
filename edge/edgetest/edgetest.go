// Package edgetest scripts the network for tests of code that posts to the
// hub: a Transport that answers each request with the next outcome of a
// list, an error or a response, and records what was sent, so that a test can
// say "fail, fail, then succeed" and check that no further request went out.
package edgetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// ErrScriptExhausted is returned, through the http.Client's *url.Error, for
// each request that arrives after the last outcome was played.
var ErrScriptExhausted = errors.New("edgetest: the script has no outcome left for this request")

// Request is a recorded request.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// Transport is an http.RoundTripper that plays its outcomes in order, one
// per request. It is safe for concurrent use.
type Transport struct {
	mu       sync.Mutex
	script   []Outcome
	played   int
	requests []Request
	overrun  int
}

// New returns a Transport that plays outcomes in order.
func New(outcomes ...Outcome) *Transport {
	return &Transport{script: outcomes}
}

// Client returns an http.Client that sends every request through t.
func (t *Transport) Client() *http.Client { return &http.Client{Transport: t} }

// RoundTrip records req and plays the next outcome. A request after the
// last outcome gets an error wrapping ErrScriptExhausted, and Err reports it.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec, err := record(req)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.requests = append(t.requests, rec)
	if t.played == len(t.script) {
		t.overrun++
		n := len(t.requests)
		t.mu.Unlock()
		return nil, fmt.Errorf("%w: request %d (%s %s) came after the %d scripted outcomes",
			ErrScriptExhausted, n, req.Method, req.URL.Path, len(t.script))
	}
	o := t.script[t.played]
	t.played++
	t.mu.Unlock()
	return o.play(req)
}

// Requests returns a copy of the requests received so far, in order.
func (t *Transport) Requests() []Request {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Request(nil), t.requests...)
}

// Remaining returns how many outcomes have not been played.
func (t *Transport) Remaining() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.script) - t.played
}

// Err returns nil when every outcome was played and no request came after
// the last, and otherwise an error saying which of the two went wrong.
func (t *Transport) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.overrun > 0:
		return fmt.Errorf("%w: %d requests came after the %d scripted outcomes",
			ErrScriptExhausted, t.overrun, len(t.script))
	case t.played < len(t.script):
		return fmt.Errorf("edgetest: %d of the %d scripted outcomes were never played",
			len(t.script)-t.played, len(t.script))
	}
	return nil
}

// record reads and closes the body of req, as a RoundTripper must.
func record(req *http.Request) (Request, error) {
	rec := Request{Method: req.Method, URL: req.URL.String(), Header: req.Header.Clone()}
	if req.Body == nil {
		return rec, nil
	}
	defer req.Body.Close()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return rec, fmt.Errorf("edgetest: reading the request body: %w", err)
	}
	rec.Body = body
	return rec, nil
}

// Outcome is one scripted answer: an error, a hang until the request's
// context ends, or a response whose body may end in an error.
type Outcome struct {
	// Err, when set, is what RoundTrip returns.
	Err error
	// Hang makes RoundTrip wait for the request's context to be done and
	// return its cause, as a server that never answers would.
	Hang   bool
	Status int
	Header http.Header
	Body   string
	// BodyErr, when set, is what reading the body returns after Body, as
	// a connection reset or cut mid-transfer would.
	BodyErr error
}

func (o Outcome) play(req *http.Request) (*http.Response, error) {
	switch {
	case o.Err != nil:
		return nil, o.Err
	case o.Hang:
		<-req.Context().Done()
		return nil, context.Cause(req.Context())
	}
	var body io.Reader = strings.NewReader(o.Body)
	length := int64(len(o.Body))
	if o.BodyErr != nil {
		body = io.MultiReader(body, errReader{o.BodyErr})
		length = -1
	}
	header := o.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", o.Status, http.StatusText(o.Status)),
		StatusCode:    o.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(body),
		ContentLength: length,
		Request:       req,
	}, nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// Fail returns an outcome in which RoundTrip returns err.
func Fail(err error) Outcome { return Outcome{Err: err} }

// Hang returns an outcome in which the request gets no answer until its
// context ends.
func Hang() Outcome { return Outcome{Hang: true} }

// Respond returns an outcome that answers with status and a JSON body.
func Respond(status int, body string) Outcome {
	return Outcome{Status: status, Body: body,
		Header: http.Header{"Content-Type": {"application/json"}}}
}

// Stored returns the hub's 200 answer to a batch of node.
func Stored(node string, accepted, duplicates, total int) Outcome {
	return Respond(http.StatusOK, fmt.Sprintf(
		`{"node_id":%q,"accepted":%d,"duplicates":%d,"total":%d}`, node, accepted, duplicates, total))
}

// HubError returns an answer with status and the hub's error envelope.
func HubError(status int, code, message string) Outcome {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"error":{"code":%q,"message":%q,"details":[]}}`, code, message)
	return Respond(status, b.String())
}

// WithHeader returns o with the header key set to value.
func (o Outcome) WithHeader(key, value string) Outcome {
	o.Header = o.Header.Clone()
	if o.Header == nil {
		o.Header = http.Header{}
	}
	o.Header.Set(key, value)
	return o
}

// CutWith returns o with its body ending in err after what it holds.
func (o Outcome) CutWith(err error) Outcome {
	o.BodyErr = err
	return o
}
