package suites

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub"
)

// r07MaxBody is the body limit of the hub in the case that sends a body over
// it: small, so that the case stays quick, yet above any good batch it sends.
const r07MaxBody = 16 << 10

// r07Kept is the part of every acceptance text of R-07 after the answer.
const r07Kept = "; nothing of the rejected request is stored; the observations, status, " +
	"lens and runs stored before read back unchanged; GET /healthz and a good ingest " +
	"still work afterwards"

// hostileInput is one request a hostile or broken client sends to the hub,
// and the answer the hub must give it.
type hostileInput struct {
	id, title, answer string // answer opens the acceptance text
	maxBody           int64  // the hub's body limit; 0 for the default
	method, path      string
	contentType       string
	body              []byte
	status            int
	code              string
	names             []string // each must appear in the message or details
}

// R07 is the suite "Hostile input at the hub": requests that are malformed,
// oversized, inconsistent or slow, each sent straight to the hub, which must
// refuse it with a telling error, keep nothing of it, lose nothing it held,
// and go on serving.
func R07() harness.Suite {
	inputs := hostileInputs()
	cases := make([]harness.Case, 0, len(inputs)+1)
	for _, in := range inputs {
		cases = append(cases, harness.Case{ID: in.id, Title: in.title,
			Acceptance: in.answer + r07Kept, Timeout: 10 * time.Second,
			Run: func(t *harness.T) { runHostileInput(t, in) }})
	}
	cases = append(cases, harness.Case{ID: "R-07n",
		Title: "a slow client that sends its headers a byte at a time",
		Acceptance: "the hub's ReadHeaderTimeout closes the connection without an answer, " +
			"no sooner than the timeout and within 2 s after it, while other clients " +
			"are served meanwhile" + r07Kept,
		Timeout: 10 * time.Second, Run: runSlowHeaders})
	return harness.Suite{ID: "R-07", Title: "Hostile input at the hub",
		Risk: "a malformed, oversized, inconsistent or slow request makes the hub store " +
			"part of it, lose what it held, answer vaguely, or stop serving others",
		Cases: cases}
}

