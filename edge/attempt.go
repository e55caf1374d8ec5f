package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync/atomic"
	"time"
)

// Limits on how much of the hub's answer is read.
const (
	maxAnswer      = 1 << 20
	maxErrorAnswer = 64 << 10
)

// headerReplayed is set by the hub on an answer it sends again for a key.
const headerReplayed = "Idempotent-Replayed"

// answer is the hub's answer to a stored batch.
type answer struct {
	NodeID     string `json:"node_id"`
	Accepted   int    `json:"accepted"`
	Duplicates int    `json:"duplicates"`
	Total      int    `json:"total"`
	replayed   bool
}

// envelope is the hub's error answer.
type envelope struct {
	Error struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Details []string `json:"details"`
	} `json:"error"`
}

// attempt sends the batch once and reads the answer, within the policy's
// time for one attempt.
func (c *Client) attempt(ctx context.Context, p Policy, n int, key string,
	body []byte) (answer, Attempt) {
	a := Attempt{N: n}
	actx, cancel := context.WithTimeoutCause(ctx, p.AttemptTimeout,
		&attemptTimeoutError{limit: p.AttemptTimeout})
	defer cancel()
	// The transport calls the trace from its own goroutines, hence atomics.
	var reused atomic.Bool
	var writes atomic.Int32
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GotConn:      func(i httptrace.GotConnInfo) { reused.Store(i.Reused) },
		WroteRequest: func(httptrace.WroteRequestInfo) { writes.Add(1) },
	})
	start := p.Now()
	ans, err := c.exchange(actx, p, &a, key, body)
	a.Duration = p.Now().Sub(start)
	a.Reused, a.Writes = reused.Load(), int(writes.Load())
	switch {
	case err == nil:
	case ctx.Err() != nil:
		err = &canceledError{err: err}
	case actx.Err() != nil && !errors.As(err, new(*attemptTimeoutError)):
		err = fmt.Errorf("%w: %w", context.Cause(actx), err)
	}
	if err != nil {
		a.Err, a.Class = err, Classify(err)
	}
	return ans, a
}

// exchange is one request and its answer.
func (c *Client) exchange(ctx context.Context, p Policy, a *Attempt, key string,
	body []byte) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.ingestURL(),
		bytes.NewReader(body))
	if err != nil {
		return answer{}, fmt.Errorf("edge: the hub address %q is not a valid URL: %w", c.BaseURL, err)
	}
	// Without GetBody, net/http's Transport cannot replay the request on a
	// new connection when a reused one dies, although the Idempotency-Key
	// marks it as safe to: every request sent is one attempt counted here.
	req.GetBody = nil
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return answer{}, err
	}
	defer func() {
		// Draining what is left lets the connection be kept alive.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorAnswer))
		resp.Body.Close()
	}()
	a.Status = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := statusError(resp)
		a.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), p.Now())
		se.RetryAfter = a.RetryAfter
		return answer{}, se
	}
	var ans answer
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&ans); err != nil {
		return answer{}, fmt.Errorf("edge: reading the hub's answer (%d): %w", resp.StatusCode, err)
	}
	ans.replayed = resp.Header.Get(headerReplayed) == "true"
	return ans, nil
}

// statusError reads the error envelope of an error answer. A body that is
// not an envelope leaves the code and message empty.
func statusError(resp *http.Response) *StatusError {
	se := &StatusError{Status: resp.StatusCode}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorAnswer))
	var env envelope
	if err == nil && json.Unmarshal(data, &env) == nil {
		se.Code, se.Message, se.Details = env.Error.Code, env.Error.Message, env.Error.Details
	}
	return se
}

// retryAfter parses a Retry-After header, in seconds or as an HTTP date,
// into a wait from now. It returns 0 for a missing or unreadable header.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	// ParseInt clamps a number out of its range to the nearest end.
	if s, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		// Seconds beyond what a Duration holds would wrap around.
		return time.Duration(min(max(s, 0), math.MaxInt64/int64(time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
