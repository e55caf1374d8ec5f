package island

import (
	"embed"
	"encoding/json"
	"fmt"
)

//go:embed testdata/fixtures/*.json
var fixtureFS embed.FS

// FixtureNodes are the nodes of the shipped fixtures, in order.
var FixtureNodes = []string{"alpha", "bravo", "charlie"}

// Fixture returns the shipped batch of the named node (alpha, bravo or
// charlie): five sightings of the same five targets that the other two nodes
// see a few metres and seconds apart.
func Fixture(node string) (Batch, error) {
	data, err := fixtureFS.ReadFile("testdata/fixtures/" + node + ".json")
	if err != nil {
		return Batch{}, fmt.Errorf("no fixture for node %q: the nodes are %v", node, FixtureNodes)
	}
	var b Batch
	if err := json.Unmarshal(data, &b); err != nil {
		return Batch{}, fmt.Errorf("fixture %s: %w", node, err)
	}
	return b, nil
}

// DefaultLens returns the shipped default lens.
func DefaultLens() *Lens {
	data, err := fixtureFS.ReadFile("testdata/fixtures/lens.json")
	if err != nil {
		panic("island: the embedded default lens is missing: " + err.Error())
	}
	l, err := ParseLens(data)
	if err != nil {
		panic("island: the embedded default lens is invalid: " + err.Error())
	}
	return l
}
