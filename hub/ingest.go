package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/island-sensors/island"
)

// Ingested is the answer to a stored batch.
type Ingested struct {
	NodeID     string `json:"node_id"`
	Accepted   int    `json:"accepted"`   // observations newly stored
	Duplicates int    `json:"duplicates"` // observations that were stored already
	Total      int    `json:"total"`      // observations in the store after the batch
}

// bufPool holds request body buffers; decoding copies every string out of
// them, so a buffer is free again once its batch is decoded.
type bufPool struct{ p sync.Pool }

func (b *bufPool) get() *bytes.Buffer {
	if buf, ok := b.p.Get().(*bytes.Buffer); ok {
		return buf
	}
	return new(bytes.Buffer)
}

func (b *bufPool) put(buf *bytes.Buffer) {
	if buf.Cap() <= 16<<20 {
		buf.Reset()
		b.p.Put(buf)
	}
}

// ingest stores one batch. With an Idempotency-Key, the answer is kept and
// sent again to a request with the same key and body.
func (s *Server) ingest(c echo.Context) error {
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	if err := s.readJSON(c, buf); err != nil {
		return err
	}
	key := c.Request().Header.Get(HeaderIdempotencyKey)
	if key == "" {
		return s.applyBatch(c, buf.Bytes()).write(c)
	}
	if len(key) > MaxKeyLength {
		return &island.Error{Code: island.EInvalidParameter,
			Message: fmt.Sprintf("the Idempotency-Key is over %d bytes; use a shorter one, "+
				"such as a UUID", MaxKeyLength)}
	}
	entry, ans, replay := s.keys.begin(key, sha256.Sum256(buf.Bytes()))
	if entry == nil {
		if replay {
			c.Response().Header().Set(HeaderIdempotentReplay, "true")
		}
		return ans.write(c)
	}
	finished := false
	defer func() {
		if !finished { // a panic: let a retry try again
			s.keys.forget(entry)
		}
	}()
	ans = s.applyBatch(c, buf.Bytes())
	if ans.status >= http.StatusInternalServerError {
		s.keys.forget(entry)
	} else {
		s.keys.finish(entry, ans)
	}
	finished = true
	return ans.write(c)
}

// applyBatch decodes, validates and stores one batch, and returns the answer.
func (s *Server) applyBatch(c echo.Context, body []byte) answer {
	b, err := DecodeBatch(body)
	if err != nil {
		return errAnswer(err)
	}
	c.Set(logNodeKey, b.NodeID)
	b.Normalize()
	if err := b.Validate(); err != nil {
		return errAnswer(err)
	}
	added, err := s.store.Add(c.Request().Context(), b.Observations)
	if err != nil {
		return errAnswer(fmt.Errorf("store the batch of %s: %w", b.NodeID, err))
	}
	return okAnswer(Ingested{NodeID: b.NodeID, Accepted: added.Accepted,
		Duplicates: added.Duplicates, Total: added.Total})
}

// DecodeBatch decodes a batch from a request body with the decoder the hub
// uses. Malformed JSON gives EInvalidJSON; well-formed JSON of the wrong
// shape gives EValidation naming the field, with the index of its
// observation, such as "observations[3].lat".
func DecodeBatch(body []byte) (island.Batch, error) {
	var b island.Batch
	if len(bytes.TrimSpace(body)) == 0 {
		return b, island.Errorf(island.EInvalidJSON,
			"the body is empty; send a batch: {\"node_id\": ..., \"observations\": [...]}")
	}
	err := json.Unmarshal(body, &b)
	if err == nil {
		return b, nil
	}
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) {
		return b, &island.Error{Code: island.EInvalidJSON,
			Message: "the body is not well-formed JSON; send a batch: " +
				"{\"node_id\": ..., \"observations\": [...]}",
			Details: []string{err.Error()}}
	}
	path := ""
	if i, oerr := failingObservation(body); oerr != nil {
		path, err = fmt.Sprintf("observations[%d]", i), oerr
	}
	return b, shapeError(path, err)
}

// failingObservation decodes the observations of a well-formed body one by
// one and returns the index and error of the first that fails, or a nil
// error when none does. It runs only once a batch has failed to decode, so
// that the error can name the observation.
func failingObservation(body []byte) (int, error) {
	var raw struct {
		Observations []json.RawMessage `json:"observations"`
	}
	if json.Unmarshal(body, &raw) != nil {
		return 0, nil
	}
	for i, r := range raw.Observations {
		var o island.Observation
		if err := json.Unmarshal(r, &o); err != nil {
			return i, err
		}
	}
	return 0, nil
}

// shapeError describes err, a failure to decode a well-formed batch, in the
// observation at path ("" for the batch itself).
func shapeError(path string, err error) error {
	var typ *json.UnmarshalTypeError
	var tpe *time.ParseError
	prefix, detail := "", err.Error()
	if path != "" {
		prefix, detail = path+".", path+": "+detail
	}
	switch {
	case errors.As(err, &typ) && typ.Field != "":
		detail = fmt.Sprintf("%s%s: %s is not a %s", prefix, typ.Field, typ.Value, typ.Type)
	case errors.As(err, &tpe) && path != "":
		detail = fmt.Sprintf("%stimestamp: %.40q is not an RFC 3339 time, "+
			"such as 2026-03-14T10:00:00Z", prefix, tpe.Value)
	default:
		return &island.Error{Code: island.EValidation,
			Message: "the batch does not have the shape of a batch",
			Details: []string{detail}}
	}
	return &island.Error{Code: island.EValidation, Message: "the batch is invalid",
		Details: []string{detail}}
}

// readJSON reads the request body into buf, refusing what is not JSON and
// what is over the body limit.
func (s *Server) readJSON(c echo.Context, buf *bytes.Buffer) error {
	r := c.Request()
	if err := checkJSONType(r.Header.Get(echo.HeaderContentType)); err != nil {
		return err
	}
	limit := s.cfg.MaxBody
	if r.ContentLength > limit {
		return tooLarge(limit)
	}
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(c.Response(), r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return tooLarge(limit)
	case err != nil:
		return &island.Error{Code: island.EInvalidJSON,
			Message: "the body could not be read whole; send it again",
			Details: []string{err.Error()}}
	}
	return nil
}

func tooLarge(limit int64) error {
	return island.Errorf(island.EBodyTooLarge,
		"the body is over the hub's limit of %d bytes; send smaller batches", limit)
}

// checkJSONType accepts application/json, any application/*+json, and no
// Content-Type at all.
func checkJSONType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == echo.MIMEApplicationJSON ||
		strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return &island.Error{Code: island.EUnsupportedMedia,
		Message: "the body must be JSON; send it with Content-Type: application/json",
		Details: []string{"Content-Type: " + ct}}
}

// contextOf returns the context of the request.
func contextOf(c echo.Context) context.Context { return c.Request().Context() }
