// Package store keeps the observations the hub has accepted: in memory,
// safe for any mix of concurrent use, atomic per batch, and free of
// duplicates by (node_id, id).
package store

import (
	"context"
	"slices"
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

// chunk is a run of observations of one node, stored by one Add, whose
// sequence numbers are first, first+1, ...
type chunk struct {
	first uint64
	obs   []island.Observation
}

func (c chunk) last() uint64 { return c.first + uint64(len(c.obs)) - 1 }

// node is what the store keeps of one node: its chunks, by index into
// Store.chunks, its count and the ids it has stored.
type node struct {
	id     string
	chunks []int
	count  int
	ids    map[string]struct{}
}

// Store is the in-memory observation store. The zero value is not usable;
// call New. All methods are safe for concurrent use.
//
// Observations are kept in storage order: the order in which their batches
// were applied, and within a batch the order of the batch. Every observation
// gets a sequence number that is never reused, not even after Clear, so a
// page cursor stays meaningful across clears.
type Store struct {
	mu     sync.RWMutex
	seq    uint64
	total  int
	chunks []chunk // append-only until Clear replaces it
	nodes  map[string]*node
}

// New returns an empty store.
func New() *Store {
	return &Store{nodes: map[string]*node{}}
}

// Add stores a batch of observations all at once: a Clear or Status that
// runs at the same time sees either all of the batch or none of it. An
// observation whose (node_id, id) is already stored is counted as a
// duplicate and not stored again. The caller validates the batch first.
// Add takes obs over: it may move its elements and keeps it, so the caller
// must not use obs afterwards.
func (s *Store) Add(_ context.Context, obs []island.Observation) (Added, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a Added
	for len(obs) > 0 {
		n := 1 // obs[:n] is a run of one node
		for n < len(obs) && obs[n].NodeID == obs[0].NodeID {
			n++
		}
		accepted := s.addRun(obs[:n])
		a.Accepted += accepted
		a.Duplicates += n - accepted
		obs = obs[n:]
	}
	a.Total = s.total
	return a, nil
}

// addRun stores the new observations of run, all of one node, as a chunk.
// It drops the duplicates by moving the new ones to the front of run.
func (s *Store) addRun(run []island.Observation) int {
	nd := s.nodes[run[0].NodeID]
	if nd == nil {
		nd = &node{id: run[0].NodeID, ids: make(map[string]struct{}, len(run))}
		s.nodes[nd.id] = nd
	}
	kept := run[:0]
	for _, o := range run {
		before := len(nd.ids)
		if nd.ids[o.ID] = struct{}{}; len(nd.ids) == before {
			continue // a duplicate; one map operation tells
		}
		o.NodeID = nd.id // one string for the node, not one per observation
		kept = append(kept, o)
	}
	if len(kept) == 0 {
		return 0
	}
	if cap(kept) > len(kept)+len(kept)/8 {
		kept = slices.Clone(kept) // do not keep the slack of a decoded slice
	}
	nd.chunks = append(nd.chunks, len(s.chunks))
	nd.count += len(kept)
	s.chunks = append(s.chunks, chunk{first: s.seq + 1, obs: kept})
	s.seq += uint64(len(kept))
	s.total += len(kept)
	return len(kept)
}

// Status returns how many observations each node has stored, and the total.
func (s *Store) Status(context.Context) (Status, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Status{Nodes: make(map[string]int, len(s.nodes)), Total: s.total}
	for id, nd := range s.nodes {
		if nd.count > 0 {
			st.Nodes[id] = nd.count
		}
	}
	return st, nil
}

// Snapshot returns a copy of every stored observation in storage order. The
// lock is held only to take the list of chunks; the copy is made outside it,
// so ingest does not wait while a large store is copied.
func (s *Store) Snapshot(context.Context) ([]island.Observation, error) {
	s.mu.RLock()
	chunks, total := s.chunks, s.total
	s.mu.RUnlock()
	// chunks is safe to read without the lock: Add only appends past its
	// length, Clear replaces the slice instead of reusing it, and a stored
	// chunk never changes.
	out := make([]island.Observation, 0, total)
	for _, c := range chunks {
		out = append(out, c.obs...)
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
	n, at := len(s.chunks), func(i int) int { return i }
	if q.Node != "" {
		var order []int
		if nd := s.nodes[q.Node]; nd != nil {
			order = nd.chunks
		}
		n, at = len(order), func(i int) int { return order[i] }
	}
	// Start at the first chunk with anything after the cursor.
	i := sort.Search(n, func(i int) bool { return s.chunks[at(i)].last() > after })
	var p Page
	for ; i < n && len(p.Observations) < limit; i++ {
		c := s.chunks[at(i)]
		from := 0
		if c.first <= after {
			from = int(after - c.first + 1)
		}
		take := c.obs[from:min(len(c.obs), from+limit-len(p.Observations))]
		p.Observations = append(p.Observations, take...)
		p.Next = ""
		if from+len(take) < len(c.obs) || i+1 < n {
			p.Next = cursor(c.first + uint64(from+len(take)) - 1)
		}
	}
	return p, nil
}

// Clear removes every stored observation and returns how many there were.
// Batches applied after Clear may store the same (node_id, id) again.
func (s *Store) Clear(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.total
	s.chunks, s.total = nil, 0
	s.nodes = map[string]*node{}
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
