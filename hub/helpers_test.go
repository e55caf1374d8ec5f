package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
)

// startHub starts a hub on a loopback port and stops it when the test ends.
func startHub(t testing.TB, cfg hub.Config) *hub.Server {
	t.Helper()
	s := hub.New(cfg)
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// client talks to one hub over real sockets.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

func newClient(t testing.TB, s *hub.Server) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, base: s.URL(), http: &http.Client{Transport: tr}}
}

// reply is one answer of the hub.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with a JSON body (nil for none) and extra headers in
// name, value pairs.
func (c *client) do(method, path string, body []byte, headers ...string) reply {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.base+path, rd)
	require.NoError(c.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: data}
}

// decode decodes the body of r into a value of type T.
func decode[T any](t testing.TB, r reply) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	return v
}

// errorBody is the error envelope as a client reads it.
type errorBody struct {
	Error struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Details []string `json:"details"`
	} `json:"error"`
}

// requireError checks that r is the envelope of code with the given status.
func requireError(t testing.TB, r reply, status int, code string) errorBody {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	e := decode[errorBody](t, r)
	require.Equal(t, code, e.Error.Code, "body: %s", r.body)
	require.NotEmpty(t, e.Error.Message)
	require.NotNil(t, e.Error.Details, "details is a list, never null")
	return e
}

// fixtureFile returns the bytes of a shipped fixture file, as a user posts it.
func fixtureFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", name))
	require.NoError(t, err)
	return data
}

// fixtureBatch returns a node's fixture batch, which a test may change.
func fixtureBatch(t testing.TB, node string) island.Batch {
	t.Helper()
	b, err := island.Fixture(node)
	require.NoError(t, err)
	return b
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return data
}

// statusOf reads GET /status.
func statusOf(t testing.TB, c *client) hub.StatusAnswer {
	t.Helper()
	r := c.do(http.MethodGet, "/status", nil)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	return decode[hub.StatusAnswer](t, r)
}

// allObservations reads the whole store through GET /observations.
func allObservations(t testing.TB, c *client, query string) []island.Observation {
	t.Helper()
	var out []island.Observation
	after := ""
	for range 1000 {
		r := c.do(http.MethodGet, "/observations?limit=3&after="+after+query, nil)
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		p := decode[hub.ObservationsPage](t, r)
		out = append(out, p.Observations...)
		if p.Next == "" {
			return out
		}
		after = p.Next
	}
	t.Fatal("GET /observations never reached the end")
	return nil
}
