package fusion

import (
	"github.com/island-sensors/island"
)

// candidates returns every cross-node pair of usable points within both
// gates whose classes the lens lets fuse, each once, as found through the
// grid.
func candidates(ps []point, classes []string, lens *island.Lens) []pair {
	gr := newGrid(ps, lens.Gates)
	fits := newClassTable(classes, lens)
	pairs := make([]pair, 0, len(ps))
	var near []int32
	var rc reach
	for _, e := range gr.cells {
		a := e.p
		near = gr.near(e, &ps[a], &rc, near[:0])
		for _, b := range near {
			if ps[a].node == ps[b].node || !fits.canFuse(ps[a].class, ps[b].class) {
				continue
			}
			if s, ok := score(&ps[a], &ps[b], lens.Gates); ok {
				pairs = append(pairs, pair{a: min(a, b), b: max(a, b), score: s})
			}
		}
	}
	return pairs
}

// classTable remembers the lens's answer for each pair of classes met,
// by their numbers.
type classTable struct {
	lens    *island.Lens
	classes []string
	seen    map[[2]int32]bool
}

func newClassTable(classes []string, lens *island.Lens) *classTable {
	return &classTable{lens: lens, classes: classes, seen: make(map[[2]int32]bool)}
}

func (c *classTable) canFuse(a, b int32) bool {
	if a == b {
		return true
	}
	k := [2]int32{a, b}
	ok, known := c.seen[k]
	if !known {
		ok = c.lens.CanFuse(c.classes[a], c.classes[b])
		c.seen[k] = ok
	}
	return ok
}
