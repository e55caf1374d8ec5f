package hub_test

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
	"github.com/island-sensors/island/hub/store"
)

func ingestFixtures(t *testing.T, c *client) {
	t.Helper()
	for _, node := range island.FixtureNodes {
		r := c.do(http.MethodPost, "/ingest", fixtureFile(t, node+".json"))
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	}
}

func TestStatus(t *testing.T) {
	c := newClient(t, startHub(t, hub.Config{}))
	r := c.do(http.MethodGet, "/status", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"nodes":{},"node_count":0,"total":0,"lens":null,"runs":0}`, string(r.body))

	ingestFixtures(t, c)
	require.Equal(t, http.StatusOK, c.do(http.MethodPut, "/lens", fixtureFile(t, "lens.json")).status)
	r = c.do(http.MethodGet, "/status", nil)
	assert.JSONEq(t, `{"nodes":{"alpha":5,"bravo":5,"charlie":5},"node_count":3,"total":15,`+
		`"lens":{"name":"default","version":"1"},"runs":0}`, string(r.body))
}

func TestObservations(t *testing.T) {
	c := newClient(t, startHub(t, hub.Config{}))
	ingestFixtures(t, c)

	all := allObservations(t, c, "")
	require.Len(t, all, 15)
	var want []island.Observation
	for _, node := range island.FixtureNodes {
		b := fixtureBatch(t, node)
		b.Normalize()
		want = append(want, b.Observations...)
	}
	assert.Equal(t, want, all, "pages come in storage order")
	assert.Equal(t, want[5:10], allObservations(t, c, "&node=bravo"))

	r := c.do(http.MethodGet, "/observations", nil)
	require.Equal(t, http.StatusOK, r.status)
	p := decode[hub.ObservationsPage](t, r)
	assert.Len(t, p.Observations, 15)
	assert.Empty(t, p.Next)

	r = c.do(http.MethodGet, "/observations?node=zulu", nil)
	assert.JSONEq(t, `{"observations":[],"next":""}`, string(r.body))

	for _, q := range []string{"limit=0", "limit=x", "limit=10001", "after=abc"} {
		requireError(t, c.do(http.MethodGet, "/observations?"+q, nil),
			http.StatusBadRequest, island.EInvalidParameter)
	}
}

func TestClear(t *testing.T) {
	c := newClient(t, startHub(t, hub.Config{}))
	ingestFixtures(t, c)
	r := c.do(http.MethodPost, "/clear", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"cleared":15}`, string(r.body))
	assert.Equal(t, 0, statusOf(t, c).Total)
	assert.Empty(t, allObservations(t, c, ""))

	r = c.do(http.MethodPost, "/ingest", fixtureFile(t, "alpha.json"))
	assert.Equal(t, 5, decode[hub.Ingested](t, r).Accepted, "after a clear a batch is new again")
}

func TestLens(t *testing.T) {
	c := newClient(t, startHub(t, hub.Config{}))
	requireError(t, c.do(http.MethodGet, "/lens", nil), http.StatusNotFound, island.ENotFound)

	r := c.do(http.MethodPut, "/lens", fixtureFile(t, "lens.json"))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.JSONEq(t, string(mustJSON(t, island.DefaultLens())), string(r.body))
	r = c.do(http.MethodGet, "/lens", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, *island.DefaultLens(), decode[island.Lens](t, r))

	e := requireError(t, c.do(http.MethodPut, "/lens", []byte(`{"name":"x","gates":{}}`)),
		http.StatusUnprocessableEntity, island.EInvalidLens)
	assert.Contains(t, e.Error.Details, "gates.distance_m: 0 must be a positive number of metres")
	requireError(t, c.do(http.MethodPut, "/lens", []byte(`{"name":`)),
		http.StatusBadRequest, island.EInvalidJSON)
	requireError(t, c.do(http.MethodPut, "/lens", []byte(`name: x`), "Content-Type", "text/yaml"),
		http.StatusUnsupportedMediaType, island.EUnsupportedMedia)
	assert.Equal(t, &hub.LensRef{Name: "default", Version: "1"}, statusOf(t, c).Lens,
		"a rejected lens keeps the old one")

	r = c.do(http.MethodDelete, "/lens", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"unloaded":{"name":"default","version":"1"}}`, string(r.body))
	r = c.do(http.MethodDelete, "/lens", nil)
	assert.JSONEq(t, `{"unloaded":null}`, string(r.body), "unloading twice is harmless")
	assert.Nil(t, statusOf(t, c).Lens)
}

// steppingClock returns a clock that starts at t0 and moves by step on
// every reading.
func steppingClock(t0 time.Time, step time.Duration) func() time.Time {
	now := t0.Add(-step)
	return func() time.Time {
		now = now.Add(step)
		return now
	}
}

func TestFusionRuns(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	s := startHub(t, hub.Config{Lens: island.DefaultLens(), MaxRuns: 3,
		Now: steppingClock(t0, 250*time.Millisecond)})
	c := newClient(t, s)
	ingestFixtures(t, c)

	var ids []string
	for range 4 {
		r := c.do(http.MethodPost, "/fusion/run", nil)
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		run := decode[hub.Run](t, r)
		assert.Equal(t, 250.0, run.DurationMS)
		ids = append(ids, run.ID)
	}
	assert.Equal(t, "20260314T100000.250000000Z-00000001", ids[0])
	assert.True(t, sort.StringsAreSorted(ids), "run ids sort as the runs were made: %v", ids)

	requireError(t, c.do(http.MethodGet, "/fusion/results/"+ids[0], nil),
		http.StatusNotFound, island.ERunNotFound)
	requireError(t, c.do(http.MethodGet, "/fusion/results/nope", nil),
		http.StatusNotFound, island.ERunNotFound)
	r := c.do(http.MethodGet, "/fusion/results/"+ids[3], nil)
	require.Equal(t, http.StatusOK, r.status)
	got := decode[hub.Run](t, r)
	assert.Equal(t, t0.Add(7*250*time.Millisecond), got.CreatedAt)

	r = c.do(http.MethodGet, "/fusion/results", nil)
	require.Equal(t, http.StatusOK, r.status)
	list := decode[map[string][]hub.RunSummary](t, r)["runs"]
	require.Len(t, list, 3, "the archive keeps MaxRuns runs")
	assert.Equal(t, []string{ids[3], ids[2], ids[1]}, []string{list[0].ID, list[1].ID, list[2].ID})
	assert.Equal(t, hub.RunSummary{ID: ids[3], CreatedAt: got.CreatedAt, Lens: got.Lens,
		Observations: 15, Tracks: 5, Matches: 15, DurationMS: 250}, list[0])

	r = c.do(http.MethodGet, "/fusion/results?limit=1", nil)
	assert.Len(t, decode[map[string][]hub.RunSummary](t, r)["runs"], 1)
	requireError(t, c.do(http.MethodGet, "/fusion/results?limit=4", nil),
		http.StatusBadRequest, island.EInvalidParameter)
	assert.Equal(t, 3, statusOf(t, c).Runs)
}

func TestRunIDsNeverGoBack(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	c := newClient(t, startHub(t, hub.Config{Lens: island.DefaultLens(),
		Now: steppingClock(t0, -time.Second)}))
	var ids []string
	for range 3 {
		r := c.do(http.MethodPost, "/fusion/run", nil)
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		ids = append(ids, decode[hub.Run](t, r).ID)
	}
	assert.True(t, sort.StringsAreSorted(ids), "a clock that goes back: %v", ids)
}

func TestEmptyFusionRun(t *testing.T) {
	c := newClient(t, startHub(t, hub.Config{Lens: island.DefaultLens()}))
	r := c.do(http.MethodPost, "/fusion/run", nil)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	run := decode[map[string]any](t, r)
	assert.Equal(t, []any{}, run["tracks"])
	assert.Equal(t, []any{}, run["unmatched"])
}

func TestHealthz(t *testing.T) {
	c := newClient(t, startHub(t, hub.Config{}))
	r := c.do(http.MethodGet, "/healthz", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"status":"ok"}`, string(r.body))
}

