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

// comparePairs orders pairs by score, then by their points. Scores are
// never NaN, having passed the gates, so plain comparisons order them.
func comparePairs(x, y pair) int {
	switch {
	case x.score < y.score:
		return -1
	case x.score > y.score:
		return 1
	case x.a != y.a:
		return cmp.Compare(x.a, y.a)
	}
	return cmp.Compare(x.b, y.b)
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

// groups partitions the points. Each group is a ring of members linked by
// next and named by its leader, one of its members.
type groups struct {
	leader []int32
	next   []int32
	size   []int32 // by leader
}

func newGroups(n int) *groups {
	g := &groups{leader: make([]int32, n), next: make([]int32, n), size: make([]int32, n)}
	for i := range n {
		g.leader[i], g.next[i], g.size[i] = int32(i), int32(i), 1
	}
	return g
}

// members appends the members of the group led by l to buf.
func (g *groups) members(l int32, buf []int32) []int32 {
	for m := l; ; {
		buf = append(buf, m)
		if m = g.next[m]; m == l {
			return buf
		}
	}
}

// join moves the members of group b into group a.
func (g *groups) join(a, b int32) {
	for m := b; ; {
		g.leader[m] = a
		if m = g.next[m]; m == b {
			break
		}
	}
	g.next[a], g.next[b] = g.next[b], g.next[a]
	g.size[a] += g.size[b]
}

// merge joins points into groups, best pair first. Two groups join only
// when no node repeats and every cross pair is a candidate (complete
// linkage), so that members are pairwise associated.
func merge(ps []point, pairs []pair) *groups {
	pairs = sortByComponent(len(ps), pairs)
	adj := newAdjacency(len(ps), pairs)
	g := newGroups(len(ps))
	nodes := make([]int32, len(ps))
	for i := range ps {
		nodes[i] = ps[i].node
	}
	var bufA, bufB []int32
	for _, p := range pairs {
		a, b := g.leader[p.a], g.leader[p.b]
		if a == b {
			continue
		}
		bufA, bufB = g.members(a, bufA[:0]), g.members(b, bufB[:0])
		if joinable(nodes, adj, bufA, bufB) {
			if g.size[a] < g.size[b] {
				a, b = b, a
			}
			g.join(a, b)
		}
	}
	return g
}

// joinable reports whether the groups of members ga and gb, with nodes
// by point, may join.
func joinable(nodes []int32, adj adjacency, ga, gb []int32) bool {
	for _, x := range ga {
		for _, y := range gb {
			if nodes[x] == nodes[y] || !adj.linked(x, y) {
				return false
			}
		}
	}
	return true
}

// sortByComponent returns pairs, among n points, component by component of
// the graph they make, each component's best first. A pair can only join
// groups of its own component, so taking them in this order gives the same
// groups as taking all of them best first, and sorts many short lists
// rather than one long one.
func sortByComponent(n int, pairs []pair) []pair {
	root := make([]int32, n)
	for i := range root {
		root[i] = int32(i)
	}
	for _, p := range pairs {
		a, b := findRoot(root, p.a), findRoot(root, p.b)
		root[max(a, b)] = min(a, b)
	}
	at := make([]int32, n+1) // where each component's pairs start, by root
	for _, p := range pairs {
		at[findRoot(root, p.a)+1]++
	}
	for i := 1; i <= n; i++ {
		at[i] += at[i-1]
	}
	sorted := make([]pair, len(pairs))
	next := slices.Clone(at[:n])
	for _, p := range pairs {
		r := findRoot(root, p.a)
		sorted[next[r]] = p
		next[r]++
	}
	for i := range n {
		if at[i+1]-at[i] > 1 {
			slices.SortFunc(sorted[at[i]:at[i+1]], comparePairs)
		}
	}
	return sorted
}

// findRoot returns the root of i's tree in root, halving its path.
func findRoot(root []int32, i int32) int32 {
	for root[i] != i {
		root[i] = root[root[i]]
		i = root[i]
	}
	return i
}
