package hub_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
	"github.com/island-sensors/island/hub/store"
)

func TestIdempotencyKey(t *testing.T) {
	c := newClient(t, startHub(t, hub.Config{}))
	alpha := fixtureFile(t, "alpha.json")

	first := c.do(http.MethodPost, "/ingest", alpha, hub.HeaderIdempotencyKey, "k1")
	require.Equal(t, http.StatusOK, first.status, "body: %s", first.body)
	assert.Empty(t, first.header.Get(hub.HeaderIdempotentReplay))

	c.do(http.MethodPost, "/ingest", fixtureFile(t, "bravo.json"))
	again := c.do(http.MethodPost, "/ingest", alpha, hub.HeaderIdempotencyKey, "k1")
	require.Equal(t, http.StatusOK, again.status)
	assert.Equal(t, string(first.body), string(again.body), "the first answer again")
	assert.Equal(t, "true", again.header.Get(hub.HeaderIdempotentReplay))
	assert.Equal(t, 10, statusOf(t, c).Total, "nothing stored twice")

	e := requireError(t, c.do(http.MethodPost, "/ingest", fixtureFile(t, "charlie.json"),
		hub.HeaderIdempotencyKey, "k1"), http.StatusUnprocessableEntity, island.EKeyReused)
	assert.Equal(t, []string{"Idempotency-Key: k1"}, e.Error.Details)
	assert.Equal(t, 10, statusOf(t, c).Total, "a reused key stores nothing")

	// A rejected batch's answer is kept too.
	bad := []byte(`{"node_id":"alpha","observations":[{"id":"x"}]}`)
	r1 := c.do(http.MethodPost, "/ingest", bad, hub.HeaderIdempotencyKey, "k2")
	r2 := c.do(http.MethodPost, "/ingest", bad, hub.HeaderIdempotencyKey, "k2")
	requireError(t, r2, http.StatusUnprocessableEntity, island.EValidation)
	assert.Equal(t, string(r1.body), string(r2.body))

	long := make([]byte, hub.MaxKeyLength+1)
	for i := range long {
		long[i] = 'k'
	}
	requireError(t, c.do(http.MethodPost, "/ingest", alpha, hub.HeaderIdempotencyKey, string(long)),
		http.StatusBadRequest, island.EInvalidParameter)
}

func TestIdempotencyKeysAreBounded(t *testing.T) {
	c := newClient(t, startHub(t, hub.Config{MaxKeys: 2}))
	alpha, bravo := fixtureFile(t, "alpha.json"), fixtureFile(t, "bravo.json")
	for _, k := range []string{"k1", "k2", "k3"} {
		require.Equal(t, http.StatusOK,
			c.do(http.MethodPost, "/ingest", alpha, hub.HeaderIdempotencyKey, k).status)
	}
	// k1 was the oldest and is forgotten: another body under it is new.
	r := c.do(http.MethodPost, "/ingest", bravo, hub.HeaderIdempotencyKey, "k1")
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.Equal(t, 5, decode[hub.Ingested](t, r).Accepted)
	// k3 is still remembered.
	requireError(t, c.do(http.MethodPost, "/ingest", bravo, hub.HeaderIdempotencyKey, "k3"),
		http.StatusUnprocessableEntity, island.EKeyReused)
}

// blockingStore holds every Add until release is closed, and tells when an
// Add has started.
type blockingStore struct {
	hub.Store
	started chan struct{}
	release chan struct{}
}

func (b *blockingStore) Add(ctx context.Context, obs []island.Observation) (store.Added, error) {
	b.started <- struct{}{}
	<-b.release
	return b.Store.Add(ctx, obs)
}

func TestIdempotencyKeyInFlight(t *testing.T) {
	bs := &blockingStore{Store: store.New(), started: make(chan struct{}, 1),
		release: make(chan struct{})}
	c := newClient(t, startHub(t, hub.Config{Store: bs}))
	alpha := fixtureFile(t, "alpha.json")

	firstDone := make(chan reply, 1)
	go func() {
		firstDone <- c.do(http.MethodPost, "/ingest", alpha, hub.HeaderIdempotencyKey, "k1")
	}()
	<-bs.started
	requireError(t, c.do(http.MethodPost, "/ingest", alpha, hub.HeaderIdempotencyKey, "k1"),
		http.StatusConflict, island.EKeyInFlight)
	requireError(t, c.do(http.MethodPost, "/ingest", fixtureFile(t, "bravo.json"),
		hub.HeaderIdempotencyKey, "k1"), http.StatusUnprocessableEntity, island.EKeyReused)
	close(bs.release)
	first := <-firstDone
	require.Equal(t, http.StatusOK, first.status, "body: %s", first.body)

	again := c.do(http.MethodPost, "/ingest", alpha, hub.HeaderIdempotencyKey, "k1")
	assert.Equal(t, string(first.body), string(again.body))
	assert.Equal(t, 5, statusOf(t, c).Total)
}

// TestIdempotencyKeyRetryAfterFailure: a batch that failed inside the hub
// is not answered from memory; its retry is applied.
func TestIdempotencyKeyRetryAfterFailure(t *testing.T) {
	fs := &faultyStore{Store: store.New()}
	c := newClient(t, startHub(t, hub.Config{Store: fs}))
	alpha := fixtureFile(t, "alpha.json")
	fs.failAdd.Store(true)
	requireError(t, c.do(http.MethodPost, "/ingest", alpha, hub.HeaderIdempotencyKey, "k1"),
		http.StatusInternalServerError, island.EInternal)
	fs.failAdd.Store(false)
	r := c.do(http.MethodPost, "/ingest", alpha, hub.HeaderIdempotencyKey, "k1")
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.Equal(t, 5, decode[hub.Ingested](t, r).Accepted)
}

// TestIdempotencyKeyInFlightOutlivesEviction: keys answered later do not
// push out a key whose first request is still running, so its retry is
// still refused rather than applied a second time.
func TestIdempotencyKeyInFlightOutlivesEviction(t *testing.T) {
	bs := &blockingStore{Store: store.New(), started: make(chan struct{}, 1),
		release: make(chan struct{})}
	s := startHub(t, hub.Config{Store: bs, MaxKeys: 1})
	c := newClient(t, s)
	alpha := fixtureFile(t, "alpha.json")
	send := func(key string) <-chan reply {
		done := make(chan reply, 1)
		go func() { done <- c.do(http.MethodPost, "/ingest", alpha, hub.HeaderIdempotencyKey, key) }()
		return done
	}

	first := send("k1")
	<-bs.started
	bad := []byte(`{"node_id":"alpha","observations":[{"id":"x"}]}`) // never reaches Add
	for _, k := range []string{"k2", "k3"} {
		requireError(t, c.do(http.MethodPost, "/ingest", bad, hub.HeaderIdempotencyKey, k),
			http.StatusUnprocessableEntity, island.EValidation)
	}
	assert.Equal(t, 2, s.Footprint().Keys, "k1 in flight and k3, the newest answered")
	retry := send("k1")
	select {
	case r := <-retry:
		requireError(t, r, http.StatusConflict, island.EKeyInFlight)
	case <-bs.started:
		t.Error("the retry of a key in flight was applied")
		close(bs.release)
		<-retry
		<-first
		return
	}
	close(bs.release)
	require.Equal(t, http.StatusOK, (<-first).status)
}
