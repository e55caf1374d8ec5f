package fusion

import (
	"cmp"
	"slices"
)

// pair is a candidate association of points a < b (indices into the points,
// which are sorted by key) with its score.
type pair struct {
	a, b  int32
	score float64
}

func comparePairs(x, y pair) int {
	return cmp.Or(cmp.Compare(x.score, y.score), cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b))
}

// adjacency lists, for each point, its candidates in ascending order.
type adjacency struct {
	start []int32 // point i's neighbours are next[start[i]:start[i+1]]
	next  []int32
}

func newAdjacency(n int, pairs []pair) adjacency {
	start := make([]int32, n+1)
	for _, p := range pairs {
		start[p.a+1]++
		start[p.b+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	next := make([]int32, 2*len(pairs))
	fill := slices.Clone(start[:n])
	for _, p := range pairs {
		next[fill[p.a]] = p.b
		fill[p.a]++
		next[fill[p.b]] = p.a
		fill[p.b]++
	}
	for i := range n {
		slices.Sort(next[start[i]:start[i+1]])
	}
	return adjacency{start: start, next: next}
}

func (adj adjacency) linked(i, j int32) bool {
	_, ok := slices.BinarySearch(adj.next[adj.start[i]:adj.start[i+1]], j)
	return ok
}

// merge joins points into groups, best pair first, and returns each point's
// group as the list of its members (shared by all members; nil for none but
// itself). Two groups join only when no node repeats and every cross pair
// is a candidate (complete linkage).
func merge(ps []point, pairs []pair) [][]int32 {
	slices.SortFunc(pairs, comparePairs)
	adj := newAdjacency(len(ps), pairs)
	group := make([][]int32, len(ps))
	for i := range group {
		group[i] = []int32{int32(i)}
	}
	for _, p := range pairs {
		ga, gb := group[p.a], group[p.b]
		if &ga[0] == &gb[0] || !joinable(ps, adj, ga, gb) {
			continue
		}
		joined := append(ga[:len(ga):len(ga)], gb...)
		for _, m := range joined {
			group[m] = joined
		}
	}
	return group
}

func joinable(ps []point, adj adjacency, ga, gb []int32) bool {
	for _, x := range ga {
		for _, y := range gb {
			if ps[x].node == ps[y].node || !adj.linked(x, y) {
				return false
			}
		}
	}
	return true
}
