// Package edge is the edge node's side of the wire: a Client that posts
// batches of observations to the hub over a poor network, retrying what is
// transient and returning at once what is not, and telling in a Result what
// each attempt met.
package edge

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/island-sensors/island"
)

// Batch outcomes, the values of Result.Status.
const (
	StatusSuccess = "success"
	StatusFailed  = "failed"
)

// Client posts batches of one edge node to a hub. Set BaseURL and NodeID;
// the other fields may stay zero. A Client is safe for concurrent use as long
// as its fields are not changed while it posts.
type Client struct {
	// BaseURL is the hub's address, such as http://127.0.0.1:8080.
	BaseURL string
	// NodeID is the node of the batches that PostObservations sends.
	NodeID string
	// HTTPClient sends the requests; nil means http.DefaultClient. The
	// requests carry no GetBody, so net/http's Transport cannot replay one
	// on its own when a kept-alive connection dies under it: every request
	// that reaches a connection is an attempt the Result counts.
	HTTPClient *http.Client
	// Policy governs retries; its zero fields take DefaultPolicy's values.
	Policy Policy
	// Logger receives one line per failed attempt and per batch, with
	// counts and classes, never observations. Nil discards them.
	Logger *slog.Logger
}

// Attempt is what one attempt of a batch met.
type Attempt struct {
	// N counts the attempts of the batch from 1.
	N int
	// Class is "" for a successful attempt.
	Class Class
	Err   error
	// Status is the HTTP status of the hub's answer, 0 when none came.
	Status int
	// Duration runs from sending the request to the end of the answer.
	Duration time.Duration
	// RetryAfter is the hub's Retry-After, zero when it sent none.
	RetryAfter time.Duration
	// Reused tells whether the attempt went over a kept-alive connection.
	Reused bool
	// Writes counts the times the transport wrote the request to a
	// connection during the attempt: 0 when no connection was made, and
	// never more than 1, since the request cannot be replayed.
	Writes int
	// Retry tells whether another attempt follows, and Wait how long the
	// client waits before it.
	Retry bool
	Wait  time.Duration
}

// Result tells what became of one batch.
type Result struct {
	// Status is StatusSuccess or StatusFailed.
	Status string
	// Attempts counts the requests sent, the successful one included.
	Attempts int
	// Accepted, Duplicates and Total are the hub's counts of a successful
	// batch: observations newly stored, those it already had, and all it
	// holds.
	Accepted, Duplicates, Total int
	// Elapsed runs from the first attempt to the end of the last.
	Elapsed time.Duration
	// Failures lists every failed attempt in order.
	Failures []Attempt
	// Key is the Idempotency-Key that every attempt carried.
	Key string
	// Replayed tells that the hub answered with the stored answer of an
	// earlier attempt under Key: that attempt's answer was lost on the way.
	Replayed bool
}

// PostObservations posts obs as one batch of c.NodeID. See PostBatch.
func (c *Client) PostObservations(ctx context.Context, obs []island.Observation) (Result, error) {
	return c.PostBatch(ctx, island.Batch{NodeID: c.NodeID, Observations: obs})
}

// PostBatch posts b to the hub's /ingest under a new Idempotency-Key,
// retrying as c.Policy says, until the hub stores it, answers with a status
// that must not be retried, the attempts run out, or ctx is done. A batch
// with no node id is sent as c.NodeID's. The error is nil exactly when the
// Result's status is success; errors.As finds a *StatusError in it when the
// hub answered with an error status, errors.Is matches ErrExhausted when the
// attempts ran out, and the context's error when ctx ended the batch.
func (c *Client) PostBatch(ctx context.Context, b island.Batch) (Result, error) {
	return c.PostBatchWithKey(ctx, b, NewKey())
}

