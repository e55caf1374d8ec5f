package fusion

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/island-sensors/island"
	"github.com/stretchr/testify/require"
)

// at returns a sighting by node of class, dt seconds after sceneStart and
// north and east metres from a point in Los Angeles.
func at(node, id string, dt, north, east float64, class string) island.Observation {
	const lat0, lon0, deg = 34.05, -118.24, 180 / math.Pi
	return island.Observation{ID: id, NodeID: node,
		Timestamp: sceneStart.Add(time.Duration(dt * float64(time.Second))),
		Lat:       lat0 + north/earthRadiusM*deg,
		Lon:       lon0 + east/(earthRadiusM*math.Cos(lat0/deg))*deg,
		Class:     class, Confidence: 1}
}

func lensWith(minNodes int) *island.Lens {
	l := island.DefaultLens()
	l.MinNodes = minNodes
	return l
}

func members(tr Track) []string {
	var out []string
	for _, k := range tr.Members {
		out = append(out, k.String())
	}
	return out
}

func TestFuseFixtures(t *testing.T) {
	obs := fixtureObservations(t)
	res := Fuse(obs, island.DefaultLens())
	require.Equal(t, bruteForce(obs, island.DefaultLens()), res)
	require.Len(t, res.Tracks, 5)
	require.Equal(t, 15, res.Matches)
	require.Empty(t, res.Unmatched)
	for i, tr := range res.Tracks {
		n := fmt.Sprintf("%04d", i+1)
		require.Equal(t, "track-"+n, tr.ID)
		require.Equal(t, []string{"alpha/alpha-" + n, "bravo/bravo-" + n, "charlie/charlie-" + n},
			members(tr))
	}
	first := res.Tracks[0]
	require.InDelta(t, (0.9*34.0522+0.8*34.05223+0.85*34.05218)/2.55, first.Lat, 1e-12)
	require.InDelta(t, (0.9*-118.2437+0.8*-118.24372+0.85*-118.24367)/2.55, first.Lon, 1e-12)
	require.Equal(t, "vehicle", first.Class)
	require.Equal(t, "truck", res.Tracks[2].Class)
	require.Equal(t, sceneStart, first.Start)
	require.Equal(t, sceneStart.Add(2*time.Second), first.End)
	require.InDelta(t, 0.85, first.Confidence, 1e-12)
}

func TestFuseEmpty(t *testing.T) {
	for _, obs := range [][]island.Observation{nil, {}} {
		res := Fuse(obs, island.DefaultLens())
		require.Equal(t, Result{Tracks: []Track{}, Unmatched: []island.ObservationKey{}}, res)
		data, err := json.Marshal(res)
		require.NoError(t, err)
		require.JSONEq(t, `{"tracks":[],"matches":0,"unmatched":[],"candidates":0}`, string(data))
	}
}

func TestFuseOneNode(t *testing.T) {
	b, err := island.Fixture("alpha")
	require.NoError(t, err)
	res := Fuse(b.Observations, island.DefaultLens())
	require.Empty(t, res.Tracks)
	require.Zero(t, res.Matches)
	require.Len(t, res.Unmatched, 5)

	res = Fuse(b.Observations, lensWith(1))
	require.Len(t, res.Tracks, 5, "with min_nodes 1 every sighting is a track")
	require.Zero(t, res.Matches)
	require.Empty(t, res.Unmatched)
}

func TestFuseMinNodes(t *testing.T) {
	obs := fixtureObservations(t)
	for _, minNodes := range []int{1, 2, 3} {
		res := Fuse(obs, lensWith(minNodes))
		require.Len(t, res.Tracks, 5, "min_nodes %d", minNodes)
		require.Equal(t, 15, res.Matches)
	}
	for _, minNodes := range []int{4, math.MaxInt32 + 1, 1 << 32, math.MaxInt} {
		res := Fuse(obs, lensWith(minNodes))
		require.Empty(t, res.Tracks, "min_nodes %d", minNodes)
		require.Len(t, res.Unmatched, 15, "min_nodes %d", minNodes)
	}

	twoNodes := obs[:10] // alpha and bravo
	require.Equal(t, "bravo", twoNodes[9].NodeID)
	res := Fuse(twoNodes, lensWith(3))
	require.Empty(t, res.Tracks)
	require.Zero(t, res.Matches)
	require.Len(t, res.Unmatched, 10)
	require.Equal(t, 5, Fuse(twoNodes, lensWith(2)).Matches)
}

