package toxics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/Shopify/toxiproxy/v2/stream"
	"github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/island-sensors/island"
)

// HTTPStatusAttrs are the attributes of http_status: which requests it
// answers (the plan, counting HTTP responses on the connection's stream in
// order) and the answer.
type HTTPStatusAttrs struct {
	Plan
	Status     int    `json:"status"`      // 400 to 599
	Code       string `json:"code"`        // the envelope's code; derived from Status if empty
	Message    string `json:"message"`     // the envelope's message; a default if empty
	RetryAfter int64  `json:"retry_after"` // seconds for a Retry-After header; 0 sends none
}

func (a HTTPStatusAttrs) plan() Plan { return a.Plan }

func (a HTTPStatusAttrs) check() error {
	if a.Status < 400 || a.Status > 599 {
		return fmt.Errorf("status %d is not an error status (400 to 599)", a.Status)
	}
	if a.RetryAfter < 0 {
		return fmt.Errorf("retry_after %d is negative", a.RetryAfter)
	}
	return a.Plan.check()
}

// HTTPStatus answers chosen HTTP requests with an error status and a JSON
// body in the hub's envelope, {"error":{"code":…,"message":…}}, plus
// Retry-After when asked. It works on the downstream stream only: the
// request has reached the upstream and been handled there, and the
// upstream's response is read whole and replaced, so the client never learns
// what the upstream did. Responses it does not choose pass byte for byte.
// Requests counts the answers it replaced. It reads HTTP/1.x responses to
// requests other than HEAD; on anything it cannot parse it passes the rest
// of the connection untouched.
type HTTPStatus struct {
	g guard[HTTPStatusAttrs]
	tally
}

type httpState struct{ raw bool }

// NewState implements toxics.StatefulToxic.
func (t *HTTPStatus) NewState() any { return new(httpState) }

// MarshalJSON implements json.Marshaler.
func (t *HTTPStatus) MarshalJSON() ([]byte, error) { return t.g.marshal() }

// UnmarshalJSON implements json.Unmarshaler; it refuses invalid attributes.
func (t *HTTPStatus) UnmarshalJSON(data []byte) error { return t.g.unmarshal(data) }

// Validate implements Validator.
func (t *HTTPStatus) Validate() error { return t.g.get().check() }

// SeedValue implements Seeded.
func (t *HTTPStatus) SeedValue() int64 { return t.g.get().Seed }

// SetSeed implements Seeded.
func (t *HTTPStatus) SetSeed(seed int64) {
	a := t.g.get()
	a.Seed = seed
	t.g.set(a)
}

// Pipe implements toxics.Toxic.
func (t *HTTPStatus) Pipe(stub *toxics.ToxicStub) {
	st := stub.State.(*httpState)
	if st.raw {
		new(toxics.NoopToxic).Pipe(stub)
		return
	}
	in := stream.NewChanReader(stub.Input)
	in.SetInterrupt(stub.Interrupt)
	out := stream.NewChanWriter(stub.Output)
	var raw bytes.Buffer // bytes read from the stream and not yet sent on
	br := bufio.NewReader(io.TeeReader(in, &raw))
	for {
		err := readResponse(br)
		if err != nil {
			t.stop(stub, st, out, &raw, err)
			return
		}
		n := raw.Len() - br.Buffered()
		if t.g.next() {
			t.reqs.Add(1)
			t.bytes.Add(int64(n))
			_, _ = out.Write(t.answer())
		} else {
			_, _ = out.Write(raw.Bytes()[:n])
		}
		raw.Next(n)
	}
}

// stop sends on what was read but not yet sent, then ends the pipe as err
// says: the stream ended, the toxic was interrupted, or it met bytes it
// cannot parse and passes the rest of the connection untouched.
func (t *HTTPStatus) stop(stub *toxics.ToxicStub, st *httpState, out io.Writer,
	raw *bytes.Buffer, err error) {
	partial := raw.Len() > 0
	if partial {
		_, _ = out.Write(raw.Bytes())
	}
	switch {
	case errors.Is(err, stream.ErrInterrupted):
		st.raw = partial
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		stub.Close()
	default:
		st.raw = true
		new(toxics.NoopToxic).Pipe(stub)
	}
}

// readResponse reads one whole HTTP response from br.
func readResponse(br *bufio.Reader) error {
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err
}

// answer returns the bytes of the injected response.
func (t *HTTPStatus) answer() []byte {
	a := t.g.get()
	code, msg := a.Code, a.Message
	if code == "" {
		code = codeOf(a.Status)
	}
	if msg == "" {
		msg = fmt.Sprintf("the chaos proxy answered %d %s", a.Status, http.StatusText(a.Status))
	}
	body, _ := json.Marshal(map[string]map[string]string{
		"error": {"code": code, "message": msg},
	})
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", a.Status, http.StatusText(a.Status))
	fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	if a.RetryAfter > 0 {
		fmt.Fprintf(&b, "Retry-After: %d\r\n", a.RetryAfter)
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// codeOf returns the hub's error code for an injected status.
func codeOf(status int) string {
	switch status {
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return island.EUnavailable
	case http.StatusTooManyRequests:
		return island.ETooManyRequests
	case http.StatusInternalServerError:
		return island.EInternal
	default:
		return island.EStatusUnspecified
	}
}