// PostBatchWithKey is PostBatch under the given Idempotency-Key, so that a
// batch whose outcome was lost can be sent again as the same batch. An empty
// key is replaced by a new one.
func (c *Client) PostBatchWithKey(ctx context.Context, b island.Batch,
	key string) (Result, error) {
	if b.NodeID == "" {
		b.NodeID = c.NodeID
	}
	if key == "" {
		key = NewKey()
	}
	res := Result{Status: StatusFailed, Key: key}
	body, err := json.Marshal(b)
	if err != nil {
		return res, fmt.Errorf("edge: encoding the batch of node %q: %w", b.NodeID, err)
	}
	p := c.Policy.withDefaults()
	start := p.Now()
	res, err = c.retry(ctx, p, b.NodeID, key, body, res)
	res.Elapsed = p.Now().Sub(start)
	c.logger().LogAttrs(ctx, levelOf(err), "batch posted", slog.String("node", b.NodeID),
		slog.Int("observations", len(b.Observations)), slog.String("status", res.Status),
		slog.Int("attempts", res.Attempts), slog.Int("accepted", res.Accepted),
		slog.Int("duplicates", res.Duplicates), slog.Duration("elapsed", res.Elapsed))
	return res, err
}

// retry is the loop: attempt, classify, decide, wait.
func (c *Client) retry(ctx context.Context, p Policy, node, key string, body []byte,
	res Result) (Result, error) {
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return res, c.canceled(ctx, node, res.Attempts)
		}
		ans, a := c.attempt(ctx, p, n, key, body)
		res.Attempts = n
		if a.Err == nil {
			c.after(p, a)
			res.Status = StatusSuccess
			res.Accepted, res.Duplicates, res.Total = ans.Accepted, ans.Duplicates, ans.Total
			res.Replayed = ans.replayed
			return res, nil
		}
		wanted := a.Class != ClassCanceled && p.Retry(a)
		a.Retry = wanted && n < p.MaxAttempts
		if a.Retry {
			a.Wait = max(p.Backoff(p, a), 0)
		}
		res.Failures = append(res.Failures, a)
		c.logAttempt(ctx, node, a)
		c.after(p, a)
		switch {
		case a.Class == ClassCanceled:
			return res, c.canceled(ctx, node, n)
		case !wanted:
			return res, fmt.Errorf("edge: the batch of node %q failed at attempt %d (%s), "+
				"which is not retried: %w", node, n, a.Class, a.Err)
		case !a.Retry:
			return res, &exhaustedError{node: node, url: c.BaseURL, attempts: n, last: a}
		}
		err := p.Sleep(ctx, a.Wait)
		switch {
		case ctx.Err() != nil:
			return res, c.canceled(ctx, node, n)
		case err != nil:
			return res, fmt.Errorf("edge: the batch of node %q could not wait for attempt %d: %w",
				node, n+1, err)
		}
	}
}

func (c *Client) canceled(ctx context.Context, node string, n int) error {
	return fmt.Errorf("edge: the batch of node %q was stopped by its caller after %s: %w",
		node, attempts(n), &canceledError{err: context.Cause(ctx)})
}

func (c *Client) after(p Policy, a Attempt) {
	if p.AfterAttempt != nil {
		p.AfterAttempt(a)
	}
}

func (c *Client) logAttempt(ctx context.Context, node string, a Attempt) {
	c.logger().LogAttrs(ctx, slog.LevelWarn, "attempt failed", slog.String("node", node),
		slog.Int("attempt", a.N), slog.String("class", string(a.Class)),
		slog.Int("http_status", a.Status), slog.Duration("duration", a.Duration),
		slog.Bool("retry", a.Retry), slog.Duration("wait", a.Wait), slog.String("error", a.Err.Error()))
}

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient == nil {
		return http.DefaultClient
	}
	return c.HTTPClient
}

func (c *Client) ingestURL() string {
	return strings.TrimRight(c.BaseURL, "/") + "/ingest"
}

func levelOf(err error) slog.Level {
	if err != nil {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// NewKey returns a new random Idempotency-Key.
func NewKey() string { return rand.Text() }
