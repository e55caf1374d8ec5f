package fusion

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/island-sensors/island"
)

// earthRadiusM is the mean radius of the Earth, in metres.
const earthRadiusM = 6371008.8

// point is an observation prepared for fusion: where and when it was seen,
// its node and class as small integers, and whether it may be associated at
// all. It holds no pointer, so the collector need not scan the points; the
// observations themselves are kept beside them, in the same order.
type point struct {
	fix
	node   int32
	class  int32
	usable bool
}

// fix is what the pair test needs of a sighting: its position in radians
// and its time.
type fix struct {
	lat    float64 // radians
	lon    float64 // radians
	cosLat float64
	sec    int64 // Unix seconds of the timestamp
	nsec   int32 // and its nanoseconds
}

// prepare makes the points of obs sorted by key (then by every other field,
// so that the order is total), with the observations in the same order
// (in the caller's slice, which Fuse only reads), and numbers their nodes,
// in order of name, and their classes.
func prepare(obs []island.Observation) ([]point, []*island.Observation, []string) {
	ps := make([]point, len(obs))
	byKey := make([]*island.Observation, len(obs))
	for i, k := range sortedKeys(obs) {
		byKey[i], ps[i].node = &obs[k.index], k.node
	}
	classes := make(map[string]int32)
	var names []string
	for i := range ps {
		p, o := &ps[i], byKey[i]
		c, ok := classes[o.Class]
		if !ok {
			c = int32(len(names))
			classes[o.Class] = c
			names = append(names, o.Class)
		}
		p.class = c
		p.lat, p.lon = o.Lat*math.Pi/180, o.Lon*math.Pi/180
		p.cosLat = math.Cos(p.lat)
		p.sec, p.nsec = o.Timestamp.Unix(), int32(o.Timestamp.Nanosecond())
		p.usable = validPosition(o.Lat, o.Lon)
	}
	return ps, byKey, names
}

// sortKey is what prepare sorts by, kept small so that sorting moves little.
type sortKey struct {
	id    string
	node  int32
	index int32
}

// sortedKeys returns the keys of obs in the order of node names, ids and
// then every other field. It places the keys node by node, keeping their
// order, and then sorts each node's by id, which is quick when they come
// in order already.
func sortedKeys(obs []island.Observation) []sortKey {
	nodes, counts := numberNodes(obs)
	at := make([]int, len(counts)+1) // where each node's keys start
	for n, c := range counts {
		at[n+1] = at[n] + c
	}
	keys := make([]sortKey, len(obs))
	next := slices.Clone(at[:len(counts)])
	for i := range obs {
		n := nodes[i]
		keys[next[n]] = sortKey{id: obs[i].ID, node: n, index: int32(i)}
		next[n]++
	}
	for n := range counts {
		slices.SortFunc(keys[at[n]:at[n+1]], func(a, b sortKey) int {
			if c := strings.Compare(a.id, b.id); c != 0 {
				return c
			}
			return compareObs(&obs[a.index], &obs[b.index])
		})
	}
	return keys
}

// numberNodes numbers the node ids of obs in the order of their names and
// returns the number of each observation's node and how many observations
// each node has.
func numberNodes(obs []island.Observation) (nodes []int32, counts []int) {
	met := make(map[string]int32) // by name: the order in which it was met
	var names []string
	nodes = make([]int32, len(obs))
	for i := range obs {
		n, ok := met[obs[i].NodeID]
		if !ok {
			n = int32(len(names))
			met[obs[i].NodeID] = n
			names = append(names, obs[i].NodeID)
		}
		nodes[i] = n
	}
	rank := make([]int32, len(names)) // by order met: the rank of the name
	for r, name := range slices.Sorted(slices.Values(names)) {
		rank[met[name]] = int32(r)
	}
	counts = make([]int, len(names))
	for i, n := range nodes {
		nodes[i] = rank[n]
		counts[rank[n]]++
	}
	return nodes, counts
}

func validPosition(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

func compareKeys(a, b island.ObservationKey) int {
	if c := strings.Compare(a.NodeID, b.NodeID); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func compareObs(a, b *island.Observation) int {
	if c := compareKeys(a.Key(), b.Key()); c != 0 {
		return c
	}
	if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.Lat, b.Lat), cmp.Compare(a.Lon, b.Lon),
		strings.Compare(a.Class, b.Class), cmp.Compare(a.Confidence, b.Confidence))
}

// distanceM is the great-circle distance between p and q in metres, by the
// haversine formula on a sphere of the Earth's mean radius. It is symmetric
// to the last bit.
func distanceM(p, q *fix) float64 {
	sLat := math.Sin((q.lat - p.lat) / 2)
	sLon := math.Sin((q.lon - p.lon) / 2)
	h := sLat*sLat + p.cosLat*q.cosLat*sLon*sLon
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
}

// secondsApart is how many seconds q comes after p. It keeps whole seconds
// and nanoseconds apart, so that it stays precise over any span of years
// 0 to 9999 (a time.Duration would saturate at 292 years).
func secondsApart(p, q *fix) float64 {
	return float64(q.sec-p.sec) + float64(q.nsec-p.nsec)*1e-9
}

// score is the normalised distance of p and q in space and time,
// sqrt((d/DistanceM)^2 + (dt/TimeS)^2), and whether they pass both gates;
// each gate is inclusive. It is symmetric in p and q to the last bit.
func score(p, q *fix, g island.Gates) (float64, bool) {
	dt := math.Abs(secondsApart(p, q))
	if !(dt <= g.TimeS) {
		return 0, false
	}
	d := distanceM(p, q)
	if !(d <= g.DistanceM) {
		return 0, false
	}
	x, y := d/g.DistanceM, dt/g.TimeS
	return math.Sqrt(x*x + y*y), true
}

func mustGates(lens *island.Lens) {
	if lens == nil {
		panic("fusion: Fuse needs a lens; load one before fusing")
	}
	g := lens.Gates
	if !(g.DistanceM > 0 && g.TimeS > 0) || math.IsInf(g.DistanceM, 0) || math.IsInf(g.TimeS, 0) {
		panic(fmt.Sprintf("fusion: the lens gates %+v must be positive and finite", g))
	}
}