func TestFuseClasses(t *testing.T) {
	lens := island.DefaultLens() // vehicle may fuse with truck
	person := at("bravo", "b1", 0, 0, 0, "person")
	res := Fuse([]island.Observation{at("alpha", "a1", 0, 0, 0, "vehicle"), person}, lens)
	require.Empty(t, res.Tracks, "a vehicle and a person are never one target")
	require.Zero(t, res.Candidates)

	for _, pair := range [][2]string{{"vehicle", "truck"}, {"truck", "vehicle"}} {
		res = Fuse([]island.Observation{at("alpha", "a1", 0, 0, 0, pair[0]),
			at("bravo", "b1", 0, 0, 0, pair[1])}, lens)
		require.Len(t, res.Tracks, 1, "%s with %s", pair[0], pair[1])
	}
}

func TestFuseTrackClass(t *testing.T) {
	withConf := func(o island.Observation, c float64) island.Observation {
		o.Confidence = c
		return o
	}
	cases := []struct {
		name  string
		confs [3]float64
		want  string
	}{
		{"highest total wins", [3]float64{0.9, 0.5, 0.5}, "truck"},
		{"one strong sighting wins", [3]float64{0.9, 0.4, 0.4}, "vehicle"},
		{"a tie goes to the first name", [3]float64{0.8, 0.4, 0.4}, "truck"},
		{"all zero counts sightings", [3]float64{0, 0, 0}, "truck"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obs := []island.Observation{
				withConf(at("alpha", "a1", 0, 0, 0, "vehicle"), c.confs[0]),
				withConf(at("bravo", "b1", 0, 3, 0, "truck"), c.confs[1]),
				withConf(at("charlie", "c1", 0, 6, 0, "truck"), c.confs[2]),
			}
			res := Fuse(obs, island.DefaultLens())
			require.Len(t, res.Tracks, 1)
			require.Equal(t, c.want, res.Tracks[0].Class)
		})
	}
	t.Run("equal weights when all are zero", func(t *testing.T) {
		obs := []island.Observation{withConf(at("alpha", "a1", 0, 0, 0, "uav"), 0),
			withConf(at("bravo", "b1", 0, 30, 0, "uav"), 0)}
		res := Fuse(obs, island.DefaultLens())
		require.Len(t, res.Tracks, 1)
		require.InDelta(t, (obs[0].Lat+obs[1].Lat)/2, res.Tracks[0].Lat, 1e-12)
	})
}

func TestFuseGatesAreInclusive(t *testing.T) {
	a := at("alpha", "a1", 0, 0, 0, "uav")
	t.Run("time", func(t *testing.T) {
		b := at("bravo", "b1", 5, 0, 0, "uav")
		require.Len(t, Fuse([]island.Observation{a, b}, island.DefaultLens()).Tracks, 1)
		b.Timestamp = b.Timestamp.Add(time.Nanosecond)
		require.Empty(t, Fuse([]island.Observation{a, b}, island.DefaultLens()).Tracks)
	})
	t.Run("distance", func(t *testing.T) {
		b := at("bravo", "b1", 0, 30, 40, "uav")
		d := distanceM(pointOf(a), pointOf(b))
		require.InDelta(t, 50, d, 1e-3)
		lens := island.DefaultLens()
		lens.Gates.DistanceM = d
		res := Fuse([]island.Observation{a, b}, lens)
		require.Len(t, res.Tracks, 1)
		require.Equal(t, bruteForce([]island.Observation{a, b}, lens), res)
		lens.Gates.DistanceM = math.Nextafter(d, 0)
		require.Empty(t, Fuse([]island.Observation{a, b}, lens).Tracks)
	})
}

func TestFuseCompleteLinkage(t *testing.T) {
	// a-b and b-c are within the gate, a-c is not: only the better pair
	// becomes a track, though single linkage would chain all three.
	obs := []island.Observation{at("alpha", "a1", 0, 0, 0, "uav"),
		at("bravo", "b1", 0, 29, 0, "uav"), at("charlie", "c1", 0, 59, 0, "uav")}
	res := Fuse(obs, island.DefaultLens())
	require.Equal(t, 2, res.Candidates)
	require.Len(t, res.Tracks, 1)
	require.Equal(t, []string{"alpha/a1", "bravo/b1"}, members(res.Tracks[0]))
	require.Equal(t, 1, res.Matches)
	require.Equal(t, []island.ObservationKey{{NodeID: "charlie", ID: "c1"}}, res.Unmatched)
}