func hostileInputs() []hostileInput {
	const post, ingest, jsonType = http.MethodPost, "/ingest", "application/json"
	return []hostileInput{
		{id: "R-07a", title: "malformed JSON",
			answer: "400 invalid_json naming the syntax error",
			method: post, path: ingest, contentType: jsonType,
			body:   []byte(`{"node_id": "alpha", "observations": [{"id": alpha-h-0001}]}`),
			status: http.StatusBadRequest, code: island.EInvalidJSON,
			names: []string{"not well-formed JSON", "invalid character 'a'"}},
		{id: "R-07b", title: "truncated JSON",
			answer: "400 invalid_json saying the input ended early",
			method: post, path: ingest, contentType: jsonType,
			body:   cutShort(hostileBatch("charlie", 3), 0.6),
			status: http.StatusBadRequest, code: island.EInvalidJSON,
			names: []string{"not well-formed JSON", "unexpected end of JSON input"}},
		{id: "R-07c", title: "wrong types",
			answer: "422 validation_failed naming the field and the type it must have",
			method: post, path: ingest, contentType: jsonType,
			body: []byte(`{"node_id": "alpha", "observations": [{"id": "alpha-h-0001",` +
				` "timestamp": "2026-03-14T10:00:00Z", "lat": "north", "lon": -118.2}]}`),
			status: http.StatusUnprocessableEntity, code: island.EValidation,
			names: []string{"lat", "string", "float64"}},
		{id: "R-07d", title: "a wrong content type",
			answer: "415 unsupported_media_type naming the content type sent",
			method: post, path: ingest, contentType: "text/plain; charset=utf-8",
			body:   hostileBatch("charlie", 3),
			status: http.StatusUnsupportedMediaType, code: island.EUnsupportedMedia,
			names: []string{"application/json", "Content-Type: text/plain"}},
		{id: "R-07e", title: "a body over the limit",
			answer:  "413 body_too_large naming the limit, from a hub whose limit is 16 KiB",
			maxBody: r07MaxBody, method: post, path: ingest, contentType: jsonType,
			body:   hostileBatch("charlie", 300),
			status: http.StatusRequestEntityTooLarge, code: island.EBodyTooLarge,
			names: []string{fmt.Sprintf("limit of %d bytes", r07MaxBody)}},
		{id: "R-07f", title: "coordinates out of range",
			answer: "422 validation_failed naming each coordinate and its range",
			method: post, path: ingest, contentType: jsonType,
			body: hostileObs("alpha", `{"id": "alpha-h-0001", "lat": 91, "lon": 0}`,
				`{"id": "alpha-h-0002", "lat": 0, "lon": -180.5}`),
			status: http.StatusUnprocessableEntity, code: island.EValidation,
			names: []string{"observations[0].lat: 91 is outside [-90, 90]",
				"observations[1].lon: -180.5 is outside [-180, 180]"}},
		{id: "R-07g", title: "missing ids",
			answer: "422 validation_failed naming the observation without an id",
			method: post, path: ingest, contentType: jsonType,
			body: hostileObs("alpha", `{"id": "alpha-h-0001", "lat": 1, "lon": 1}`,
				`{"lat": 2, "lon": 2}`),
			status: http.StatusUnprocessableEntity, code: island.EValidation,
			names: []string{"observations[1].id: is required"}},
		{id: "R-07h", title: "missing timestamps",
			answer: "422 validation_failed naming the observation without a timestamp",
			method: post, path: ingest, contentType: jsonType,
			body: []byte(`{"node_id": "alpha", "observations": [` +
				`{"id": "alpha-h-0001", "lat": 1, "lon": 1}]}`),
			status: http.StatusUnprocessableEntity, code: island.EValidation,
			names: []string{"observations[0].timestamp: is required"}},
		{id: "R-07i", title: "a node id that does not match the batch",
			answer: "422 node_mismatch naming the observation and both node ids",
			method: post, path: ingest, contentType: jsonType,
			body: hostileObs("alpha", `{"id": "alpha-h-0001", "lat": 1, "lon": 1}`,
				`{"id": "alpha-h-0002", "node_id": "bravo", "lat": 2, "lon": 2}`),
			status: http.StatusUnprocessableEntity, code: island.ENodeMismatch,
			names: []string{
				`observations[1].node_id: "bravo" does not match the batch's node_id "alpha"`}},
		{id: "R-07j", title: "duplicate ids within one batch",
			answer: "422 validation_failed naming the repeated id and where it first was",
			method: post, path: ingest, contentType: jsonType,
			body: hostileObs("alpha", `{"id": "alpha-h-0001", "lat": 1, "lon": 1}`,
				`{"id": "alpha-h-0002", "lat": 2, "lon": 2}`,
				`{"id": "alpha-h-0001", "lat": 3, "lon": 3}`),
			status: http.StatusUnprocessableEntity, code: island.EValidation,
			names: []string{`observations[2].id: "alpha-h-0001" repeats observations[0]`}},
		{id: "R-07k", title: "oversized strings",
			answer: "422 validation_failed naming each string, its length and the limit",
			method: post, path: ingest, contentType: jsonType,
			body: hostileObs("alpha", `{"id": "alpha-h-0001", "lat": 1, "lon": 1}`,
				fmt.Sprintf(`{"id": "%s", "lat": 2, "lon": 2, "class": "%s"}`,
					strings.Repeat("x", 4096), strings.Repeat("v", 1024))),
			status: http.StatusUnprocessableEntity, code: island.EValidation,
			names: []string{"observations[1].id: is 4096 bytes long; the limit is 128",
				"observations[1].class: is 1024 bytes long; the limit is 32"}},
		{id: "R-07l", title: "an unknown run id",
			answer: "404 run_not_found naming the run id asked for",
			method: http.MethodGet, path: "/fusion/results/20260314T100000.000000000Z-99999999",
			status: http.StatusNotFound, code: island.ERunNotFound,
			names: []string{`run_id: "20260314T100000.000000000Z-99999999"`}},
		{id: "R-07m", title: "an invalid lens (old lens kept)",
			answer: "422 invalid_lens naming each failing field, and the lens loaded " +
				"before stays loaded",
			method: http.MethodPut, path: "/lens", contentType: jsonType,
			body: []byte(`{"name": "hostile", "version": "0", "gates": ` +
				`{"distance_m": -5, "time_s": 0}, "min_nodes": -1}`),
			status: http.StatusUnprocessableEntity, code: island.EInvalidLens,
			names: []string{"gates.distance_m: -5 must be a positive",
				"gates.time_s: 0 must be a positive", "min_nodes: -1 must be at least 1"}},
	}
}

