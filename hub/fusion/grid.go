package fusion

import (
	"cmp"
	"math"
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
// of their band, so wider in degrees towards the poles; a band that touches a pole has
// a single column.
type grid struct {
	reachS   float64 // the time gate with margin, in seconds
	reachDeg float64 // the distance gate with margin, as an angle in degrees
	slotS    float64
	rowDeg   float64
	rows     int64
	base     int64 // the Unix second slots count from
	cells    []entry
	bands    map[[2]int64]band // by (slot, row)
}

// band is the range of cells of one time slot and latitude row, and how many
// columns that row has.
type band struct {
	lo, hi int32
	cols   int64
}

// entry is one point in its cell.
type entry struct {
	slot, row, col int64
	p              int32
}

func compareEntries(x, y entry) int {
	switch {
	case x.slot != y.slot:
		return cmp.Compare(x.slot, y.slot)
	case x.row != y.row:
		return cmp.Compare(x.row, y.row)
	case x.col != y.col:
		return cmp.Compare(x.col, y.col)
	}
	return cmp.Compare(x.p, y.p)
}

func newGrid(ps []point, g island.Gates) *grid {
	gr := &grid{
		reachS:   g.TimeS*(1+marginRel) + marginS,
		reachDeg: g.DistanceM/earthRadiusM*degPerRadian*(1+marginRel) + marginDeg,
		bands:    make(map[[2]int64]band),
	}
	gr.slotS = gr.reachS
	gr.rowDeg = min(max(gr.reachDeg, minCellDeg), 180)
	gr.rows = int64(math.Ceil(180 / gr.rowDeg))
	gr.base = baseSecond(ps)
	gr.cells = make([]entry, 0, len(ps))
	for i := range ps {
		if !ps[i].usable {
			continue
		}
		row := gr.row(ps[i].obs.Lat)
		gr.cells = append(gr.cells, entry{slot: gr.slot(&ps[i]), row: row,
			col: gr.col(row, ps[i].obs.Lon), p: int32(i)})
	}
	slices.SortFunc(gr.cells, compareEntries)
	gr.indexBands()
	return gr
}

// indexBands records where each band's cells lie, once they are sorted.
func (gr *grid) indexBands() {
	for i := 0; i < len(gr.cells); {
		j := i
		for j < len(gr.cells) && gr.cells[j].slot == gr.cells[i].slot &&
			gr.cells[j].row == gr.cells[i].row {
			j++
		}
		key := [2]int64{gr.cells[i].slot, gr.cells[i].row}
		gr.bands[key] = band{lo: int32(i), hi: int32(j), cols: gr.columns(key[1])}
		i = j
	}
}

func baseSecond(ps []point) int64 {
	base := int64(math.MaxInt64)
	for i := range ps {
		base = min(base, ps[i].sec)
	}
	return base
}

func (gr *grid) seconds(p *point) float64 {
	return float64(p.sec-gr.base) + float64(p.nsec)*1e-9
}

func (gr *grid) slot(p *point) int64 {
	return int64(math.Floor(gr.seconds(p) / gr.slotS))
}

func (gr *grid) row(latDeg float64) int64 {
	return min(max(int64(math.Floor((latDeg+90)/gr.rowDeg)), 0), gr.rows-1)
}

// columns is how many columns the band row has.
func (gr *grid) columns(row int64) int64 {
	south := -90 + float64(row)*gr.rowDeg
	poleward := min(max(math.Abs(south), math.Abs(south+gr.rowDeg)), 90)
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

// reach is the bands that a query from a point reaches. Points visited cell
// by cell mostly reach the same bands, so the caller keeps one reach from
// call to call and near rebuilds it only when it changes.
type reach struct {
	key   [4]int64 // own slot, last slot, first row, last row
	bands []slotBand
}

type slotBand struct {
	slot int64
	band
}

// near appends to buf every point that may lie within both gates of the
// point of e and comes after it: a later time slot, or the same slot and a
// greater index. Each pair of points is thus found once, by its first.
// The search covers the neighbouring rows and columns, wrapping across the
// antimeridian, and only the slots from e's own on.
func (gr *grid) near(e entry, p *point, rc *reach, buf []int32) []int32 {
	s1 := int64(math.Floor((gr.seconds(p) + gr.reachS) / gr.slotS))
	lat, lon := p.obs.Lat, p.obs.Lon
	key := [4]int64{e.slot, s1, gr.row(lat - gr.reachDeg), gr.row(lat + gr.reachDeg)}
	if rc.bands == nil || rc.key != key {
		gr.bandsOf(key, rc)
	}
	lonReach := gr.lonReach(lat)
	for _, sb := range rc.bands {
		after := int32(-1)
		if sb.slot == e.slot {
			after = e.p
		}
		spans, n := colSpans(sb.cols, lon, lonReach)
		for _, span := range spans[:n] {
			buf = gr.inCols(sb.band, span, after, buf)
		}
	}
	return buf
}

// bandsOf fills rc with the bands that exist within key.
func (gr *grid) bandsOf(key [4]int64, rc *reach) {
	rc.key, rc.bands = key, rc.bands[:0]
	for s := key[0]; s <= key[1]; s++ {
		for r := key[2]; r <= key[3]; r++ {
			if b, ok := gr.bands[[2]int64{s, r}]; ok {
				rc.bands = append(rc.bands, slotBand{slot: s, band: b})
			}
		}
	}
	if rc.bands == nil {
		rc.bands = []slotBand{} // known to be empty, not unknown
	}
}

// colSpans returns the ranges of the cols columns of a band that cover
// [lon-reach, lon+reach]: one, or two where they wrap.
func colSpans(cols int64, lon, reach float64) ([2][2]int64, int) {
	w := 360 / float64(cols)
	lo := int64(math.Floor((lon - reach + 180) / w))
	hi := int64(math.Floor((lon + reach + 180) / w))
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

// inCols appends to buf the points of band b in the columns of span whose
// index is greater than after.
func (gr *grid) inCols(b band, span [2]int64, after int32, buf []int32) []int32 {
	cells := gr.cells[b.lo:b.hi]
	i, _ := slices.BinarySearchFunc(cells, span[0], func(e entry, col int64) int {
		return cmp.Compare(e.col, col)
	})
	for ; i < len(cells) && cells[i].col <= span[1]; i++ {
		if cells[i].p > after {
			buf = append(buf, cells[i].p)
		}
	}
	return buf
}
