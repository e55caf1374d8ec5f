package fusion

import (
	"cmp"
	"math"
	"math/bits"
	"slices"

	"github.com/island-sensors/island"
)

// Safety margins that make the grid's cells and reaches a little larger than
// the gates, so that rounding can never hide a pair within them. Larger cells
// only cost a few extra comparisons; the gates themselves stay exact.
const (
	marginRel    = 1e-6
	marginS      = 1e-3 // seconds
	marginDeg    = 1e-9 // about 0.1 mm
	minCellDeg   = 1e-7 // about a centimetre: keeps the cell counts finite
	maxColumns   = 1 << 40
	degPerRadian = 180 / math.Pi
)

// grid buckets the usable points into cells of one time slot, one band of
// latitude and one column of longitude, each at least as large as the gates.
// Columns are at least as wide, in metres, as the gate at the poleward edge
// of their band, so wider in degrees towards the poles; a band that touches
// a pole has a single column.
//
// The grid holds its points as spots, sorted by cell, so that the points of
// one band lie side by side, in column order, with what the pair test needs.
type grid struct {
	reachS   float64 // the time gate with margin, in seconds
	reachDeg float64 // the distance gate with margin, as an angle in degrees
	slotS    float64
	rowDeg   float64
	rows     int64
	base     int64   // the Unix second slots count from
	spots    []spot  // sorted by slot, row, column and index
	cols     []int64 // the column of each spot
	bands    []band  // the bands that hold spots, sorted by slot and row
}

// spot is a usable point in its cell: its fix, its longitude in degrees for
// the search, and its index, node and class.
type spot struct {
	fix
	lonDeg float64
	p      int32
	node   int32
	class  int32
}

// band is one time slot of one latitude row: where its spots lie, how many
// columns the row has, and how far in longitude the distance gate reaches
// from any point of the row.
type band struct {
	slot, row int64
	lo, hi    int32 // its spots are spots[lo:hi]
	cols      int64
	perCol    float64 // cols / 360, the columns per degree
	lonReach  float64
}

// cell is where a point falls in the grid.
type cell struct {
	slot, row, col int64
}

func compareCells(x, y cell) int {
	switch {
	case x.slot != y.slot:
		return cmp.Compare(x.slot, y.slot)
	case x.row != y.row:
		return cmp.Compare(x.row, y.row)
	}
	return cmp.Compare(x.col, y.col)
}

// newGrid makes the grid of the points ps, whose observations are byKey.
func newGrid(ps []point, byKey []*island.Observation, g island.Gates) *grid {
	gr := &grid{
		reachS:   g.TimeS*(1+marginRel) + marginS,
		reachDeg: g.DistanceM/earthRadiusM*degPerRadian*(1+marginRel) + marginDeg,
	}
	gr.slotS = gr.reachS
	gr.rowDeg = min(max(gr.reachDeg, minCellDeg), 180)
	gr.rows = int64(math.Ceil(180 / gr.rowDeg))
	gr.base = baseSecond(ps)
	spots, cells := gr.place(ps, byKey)
	gr.fill(spots, cells, sortCells(cells))
	return gr
}

// place returns the spots of the usable points and their cells, in the
// order of the points.
func (gr *grid) place(ps []point, byKey []*island.Observation) ([]spot, []cell) {
	spots := make([]spot, 0, len(ps))
	cells := make([]cell, 0, len(ps))
	for i := range ps {
		p := &ps[i]
		if !p.usable {
			continue
		}
		o := byKey[i]
		row := gr.row(o.Lat)
		cells = append(cells, cell{slot: gr.slot(&p.fix), row: row, col: gr.col(row, o.Lon)})
		spots = append(spots, spot{fix: p.fix, lonDeg: o.Lon, p: int32(i), node: p.node,
			class: p.class})
	}
	return spots, cells
}

// sortCells returns the positions of cells in the order of their slot, row,
// column and position, which is that of their points. When the spread of
// the cells fits in 64 bits it sorts packed keys, which is much faster than
// comparing cells field by field.
func sortCells(cells []cell) []int32 {
	order := make([]int32, len(cells))
	if len(cells) == 0 {
		return order
	}
	keys, ok := packCells(cells)
	if !ok {
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(i, j int32) int {
			return cmp.Or(compareCells(cells[i], cells[j]), cmp.Compare(i, j))
		})
		return order
	}
	slices.Sort(keys)
	mask := uint64(1)<<bits.Len64(uint64(len(cells)-1)) - 1
	for i, k := range keys {
		order[i] = int32(k & mask)
	}
	return order
}

// packCells packs each cell, as offsets from the least slot, row and column,
// above its position into one key, whose order is that of sortCells. It
// fails when the offsets and positions need more than 64 bits.
func packCells(cells []cell) ([]uint64, bool) {
	lo, hi := cells[0], cells[0]
	for _, c := range cells[1:] {
		lo.slot, hi.slot = min(lo.slot, c.slot), max(hi.slot, c.slot)
		lo.row, hi.row = min(lo.row, c.row), max(hi.row, c.row)
		lo.col, hi.col = min(lo.col, c.col), max(hi.col, c.col)
	}
	// Differences taken as unsigned hold any spread of int64 values.
	bi := uint(bits.Len64(uint64(len(cells) - 1)))
	bc := uint(bits.Len64(uint64(hi.col) - uint64(lo.col)))
	br := uint(bits.Len64(uint64(hi.row) - uint64(lo.row)))
	bs := uint(bits.Len64(uint64(hi.slot) - uint64(lo.slot)))
	if bi+bc+br+bs > 64 {
		return nil, false
	}
	keys := make([]uint64, len(cells))
	for i, c := range cells {
		keys[i] = (uint64(c.slot)-uint64(lo.slot))<<(br+bc+bi) |
			(uint64(c.row)-uint64(lo.row))<<(bc+bi) | (uint64(c.col)-uint64(lo.col))<<bi | uint64(i)
	}
	return keys, true
}