// runHostileInput sends in to a fresh hub that holds a fixture, and checks
// the answer, the state read back and the hub's health.
func runHostileInput(t *harness.T, in hostileInput) {
	i := t.IslandWith(harness.IslandConfig{Hub: hub.Config{MaxBody: in.maxBody}})
	before := seedHostileHub(t, i)
	ans := sendHostile(t, i, in.method, in.path, in.contentType, in.body)
	t.Property("answer", fmt.Sprintf("%d %s", ans.status, ans.code))
	t.Logf("the hub answered %d %s: %s (%d details)", ans.status, ans.code, ans.message,
		len(ans.details))
	assert.Equal(t, in.status, ans.status, "the status of the answer: %s", ans.body)
	assert.Equal(t, in.code, ans.code, "the error code of the answer: %s", ans.body)
	said := ans.message + "\n" + strings.Join(ans.details, "\n")
	for _, name := range in.names {
		assert.Contains(t, said, name, "the message or details must name what was wrong")
	}
	requireHubUnchanged(t, i, before)
	requireHubHealthy(t, i, before)
}

// hostileHubState is everything a hub holds that a request could change, as read
// back through its API.
type hostileHubState struct {
	observations []island.Observation
	status       hub.StatusAnswer
	lens         string // GET /lens: status and body
	runs         string // GET /fusion/results: status and body
}

// seedHostileHub stores the fixture of alpha and runs fusion once, so that the
// hub holds observations, a lens and a run, and returns all of it.
func seedHostileHub(t *harness.T, i *harness.Island) hostileHubState {
	ans := sendHostile(t, i, http.MethodPost, "/ingest", "application/json",
		encodeHostile(t, fixture(t, "alpha")))
	require.Equal(t, http.StatusOK, ans.status, "storing the fixture of alpha: %s", ans.body)
	run := sendHostile(t, i, http.MethodPost, "/fusion/run", "", nil)
	require.Equal(t, http.StatusOK, run.status, "running fusion on the fixture: %s", run.body)
	st := readHostileHub(t, i)
	require.Len(t, st.observations, 5, "the hub must hold the fixture of alpha")
	return st
}

func readHostileHub(t *harness.T, i *harness.Island) hostileHubState {
	lens := sendHostile(t, i, http.MethodGet, "/lens", "", nil)
	runs := sendHostile(t, i, http.MethodGet, "/fusion/results", "", nil)
	return hostileHubState{observations: storedObservations(t, i, ""), status: hubStatus(t, i),
		lens: fmt.Sprintf("%d %s", lens.status, lens.body),
		runs: fmt.Sprintf("%d %s", runs.status, runs.body)}
}

// requireHubUnchanged reads the hub's state back and requires it to be before.
func requireHubUnchanged(t *harness.T, i *harness.Island, before hostileHubState) {
	after := readHostileHub(t, i)
	if diff := storeDiff(before.observations, after.observations); diff != "" {
		t.Errorf("the store changed under a rejected request: %s", diff)
	}
	assert.Equal(t, before.observations, after.observations,
		"the observations stored before, in storage order")
	assert.Equal(t, before.status, after.status, "GET /status")
	assert.Equal(t, before.lens, after.lens, "GET /lens: the lens loaded before")
	assert.Equal(t, before.runs, after.runs, "GET /fusion/results: the runs kept before")
	if t.Failed() {
		t.FailNow()
	}
}

