// Package fusion associates sightings from different edge nodes into tracks.
//
// Fuse takes a snapshot of observations and a lens and returns the tracks,
// the number of associated pairs and the observations left unmatched.
package fusion

import (
	"time"

	"github.com/island-sensors/island"
)

// Result is the outcome of one fusion: the reported tracks in a fixed order,
// the number of associated cross-node pairs inside them, and every
// observation that belongs to no reported track.
type Result struct {
	Tracks    []Track                 `json:"tracks"`
	Matches   int                     `json:"matches"`
	Unmatched []island.ObservationKey `json:"unmatched"`
	// Candidates is how many cross-node pairs passed both gates and the
	// class test, whether or not they ended in one track.
	Candidates int `json:"candidates"`
}

// Track is one target seen by several nodes: at most one observation per
// node, every two of them associated with each other.
type Track struct {
	ID string `json:"id"`
	// Lat and Lon are the confidence-weighted mean position of the members.
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
	// Class is the member class with the highest total weight.
	Class string `json:"class"`
	// Confidence is the mean confidence of the members.
	Confidence float64 `json:"confidence"`
	// Start and End are the earliest and latest member timestamps.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Members are the member keys, sorted by node id and id.
	Members []island.ObservationKey `json:"members"`
}

// Fuse associates obs under lens and returns the tracks. It does not modify
// obs and keeps no reference to it. The lens must have positive gates (as
// island.Lens.Validate demands); Fuse panics on a nil lens or bad gates.
// Fuse is safe to call concurrently.
func Fuse(obs []island.Observation, lens *island.Lens) Result {
	mustGates(lens)
	ps, classes := prepare(obs)
	pairs := candidates(ps, classes, lens)
	groups := merge(ps, pairs)
	return report(ps, groups, len(pairs), lens)
}
