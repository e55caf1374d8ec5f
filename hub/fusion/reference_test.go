package fusion

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/island-sensors/island"
)

// bruteForce is the reference for Fuse: the same semantics, written plainly,
// comparing every pair of observations. It lives in the tests only.
func bruteForce(obs []island.Observation, lens *island.Lens) Result {
	sorted := slices.Clone(obs)
	slices.SortFunc(sorted, func(a, b island.Observation) int {
		return cmp.Or(strings.Compare(a.NodeID, b.NodeID), strings.Compare(a.ID, b.ID))
	})
	refs := make([]refObs, len(sorted))
	for i, o := range sorted {
		refs[i] = newRefObs(o)
	}
	pairs := refPairs(refs, lens)
	groups := refMerge(len(refs), pairs)
	return refReport(sorted, groups, len(pairs), max(lens.MinNodes, 1))
}

// refObs holds what the pair test needs, flat, so that the reference's cost
// per pair is that of the arithmetic rather than of chasing pointers.
type refObs struct {
	lat, lon, cosLat float64
	sec, nsec        int64
	node, class      string
	valid            bool
}

func newRefObs(o island.Observation) refObs {
	lat, lon := o.Lat*math.Pi/180, o.Lon*math.Pi/180
	return refObs{lat: lat, lon: lon, cosLat: math.Cos(lat),
		sec: o.Timestamp.Unix(), nsec: int64(o.Timestamp.Nanosecond()),
		node: o.NodeID, class: o.Class,
		valid: o.Lat >= -90 && o.Lat <= 90 && o.Lon >= -180 && o.Lon <= 180}
}

type refPair struct {
	i, j  int
	score float64
}

func refPairs(refs []refObs, lens *island.Lens) []refPair {
	g := lens.Gates
	var pairs []refPair
	for i := range refs {
		p := &refs[i]
		for j := i + 1; j < len(refs); j++ {
			q := &refs[j]
			dt := math.Abs(float64(q.sec-p.sec) + float64(q.nsec-p.nsec)*1e-9)
			if dt > g.TimeS || p.node == q.node || !p.valid || !q.valid {
				continue
			}
			sLat, sLon := math.Sin((q.lat-p.lat)/2), math.Sin((q.lon-p.lon)/2)
			h := sLat*sLat + p.cosLat*q.cosLat*sLon*sLon
			d := 2 * 6371008.8 * math.Asin(math.Min(1, math.Sqrt(h)))
			if d > g.DistanceM || !lens.CanFuse(p.class, q.class) {
				continue
			}
			x, y := d/g.DistanceM, dt/g.TimeS
			pairs = append(pairs, refPair{i: i, j: j, score: math.Sqrt(x*x + y*y)})
		}
	}
	return pairs
}

// refMerge joins groups best pair first under complete linkage and returns
// the groups, each sorted.
func refMerge(n int, pairs []refPair) [][]int {
	slices.SortFunc(pairs, func(a, b refPair) int {
		return cmp.Or(cmp.Compare(a.score, b.score), cmp.Compare(a.i, b.i), cmp.Compare(a.j, b.j))
	})
	linked := make(map[[2]int]bool, len(pairs))
	for _, p := range pairs {
		linked[[2]int{p.i, p.j}] = true
		linked[[2]int{p.j, p.i}] = true
	}
	groupOf := make([]int, n)
	groups := make([][]int, n)
	for i := range n {
		groupOf[i], groups[i] = i, []int{i}
	}
	for _, p := range pairs {
		a, b := groupOf[p.i], groupOf[p.j]
		if a == b || !refCompatible(groups[a], groups[b], linked) {
			continue
		}
		for _, m := range groups[b] {
			groupOf[m] = a
		}
		groups[a], groups[b] = append(groups[a], groups[b]...), nil
	}
	var out [][]int
	for _, g := range groups {
		if g != nil {
			out = append(out, slices.Sorted(slices.Values(g)))
		}
	}
	return out
}

// refCompatible reports whether every cross pair of a and b is linked; a
// linked pair is always of two nodes, so no node can repeat.
func refCompatible(a, b []int, linked map[[2]int]bool) bool {
	for _, x := range a {
		for _, y := range b {
			if !linked[[2]int{x, y}] {
				return false
			}
		}
	}
	return true
}

func refReport(obs []island.Observation, groups [][]int, pairs, minNodes int) Result {
	res := Result{Tracks: []Track{}, Unmatched: []island.ObservationKey{}, Candidates: pairs}
	var kept [][]int
	for _, g := range groups {
		if len(g) >= minNodes {
			kept = append(kept, g)
			res.Matches += len(g) * (len(g) - 1) / 2
			continue
		}
		for _, m := range g {
			res.Unmatched = append(res.Unmatched, obs[m].Key())
		}
	}
	first := func(g []int) island.Observation {
		return slices.MinFunc(g2obs(obs, g), refEarlier)
	}
	slices.SortFunc(kept, func(a, b []int) int { return refEarlier(first(a), first(b)) })
	width := max(4, len(fmt.Sprint(len(kept))))
	for k, g := range kept {
		res.Tracks = append(res.Tracks, refTrack(g2obs(obs, g), fmt.Sprintf("track-%0*d", width, k+1)))
	}
	slices.SortFunc(res.Unmatched, func(a, b island.ObservationKey) int {
		return cmp.Or(strings.Compare(a.NodeID, b.NodeID), strings.Compare(a.ID, b.ID))
	})
	return res
}

func g2obs(obs []island.Observation, g []int) []island.Observation {
	out := make([]island.Observation, len(g))
	for i, m := range g {
		out[i] = obs[m]
	}
	return out
}

func refEarlier(a, b island.Observation) int {
	return cmp.Or(a.Timestamp.Compare(b.Timestamp), strings.Compare(a.NodeID, b.NodeID),
		strings.Compare(a.ID, b.ID))
}

// refTrack fuses members, which are sorted by key.
func refTrack(members []island.Observation, id string) Track {
	allZero := true
	for _, o := range members {
		allZero = allZero && o.Confidence == 0
	}
	weight := func(o island.Observation) float64 {
		if allZero {
			return 1
		}
		return o.Confidence
	}
	t := Track{ID: id, Start: members[0].Timestamp, End: members[0].Timestamp}
	var sumW, lat, dLon, conf float64
	byClass := map[string]float64{}
	for _, o := range members {
		w := weight(o)
		sumW += w
		lat += w * o.Lat
		d := o.Lon - members[0].Lon
		if d > 180 {
			d -= 360
		} else if d < -180 {
			d += 360
		}
		dLon += w * d
		conf += o.Confidence
		byClass[o.Class] += w
		t.Members = append(t.Members, o.Key())
		if o.Timestamp.Before(t.Start) {
			t.Start = o.Timestamp
		}
		if o.Timestamp.After(t.End) {
			t.End = o.Timestamp
		}
	}
	t.Lat = lat / sumW
	t.Lon = members[0].Lon + dLon/sumW
	if t.Lon > 180 {
		t.Lon -= 360
	} else if t.Lon < -180 {
		t.Lon += 360
	}
	t.Confidence = conf / float64(len(members))
	names := slices.Sorted(func(yield func(string) bool) {
		for c := range byClass {
			if !yield(c) {
				return
			}
		}
	})
	t.Class = names[0]
	for _, c := range names[1:] {
		if byClass[c] > byClass[t.Class] {
			t.Class = c
		}
	}
	return t
}
