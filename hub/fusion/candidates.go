package fusion

import (
	"math"
	"slices"

	"github.com/island-sensors/island"
)

// candidates returns every cross-node pair of usable points within both
// gates whose classes the lens lets fuse, each once, as found through the
// grid.
// The observations byKey are in the order of the points.
func candidates(ps []point, byKey []*island.Observation, classes []string,
	lens *island.Lens) []pair {
	gr := newGrid(ps, byKey, lens.Gates)
	f := finder{gr: gr, fits: newClassTable(classes, lens), gates: lens.Gates,
		maxDLat: lens.Gates.DistanceM / earthRadiusM * (1 + marginRel),
		pairs:   make([]pair, 0, len(ps))}
	var rc reach
	for bi := range gr.bands {
		b := &gr.bands[bi]
		near := rc.of(gr.bands, b)
		for i := b.lo; i < b.hi; i++ {
			f.near(i, b, near)
		}
	}
	return f.pairs
}

// finder collects the candidate pairs.
type finder struct {
	gr    *grid
	fits  *classTable
	gates island.Gates
	// maxDLat is a little more than the greatest difference in latitude, in
	// radians, of two points within the distance gate, which is never less
	// than that difference on the sphere: a cheap test before the haversine.
	maxDLat float64
	pairs   []pair
}

// near adds the pairs of the spot at i, in band b, with the spots of the
// bands near that come after it in the grid's order. Each pair is thus found
// once, by its first; so in b's own time slot only b's row, from i on, and
// the row above are searched. The search covers the neighbouring columns,
// wrapping across the antimeridian, and only the slots up to the last that
// the spot reaches.
func (f *finder) near(i int32, b *band, near []int32) {
	s := &f.gr.spots[i]
	last := f.gr.lastSlot(&s.fix)
	var spans [3]colRange // by row, from the one below b's
	for _, ni := range near {
		nb := &f.gr.bands[ni]
		if nb.slot > last || nb.slot == b.slot && nb.row < b.row {
			continue
		}
		from := nb.lo
		if nb.lo == b.lo {
			from = i + 1
		}
		sp := &spans[nb.row-b.row+1]
		if sp.n == 0 {
			sp.spans, sp.n = colSpans(nb.cols, nb.perCol, s.lonDeg, b.lonReach)
		}
		for _, span := range sp.spans[:sp.n] {
			f.inCols(s, from, nb.hi, span)
		}
	}
}

// colRange holds the column spans of one row that a search covers.
type colRange struct {
	spans [2][2]int64
	n     int
}

// inCols adds the pairs of s with the spots from position from to hi, all
// of one band, in the columns of span.
func (f *finder) inCols(s *spot, from, hi int32, span [2]int64) {
	cols := f.gr.cols[from:hi]
	i, _ := slices.BinarySearch(cols, span[0])
	for ; i < len(cols) && cols[i] <= span[1]; i++ {
		q := &f.gr.spots[int(from)+i]
		if q.node == s.node || math.Abs(q.lat-s.lat) > f.maxDLat ||
			!f.fits.canFuse(s.class, q.class) {
			continue
		}
		if sc, ok := score(&s.fix, &q.fix, f.gates); ok {
			f.pairs = append(f.pairs, pair{a: min(s.p, q.p), b: max(s.p, q.p), score: sc})
		}
	}
}

// classTable remembers the lens's answer for each pair of classes met,
// by their numbers: in a table when there are few classes, else in a map.
type classTable struct {
	lens    *island.Lens
	classes []string
	known   []int8 // by a*len(classes)+b: 0 not asked yet, 1 yes, -1 no
	seen    map[[2]int32]bool
}

// maxTableClasses is how many classes classTable keeps in a table.
const maxTableClasses = 128

func newClassTable(classes []string, lens *island.Lens) *classTable {
	c := &classTable{lens: lens, classes: classes}
	if len(classes) <= maxTableClasses {
		c.known = make([]int8, len(classes)*len(classes))
	} else {
		c.seen = make(map[[2]int32]bool)
	}
	return c
}

func (c *classTable) canFuse(a, b int32) bool {
	if a == b {
		return true
	}
	if c.known == nil {
		return c.fromMap(a, b)
	}
	k := &c.known[int(a)*len(c.classes)+int(b)]
	if *k == 0 {
		*k = -1
		if c.lens.CanFuse(c.classes[a], c.classes[b]) {
			*k = 1
		}
	}
	return *k > 0
}

func (c *classTable) fromMap(a, b int32) bool {
	k := [2]int32{a, b}
	ok, known := c.seen[k]
	if !known {
		ok = c.lens.CanFuse(c.classes[a], c.classes[b])
		c.seen[k] = ok
	}
	return ok
}
