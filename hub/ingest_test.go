package hub_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
)

func TestIngest(t *testing.T) {
	c := newClient(t, startHub(t, hub.Config{}))

	t.Run("OK", func(t *testing.T) {
		r := c.do(http.MethodPost, "/ingest", fixtureFile(t, "alpha.json"))
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		assert.Equal(t, hub.Ingested{NodeID: "alpha", Accepted: 5, Total: 5},
			decode[hub.Ingested](t, r))
	})
	t.Run("Duplicates", func(t *testing.T) {
		b := fixtureBatch(t, "alpha")
		b.Observations = append(b.Observations, island.Observation{ID: "alpha-new",
			Timestamp: b.Observations[0].Timestamp, Lat: 1, Lon: 2})
		r := c.do(http.MethodPost, "/ingest", mustJSON(t, b))
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		assert.Equal(t, hub.Ingested{NodeID: "alpha", Accepted: 1, Duplicates: 5, Total: 6},
			decode[hub.Ingested](t, r))
	})
	t.Run("NodeIDFilledIn", func(t *testing.T) {
		body := `{"node_id":"bravo","observations":[{"id":"b1","timestamp":"2026-03-14T10:00:00Z",` +
			`"lat":1,"lon":2}]}`
		r := c.do(http.MethodPost, "/ingest", []byte(body), "Content-Type",
			"application/json; charset=utf-8")
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		obs := allObservations(t, c, "&node=bravo")
		require.Len(t, obs, 1)
		assert.Equal(t, island.Observation{ID: "b1", NodeID: "bravo", Timestamp: obs[0].Timestamp,
			Lat: 1, Lon: 2, Class: "unknown", Confidence: 1}, obs[0])
	})
	t.Run("EmptyBatch", func(t *testing.T) {
		r := c.do(http.MethodPost, "/ingest", []byte(`{"node_id":"alpha","observations":[]}`))
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		assert.Equal(t, 0, decode[hub.Ingested](t, r).Accepted)
	})
}

func TestIngestRejects(t *testing.T) {
	c := newClient(t, startHub(t, hub.Config{MaxBody: 4 << 10}))
	bad := fixtureBatch(t, "alpha")
	bad.Observations[3].Lat = 95.2
	mismatch := fixtureBatch(t, "alpha")
	mismatch.Observations[1].NodeID = "bravo"
	big := fixtureBatch(t, "alpha")
	for i := range 100 {
		o := big.Observations[0]
		o.ID = fmt.Sprintf("big-%d", i)
		big.Observations = append(big.Observations, o)
	}
	tests := []struct {
		name   string
		body   []byte
		ctype  string
		status int
		code   string
		detail string
	}{
		{"MalformedJSON", []byte(`{"node_id": "alpha", "observations": [`), "application/json",
			http.StatusBadRequest, island.EInvalidJSON, "unexpected end"},
		{"TrailingGarbage", []byte(`{"node_id":"alpha"} x`), "application/json",
			http.StatusBadRequest, island.EInvalidJSON, "after top-level value"},
		{"EmptyBody", []byte(` `), "application/json",
			http.StatusBadRequest, island.EInvalidJSON, ""},
		{"NotJSON", []byte(`node_id=alpha`), "application/x-www-form-urlencoded",
			http.StatusUnsupportedMediaType, island.EUnsupportedMedia, "Content-Type"},
		{"TooLarge", mustJSON(t, big), "application/json",
			http.StatusRequestEntityTooLarge, island.EBodyTooLarge, ""},
		{"Validation", mustJSON(t, bad), "application/json", http.StatusUnprocessableEntity,
			island.EValidation, "observations[3].lat: 95.2 is outside [-90, 90]"},
		{"WrongType", []byte(`{"node_id":"alpha","observations":[{"id":"a"},` +
			`{"id":"b","lat":"north"}]}`), "application/json", http.StatusUnprocessableEntity,
			island.EValidation, "observations[1].lat: string is not a float64"},
		{"BadTimestamp", []byte(`{"node_id":"alpha","observations":[{"id":"a"},` +
			`{"id":"b","timestamp":"yesterday"}]}`), "application/json",
			http.StatusUnprocessableEntity, island.EValidation,
			`observations[1].timestamp: "yesterday" is not an RFC 3339 time`},
		{"TimestampNotString", []byte(`{"node_id":"alpha","observations":[{"id":"a"},` +
			`{"id":"b","timestamp":5}]}`), "application/json", http.StatusUnprocessableEntity,
			island.EValidation, "observations[1]: Time.UnmarshalJSON"},
		{"WrongNodeType", []byte(`{"node_id":5,"observations":[]}`), "application/json",
			http.StatusUnprocessableEntity, island.EValidation, "node_id: number is not a string"},
		{"NodeMismatch", mustJSON(t, mismatch), "application/json",
			http.StatusUnprocessableEntity, island.ENodeMismatch, "observations[1].node_id"},
		{"NoNode", []byte(`{"observations":[]}`), "application/json",
			http.StatusUnprocessableEntity, island.EValidation, "node_id: is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(http.MethodPost, "/ingest", tt.body, "Content-Type", tt.ctype)
			e := requireError(t, r, tt.status, tt.code)
			if tt.detail != "" {
				assert.Contains(t, strings.Join(e.Error.Details, "\n"), tt.detail)
			}
		})
	}
	st := statusOf(t, c)
	assert.Equal(t, 0, st.Total, "nothing of a rejected batch is stored")
}

// TestIngestTooLargeChunked sends a body without a Content-Length: the limit
// holds while reading.
func TestIngestTooLargeChunked(t *testing.T) {
	s := startHub(t, hub.Config{MaxBody: 1 << 10})
	c := newClient(t, s)
	body := io.MultiReader(strings.NewReader(`{"node_id":"alpha","observations":[`),
		strings.NewReader(strings.Repeat(" ", 4<<10)), strings.NewReader(`]}`))
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/ingest", body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	require.NoError(t, err)
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	requireError(t, reply{status: resp.StatusCode, header: resp.Header, body: data},
		http.StatusRequestEntityTooLarge, island.EBodyTooLarge)
}

func TestIngestAcceptsMissingContentType(t *testing.T) {
	s := startHub(t, hub.Config{})
	body := bytes.NewReader(fixtureFile(t, "bravo.json"))
	resp, err := newClient(t, s).http.Post(s.URL()+"/ingest", "", body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
