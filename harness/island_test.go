package harness_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/chaos"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub"
)

func status(t *harness.T, i *harness.Island) hub.StatusAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, i.HubURL()+"/status", nil)
	require.NoError(t, err)
	resp, err := i.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st hub.StatusAnswer
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

func post(t *harness.T, i *harness.Island, node string) edge.Result {
	t.Helper()
	b, err := island.Fixture(node)
	require.NoError(t, err)
	res, err := i.Edge(node).PostBatch(t.Context(), b)
	require.NoError(t, err, node)
	return res
}

func TestIslandThroughItsProxies(t *testing.T) {
	noLeak(t)
	var mu sync.Mutex
	var addrs []string
	c := harness.Case{ID: "I-1", Title: "island", Run: func(t *harness.T) {
		i := t.Island()
		mu.Lock()
		addrs = append(addrs, i.Hub.Addr(), i.Proxy("alpha").Addr())
		mu.Unlock()
		assert.Equal(t, island.FixtureNodes, i.Nodes)
		assert.NotNil(t, i.Hub.Lens(), "the default lens is loaded")

		assert.Equal(t, 1, post(t, i, "alpha").Attempts)

		require.NoError(t, i.Proxy("bravo").AddFault(chaos.Fault{Name: "cut",
			Stream: chaos.Upstream,
			Kind:   chaos.Schedule{Plan: chaos.Plan{First: 1}, Action: chaos.Reset}}))
		res := post(t, i, "bravo")
		assert.Equal(t, 2, res.Attempts)

		require.NoError(t, i.Proxy("charlie").RefuseNext(2))
		res = post(t, i, "charlie")
		assert.Equal(t, 3, res.Attempts)
		require.Len(t, res.Failures, 2)
		assert.Equal(t, edge.ClassConnect, res.Failures[0].Class)

		st := status(t, i)
		assert.Equal(t, 15, st.Total)
		assert.Equal(t, map[string]int{"alpha": 5, "bravo": 5, "charlie": 5}, st.Nodes)
	}}
	res := run(t, &harness.Runner{Seed: 3}, suite("I", c))
	cr := only(t, res)
	require.Equal(t, harness.StatusPassed, cr.Status, "%+v", cr.Failure)
	assert.Equal(t, map[string]int64{"bravo/cut": 1, "charlie/refuse": 2}, cr.Faults)

	require.Len(t, addrs, 2)
	for _, addr := range addrs {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
		}
		assert.Error(t, err, "%s still listens after the case", addr)
	}
}

func TestIslandWithConfig(t *testing.T) {
	noLeak(t)
	var retried []edge.Class
	c := harness.Case{ID: "I-2", Title: "configured", Run: func(t *harness.T) {
		i := t.IslandWith(harness.IslandConfig{
			NoLens: true,
			Nodes:  []string{"alpha"},
			Policy: edge.Policy{MaxAttempts: 2,
				AfterAttempt: func(a edge.Attempt) { retried = append(retried, a.Class) }},
		})
		assert.Nil(t, i.Hub.Lens())
		assert.Equal(t, []string{"alpha"}, i.Nodes)
		require.NoError(t, i.Proxy("alpha").Disable())
		b, err := island.Fixture("alpha")
		require.NoError(t, err)
		res, err := i.Edge("alpha").PostBatch(t.Context(), b)
		assert.ErrorIs(t, err, edge.ErrExhausted)
		assert.Equal(t, 2, res.Attempts)
		i.Edge("delta")
		t.Log("not reached")
	}}
	cr := only(t, run(t, &harness.Runner{}, suite("I", c)))
	require.NotNil(t, cr.Failure)
	assert.Equal(t, `the island has no edge "delta"; its nodes are alpha`, cr.Failure.Message)
	assert.Equal(t, []edge.Class{edge.ClassConnect, edge.ClassConnect}, retried)
	require.NotEmpty(t, cr.Log)
	assert.Contains(t, cr.Log[0].Text, `msg="attempt failed" node=alpha attempt=1 class=connect`)
	for _, l := range cr.Log {
		assert.NotEqual(t, "not reached", l.Text)
	}
}

func TestIslandsOfParallelCasesAreApart(t *testing.T) {
	noLeak(t)
	var cases []harness.Case
	for _, id := range []string{"P-1", "P-2", "P-3", "P-4"} {
		cases = append(cases, harness.Case{ID: id, Run: func(t *harness.T) {
			i := t.Island()
			for _, node := range i.Nodes {
				post(t, i, node)
			}
			assert.Equal(t, 15, status(t, i).Total)
		}})
	}
	res, err := (&harness.Runner{Parallel: 4}).Run(context.Background(),
		[]harness.Suite{suite("P", cases...)})
	require.NoError(t, err)
	assert.Equal(t, harness.Counts{Cases: 4, Passed: 4}, res.Counts(), "%+v", res.Suites)
}

func TestRunnerTamperChangesEveryIsland(t *testing.T) {
	noLeak(t)
	c := harness.Case{ID: "I-4", Title: "tampered", Run: func(t *harness.T) {
		i := t.Island()
		assert.Nil(t, i.Hub.Lens(), "the tamper removed the lens")
		assert.Equal(t, []string{"alpha"}, i.Nodes)
	}}
	tamper := func(cfg *harness.IslandConfig) {
		cfg.NoLens = true
		cfg.Nodes = []string{"alpha"}
	}
	cr := only(t, run(t, &harness.Runner{Tamper: tamper}, suite("I", c)))
	assert.Nil(t, cr.Failure)

	cr = only(t, run(t, &harness.Runner{}, suite("I", c)))
	require.NotNil(t, cr.Failure, "without the tamper the island has a lens")
}
