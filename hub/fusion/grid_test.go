package fusion

import (
	"math"
	"testing"
	"time"

	"github.com/island-sensors/island"
	"github.com/stretchr/testify/require"
)

// gridOf builds the grid Fuse would build for obs under the default lens.
func gridOf(obs []island.Observation) (*grid, []point) {
	ps, byKey, _ := prepare(obs)
	return newGrid(ps, byKey, island.DefaultLens().Gates), ps
}

// requirePair checks that a and b, which must lie in different cells, are
// fused into one track, as the brute force says.
func requirePair(t *testing.T, a, b island.Observation) {
	t.Helper()
	gr, ps := gridOf([]island.Observation{a, b})
	cells := map[[3]int64]bool{}
	for _, b := range gr.bands {
		for i := b.lo; i < b.hi; i++ {
			cells[[3]int64{b.slot, b.row, gr.cols[i]}] = true
		}
	}
	require.Len(t, cells, 2, "the two sightings should straddle a cell border")
	obs := []island.Observation{a, b}
	res := Fuse(obs, island.DefaultLens())
	require.Equal(t, bruteForce(obs, island.DefaultLens()), res)
	require.Len(t, res.Tracks, 1, "%v and %v are %.2f m apart", a, b,
		distanceM(&ps[0].fix, &ps[1].fix))
}

func TestFuseAcrossCellBorders(t *testing.T) {
	probe, _ := gridOf([]island.Observation{at("alpha", "a", 0, 0, 0, "uav")})
	row := probe.row(34.05)
	lat := -90 + float64(row)*probe.rowDeg // a border between bands
	width := 360 / float64(probe.columns(row))
	lon := -180 + float64(probe.col(row, -118.24))*width // a border between columns
	pole := -90 + float64(probe.rows-2)*probe.rowDeg     // the border below the top band
	const d = 1e-4                                       // degrees: about 11 m of latitude
	cases := map[string][2]island.Observation{
		"latitude band":    {uav("alpha", lat-d, -118.24, 0), uav("bravo", lat+d, -118.24, 0)},
		"longitude column": {uav("alpha", lat+d, lon-d, 0), uav("bravo", lat+d, lon+d, 0)},
		"corner":           {uav("alpha", lat-d, lon-d, 0), uav("bravo", lat+d, lon+d, 0)},
		"antimeridian":     {uav("alpha", -17.7, 179.99995, 0), uav("bravo", -17.7, -179.99995, 0)},
		"date line ends":   {uav("alpha", 0, 180, 0), uav("bravo", 0, -180, 0)},
		"band by the pole": {uav("alpha", pole-d, 10, 0), uav("bravo", pole+d, 12, 0)},
		"time slot": {uav("alpha", 34.05, -118.24, 500*time.Millisecond),
			uav("bravo", 34.05, -118.24, 5200*time.Millisecond)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { requirePair(t, c[0], c[1]) })
	}
	// A band that touches a pole is a single cell, so these pairs share it.
	polar := map[string][2]island.Observation{
		"over the north pole": {uav("alpha", 89.99995, 0, 0), uav("bravo", 89.99995, 180, 0)},
		"at the south pole":   {uav("alpha", -90, 45, 0), uav("bravo", -89.9999, -135, 0)},
	}
	for name, c := range polar {
		t.Run(name, func(t *testing.T) {
			obs := []island.Observation{c[0], c[1]}
			res := Fuse(obs, island.DefaultLens())
			require.Len(t, res.Tracks, 1)
			require.Equal(t, bruteForce(obs, island.DefaultLens()), res)
		})
	}
}

func uav(node string, lat, lon float64, dt time.Duration) island.Observation {
	return island.Observation{ID: node + "-1", NodeID: node, Timestamp: sceneStart.Add(dt),
		Lat: lat, Lon: lon, Class: "uav", Confidence: 1}
}

func TestFuseAtTheAntimeridianFusesThere(t *testing.T) {
	obs := []island.Observation{uav("alpha", 1, 179.9999, 0), uav("bravo", 1, -179.9999, 0)}
	res := Fuse(obs, island.DefaultLens())
	require.Len(t, res.Tracks, 1)
	require.InDelta(t, 180, abs(res.Tracks[0].Lon), 1e-9, "the mean of the two sides is the date line")
	require.LessOrEqual(t, abs(res.Tracks[0].Lon), 180.0)
}

func abs(x float64) float64 { return max(x, -x) }

func TestGridCellsAreAsLargeAsTheGates(t *testing.T) {
	for _, lat := range []float64{0, 34.05, -60, 80, 89.9} {
		gr, _ := gridOf([]island.Observation{{Lat: lat}})
		row := gr.row(lat)
		require.GreaterOrEqual(t, gr.rowDeg*111194.9, 50.0)
		width := 360 / float64(gr.columns(row))
		south := -90 + float64(row)*gr.rowDeg
		poleward := max(abs(south), abs(south+gr.rowDeg))
		if poleward < 90 {
			require.GreaterOrEqual(t, width*111194.9*cosDeg(poleward), 50.0, "lat %v", lat)
		}
		require.GreaterOrEqual(t, gr.slotS, 5.0)
	}
}

func cosDeg(d float64) float64 { return math.Cos(d * 3.141592653589793 / 180) }
