package hub_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
	"github.com/island-sensors/island/hub/store"
)

func TestFootprintCountsStoreKeysAndRuns(t *testing.T) {
	s := startHub(t, hub.Config{Lens: island.DefaultLens(), MaxKeys: 2, MaxRuns: 3})
	c := newClient(t, s)
	assert.Equal(t, hub.Footprint{StoreCounted: true}, s.Footprint())

	for i, node := range island.FixtureNodes {
		r := c.do(http.MethodPost, "/ingest", mustJSON(t, fixtureBatch(t, node)),
			hub.HeaderIdempotencyKey, "key-"+node)
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		assert.Equal(t, min(i+1, 2), s.Footprint().Keys, "keys are bounded by MaxKeys")
	}
	for range 4 {
		require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/fusion/run", nil).status)
	}
	f := s.Footprint()
	assert.Equal(t, store.Footprint{Observations: 15, Slots: f.Store.Slots, Chunks: 3,
		Nodes: 3, IDs: 15}, f.Store)
	assert.GreaterOrEqual(t, f.Store.Slots, 15)
	assert.Equal(t, 3, f.Runs, "runs are bounded by MaxRuns")
	assert.Equal(t, 3*15, f.RunMembers, "three runs of 5 tracks of 3 members")

	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/clear", nil).status)
	assert.Equal(t, hub.Footprint{StoreCounted: true, Keys: 2, Runs: 3, RunMembers: 45},
		s.Footprint(),
		"a clear empties the store and keeps keys and runs")
}

// opaqueStore hides the footprint of the store it wraps.
type opaqueStore struct{ hub.Store }

func TestFootprintOfAStoreThatDoesNotCountItself(t *testing.T) {
	s := hub.New(hub.Config{Store: opaqueStore{store.New()}})
	assert.Equal(t, hub.Footprint{}, s.Footprint())
}
