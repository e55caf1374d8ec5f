package fusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/island-sensors/island"
)

// sceneSpec describes a random scene: targets in a square of sideM metres
// around a centre (or around the north pole), over spanS seconds, each seen
// by every node with probability detect, plus clutter.
type sceneSpec struct {
	seed          uint64
	targets       int
	nodes         []string
	lat, lon      float64
	polar         bool
	sideM, spanS  float64
	detect        float64
	clutter       float64 // clutter sightings per target
	noiseM        float64 // standard deviation of position, per axis
	noiseS        float64 // standard deviation of time
	misclassified float64 // share of sightings that report a random class
}

var (
	sceneStart   = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	sceneClasses = []string{"vehicle", "truck", "person", "uav"}
	threeNodes   = []string{"alpha", "bravo", "charlie"}
)

// mixedScene is a scene with missed detections, clutter, misclassification
// and noise large enough that many pairs fall near or beyond the gates of
// the default lens.
func mixedScene(seed uint64) sceneSpec {
	return sceneSpec{seed: seed, targets: 400, nodes: threeNodes, lat: 34.05, lon: -118.24,
		sideM: 1000, spanS: 120, detect: 0.85, clutter: 0.15,
		noiseM: 18, noiseS: 1.8, misclassified: 0.1}
}

func scene(s sceneSpec) []island.Observation {
	rng := rand.New(rand.NewPCG(s.seed, 0x15a7d))
	var obs []island.Observation
	add := func(node string, x, y, t float64, class string) {
		lat, lon := s.place(x, y)
		conf := 0.5 + rng.Float64()/2
		if rng.Float64() < 0.05 {
			conf = 0
		}
		obs = append(obs, island.Observation{
			ID: fmt.Sprintf("%s-%05d", node, len(obs)), NodeID: node,
			Timestamp: sceneStart.Add(time.Duration(t * float64(time.Second))),
			Lat:       lat, Lon: lon, Class: class, Confidence: conf,
		})
	}
	for range s.targets {
		x, y := (rng.Float64()-0.5)*s.sideM, (rng.Float64()-0.5)*s.sideM
		t := rng.Float64() * s.spanS
		class := sceneClasses[rng.IntN(len(sceneClasses))]
		for _, node := range s.nodes {
			if rng.Float64() >= s.detect {
				continue
			}
			c := class
			if rng.Float64() < s.misclassified {
				c = sceneClasses[rng.IntN(len(sceneClasses))]
			}
			add(node, x+rng.NormFloat64()*s.noiseM, y+rng.NormFloat64()*s.noiseM,
				t+rng.NormFloat64()*s.noiseS, c)
		}
	}
	for range int(s.clutter * float64(s.targets)) {
		add(s.nodes[rng.IntN(len(s.nodes))], (rng.Float64()-0.5)*s.sideM,
			(rng.Float64()-0.5)*s.sideM, rng.Float64()*s.spanS,
			sceneClasses[rng.IntN(len(sceneClasses))])
	}
	return obs
}

// place turns local metres east and north of the centre into degrees. A
// polar scene measures them from the north pole instead.
func (s sceneSpec) place(x, y float64) (lat, lon float64) {
	const deg = 180 / math.Pi
	if s.polar {
		return 90 - math.Hypot(x, y)/earthRadiusM*deg, math.Atan2(y, x) * deg
	}
	lat = s.lat + y/earthRadiusM*deg
	lon = s.lon + x/(earthRadiusM*math.Cos(s.lat/deg))*deg
	lat = min(max(lat, -90), 90)
	for lon > 180 {
		lon -= 360
	}
	for lon < -180 {
		lon += 360
	}
	return lat, lon
}