func TestFuseOneSightingPerNode(t *testing.T) {
	obs := []island.Observation{at("alpha", "a1", 0, 20, 0, "uav"),
		at("alpha", "a2", 0, 10, 0, "uav"), at("bravo", "b1", 0, 0, 0, "uav")}
	res := Fuse(obs, island.DefaultLens())
	require.Len(t, res.Tracks, 1)
	require.Equal(t, []string{"alpha/a2", "bravo/b1"}, members(res.Tracks[0]))
	require.Equal(t, []island.ObservationKey{{NodeID: "alpha", ID: "a1"}}, res.Unmatched)
}

func TestFuseTiesBreakOnIDs(t *testing.T) {
	// a1 and a2 are mirror images about b1, so both pairs score the same to
	// the last bit; the pair of the smaller ids wins whatever the order.
	obs := []island.Observation{at("alpha", "a2", 1, 0, 20, "uav"),
		at("bravo", "b1", 0, 0, 0, "uav"), at("alpha", "a1", 1, 0, -20, "uav")}
	s1, _ := score(pointOf(obs[1]), pointOf(obs[0]), island.DefaultLens().Gates)
	s2, _ := score(pointOf(obs[1]), pointOf(obs[2]), island.DefaultLens().Gates)
	require.Equal(t, s1, s2)
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}} {
		in := []island.Observation{obs[order[0]], obs[order[1]], obs[order[2]]}
		res := Fuse(in, island.DefaultLens())
		require.Len(t, res.Tracks, 1)
		require.Equal(t, []string{"alpha/a1", "bravo/b1"}, members(res.Tracks[0]))
	}
}

func TestFuseOrdersTracksByEarliestMember(t *testing.T) {
	obs := []island.Observation{
		at("alpha", "x", 20, 0, 0, "uav"), at("bravo", "x", 20, 0, 0, "uav"),
		at("alpha", "y", 10, 500, 0, "uav"), at("bravo", "y", 12, 500, 0, "uav"),
		at("charlie", "z", 10, 900, 0, "uav"), at("bravo", "z", 11, 900, 0, "uav"),
	}
	res := Fuse(obs, island.DefaultLens())
	require.Len(t, res.Tracks, 3)
	require.Equal(t, []string{"alpha/y", "bravo/y"}, members(res.Tracks[0]))
	require.Equal(t, []string{"bravo/z", "charlie/z"}, members(res.Tracks[1]))
	require.Equal(t, []string{"alpha/x", "bravo/x"}, members(res.Tracks[2]))
	for i, tr := range res.Tracks {
		require.Equal(t, fmt.Sprintf("track-%04d", i+1), tr.ID)
	}
}

func TestFuseTrackIDsWiden(t *testing.T) {
	obs := make([]island.Observation, 10000)
	for i := range obs {
		obs[i] = at("alpha", fmt.Sprint(i), float64(i), 0, 0, "uav")
	}
	res := Fuse(obs, lensWith(1))
	require.Len(t, res.Tracks, 10000)
	require.Equal(t, "track-00001", res.Tracks[0].ID)
	require.Equal(t, "track-10000", res.Tracks[9999].ID)
}

func TestFuseSkipsPositionsOutOfRange(t *testing.T) {
	bad := at("bravo", "b1", 0, 0, 0, "uav")
	for _, lat := range []float64{91, math.NaN(), math.Inf(1)} {
		bad.Lat = lat
		obs := []island.Observation{at("alpha", "a1", 0, 0, 0, "uav"), bad}
		res := Fuse(obs, island.DefaultLens())
		require.Empty(t, res.Tracks)
		require.Len(t, res.Unmatched, 2)
	}
}

func TestFusePanicsOnMisuse(t *testing.T) {
	require.PanicsWithValue(t, "fusion: Fuse needs a lens; load one before fusing", func() {
		Fuse(nil, nil)
	})
	lens := island.DefaultLens()
	lens.Gates.TimeS = 0
	require.Panics(t, func() { Fuse(nil, lens) })
}

func TestTrackJSON(t *testing.T) {
	res := Fuse(fixtureObservations(t), island.DefaultLens())
	data, err := json.Marshal(res.Tracks[0])
	require.NoError(t, err)
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &fields))
	names := []string{"id", "lat", "lon", "class", "confidence", "start", "end", "members"}
	for _, name := range names {
		require.Contains(t, fields, name)
	}
	require.Len(t, fields, 8)
	require.Contains(t, string(fields["members"]), `{"node_id":"alpha","id":"alpha-0001"}`)
}
