package edge

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/island-sensors/island"
)

// Spreads of the generated sightings around their fixture targets.
const (
	genSpread    = 2 * time.Hour // timestamps fall within this after the fixture's
	genJitterDeg = 0.0002        // about 20 m of latitude
)

// Generate returns n observations of node, reproducible from seed: sightings
// of the five targets of the node's shipped fixture (alpha's for a node that
// has none) in turn, each with an id of its own, a timestamp within two hours
// after the target's, coordinates a few metres off and a confidence in
// [0.5, 1]. Ids are "<node>-s<seed>-<n>", so batches of different seeds
// never collide and the same seed yields the same batch again.
func Generate(node string, n int, seed int64) []island.Observation {
	targets := generateTargets(node)
	h := fnv.New64a()
	h.Write([]byte(node))
	r := rand.New(rand.NewPCG(uint64(seed), h.Sum64())) // each node draws its own
	out := make([]island.Observation, 0, max(n, 0))
	for i := range max(n, 0) {
		t := targets[i%len(targets)]
		out = append(out, island.Observation{
			ID:         fmt.Sprintf("%s-s%d-%06d", node, seed, i+1),
			NodeID:     node,
			Timestamp:  t.Timestamp.Add(time.Duration(r.Int64N(int64(genSpread)))).Round(time.Millisecond),
			Lat:        clamp(t.Lat+(r.Float64()*2-1)*genJitterDeg, -90, 90),
			Lon:        clamp(t.Lon+(r.Float64()*2-1)*genJitterDeg, -180, 180),
			Class:      t.Class,
			Confidence: 0.5 + r.Float64()/2,
		})
	}
	return out
}

func generateTargets(node string) []island.Observation {
	if !slices.Contains(island.FixtureNodes, node) {
		node = island.FixtureNodes[0]
	}
	b, err := island.Fixture(node)
	if err != nil || len(b.Observations) == 0 {
		panic(fmt.Sprintf("edge: the embedded fixture of %s is unusable: %v", node, err))
	}
	return b.Observations
}

func clamp(v, lo, hi float64) float64 { return min(max(v, lo), hi) }