// fill lays out the spots in the order of their cells and records the
// bands.
func (gr *grid) fill(spots []spot, cells []cell, order []int32) {
	gr.spots = make([]spot, len(order))
	gr.cols = make([]int64, len(order))
	for i, j := range order {
		c := &cells[j]
		gr.spots[i], gr.cols[i] = spots[j], c.col
		if i == 0 || c.slot != cells[order[i-1]].slot || c.row != cells[order[i-1]].row {
			cols := gr.columns(c.row)
			gr.bands = append(gr.bands, band{slot: c.slot, row: c.row, lo: int32(i),
				cols: cols, perCol: float64(cols) / 360, lonReach: gr.rowReach(c.row)})
		}
		gr.bands[len(gr.bands)-1].hi = int32(i + 1)
	}
}

func baseSecond(ps []point) int64 {
	base := int64(math.MaxInt64)
	for i := range ps {
		base = min(base, ps[i].sec)
	}
	return base
}

func (gr *grid) seconds(f *fix) float64 {
	return float64(f.sec-gr.base) + float64(f.nsec)*1e-9
}

func (gr *grid) slot(f *fix) int64 {
	return int64(math.Floor(gr.seconds(f) / gr.slotS))
}

// lastSlot is the last slot that a point within the time gate after f can
// fall in.
func (gr *grid) lastSlot(f *fix) int64 {
	return int64(math.Floor((gr.seconds(f) + gr.reachS) / gr.slotS))
}

func (gr *grid) row(latDeg float64) int64 {
	return min(max(int64(math.Floor((latDeg+90)/gr.rowDeg)), 0), gr.rows-1)
}

// poleward is the latitude, in degrees from the equator, of the poleward
// edge of row.
func (gr *grid) poleward(row int64) float64 {
	south := -90 + float64(row)*gr.rowDeg
	return min(max(math.Abs(south), math.Abs(south+gr.rowDeg)), 90)
}

// columns is how many columns the band row has.
func (gr *grid) columns(row int64) int64 {
	poleward := gr.poleward(row)
	cos := math.Cos(poleward / degPerRadian)
	if poleward >= 90 || cos <= 0 {
		return 1
	}
	n := math.Floor(360 * cos / gr.rowDeg)
	return int64(min(max(n, 1), maxColumns))
}

func (gr *grid) col(row int64, lonDeg float64) int64 {
	n := gr.columns(row)
	return min(max(int64(math.Floor((lonDeg+180)/(360/float64(n)))), 0), n-1)
}

// rowReach is a longitude reach that holds for every point of row: the
// reach at its poleward edge, a little beyond for rounding, since the reach
// grows towards the poles.
func (gr *grid) rowReach(row int64) float64 {
	return gr.lonReach(gr.poleward(row) + marginDeg)
}

// lonReach is how far in longitude, in degrees, a point within the distance
// gate of a point at latDeg can lie, or 180 or more when the gate reaches
// over a pole. On a sphere the circle of angular radius r around latitude
// lat spans asin(sin r / cos lat) of longitude either side.
func (gr *grid) lonReach(latDeg float64) float64 {
	if math.Abs(latDeg)+gr.reachDeg >= 90 {
		return 360
	}
	s := math.Sin(gr.reachDeg/degPerRadian) / math.Cos(latDeg/degPerRadian)
	if s >= 1 {
		return 360
	}
	return math.Asin(s)*degPerRadian*(1+marginRel) + minCellDeg
}

// reach gathers, band by band in the grid's order, the bands that the points
// of a band may find partners in: the rows either side of its own, in its
// own time slot and the two after it. Both move forward through the bands
// as the band does, so a cursor per slot finds them.
type reach struct {
	cursor [3]int
	bands  []int32
}

// of returns the indices of the bands within reach of band b.
func (rc *reach) of(bands []band, b *band) []int32 {
	rc.bands = rc.bands[:0]
	for k := range rc.cursor {
		slot := b.slot + int64(k)
		c := rc.cursor[k]
		for c < len(bands) && (bands[c].slot < slot || bands[c].slot == slot && bands[c].row < b.row-1) {
			c++
		}
		rc.cursor[k] = c
		for ; c < len(bands) && bands[c].slot == slot && bands[c].row <= b.row+1; c++ {
			rc.bands = append(rc.bands, int32(c))
		}
	}
	return rc.bands
}

// colSpans returns the ranges of the cols columns of a band, perCol to a
// degree, that cover [lon-reach, lon+reach]: one, or two where they wrap.
// Multiplying by perCol may round otherwise than dividing by the width of a
// column, which is far less than the reach's margin.
func colSpans(cols int64, perCol, lon, reach float64) ([2][2]int64, int) {
	lo := int64(math.Floor((lon - reach + 180) * perCol))
	hi := int64(math.Floor((lon + reach + 180) * perCol))
	if reach >= 180 || hi-lo+1 >= cols {
		return [2][2]int64{{0, cols - 1}}, 1
	}
	shift := cols * floorDiv(lo, cols)
	lo, hi = lo-shift, hi-shift
	if hi < cols {
		return [2][2]int64{{lo, hi}}, 1
	}
	return [2][2]int64{{lo, cols - 1}, {0, hi - cols}}, 2
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
