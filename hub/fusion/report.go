package fusion

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/island-sensors/island"
)

// kept is a group to report and its earliest member, with that member's
// time at hand for sorting.
type kept struct {
	members []int32
	sec     int64
	nsec    int32
	first   int32
}

func compareKept(x, y kept) int {
	switch {
	case x.sec != y.sec:
		return cmp.Compare(x.sec, y.sec)
	case x.nsec != y.nsec:
		return cmp.Compare(x.nsec, y.nsec)
	}
	return cmp.Compare(x.first, y.first)
}

// report turns the groups into the result: the groups of at least
// lens.MinNodes nodes become tracks, ordered by their earliest member.
func report(ps []point, g *groups, candidates int, lens *island.Lens) Result {
	minNodes := int32(max(lens.MinNodes, 1))
	res := Result{Tracks: []Track{}, Unmatched: []island.ObservationKey{}, Candidates: candidates}
	var tracks []kept
	for i := range ps {
		l := g.leader[i]
		switch {
		case g.size[l] < minNodes:
			res.Unmatched = append(res.Unmatched, ps[i].obs.Key()) // in key order
		case l == int32(i):
			m := g.members(l, nil)
			slices.Sort(m) // by key
			first := earliest(ps, m)
			tracks = append(tracks, kept{members: m, sec: ps[first].sec, nsec: ps[first].nsec,
				first: first})
			res.Matches += len(m) * (len(m) - 1) / 2
		}
	}
	slices.SortFunc(tracks, compareKept)
	res.Tracks = make([]Track, 0, len(tracks))
	width := max(4, len(fmt.Sprint(len(tracks))))
	for i, k := range tracks {
		res.Tracks = append(res.Tracks, track(ps, k.members, fmt.Sprintf("track-%0*d", width, i+1)))
	}
	return res
}

// earliest is the member of g with the first timestamp, then the first key.
func earliest(ps []point, g []int32) int32 {
	best := g[0]
	for _, m := range g[1:] {
		if comparePoints(ps, m, best) < 0 {
			best = m
		}
	}
	return best
}

// comparePoints orders points i and j by timestamp, then by key and the
// other fields, which is the order of their indices.
func comparePoints(ps []point, i, j int32) int {
	return cmp.Or(cmp.Compare(ps[i].sec, ps[j].sec), cmp.Compare(ps[i].nsec, ps[j].nsec),
		cmp.Compare(i, j))
}

// track fuses the members g, which are sorted by key.
func track(ps []point, g []int32, id string) Track {
	allZero := !slices.ContainsFunc(g, func(m int32) bool { return ps[m].obs.Confidence != 0 })
	t := Track{ID: id, Members: make([]island.ObservationKey, len(g))}
	var sumW, lat, dLon, conf float64
	ref := ps[g[0]].obs.Lon
	for i, m := range g {
		o := ps[m].obs
		w := o.Confidence
		if allZero {
			w = 1
		}
		t.Members[i] = o.Key()
		sumW += w
		lat += w * o.Lat
		dLon += w * wrapDegrees(o.Lon-ref)
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
	t.Class = class(ps, g, allZero)
	return t
}

// class is the member class of the highest total weight, the first by name
// among equals.
func class(ps []point, g []int32, allZero bool) string {
	var names []string
	var totals []float64
	for _, m := range g {
		o := ps[m].obs
		w := o.Confidence
		if allZero {
			w = 1
		}
		if i := slices.Index(names, o.Class); i >= 0 {
			totals[i] += w
		} else {
			names, totals = append(names, o.Class), append(totals, w)
		}
	}
	best := 0
	for i := range names {
		if totals[i] > totals[best] || (totals[i] == totals[best] && names[i] < names[best]) {
			best = i
		}
	}
	return names[best]
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
