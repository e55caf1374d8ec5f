package fusion

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/island-sensors/island"
	"github.com/stretchr/testify/require"
)

func TestFuseAgreesWithBruteForce(t *testing.T) {
	variants := map[string]func(*sceneSpec){
		"mid-latitude": func(*sceneSpec) {},
		"antimeridian": func(s *sceneSpec) { s.lat, s.lon = -17.7, 180 },
		"north-pole":   func(s *sceneSpec) { s.polar = true },
		"high-arctic":  func(s *sceneSpec) { s.lat, s.lon = 78.2, 15.6 },
		"five-nodes": func(s *sceneSpec) {
			s.nodes = []string{"alpha", "bravo", "charlie", "delta", "echo"}
			s.targets = 250
		},
	}
	for name, vary := range variants {
		for seed := uint64(1); seed <= 4; seed++ {
			for _, minNodes := range []int{2, 3} {
				t.Run(fmt.Sprintf("%s/seed=%d/min_nodes=%d", name, seed, minNodes), func(t *testing.T) {
					spec := mixedScene(seed)
					vary(&spec)
					lens := island.DefaultLens()
					lens.MinNodes = minNodes
					obs := scene(spec)
					want := bruteForce(obs, lens)
					got := Fuse(obs, lens)
					require.Equal(t, want, got)
					requireRich(t, want)
					requireTracksHold(t, obs, lens, got)
				})
			}
		}
	}
}

// requireRich fails when a scene is too easy to tell a right engine from a
// wrong one: it needs reported tracks, unmatched sightings, and candidate
// pairs that did not become matches.
func requireRich(t *testing.T, res Result) {
	t.Helper()
	require.NotEmpty(t, res.Tracks)
	require.NotEmpty(t, res.Unmatched)
	require.Greater(t, res.Candidates, res.Matches)
}

// requireTracksHold checks, without the reference, what every result must
// satisfy: members pairwise within the gates and of compatible classes, one
// per node, each observation in at most one track, and the match count.
func requireTracksHold(t *testing.T, obs []island.Observation, lens *island.Lens, res Result) {
	t.Helper()
	byKey := map[island.ObservationKey]island.Observation{}
	for _, o := range obs {
		byKey[o.Key()] = o
	}
	seen := map[island.ObservationKey]bool{}
	matches := 0
	for _, tr := range res.Tracks {
		require.GreaterOrEqual(t, len(tr.Members), lens.MinNodes)
		matches += len(tr.Members) * (len(tr.Members) - 1) / 2
		nodes := map[string]bool{}
		for i, k := range tr.Members {
			require.False(t, seen[k], "%s is in two tracks", k)
			require.False(t, nodes[k.NodeID], "track %s has node %s twice", tr.ID, k.NodeID)
			seen[k], nodes[k.NodeID] = true, true
			for _, other := range tr.Members[i+1:] {
				a, b := byKey[k], byKey[other]
				require.True(t, lens.CanFuse(a.Class, b.Class))
				_, ok := score(pointOf(a), pointOf(b), lens.Gates)
				require.True(t, ok, "%s and %s are beyond the gates", k, other)
			}
		}
	}
	require.Equal(t, matches, res.Matches)
	for _, k := range res.Unmatched {
		require.False(t, seen[k], "%s is both tracked and unmatched", k)
		seen[k] = true
	}
	require.Len(t, seen, len(obs))
}

func pointOf(o island.Observation) *fix {
	ps, _, _ := prepare([]island.Observation{o})
	return &ps[0].fix
}

func TestFuseIgnoresInputOrder(t *testing.T) {
	obs := scene(mixedScene(7))
	lens := island.DefaultLens()
	want := Fuse(obs, lens)
	rng := rand.New(rand.NewPCG(7, 7))
	for range 5 {
		shuffled := append([]island.Observation(nil), obs...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		require.Equal(t, want, Fuse(shuffled, lens))
	}
}

func TestFuseLeavesInputAlone(t *testing.T) {
	obs := scene(mixedScene(3))
	before := append([]island.Observation(nil), obs...)
	Fuse(obs, island.DefaultLens())
	require.Equal(t, before, obs)
}
