package fusion

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/island-sensors/island"
)

// report turns the groups into the result: the groups of at least
// lens.MinNodes nodes become tracks, ordered by their earliest member.
func report(ps []point, group [][]int32, candidates int, lens *island.Lens) Result {
	minNodes := max(lens.MinNodes, 1)
	res := Result{Tracks: []Track{}, Unmatched: []island.ObservationKey{}, Candidates: candidates}
	var tracked [][]int32
	for i, g := range group {
		if g[0] != int32(i) {
			continue // each group is visited once, at its first member
		}
		if len(g) < minNodes {
			for _, m := range g {
				res.Unmatched = append(res.Unmatched, ps[m].obs.Key())
			}
			continue
		}
		tracked = append(tracked, g)
		res.Matches += len(g) * (len(g) - 1) / 2
	}
	slices.SortFunc(tracked, func(x, y []int32) int { return compareEarliest(ps, x, y) })
	for i, g := range tracked {
		res.Tracks = append(res.Tracks, track(ps, g, trackID(i, len(tracked))))
	}
	slices.SortFunc(res.Unmatched, compareKeys)
	return res
}

// trackID numbers tracks from 1, padded to the same width for every track of
// a result so that ids sort as the tracks do.
func trackID(i, n int) string {
	width := max(4, len(fmt.Sprint(n)))
	return fmt.Sprintf("track-%0*d", width, i+1)
}

// earliest is the member of g with the first timestamp, then the first key.
func earliest(ps []point, g []int32) int32 {
	best := g[0]
	for _, m := range g[1:] {
		if comparePoints(&ps[m], &ps[best]) < 0 {
			best = m
		}
	}
	return best
}

func comparePoints(p, q *point) int {
	if c := p.obs.Timestamp.Compare(q.obs.Timestamp); c != 0 {
		return c
	}
	return compareKeys(p.obs.Key(), q.obs.Key())
}

func compareEarliest(ps []point, x, y []int32) int {
	ex, ey := earliest(ps, x), earliest(ps, y)
	return cmp.Or(comparePoints(&ps[ex], &ps[ey]), cmp.Compare(ex, ey))
}

// track fuses the members of g. Members are sorted by key, because g holds
// indices of points that are sorted by key.
func track(ps []point, g []int32, id string) Track {
	g = slices.Sorted(slices.Values(g))
	w := weights(ps, g)
	t := Track{ID: id, Members: make([]island.ObservationKey, len(g))}
	var sumW, lat, dLon, conf float64
	ref := ps[g[0]].obs.Lon
	for i, m := range g {
		o := ps[m].obs
		t.Members[i] = o.Key()
		sumW += w[i]
		lat += w[i] * o.Lat
		dLon += w[i] * wrapDegrees(o.Lon-ref)
		conf += o.Confidence
		if i == 0 || o.Timestamp.Before(t.Start) {
			t.Start = o.Timestamp
		}
		if i == 0 || o.Timestamp.After(t.End) {
			t.End = o.Timestamp
		}
	}
	t.Lat, t.Lon = lat/sumW, wrapDegrees(ref+dLon/sumW)
	t.Confidence = conf / float64(len(g))
	t.Class = class(ps, g, w)
	return t
}

// weights are the members' confidences, or all 1 when every one is 0.
func weights(ps []point, g []int32) []float64 {
	w := make([]float64, len(g))
	var sum float64
	for i, m := range g {
		w[i] = ps[m].obs.Confidence
		sum += w[i]
	}
	if sum == 0 {
		for i := range w {
			w[i] = 1
		}
	}
	return w
}

// class is the member class of the highest total weight, the first by name
// among equals.
func class(ps []point, g []int32, w []float64) string {
	total := make(map[string]float64, len(g))
	for i, m := range g {
		total[ps[m].obs.Class] += w[i]
	}
	best, bestW := "", math.Inf(-1)
	for c, cw := range total {
		if cw > bestW || (cw == bestW && strings.Compare(c, best) < 0) {
			best, bestW = c, cw
		}
	}
	return best
}

// wrapDegrees brings a longitude or a longitude difference into
// [-180, 180].
func wrapDegrees(d float64) float64 {
	for d > 180 {
		d -= 360
	}
	for d < -180 {
		d += 360
	}
	return d
}