func TestUnknownRoutes(t *testing.T) {
	c := newClient(t, startHub(t, hub.Config{}))
	requireError(t, c.do(http.MethodGet, "/nope", nil), http.StatusNotFound, island.ENotFound)
	r := c.do(http.MethodGet, "/ingest", nil)
	requireError(t, r, http.StatusMethodNotAllowed, island.EMethodNotAllowed)
	assert.Contains(t, r.header.Get("Allow"), http.MethodPost)
	requireError(t, c.do(http.MethodPost, "/status", nil),
		http.StatusMethodNotAllowed, island.EMethodNotAllowed)
}

// faultyStore fails or panics where told.
type faultyStore struct {
	hub.Store
	failSnapshot, failAdd, panicStatus atomic.Bool
}

var errDisk = errors.New("disk on fire")

func (f *faultyStore) Snapshot(ctx context.Context) ([]island.Observation, error) {
	if f.failSnapshot.Load() {
		return nil, errDisk
	}
	return f.Store.Snapshot(ctx)
}

func (f *faultyStore) Add(ctx context.Context, obs []island.Observation) (store.Added, error) {
	if f.failAdd.Load() {
		return store.Added{}, errDisk
	}
	return f.Store.Add(ctx, obs)
}

func (f *faultyStore) Status(ctx context.Context) (store.Status, error) {
	if f.panicStatus.Load() {
		panic("status exploded")
	}
	return f.Store.Status(ctx)
}

func TestStoreFailures(t *testing.T) {
	fs := &faultyStore{Store: store.New()}
	s := startHub(t, hub.Config{Store: fs, Lens: island.DefaultLens()})
	c := newClient(t, s)
	ingestFixtures(t, c)

	fs.failSnapshot.Store(true)
	e := requireError(t, c.do(http.MethodPost, "/fusion/run", nil),
		http.StatusInternalServerError, island.EInternal)
	assert.NotContains(t, e.Error.Message, "disk on fire", "internal causes stay in the log")
	fs.failSnapshot.Store(false)
	assert.Equal(t, 0, statusOf(t, c).Runs, "a failed run is not kept")
	assert.Equal(t, 15, statusOf(t, c).Total)

	fs.failAdd.Store(true)
	requireError(t, c.do(http.MethodPost, "/ingest", fixtureFile(t, "alpha.json")),
		http.StatusInternalServerError, island.EInternal)
	fs.failAdd.Store(false)

	fs.panicStatus.Store(true)
	requireError(t, c.do(http.MethodGet, "/status", nil),
		http.StatusInternalServerError, island.EInternal)
	fs.panicStatus.Store(false)
	assert.Equal(t, 15, statusOf(t, c).Total, "the hub serves on after a panic")
}

// TestFusionPanicChangesNothing loads a lens that the engine refuses (its
// gates are zero): the run fails whole and nothing is kept.
func TestFusionPanicChangesNothing(t *testing.T) {
	s := startHub(t, hub.Config{})
	c := newClient(t, s)
	ingestFixtures(t, c)
	s.SetLens(&island.Lens{Name: "broken", MinNodes: 2})
	requireError(t, c.do(http.MethodPost, "/fusion/run", nil),
		http.StatusInternalServerError, island.EInternal)
	st := statusOf(t, c)
	assert.Equal(t, 0, st.Runs)
	assert.Equal(t, 15, st.Total)
}
