package fusion

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/island-sensors/island"
)

// kept is a track to report, by its index in the order the groups were
// met, and its earliest member, with that member's time at hand for sorting.
type kept struct {
	sec   int64
	nsec  int32
	first int32
	track int32
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
// The observations byKey are in the order of the points.
func report(ps []point, byKey []*island.Observation, g *groups, candidates int,
	lens *island.Lens) Result {
	// A group never has more than MaxInt32 members, so a larger MinNodes
	// means the same: no track at all.
	tm := trackMembers(g, int32(min(max(lens.MinNodes, 1), math.MaxInt32)))
	res := Result{Candidates: candidates,
		Unmatched: make([]island.ObservationKey, 0, len(ps)-len(tm.members))}
	for i := range ps {
		if tm.unmatched(g, i) {
			res.Unmatched = append(res.Unmatched, byKey[i].Key()) // in key order
		}
	}
	rank := tm.ranks(ps)
	ids := trackIDs(len(rank))
	res.Tracks = make([]Track, len(rank))
	keys := make([]island.ObservationKey, len(tm.members))
	for t, r := range rank {
		lo, hi := tm.span(t)
		m := tm.members[lo:hi]
		res.Tracks[r] = track(byKey, m, keys[lo:hi:hi])
		res.Tracks[r].ID = ids[r]
		res.Matches += len(m) * (len(m) - 1) / 2
	}
	return res
}

// ranks returns where each group comes among the tracks, in the order of
// their earliest members.
func (tm *tracked) ranks(ps []point) []int32 {
	order := make([]kept, len(tm.starts))
	for t := range tm.starts {
		lo, hi := tm.span(t)
		first := earliest(ps, tm.members[lo:hi])
		order[t] = kept{sec: ps[first].sec, nsec: ps[first].nsec, first: first, track: int32(t)}
	}
	slices.SortFunc(order, compareKept)
	rank := make([]int32, len(order))
	for r, k := range order {
		rank[k.track] = int32(r)
	}
	return rank
}

// tracked is the members of the groups to report: group after group, in
// the order of their first members, each in key order.
type tracked struct {
	minNodes int32
	members  []int32
	starts   []int32 // where each group's members start
}

// trackMembers gathers the members of the groups of at least minNodes.
func trackMembers(g *groups, minNodes int32) tracked {
	tm := tracked{minNodes: minNodes, members: make([]int32, 0, len(g.leader))}
	next := make([]int32, len(g.leader)) // by leader: where its next member goes, plus 1
	for i, l := range g.leader {
		if g.size[l] < minNodes {
			continue
		}
		if next[l] == 0 {
			tm.starts = append(tm.starts, int32(len(tm.members)))
			next[l] = int32(len(tm.members)) + 1
			tm.members = tm.members[:len(tm.members)+int(g.size[l])]
		}
		tm.members[next[l]-1] = int32(i)
		next[l]++
	}
	return tm
}

// span is where the members of group t lie in tm.members.
func (tm *tracked) span(t int) (lo, hi int32) {
	hi = int32(len(tm.members))
	if t+1 < len(tm.starts) {
		hi = tm.starts[t+1]
	}
	return tm.starts[t], hi
}

func (tm *tracked) unmatched(g *groups, i int) bool {
	return g.size[g.leader[i]] < tm.minNodes
}

// trackIDs returns the ids of n tracks in order, from track-0001, all as
// wide as the widest, cut from one string.
func trackIDs(n int) []string {
	const prefix = "track-"
	width := max(4, len(strconv.Itoa(n)))
	buf := make([]byte, 0, n*(len(prefix)+width))
	var digits []byte
	for i := 1; i <= n; i++ {
		digits = strconv.AppendInt(digits[:0], int64(i), 10)
		buf = append(buf, prefix...)
		for range width - len(digits) {
			buf = append(buf, '0')
		}
		buf = append(buf, digits...)
	}
	all, size := string(buf), len(prefix)+width
	ids := make([]string, n)
	for i := range ids {
		ids[i] = all[i*size : (i+1)*size]
	}
	return ids
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

// track fuses the members g, which are sorted by key, and puts their keys
// in members, which is as long as g.
func track(byKey []*island.Observation, g []int32, members []island.ObservationKey) Track {
	allZero := true
	for _, m := range g {
		allZero = allZero && byKey[m].Confidence == 0
	}
	t := Track{Members: members}
	var sumW, lat, dLon, conf float64
	ref := byKey[g[0]].Lon
	for i, m := range g {
		o := byKey[m]
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
	t.Class = class(byKey, g, allZero)
	return t
}

// class is the member class of the highest total weight, the first by name
// among equals.
func class(byKey []*island.Observation, g []int32, allZero bool) string {
	var names []string
	var totals []float64
	for _, m := range g {
		o := byKey[m]
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
