package harness_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub"
	"github.com/island-sensors/island/hub/store"
)

// op makes an operation of node carrying n generated observations.
func op(id int, node string, status harness.OpStatus, seed int64, n int) (harness.Op,
	[]island.Observation) {
	obs := edge.Generate(node, n, seed)
	keys := []island.ObservationKey{}
	for _, o := range obs {
		keys = append(keys, o.Key())
	}
	return harness.Op{ID: id, Node: node, Status: status, Observations: keys}, obs
}

func TestCheckExactlyOnce(t *testing.T) {
	a, aObs := op(0, "alpha", harness.OpOK, 1, 3)
	b, bObs := op(1, "bravo", harness.OpOK, 1, 2)
	v := harness.Check([]harness.Op{a, b}, append(aObs, bObs...))
	assert.True(t, v.OK(), v.String())
	assert.Equal(t, 5, v.Stored)
	assert.Equal(t, "lost=0 duplicated=0 unexpected=0 unknown=0 "+
		"(stored 0, not stored 0, partial 0)", v.Counts())
	assert.Contains(t, v.String(), "exactly once: ")
}

func TestCheckFindsLost(t *testing.T) {
	a, obs := op(0, "alpha", harness.OpOK, 1, 3)
	v := harness.Check([]harness.Op{a}, obs[:2])
	assert.False(t, v.OK())
	assert.Equal(t, 1, v.Lost)
	assert.Equal(t, []island.ObservationKey{obs[2].Key()}, v.LostKeys)
	assert.Contains(t, v.String(), "violated: lost=1 duplicated=0 unexpected=0")
	assert.Contains(t, v.String(), "lost: "+obs[2].Key().String())
}

func TestCheckFindsDuplicates(t *testing.T) {
	a, obs := op(0, "alpha", harness.OpOK, 1, 4)
	b, other := op(1, "alpha", harness.OpOK, 2, 1)
	stored := append(append(append([]island.Observation{}, obs...), other...), obs...)
	stored = append(stored, other[0], other[0]) // three copies: two too many
	v := harness.Check([]harness.Op{a, b}, stored)
	assert.Equal(t, 6, v.Duplicated)
	assert.Len(t, v.DuplicatedKeys, 5)
	assert.Zero(t, v.Lost)
	assert.Contains(t, v.String(), "duplicated=6")
}

func TestCheckFindsUnexpected(t *testing.T) {
	a, obs := op(0, "alpha", harness.OpOK, 1, 2)
	f, failedObs := op(1, "bravo", harness.OpFailed, 1, 2)
	_, never := op(2, "charlie", harness.OpOK, 1, 1)
	stored := append(append(append([]island.Observation{}, obs...), failedObs[0]), never...)
	v := harness.Check([]harness.Op{a, f}, stored)
	assert.Equal(t, 2, v.Unexpected, "a failed operation's observation and one never sent")
	assert.Equal(t, []island.ObservationKey{failedObs[0].Key(), never[0].Key()},
		v.UnexpectedKeys)
	assert.False(t, v.OK())
}

func TestCheckResolvesUnknowns(t *testing.T) {
	stored, notStored := op(0, "alpha", harness.OpUnknown, 1, 3)
	gone, _ := op(1, "alpha", harness.OpUnknown, 2, 3)
	invoked, invokedObs := op(2, "bravo", harness.OpInvoked, 1, 2)
	partial, partialObs := op(3, "charlie", harness.OpUnknown, 1, 3)
	failed, _ := op(4, "charlie", harness.OpFailed, 2, 3)
	held := append(append(append([]island.Observation{}, notStored...), invokedObs...),
		partialObs[:1]...)
	v := harness.Check([]harness.Op{stored, gone, invoked, partial, failed}, held)
	assert.Equal(t, 2, v.UnknownStored)
	assert.Equal(t, 1, v.UnknownNotStored)
	assert.Equal(t, 1, v.UnknownPartial)
	assert.Equal(t, []int{3}, v.PartialOps)
	assert.Zero(t, v.Lost+v.Duplicated+v.Unexpected)
	assert.False(t, v.OK(), "a batch stored in part is not atomic")
	assert.Contains(t, v.String(), "stored in part: ops [3]")

	v = harness.Check([]harness.Op{stored, gone, invoked, failed}, held[:5])
	assert.True(t, v.OK(), v.String())
	assert.Equal(t, "lost=0 duplicated=0 unexpected=0 unknown=3 "+
		"(stored 2, not stored 1, partial 0)", v.Counts())
}

func TestCheckAResentBatch(t *testing.T) {
	first, obs := op(0, "alpha", harness.OpUnknown, 1, 3)
	again := first
	again.ID, again.Status = 1, harness.OpOK
	v := harness.Check([]harness.Op{first, again}, obs)
	assert.True(t, v.OK(), v.String())
	v = harness.Check([]harness.Op{first, again}, nil)
	assert.Equal(t, 3, v.Lost, "acknowledged by the resend")
}

func TestVerdictRecord(t *testing.T) {
	a, obs := op(0, "alpha", harness.OpOK, 1, 3)
	c := harness.Case{ID: "V-1", Title: "verdict", Run: func(t *harness.T) {
		harness.Check([]harness.Op{a}, obs[:2]).Record(t)
	}}
	cr := only(t, run(t, &harness.Runner{}, suite("V", c)))
	assert.Equal(t, "violated: lost=1 duplicated=0 unexpected=0 unknown=0 "+
		"(stored 0, not stored 0, partial 0)", cr.Properties["check.verdict"])
	figures := map[string]float64{}
	for _, f := range cr.Figures {
		figures[f.Name] = f.Value
	}
	assert.Equal(t, map[string]float64{"history.ops": 1, "history.ok": 1,
		"history.failed": 0, "history.unknown": 0, "history.invoked": 0,
		"history.attempts": 0, "history.observations": 3, "history.faults": 0,
		"check.stored": 2, "check.lost": 1, "check.duplicated": 0, "check.unexpected": 0,
		"check.unknown_stored": 0, "check.unknown_not_stored": 0, "check.unknown_partial": 0,
	}, figures)
}

func TestReadStorePagesThroughEverything(t *testing.T) {
	st := store.New()
	obs := edge.Generate("alpha", hub.MaxPageLimit+7, 1)
	want := append([]island.Observation{}, obs...)
	_, err := st.Add(context.Background(), obs)
	require.NoError(t, err)
	srv := httptest.NewServer(hub.New(hub.Config{Store: st}).Handler())
	defer srv.Close()
	got, err := harness.ReadStore(context.Background(), srv.Client(), srv.URL)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for n := range want {
		require.Equal(t, want[n].Key(), got[n].Key())
	}
}

func TestReadStoreSaysWhatFailed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no store here", http.StatusTeapot)
	}))
	defer srv.Close()
	_, err := harness.ReadStore(context.Background(), srv.Client(), srv.URL)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "answered 418: no store here")

	_, err = harness.ReadStore(context.Background(), srv.Client(), "http://127.0.0.1:1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read the store: GET http://127.0.0.1:1/observations")
}
