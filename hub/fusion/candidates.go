package fusion

import (
	"math"
	"slices"

	"github.com/island-sensors/island"
)

// candidates returns every cross-node pair of usable points within both
// gates whose classes the lens lets fuse, each once, as found through the
// grid.
func candidates(ps []point, classes []string, lens *island.Lens) []pair {
	gr := newGrid(ps, lens.Gates)
	f := finder{gr: gr, fits: newClassTable(classes, lens), gates: lens.Gates,
		maxDLat: lens.Gates.DistanceM / earthRadiusM * (1 + marginRel),
		pairs:   make([]pair, 0, len(ps))}
	var rc reach
	for bi := range gr.bands {
		b := &gr.bands[bi]
		near := rc.of(gr.bands, b)
		for i := b.lo; i < b.hi; i++ {
			f.near(&gr.spots[i], b, near)
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

// near adds the pairs of s, in band slot with longitude reach lonReach,
// with the spots of the bands near that come after it: in a later time
// slot, or in the same slot with a greater index. Each pair is thus found
// once, by its first. The search covers the neighbouring columns, wrapping
// across the antimeridian, and only the slots up to the last that s reaches.
func (f *finder) near(s *spot, b *band, near []int32) {
	last := f.gr.lastSlot(&s.fix)
	var spans [3]colRange // by row, from the one below b's
	for _, ni := range near {
		nb := &f.gr.bands[ni]
		if nb.slot > last {
			continue
		}
		after := int32(-1)
		if nb.slot == b.slot {
			after = s.p
		}
		sp := &spans[nb.row-b.row+1]
		if sp.n == 0 {
			sp.spans, sp.n = colSpans(nb.cols, nb.perCol, s.lonDeg, b.lonReach)
		}
		for _, span := range sp.spans[:sp.n] {
			f.inCols(s, nb, span, after)
		}
	}
}

// colRange holds the column spans of one row that a search covers.
type colRange struct {
	spans [2][2]int64
	n     int
}

// inCols adds the pairs of s with the spots of band b in the columns of
// span whose index is greater than after.
func (f *finder) inCols(s *spot, b *band, span [2]int64, after int32) {
	cols := f.gr.cols[b.lo:b.hi]
	i, _ := slices.BinarySearch(cols, span[0])
	for ; i < len(cols) && cols[i] <= span[1]; i++ {
		q := &f.gr.spots[int(b.lo)+i]
		if q.p <= after || q.node == s.node || math.Abs(q.lat-s.lat) > f.maxDLat ||
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
