// Package fusion associates sightings from different edge nodes into tracks.
//
// Fuse takes a snapshot of observations and a lens and returns the tracks,
// the number of associated pairs and the observations left unmatched. Its
// rules:
//
// Association. Two observations may be associated when they come from
// different nodes, lie within lens.Gates.DistanceM metres and
// lens.Gates.TimeS seconds of each other (both gates inclusive), and
// lens.CanFuse allows their classes. Distance is great-circle distance by the
// haversine formula on a sphere of the Earth's mean radius (6,371,008.8 m),
// so it holds across the antimeridian and over the poles. Observations with a
// latitude outside [-90, 90] or a longitude outside [-180, 180] (or not a
// number) are never associated.
//
// Candidates. Candidate pairs are found through a grid of time slots,
// latitude bands and longitude columns, each at least as large as the gates:
// columns are wider in degrees towards the poles, a band that touches a pole
// is a single cell, and a point's search wraps across the antimeridian and
// covers every column when its gate reaches over a pole. Every pair within
// the gates is found, and the exact test above decides; no pair of distant
// observations is ever compared. The grid's cells are never smaller than
// about a centimetre and a millisecond, which only matters for gates smaller
// than that, where it costs speed, not correctness.
//
// Score and merge. A candidate pair scores sqrt((d/DistanceM)^2 +
// (dt/TimeS)^2). Pairs are taken best first (ascending score, ties broken on
// the keys of the two observations, node id then id), and each joins the
// groups of its two observations when no node would repeat and every pair
// across the two groups is itself a candidate (complete linkage): so a
// track's members are pairwise associated, one per node.
//
// Report. A group of at least lens.MinNodes nodes (at least 1) is a track;
// every observation outside a track is unmatched. Matches is the number of
// associated pairs inside tracks, k*(k-1)/2 for a track of k members. A
// track's position is the mean of its members' positions weighted by
// confidence (equal weights when all confidences are 0), taken across the
// antimeridian rather than around the globe; its class is the member class
// of the highest total weight, the first by name among equals. Tracks are
// ordered by their earliest member (by timestamp, then key) and numbered in
// that order from track-0001; members and unmatched keys are sorted by key.
//
// Determinism. The same observations, in any order, and the same lens give
// the same result, ids included. Keys should be unique, as the hub's store
// keeps them; copies of one key are taken as separate sightings of its node,
// ordered by their other fields.
//
// Cost. Time and memory grow with the number of observations plus the number
// of candidate pairs. At realistic densities, where a target is a few
// sightings, that is about linear; observations crowded by the thousand
// within one gate of each other make it quadratic, as any association of
// every candidate pair must be.
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
// Fuse is safe to call concurrently, as long as no one writes to obs meanwhile.
func Fuse(obs []island.Observation, lens *island.Lens) Result {
	mustGates(lens)
	ps, byKey, classes := prepare(obs)
	pairs := candidates(ps, byKey, classes, lens)
	groups := merge(ps, pairs)
	return report(ps, byKey, groups, len(pairs), lens)
}
