package edgetest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/edge/edgetest"
)

func post(ctx context.Context, t *testing.T, c *http.Client, body string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://hub.test/ingest",
		strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Idempotency-Key", "k1")
	return c.Do(req)
}

func TestTransportPlaysInOrderAndRecords(t *testing.T) {
	tr := edgetest.New(
		edgetest.Fail(edgetest.Refused()),
		edgetest.Respond(503, `{}`).WithHeader("Retry-After", "2"),
		edgetest.Stored("alpha", 5, 0, 5),
	)
	c := tr.Client()
	ctx := context.Background()

	_, err := post(ctx, t, c, "one")
	require.ErrorIs(t, err, syscall.ECONNREFUSED)

	resp, err := post(ctx, t, c, "two")
	require.NoError(t, err)
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, "2", resp.Header.Get("Retry-After"))
	resp.Body.Close()

	resp, err = post(ctx, t, c, "three")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.JSONEq(t, `{"node_id":"alpha","accepted":5,"duplicates":0,"total":5}`, string(body))
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))

	reqs := tr.Requests()
	require.Len(t, reqs, 3)
	for i, want := range []string{"one", "two", "three"} {
		assert.Equal(t, want, string(reqs[i].Body))
		assert.Equal(t, "k1", reqs[i].Header.Get("Idempotency-Key"))
		assert.Equal(t, "http://hub.test/ingest", reqs[i].URL)
	}
	assert.Zero(t, tr.Remaining())
	require.NoError(t, tr.Err())
}

func TestTransportReportsAnOverrun(t *testing.T) {
	tr := edgetest.New(edgetest.Stored("alpha", 1, 0, 1))
	resp, err := post(context.Background(), t, tr.Client(), "a")
	require.NoError(t, err)
	resp.Body.Close()
	_, err = post(context.Background(), t, tr.Client(), "b")
	require.ErrorIs(t, err, edgetest.ErrScriptExhausted)
	assert.Contains(t, err.Error(), "request 2 (POST /ingest) came after the 1 scripted outcomes")
	require.ErrorIs(t, tr.Err(), edgetest.ErrScriptExhausted)
	assert.Len(t, tr.Requests(), 2, "the extra request is recorded too")
}

func TestTransportReportsUnplayedOutcomes(t *testing.T) {
	tr := edgetest.New(edgetest.Hang(), edgetest.Fail(edgetest.Reset()))
	err := tr.Err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 of the 2 scripted outcomes were never played")
}

func TestTransportCutsABody(t *testing.T) {
	tr := edgetest.New(edgetest.Respond(200, `{"node`).CutWith(edgetest.Reset()))
	resp, err := post(context.Background(), t, tr.Client(), "x")
	require.NoError(t, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	assert.Equal(t, `{"node`, string(got))
	require.ErrorIs(t, err, syscall.ECONNRESET)
}

func TestTransportHangsUntilTheContextEnds(t *testing.T) {
	tr := edgetest.New(edgetest.Hang())
	ctx, cancel := context.WithTimeoutCause(context.Background(), 10*time.Millisecond,
		errors.New("gone"))
	defer cancel()
	_, err := post(ctx, t, tr.Client(), "x")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gone")
}

func TestErrorsHaveTheirShapes(t *testing.T) {
	assert.ErrorIs(t, edgetest.Refused(), syscall.ECONNREFUSED)
	assert.ErrorIs(t, edgetest.Unreachable(), syscall.ENETUNREACH)
	assert.ErrorIs(t, edgetest.Reset(), syscall.ECONNRESET)
	assert.ErrorIs(t, edgetest.BrokenPipe(), syscall.EPIPE)
	assert.ErrorIs(t, edgetest.UnexpectedEOF(), io.ErrUnexpectedEOF)
	var timeout interface{ Timeout() bool }
	require.ErrorAs(t, edgetest.DialTimeout(), &timeout)
	assert.True(t, timeout.Timeout())
	assert.Contains(t, edgetest.Malformed().Error(), "malformed HTTP response")
}
