package suites

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/harness"
	"github.com/island-sensors/island/hub"
)

// hubDo sends a request straight to i's hub, with body encoded as JSON
// (nil for none), and returns the answer's status and body. It fails the
// case when no answer comes.
func hubDo(t *harness.T, i *harness.Island, method, path string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(t, err, "encoding the body of %s %s", method, path)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, i.HubURL()+path, rd)
	require.NoError(t, err, "making the request %s %s", method, path)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := i.HTTP.Do(req)
	require.NoError(t, err, "%s %s got no answer", method, path)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "reading the answer of %s %s", method, path)
	return resp.StatusCode, data
}

// hubJSON sends a request as hubDo does, requires a 200 answer and decodes
// it into out, unless out is nil.
func hubJSON(t *harness.T, i *harness.Island, method, path string, body, out any) {
	status, data := hubDo(t, i, method, path, body)
	require.Equal(t, http.StatusOK, status, "%s %s answered %d: %s", method, path, status, data)
	if out != nil {
		require.NoError(t, json.Unmarshal(data, out), "decoding the answer of %s %s: %s",
			method, path, data)
	}
}

// hubStatus reads GET /status.
func hubStatus(t *harness.T, i *harness.Island) hub.StatusAnswer {
	var st hub.StatusAnswer
	hubJSON(t, i, http.MethodGet, "/status", nil, &st)
	return st
}

// statusProblem says what is inconsistent in a status answer, or "" when
// its node counts add up to its total and node_count counts its nodes.
func statusProblem(st hub.StatusAnswer) string {
	sum := 0
	for _, n := range st.Nodes {
		sum += n
	}
	switch {
	case sum != st.Total:
		return fmt.Sprintf("the node counts %v add up to %d, but the total is %d",
			st.Nodes, sum, st.Total)
	case st.NodeCount != len(st.Nodes):
		return fmt.Sprintf("node_count is %d, but %d nodes are listed: %v",
			st.NodeCount, len(st.Nodes), st.Nodes)
	}
	return ""
}

// storedObservations reads everything i's hub stores, of one node or of
// all when node is "", page by page through GET /observations.
func storedObservations(t *harness.T, i *harness.Island, node string) []island.Observation {
	t.Helper()
	out, err := harness.ReadNode(t.Context(), i.HTTP, i.HubURL(), node)
	require.NoError(t, err)
	return out
}

// clearHub empties i's store through POST /clear and returns how many
// observations it held.
func clearHub(t *harness.T, i *harness.Island) int {
	var ans struct {
		Cleared int `json:"cleared"`
	}
	hubJSON(t, i, http.MethodPost, "/clear", nil, &ans)
	return ans.Cleared
}

// fuseHub runs fusion on i's hub through POST /fusion/run.
func fuseHub(t *harness.T, i *harness.Island) hub.Run {
	var run hub.Run
	hubJSON(t, i, http.MethodPost, "/fusion/run", nil, &run)
	return run
}

// fetchRun reads one kept run through GET /fusion/results/{id}.
func fetchRun(t *harness.T, i *harness.Island, id string) hub.Run {
	var run hub.Run
	hubJSON(t, i, http.MethodGet, "/fusion/results/"+url.PathEscape(id), nil, &run)
	return run
}

// fixture returns the shipped batch of node.
func fixture(t *harness.T, node string) island.Batch {
	b, err := island.Fixture(node)
	require.NoError(t, err, "reading the fixture of %s", node)
	return b
}

// storeDiff compares what a hub stores with what was acknowledged, by
// (node_id, id), and says what is wrong, or "" when every acknowledged
// observation is stored exactly once, as sent, and nothing else is:
// acknowledged but missing is lost, stored twice is duplicated, stored but
// never sent is unexpected.
func storeDiff(sent, stored []island.Observation) string {
	want := map[island.ObservationKey]island.Observation{}
	for _, o := range sent {
		want[keyOf(o)] = o
	}
	seen := map[island.ObservationKey]int{}
	var dup, unexpected, changed []string
	for _, o := range stored {
		k := keyOf(o)
		if seen[k]++; seen[k] == 2 {
			dup = append(dup, k.String())
		}
		w, ok := want[k]
		switch {
		case !ok:
			unexpected = append(unexpected, k.String())
		case seen[k] == 1 && !sameObservation(w, o):
			changed = append(changed, k.String())
		}
	}
	var lost []string
	for k := range want {
		if seen[k] == 0 {
			lost = append(lost, k.String())
		}
	}
	var msg []string
	for _, p := range []struct {
		what string
		keys []string
	}{{"lost", lost}, {"duplicated", dup}, {"unexpected", unexpected}, {"changed", changed}} {
		if len(p.keys) > 0 {
			msg = append(msg, fmt.Sprintf("%d %s (%s)", len(p.keys), p.what, firstKeys(p.keys)))
		}
	}
	if len(msg) == 0 {
		return ""
	}
	return fmt.Sprintf("of %d observations sent and %d stored: %s",
		len(want), len(stored), strings.Join(msg, "; "))
}

// sameObservation compares two observations field by field, timestamps as
// instants.
func sameObservation(a, b island.Observation) bool {
	return a.ID == b.ID && a.NodeID == b.NodeID && a.Timestamp.Equal(b.Timestamp) &&
		a.Lat == b.Lat && a.Lon == b.Lon && a.Class == b.Class && a.Confidence == b.Confidence
}

func keyOf(o island.Observation) island.ObservationKey {
	return island.ObservationKey{NodeID: o.NodeID, ID: o.ID}
}

// firstKeys lists the first few of keys, sorted, and counts the rest.
func firstKeys(keys []string) string {
	slices.Sort(keys)
	const show = 5
	if len(keys) <= show {
		return strings.Join(keys, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(keys[:show], ", "), len(keys)-show)
}

// postThroughEdge posts b through node's edge, and so through its proxy,
// and requires that the hub stored it.
func postThroughEdge(t *harness.T, i *harness.Island, node string, b island.Batch) edge.Result {
	res, err := i.Edge(node).PostBatch(t.Context(), b)
	require.NoError(t, err, "%s posted its batch of %d through its edge", node, len(b.Observations))
	require.Equal(t, edge.StatusSuccess, res.Status, "%s: %+v", node, res)
	return res
}

// requireExactlyOnce reads everything i's hub stores back and requires
// that it holds each observation of the batches sent exactly once, as the
// hub normalises it, and nothing else.
func requireExactlyOnce(t *harness.T, i *harness.Island, sent ...island.Batch) {
	var want []island.Observation
	for _, b := range sent {
		b.Observations = slices.Clone(b.Observations)
		b.Normalize()
		want = append(want, b.Observations...)
	}
	if d := storeDiff(want, storedObservations(t, i, "")); d != "" {
		t.Fatalf("the hub does not hold each observation exactly once: %s", d)
	}
}

// failureClasses lists the class of every failed attempt of res, in order.
func failureClasses(res edge.Result) []edge.Class {
	out := []edge.Class{}
	for _, a := range res.Failures {
		out = append(out, a.Class)
	}
	return out
}

// errorCodeOf returns the code of the hub's error envelope in body, "" when
// body carries none.
func errorCodeOf(body []byte) string {
	var env struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil {
		return ""
	}
	return env.Error.Code
}