// requireHubHealthy requires GET /healthz to answer ok and a good batch to be
// stored whole, beside exactly what the hub held before.
func requireHubHealthy(t *harness.T, i *harness.Island, before hostileHubState) {
	health := sendHostile(t, i, http.MethodGet, "/healthz", "", nil)
	require.Equal(t, http.StatusOK, health.status, "GET /healthz afterwards: %s", health.body)
	good := fixture(t, "bravo")
	ans := sendHostile(t, i, http.MethodPost, "/ingest", "application/json", encodeHostile(t, good))
	require.Equal(t, http.StatusOK, ans.status, "a good ingest afterwards: %s", ans.body)
	var got hub.Ingested
	require.NoError(t, json.Unmarshal(ans.body, &got), "decoding %s", ans.body)
	want := hub.Ingested{NodeID: "bravo", Accepted: len(good.Observations),
		Total: len(before.observations) + len(good.Observations)}
	require.Equal(t, want, got, "the answer of a good ingest afterwards")
	good.Normalize()
	sent := append(append([]island.Observation{}, before.observations...), good.Observations...)
	if diff := storeDiff(sent, storedObservations(t, i, "")); diff != "" {
		t.Fatalf("after a good ingest, the store is not what was stored before plus "+
			"that batch: %s", diff)
	}
}

// hostileAnswer is an answer of the hub with its error envelope decoded, when
// it has one.
type hostileAnswer struct {
	status  int
	body    []byte
	code    string
	message string
	details []string
}

// sendHostile sends body as it is, with contentType unless that is "", straight
// to i's hub.
func sendHostile(t *harness.T, i *harness.Island, method, path, contentType string,
	body []byte) hostileAnswer {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, i.HubURL()+path, rd)
	require.NoError(t, err, "making the request %s %s", method, path)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := i.HTTP.Do(req)
	require.NoError(t, err, "%s %s got no answer", method, path)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "reading the answer of %s %s", method, path)
	ans := hostileAnswer{status: resp.StatusCode, body: data}
	var env struct {
		Error struct {
			Code    string   `json:"code"`
			Message string   `json:"message"`
			Details []string `json:"details"`
		} `json:"error"`
	}
	if resp.StatusCode != http.StatusOK && json.Unmarshal(data, &env) == nil {
		ans.code, ans.message, ans.details = env.Error.Code, env.Error.Message, env.Error.Details
	}
	return ans
}

func encodeHostile(t *harness.T, v any) []byte {
	data, err := json.Marshal(v)
	require.NoError(t, err, "encoding %T", v)
	return data
}

// hostileBatch returns a valid batch of n observations of node that the
// hub has not stored, so that any of it kept would show.
func hostileBatch(node string, n int) []byte {
	obs := make([]string, n)
	for k := range obs {
		obs[k] = fmt.Sprintf(`{"id": "%s-h-%04d", "lat": %.4f, "lon": %.4f, `+
			`"class": "vehicle", "confidence": 0.5}`, node, k+1, 34+float64(k)/1e4, -118.0)
	}
	return hostileObs(node, obs...)
}

// hostileObs returns a batch of node whose observations are the given JSON
// objects, each given a timestamp unless it has one.
func hostileObs(node string, obs ...string) []byte {
	for k, o := range obs {
		if !strings.Contains(o, `"timestamp"`) {
			obs[k] = `{"timestamp": "2026-03-14T10:00:00Z", ` + o[1:]
		}
	}
	return fmt.Appendf(nil, `{"node_id": %q, "observations": [%s]}`, node,
		strings.Join(obs, ", "))
}

// cutShort returns the first share of body.
func cutShort(body []byte, share float64) []byte {
	return body[:int(float64(len(body))*share)]
}

// The slow client's pace, and the hub's header timeout that must cut it off
// well before it has sent its headers.
const (
	r07HeaderTimeout = 750 * time.Millisecond
	r07ByteEvery     = 20 * time.Millisecond
	r07CutSlack      = 2 * time.Second
)

