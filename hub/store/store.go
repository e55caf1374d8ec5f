// Package store keeps the observations the hub has accepted: in memory,
// safe for any mix of concurrent use, atomic per batch, and free of
// duplicates by (node_id, id).
package store

import (
	"context"
	"sort"
	"strconv"
	"sync"

	"github.com/island-sensors/island"
)

// Added tells what one call to Add did.
type Added struct {
	Accepted   int // observations newly stored
	Duplicates int // observations already stored under the same (node_id, id)
	Total      int // observations in the store once the batch was applied
}

// Status is a consistent view of the store: the counts in Nodes always add
// up to Total.
type Status struct {
	Nodes map[string]int
	Total int
}

// Query selects a page of stored observations. A zero Node means every
// node; After is a cursor from an earlier Page (or "" for the start); Limit
// is at least 1.
type Query struct {
	Node  string
	After string
	Limit int
}

// Page is one page of stored observations in storage order. Next is the
// cursor of the following page, or "" when this page reaches the end.
type Page struct {
	Observations []island.Observation
	Next         string
}

// entry is one stored observation with its place in the storage order.
type entry struct {
	seq uint64
	obs island.Observation
}

// Store is the in-memory observation store. The zero value is not usable;
// call New. All methods are safe for concurrent use.
//
// Observations are kept in storage order: the order in which their batches
// were applied, and within a batch the order of the batch. Every observation
// gets a sequence number that is never reused, not even after Clear, so a
// page cursor stays meaningful across clears.
type Store struct {
	mu      sync.RWMutex
	seq     uint64
	entries []entry // append-only until Clear replaces it
	byNode  map[string][]int
	keys    map[island.ObservationKey]struct{}
}

// New returns an empty store.
func New() *Store {
	return &Store{byNode: map[string][]int{}, keys: map[island.ObservationKey]struct{}{}}
}

// Add stores a batch of observations all at once: a Clear or Status that
// runs at the same time sees either all of the batch or none of it. An
// observation whose (node_id, id) is already stored is counted as a
// duplicate and not stored again. The caller validates the batch first; Add
// keeps the observations as given and never changes them afterwards.
func (s *Store) Add(_ context.Context, obs []island.Observation) (Added, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a Added
	for _, o := range obs {
		k := o.Key()
		if _, dup := s.keys[k]; dup {
			a.Duplicates++
			continue
		}
		s.keys[k] = struct{}{}
		s.seq++
		s.byNode[o.NodeID] = append(s.byNode[o.NodeID], len(s.entries))
		s.entries = append(s.entries, entry{seq: s.seq, obs: o})
		a.Accepted++
	}
	a.Total = len(s.entries)
	return a, nil
}

// Status returns how many observations each node has stored, and the total.
func (s *Store) Status(context.Context) (Status, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Status{Nodes: make(map[string]int, len(s.byNode)), Total: len(s.entries)}
	for n, p := range s.byNode {
		st.Nodes[n] = len(p)
	}
	return st, nil
}

// Snapshot returns a copy of every stored observation in storage order. The
// lock is held only to take the slice; the copy is made outside it, so
// ingest does not wait while a large store is copied.
func (s *Store) Snapshot(context.Context) ([]island.Observation, error) {
	s.mu.RLock()
	entries := s.entries
	s.mu.RUnlock()
	// entries is safe to read without the lock: Add only appends past its
	// length and Clear replaces the slice instead of reusing it.
	out := make([]island.Observation, len(entries))
	for i := range entries {
		out[i] = entries[i].obs
	}
	return out, nil
}

// List returns one page of stored observations in storage order, starting
// after the cursor q.After. It fails with EInvalidParameter when the cursor
// is not one that List made.
func (s *Store) List(_ context.Context, q Query) (Page, error) {
	after, err := parseCursor(q.After)
	if err != nil {
		return Page{}, err
	}
	limit := max(q.Limit, 1)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var p Page
	if q.Node == "" {
		i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].seq > after })
		page := s.entries[i:min(len(s.entries), i+limit)]
		p.Observations = make([]island.Observation, len(page))
		for j := range page {
			p.Observations[j] = page[j].obs
		}
		if i+len(page) < len(s.entries) {
			p.Next = cursor(page[len(page)-1].seq)
		}
		return p, nil
	}
	positions := s.byNode[q.Node]
	i := sort.Search(len(positions), func(i int) bool { return s.entries[positions[i]].seq > after })
	page := positions[i:min(len(positions), i+limit)]
	p.Observations = make([]island.Observation, len(page))
	for j, pos := range page {
		p.Observations[j] = s.entries[pos].obs
	}
	if i+len(page) < len(positions) {
		p.Next = cursor(s.entries[page[len(page)-1]].seq)
	}
	return p, nil
}

// Clear removes every stored observation and returns how many there were.
// Batches applied after Clear may store the same (node_id, id) again.
func (s *Store) Clear(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.entries)
	s.entries = nil
	s.byNode = map[string][]int{}
	s.keys = map[island.ObservationKey]struct{}{}
	return n, nil
}

func cursor(seq uint64) string { return strconv.FormatUint(seq, 10) }

func parseCursor(c string) (uint64, error) {
	if c == "" {
		return 0, nil
	}
	seq, err := strconv.ParseUint(c, 10, 64)
	if err != nil {
		return 0, &island.Error{Code: island.EInvalidParameter,
			Message: "after: not a cursor; pass the \"next\" value of an earlier page, or nothing",
			Details: []string{"after: " + strconv.Quote(c)}}
	}
	return seq, nil
}
