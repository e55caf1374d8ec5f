package harness_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/chaos"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
)

func TestOutcome(t *testing.T) {
	failed := func(attempts ...edge.Attempt) edge.Result {
		return edge.Result{Status: edge.StatusFailed, Attempts: len(attempts), Failures: attempts}
	}
	refused := edge.Attempt{Class: edge.ClassConnect}
	cut := edge.Attempt{Class: edge.ClassRead, Writes: 1}
	status := func(code int) edge.Attempt {
		return edge.Attempt{Class: edge.ClassStatus, Writes: 1, Status: code}
	}
	boom := errors.New("boom")
	for _, c := range []struct {
		name string
		res  edge.Result
		err  error
		want harness.OpStatus
	}{
		{"success", edge.Result{Status: edge.StatusSuccess, Attempts: 1}, nil, harness.OpOK},
		{"success after a cut answer",
			edge.Result{Status: edge.StatusSuccess, Attempts: 2, Failures: []edge.Attempt{cut}},
			nil, harness.OpOK},
		{"every attempt refused", failed(refused, refused, refused), boom, harness.OpFailed},
		{"no attempt at all", edge.Result{Status: edge.StatusFailed}, boom, harness.OpFailed},
		{"refused, then cut", failed(refused, cut), boom, harness.OpUnknown},
		{"a timeout after writing", failed(edge.Attempt{Class: edge.ClassTimeout, Writes: 1}),
			boom, harness.OpUnknown},
		{"canceled after writing", failed(edge.Attempt{Class: edge.ClassCanceled, Writes: 1}),
			boom, harness.OpUnknown},
		{"rejected with 422", failed(status(http.StatusUnprocessableEntity)), boom,
			harness.OpFailed},
		{"refused while in flight", failed(status(http.StatusConflict)), boom, harness.OpFailed},
		{"answered 429", failed(status(http.StatusTooManyRequests)), boom, harness.OpUnknown},
		{"answered 503", failed(status(http.StatusServiceUnavailable)), boom, harness.OpUnknown},
		{"answered 500", failed(status(http.StatusInternalServerError)), boom, harness.OpUnknown},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, harness.Outcome(c.res, c.err))
		})
	}
}

func TestHistoryRecordsConcurrentOperations(t *testing.T) {
	step := time.Millisecond
	clock := &stepClock{now: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC), step: step}
	h := harness.NewHistory(clock.Now)
	const nodes, each = 4, 50
	var wg sync.WaitGroup
	for n := range nodes {
		wg.Go(func() {
			node := fmt.Sprintf("n%d", n)
			for b := range each {
				obs := edge.Generate(node, 3, int64(b+1))
				obs[0].NodeID = "" // filled in as the hub does
				id := h.Invoke(node, fmt.Sprintf("%s-%d", node, b), obs)
				h.AddFaults(id, node+"/reset_up")
				h.End(id, edge.Result{Status: edge.StatusSuccess, Attempts: 2,
					Failures: []edge.Attempt{{Class: edge.ClassRead, Writes: 1}}}, nil)
			}
		})
	}
	wg.Wait()
	ops := h.Ops()
	require.Len(t, ops, nodes*each)
	for n, op := range ops {
		assert.Equal(t, n, op.ID)
		assert.Equal(t, harness.OpOK, op.Status)
		assert.Equal(t, []edge.Class{edge.ClassRead}, op.Classes)
		assert.Equal(t, []string{op.Node + "/reset_up"}, op.Faults)
		assert.Equal(t, op.Node, op.Observations[0].NodeID, "a missing node id is the node's")
		assert.True(t, op.Finished.After(op.Invoked))
	}
	s := harness.Summarize(ops)
	assert.Equal(t, harness.HistorySummary{Ops: 200, OK: 200, Attempts: 400,
		Observations: 600, Faults: 200}, s)

	ops[0].Observations[0].ID = "changed"
	assert.NotEqual(t, "changed", h.Ops()[0].Observations[0].ID, "Ops returns a copy")
}