// runSlowHeaders opens a raw connection to a hub with a short header
// timeout and sends a request's headers a byte at a time, while other
// clients ask for the hub's health and read the store.
func runSlowHeaders(t *harness.T) {
	i := t.IslandWith(harness.IslandConfig{Hub: hub.Config{
		Timeouts: hub.Timeouts{ReadHeader: r07HeaderTimeout}}})
	before := seedHostileHub(t, i)
	body := hostileBatch("charlie", 3)
	head := fmt.Sprintf("POST /ingest HTTP/1.1\r\nHost: %s\r\nUser-Agent: island-slow-client\r\n"+
		"Accept: application/json\r\nX-Pace: one byte every %v, slower than any timeout\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		i.Hub.Addr(), r07ByteEvery, len(body))
	// The clock starts before the dial, so that it cannot start after the
	// hub's: the hub starts its header timeout once it has accepted the
	// connection, which can be before the dial returns here.
	opened := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(t.Context(), "tcp", i.Hub.Addr())
	require.NoError(t, err, "the slow client cannot connect to the hub")
	defer conn.Close()
	slow := trickle(t, conn, append([]byte(head), body...))
	defer close(slow.stop)

	select {
	case <-slow.started:
	case <-t.Context().Done():
		t.Fatalf("the slow client did not send its first byte: %v", t.Context().Err())
	}
	health := sendHostile(t, i, http.MethodGet, "/healthz", "", nil)
	assert.Equal(t, http.StatusOK, health.status, "GET /healthz while a client is slow: %s",
		health.body)
	assert.Equal(t, before.observations, storedObservations(t, i, ""),
		"the store read back while a client is slow")
	served := time.Since(opened)
	t.Figure("others_served_after", served.Seconds(), "s")

	cut := time.NewTimer(r07HeaderTimeout + r07CutSlack)
	defer cut.Stop()
	select {
	case <-slow.closed:
	case <-cut.C:
		t.Fatalf("the hub still held open a client that had sent %d of %d header bytes "+
			"after %v; its ReadHeaderTimeout is %v", slow.sent.Load(), len(head),
			time.Since(opened).Round(time.Millisecond), r07HeaderTimeout)
	case <-t.Context().Done():
		t.Fatalf("the slow client's connection was not closed: %v", t.Context().Err())
	}
	checkCut(t, slow, opened, served, len(head))
	requireHubUnchanged(t, i, before)
	requireHubHealthy(t, i, before)
}

// checkCut checks how the hub closed the slow client's connection: after
// its header timeout and not much later, after the others were served,
// before the headers were complete, and without an answer.
func checkCut(t *harness.T, slow *slowClient, opened time.Time, served time.Duration,
	headLen int) {
	after := slow.closedAt.Sub(opened)
	t.Figure("cut_after", after.Seconds(), "s")
	t.Figure("header_bytes_sent", float64(slow.sent.Load()), "bytes")
	t.Logf("the hub closed the slow connection after %v (read: %v)",
		after.Round(time.Millisecond), slow.readErr)
	assert.GreaterOrEqual(t, after, r07HeaderTimeout,
		"the connection was closed before the header timeout ran out")
	assert.LessOrEqual(t, after, r07HeaderTimeout+r07CutSlack,
		"the connection was closed long after the header timeout")
	assert.Less(t, served, after, "the other clients must be served while the slow one waits")
	assert.Less(t, int(slow.sent.Load()), headLen,
		"the slow client finished its headers before the cut; slow it down")
	assert.Empty(t, slow.received, "the hub must close the connection without an answer")
}

// slowClient sends a request a byte at a time on a raw connection and
// reads whatever comes back until the connection ends.
type slowClient struct {
	stop     chan struct{} // closed to stop sending
	started  chan struct{} // closed once the first byte is sent
	closed   chan struct{} // closed once the connection ended; then read below
	sent     atomic.Int64
	closedAt time.Time
	received string
	readErr  error
}

func trickle(t *harness.T, conn net.Conn, req []byte) *slowClient {
	s := &slowClient{stop: make(chan struct{}), started: make(chan struct{}),
		closed: make(chan struct{})}
	t.Go(func() {
		tick := time.NewTicker(r07ByteEvery)
		defer tick.Stop()
		for k := range req {
			if _, err := conn.Write(req[k : k+1]); err != nil {
				return // the hub closed the connection
			}
			if s.sent.Add(1) == 1 {
				close(s.started)
			}
			select {
			case <-tick.C:
			case <-s.stop:
				return
			case <-t.Context().Done():
				return
			}
		}
	})
	t.Go(func() {
		var got bytes.Buffer
		_, s.readErr = io.Copy(&got, conn)
		s.closedAt, s.received = time.Now(), got.String()
		close(s.closed)
	})
	return s
}
