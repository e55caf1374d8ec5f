package hub_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
)

// TestEndToEnd walks the scenario of a new user with the shipped fixtures
// and lens, over a real loopback server.
func TestEndToEnd(t *testing.T) {
	lens, err := island.ParseLens(fixtureFile(t, "lens.json"))
	require.NoError(t, err)
	c := newClient(t, startHub(t, hub.Config{Lens: lens}))

	for _, node := range island.FixtureNodes {
		r := c.do(http.MethodPost, "/ingest", fixtureFile(t, node+".json"))
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		in := decode[hub.Ingested](t, r)
		assert.Equal(t, node, in.NodeID)
		assert.Equal(t, 5, in.Accepted)
		assert.Equal(t, 0, in.Duplicates)
	}
	st := statusOf(t, c)
	assert.Equal(t, map[string]int{"alpha": 5, "bravo": 5, "charlie": 5}, st.Nodes)
	assert.Equal(t, 3, st.NodeCount)
	assert.Equal(t, 15, st.Total)
	assert.Equal(t, &hub.LensRef{Name: "default", Version: "1"}, st.Lens)

	r := c.do(http.MethodPost, "/fusion/run", nil)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	run := decode[hub.Run](t, r)
	require.Len(t, run.Tracks, 5)
	for _, tr := range run.Tracks {
		assert.Len(t, tr.Members, 3, tr.ID)
	}
	assert.Equal(t, 15, run.Matches)
	assert.Empty(t, run.Unmatched)
	assert.Equal(t, 15, run.Observations)
	assert.Equal(t, hub.LensRef{Name: "default", Version: "1"}, run.Lens)

	again := c.do(http.MethodGet, "/fusion/results/"+run.ID, nil)
	require.Equal(t, http.StatusOK, again.status)
	assert.JSONEq(t, string(r.body), string(again.body), "the run read back is the same")

	r = c.do(http.MethodPost, "/clear", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, map[string]int{"cleared": 15}, decode[map[string]int](t, r))
	st = statusOf(t, c)
	assert.Equal(t, 0, st.Total)
	assert.Empty(t, st.Nodes)
	assert.Equal(t, 1, st.Runs)
	assert.Equal(t, http.StatusOK, c.do(http.MethodGet, "/fusion/results/"+run.ID, nil).status,
		"the run outlives the clear")

	for _, node := range island.FixtureNodes {
		require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/ingest",
			fixtureFile(t, node+".json")).status)
	}
	before := allObservations(t, c, "")
	require.Equal(t, http.StatusOK, c.do(http.MethodDelete, "/lens", nil).status)
	requireError(t, c.do(http.MethodPost, "/fusion/run", nil),
		http.StatusInternalServerError, island.ELensNotLoaded)
	assert.Equal(t, before, allObservations(t, c, ""), "a failed run changes nothing stored")
	assert.Equal(t, 15, statusOf(t, c).Total)
	assert.Equal(t, 1, statusOf(t, c).Runs)
}