func TestInvokedOperationsStayInvoked(t *testing.T) {
	h := harness.NewHistory(nil)
	h.Invoke("alpha", "k", edge.Generate("alpha", 2, 1))
	ops := h.Ops()
	require.Len(t, ops, 1)
	assert.Equal(t, harness.OpInvoked, ops[0].Status)
	assert.True(t, ops[0].Finished.IsZero())
	assert.Equal(t, 1, harness.Summarize(ops).Invoked)
}

// TestRecorderAtARealHub posts through a real proxy to a real hub: once
// with the first answer cut (ok after a retry), once with every answer cut
// (unknown, and stored), once with every connection refused (failed, and not
// stored); the checker then finds everything exactly once.
func TestRecorderAtARealHub(t *testing.T) {
	noLeak(t)
	c := harness.Case{ID: "H-1", Title: "recorder", Run: func(t *harness.T) {
		i := t.IslandWith(harness.IslandConfig{Policy: edge.Policy{MaxAttempts: 3}})
		p := i.Proxy("alpha")
		h := harness.NewHistory(nil)
		rec := harness.Recorder{Client: i.Edge("alpha"), History: h}
		batch := func(seed int64) island.Batch {
			return island.Batch{NodeID: "alpha", Observations: edge.Generate("alpha", 4, seed)}
		}

		require.NoError(t, p.AddFault(chaos.Fault{Name: "cut", Kind: chaos.Schedule{
			Plan: chaos.Plan{First: 1}, Action: chaos.Reset}}))
		_, res, err := rec.Post(t.Context(), batch(1))
		require.NoError(t, err)
		assert.Equal(t, 2, res.Attempts)
		require.NoError(t, p.RemoveFault("cut"))

		require.NoError(t, p.AddFault(chaos.Fault{Name: "cut_all",
			Kind: chaos.ResetAfter{Bytes: 0}}))
		id, _, err := rec.Post(t.Context(), batch(2))
		require.Error(t, err)
		h.AddFaults(id, "alpha/cut_all")
		require.NoError(t, p.RemoveFault("cut_all"))

		require.NoError(t, p.RefuseNext(3))
		_, _, err = rec.Post(t.Context(), batch(3))
		require.Error(t, err)

		ops := h.Ops()
		require.Len(t, ops, 3)
		assert.Equal(t, []harness.OpStatus{harness.OpOK, harness.OpUnknown, harness.OpFailed},
			[]harness.OpStatus{ops[0].Status, ops[1].Status, ops[2].Status})
		assert.Equal(t, []edge.Class{edge.ClassConnect, edge.ClassConnect, edge.ClassConnect},
			ops[2].Classes)
		assert.Equal(t, []string{"alpha/cut_all"}, ops[1].Faults)
		assert.Equal(t, res.Key, ops[0].Key)

		stored, err := harness.ReadStore(t.Context(), i.HTTP, i.HubURL())
		require.NoError(t, err)
		v := harness.Check(ops, stored)
		assert.True(t, v.OK(), v.String())
		assert.Equal(t, 8, v.Stored)
		assert.Equal(t, 1, v.UnknownStored)
		assert.Equal(t, 0, v.UnknownNotStored)
	}}
	res := run(t, &harness.Runner{}, suite("H", c))
	cr := only(t, res)
	require.Equal(t, harness.StatusPassed, cr.Status, "%+v", cr.Failure)
}

func TestReadNodeReadsOneNodeOfARealHub(t *testing.T) {
	c := harness.Case{ID: "H-9", Title: "read one node", Run: func(t *harness.T) {
		i := t.Island()
		for _, node := range i.Nodes {
			post(t, i, node)
		}
		alpha, err := harness.ReadNode(t.Context(), i.HTTP, i.HubURL(), "alpha")
		require.NoError(t, err)
		require.Len(t, alpha, 5)
		for _, o := range alpha {
			assert.Equal(t, "alpha", o.NodeID)
		}
		all, err := harness.ReadStore(t.Context(), i.HTTP, i.HubURL())
		require.NoError(t, err)
		assert.Len(t, all, 15)
	}}
	cr := only(t, run(t, &harness.Runner{}, suite("H", c)))
	require.Equal(t, harness.StatusPassed, cr.Status, "%+v", cr.Failure)
}
