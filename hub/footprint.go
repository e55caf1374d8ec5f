package hub

import "github.com/island-sensors/island/hub/store"

// Footprint counts what a hub holds in memory, entry by entry: its store's
// entries, the Idempotency-Keys it remembers and the runs it keeps. Only
// the keys and runs outlive POST /clear, each bounded by its Config limits.
type Footprint struct {
	// Store counts the store's entries when StoreCounted; a store other
	// than *store.Store is counted only if it has a method
	// Footprint() store.Footprint.
	Store        store.Footprint
	StoreCounted bool
	Keys         int // Idempotency-Keys kept: Config.MaxKeys at most, plus those in flight
	Runs         int // fusion runs kept, at most Config.MaxRuns
	// RunMembers counts the track members and unmatched keys of the runs
	// kept, together: at most Config.MaxRunMembers, unless the newest run
	// alone holds more.
	RunMembers int
}

// footprinter is a store that counts its own entries.
type footprinter interface {
	Footprint() store.Footprint
}

// Footprint returns what the hub holds now. It is safe to call while the
// hub serves, and each part is counted under its own lock, so the parts
// may be taken a moment apart.
func (s *Server) Footprint() Footprint {
	f := Footprint{Keys: s.keys.len()}
	f.Runs, f.RunMembers = s.runs.footprint()
	if fp, ok := s.store.(footprinter); ok {
		f.Store, f.StoreCounted = fp.Footprint(), true
	}
	return f
}

func (k *keyCache) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.order.Len()
}
