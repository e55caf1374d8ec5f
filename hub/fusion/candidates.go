package fusion

import (
	"slices"

	"github.com/island-sensors/island"
)

// candidates returns every cross-node pair of usable points within both
// gates whose classes the lens lets fuse.
func candidates(ps []point, lens *island.Lens) []pair {
	order := make([]int32, 0, len(ps))
	for i := range ps {
		if ps[i].usable {
			order = append(order, int32(i))
		}
	}
	slices.SortFunc(order, func(x, y int32) int {
		return ps[x].obs.Timestamp.Compare(ps[y].obs.Timestamp)
	})
	fits := newClassCache(lens)
	var pairs []pair
	for k, i := range order {
		for _, j := range order[k+1:] {
			if secondsApart(ps[i].obs.Timestamp, ps[j].obs.Timestamp) > lens.Gates.TimeS {
				break
			}
			a, b := min(i, j), max(i, j)
			if ps[a].node == ps[b].node || !fits.canFuse(ps[a].obs.Class, ps[b].obs.Class) {
				continue
			}
			if s, ok := score(&ps[a], &ps[b], lens.Gates); ok {
				pairs = append(pairs, pair{a: a, b: b, score: s})
			}
		}
	}
	return pairs
}

// classCache remembers the lens's answer for each pair of classes met.
type classCache struct {
	lens *island.Lens
	seen map[[2]string]bool
}

func newClassCache(lens *island.Lens) *classCache {
	return &classCache{lens: lens, seen: make(map[[2]string]bool)}
}

func (c *classCache) canFuse(a, b string) bool {
	k := [2]string{a, b}
	ok, known := c.seen[k]
	if !known {
		ok = c.lens.CanFuse(a, b)
		c.seen[k] = ok
	}
	return ok
}
