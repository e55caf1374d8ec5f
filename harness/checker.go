package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
)

// Verdict is what Check found when it compared a history with what the hub
// stores. Counts are of observations unless named otherwise.
type Verdict struct {
	History HistorySummary
	// Stored counts the observations the store returned, copies included.
	Stored int
	// Lost: acknowledged by an ok operation, and not stored.
	Lost int
	// Duplicated: the copies beyond the first of every observation stored
	// more than once, so a batch of n stored twice counts n.
	Duplicated int
	// Unexpected: stored, and carried by no operation that can have
	// reached the hub (never sent, or sent only by failed operations).
	Unexpected int
	// The unknown operations (invoked ones included) by how they resolved:
	// all of their observations stored, none of them, or only some, which
	// breaks the atomicity of a batch.
	UnknownStored, UnknownNotStored, UnknownPartial int
	// The observations behind the counts, sorted; DuplicatedKeys lists each
	// observation stored more than once once.
	LostKeys, DuplicatedKeys, UnexpectedKeys []island.ObservationKey
	// PartialOps are the ids of the unknown operations that resolved partly.
	PartialOps []int
}

// Check compares the history ops with stored, everything the hub stores
// (see ReadStore), by (node_id, id). It is a pure function of its inputs.
func Check(ops []Op, stored []island.Observation) Verdict {
	v := Verdict{History: Summarize(ops), Stored: len(stored)}
	copies := map[island.ObservationKey]int{}
	for _, o := range stored {
		copies[o.Key()]++
	}
	acked := map[island.ObservationKey]bool{}
	reached := map[island.ObservationKey]bool{} // by an op that can have reached the hub
	for _, op := range ops {
		for _, k := range op.Observations {
			acked[k] = acked[k] || op.Status == OpOK
			reached[k] = reached[k] || op.Status != OpFailed
		}
		if op.Status == OpUnknown || op.Status == OpInvoked {
			v.resolve(op, copies)
		}
	}
	for k := range acked {
		if acked[k] && copies[k] == 0 {
			v.LostKeys = append(v.LostKeys, k)
		}
	}
	for k, n := range copies {
		if n > 1 {
			v.Duplicated += n - 1
			v.DuplicatedKeys = append(v.DuplicatedKeys, k)
		}
		if !reached[k] {
			v.UnexpectedKeys = append(v.UnexpectedKeys, k)
		}
	}
	v.Lost, v.Unexpected = len(v.LostKeys), len(v.UnexpectedKeys)
	for _, keys := range [][]island.ObservationKey{v.LostKeys, v.DuplicatedKeys, v.UnexpectedKeys} {
		slices.SortFunc(keys, compareKeys)
	}
	return v
}

// resolve counts how the unknown operation op resolved in the store.
func (v *Verdict) resolve(op Op, copies map[island.ObservationKey]int) {
	found := 0
	for _, k := range op.Observations {
		if copies[k] > 0 {
			found++
		}
	}
	switch {
	case found == len(op.Observations) && found > 0:
		v.UnknownStored++
	case found == 0:
		v.UnknownNotStored++
	default:
		v.UnknownPartial++
		v.PartialOps = append(v.PartialOps, op.ID)
	}
}

func compareKeys(a, b island.ObservationKey) int {
	return strings.Compare(a.String(), b.String())
}

// OK reports whether every observation was stored exactly once as the
// history allows: nothing lost, duplicated or unexpected, and no unknown
// operation stored in part.
func (v Verdict) OK() bool {
	return v.Lost == 0 && v.Duplicated == 0 && v.Unexpected == 0 && v.UnknownPartial == 0
}

// Counts gives the verdict's counts on one line, in a fixed form that
// reports and tests can match: "lost=0 duplicated=0 unexpected=0 unknown=2
// (stored 1, not stored 1, partial 0)".
func (v Verdict) Counts() string {
	return fmt.Sprintf("lost=%d duplicated=%d unexpected=%d unknown=%d "+
		"(stored %d, not stored %d, partial %d)", v.Lost, v.Duplicated, v.Unexpected,
		v.UnknownStored+v.UnknownNotStored+v.UnknownPartial, v.UnknownStored,
		v.UnknownNotStored, v.UnknownPartial)
}

