package store

// Footprint counts what a Store holds in memory, entry by entry, so that a
// caller can tell whether the store gives back what it took: after Clear
// every count is zero again.
type Footprint struct {
	Observations int // observations stored
	Slots        int // observation slots the chunks hold, spare capacity included
	Chunks       int // chunks kept: one per node run of an applied batch
	Nodes        int // nodes with an entry, whether or not they still hold observations
	IDs          int // entries of the per-node indexes of stored ids
}

// Footprint returns the store's current counts, taken under its lock, so
// that they agree with each other.
func (s *Store) Footprint() Footprint {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := Footprint{Observations: s.total, Chunks: len(s.chunks), Nodes: len(s.nodes)}
	for _, c := range s.chunks {
		f.Slots += cap(c.obs)
	}
	for _, nd := range s.nodes {
		f.IDs += len(nd.ids)
	}
	return f
}