// String says what the verdict is, with its counts, the history's summary
// and the first few observations behind each violation.
func (v Verdict) String() string {
	word := "exactly once"
	if !v.OK() {
		word = "violated"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s; %d stored; history: %s", word, v.Counts(), v.Stored, v.History)
	for _, p := range []struct {
		what string
		keys []island.ObservationKey
	}{{"lost", v.LostKeys}, {"duplicated", v.DuplicatedKeys}, {"unexpected", v.UnexpectedKeys}} {
		if len(p.keys) > 0 {
			fmt.Fprintf(&b, "; %s: %s", p.what, someKeys(p.keys))
		}
	}
	if len(v.PartialOps) > 0 {
		fmt.Fprintf(&b, "; stored in part: ops %v", v.PartialOps)
	}
	return b.String()
}

// someKeys lists the first few keys and counts the rest.
func someKeys(keys []island.ObservationKey) string {
	const show = 5
	names := []string{}
	for _, k := range keys[:min(len(keys), show)] {
		names = append(names, k.String())
	}
	if len(keys) > show {
		names = append(names, fmt.Sprintf("and %d more", len(keys)-show))
	}
	return strings.Join(names, ", ")
}

// Record puts the verdict into t's result, so that both reports carry it:
// the history's summary and the checker's counts as figures named
// "history.<count>" and "check.<count>", and the property "check.verdict",
// "ok" or "violated: " and the counts.
func (v Verdict) Record(t *T) {
	h := v.History
	for _, f := range []struct {
		name string
		n    int
		unit string
	}{
		{"history.ops", h.Ops, "ops"}, {"history.ok", h.OK, "ops"},
		{"history.failed", h.Failed, "ops"}, {"history.unknown", h.Unknown, "ops"},
		{"history.invoked", h.Invoked, "ops"}, {"history.attempts", h.Attempts, "attempts"},
		{"history.observations", h.Observations, "observations"},
		{"history.faults", h.Faults, "faults"},
		{"check.stored", v.Stored, "observations"}, {"check.lost", v.Lost, "observations"},
		{"check.duplicated", v.Duplicated, "observations"},
		{"check.unexpected", v.Unexpected, "observations"},
		{"check.unknown_stored", v.UnknownStored, "ops"},
		{"check.unknown_not_stored", v.UnknownNotStored, "ops"},
		{"check.unknown_partial", v.UnknownPartial, "ops"},
	} {
		t.Figure(f.name, float64(f.n), f.unit)
	}
	verdict := "ok"
	if !v.OK() {
		verdict = "violated: " + v.Counts()
	}
	t.Property("check.verdict", verdict)
}

// ReadStore reads everything the hub at baseURL stores, page by page
// through GET /observations, in storage order. It fails when a page cannot
// be read, or when the pages do not end within maxPages.
func ReadStore(ctx context.Context, c *http.Client, baseURL string) ([]island.Observation, error) {
	return ReadNode(ctx, c, baseURL, "")
}

// ReadNode is ReadStore for the observations of one node; "" reads every
// node's.
func ReadNode(ctx context.Context, c *http.Client, baseURL, node string) ([]island.Observation,
	error) {
	const maxPages = 100_000
	var out []island.Observation
	q := url.Values{"limit": {strconv.Itoa(hub.MaxPageLimit)}}
	if node != "" {
		q.Set("node", node)
	}
	for range maxPages {
		p, err := readPage(ctx, c, baseURL+"/observations?"+q.Encode())
		if err != nil {
			return nil, err
		}
		out = append(out, p.Observations...)
		if p.Next == "" {
			return out, nil
		}
		q.Set("after", p.Next)
	}
	return nil, fmt.Errorf("GET /observations of %s gave a next page %d times; "+
		"the hub's cursors do not reach the end", baseURL, maxPages)
}

func readPage(ctx context.Context, c *http.Client, u string) (hub.ObservationsPage, error) {
	var p hub.ObservationsPage
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return p, fmt.Errorf("read the store: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return p, fmt.Errorf("read the store: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return p, fmt.Errorf("read the store: GET %s: reading the answer: %w", u, err)
	case resp.StatusCode != http.StatusOK:
		return p, fmt.Errorf("read the store: GET %s answered %d: %s", u, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("read the store: GET %s: decoding the page: %w", u, err)
	}
	return p, nil
}
