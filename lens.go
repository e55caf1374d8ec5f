package island

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
)

// DefaultMinNodes is how many distinct nodes a track needs when a lens does
// not say.
const DefaultMinNodes = 2

// Lens is the fusion profile: how close two sightings from different nodes
// must be, in space and time, to be taken for one target, and which classes
// may be fused with which.
type Lens struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Gates   Gates  `json:"gates"`
	// Compatible lists, for a class, the other classes it may be fused with.
	// A class may always be fused with itself; the relation is symmetric, so
	// listing a pair once is enough.
	Compatible map[string][]string `json:"compatible,omitempty"`
	// MinNodes is how many distinct nodes a track needs to be reported.
	MinNodes int `json:"min_nodes"`
}

// Gates bound the distance, in metres, and the time apart, in seconds, of two
// sightings that may be associated.
type Gates struct {
	DistanceM float64 `json:"distance_m"`
	TimeS     float64 `json:"time_s"`
}

// ParseLens decodes a lens from JSON, fills in its defaults and validates it.
// Unknown fields are an error, so that a misspelt gate is not silently zero.
func ParseLens(data []byte) (*Lens, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var l Lens
	if err := dec.Decode(&l); err != nil {
		return nil, &Error{Code: EInvalidLens, Message: "the lens is not valid JSON",
			Details: []string{err.Error()}}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(EInvalidLens, "the lens has data after its closing brace; "+
			"a lens file holds one JSON object")
	}
	l.Normalize()
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &l, nil
}

// Normalize fills in the defaults of a lens.
func (l *Lens) Normalize() {
	if l.MinNodes == 0 {
		l.MinNodes = DefaultMinNodes
	}
}

// Validate returns nil or an *Error with code EInvalidLens that names each
// failing field.
func (l *Lens) Validate() error {
	var bad []string
	if l.Name == "" {
		bad = append(bad, "name: is required")
	}
	if len(l.Name) > MaxIDLength {
		bad = append(bad, fmt.Sprintf("name: is %d bytes long; the limit is %d", len(l.Name), MaxIDLength))
	}
	if len(l.Version) > MaxIDLength {
		bad = append(bad, fmt.Sprintf("version: is %d bytes long; the limit is %d", len(l.Version), MaxIDLength))
	}
	if !positive(l.Gates.DistanceM) {
		bad = append(bad, fmt.Sprintf("gates.distance_m: %v must be a positive number of metres", l.Gates.DistanceM))
	}
	if !positive(l.Gates.TimeS) {
		bad = append(bad, fmt.Sprintf("gates.time_s: %v must be a positive number of seconds", l.Gates.TimeS))
	}
	if l.MinNodes < 1 {
		bad = append(bad, fmt.Sprintf("min_nodes: %d must be at least 1", l.MinNodes))
	}
	classes := make([]string, 0, len(l.Compatible))
	for c := range l.Compatible {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		if !classPattern.MatchString(c) || len(c) > MaxClassLength {
			bad = append(bad, fmt.Sprintf("compatible: %.40q is not a short lower-case word", c))
		}
		for i, other := range l.Compatible[c] {
			if !classPattern.MatchString(other) || len(other) > MaxClassLength {
				bad = append(bad, fmt.Sprintf("compatible.%s[%d]: %.40q is not a short lower-case word", c, i, other))
			}
		}
	}
	if len(bad) > 0 {
		return &Error{Code: EInvalidLens, Message: "the lens is invalid", Details: capDetails(bad)}
	}
	return nil
}

// CanFuse reports whether sightings of classes a and b may belong to one
// track under the lens.
func (l *Lens) CanFuse(a, b string) bool {
	if a == b {
		return true
	}
	return slices.Contains(l.Compatible[a], b) || slices.Contains(l.Compatible[b], a)
}

func positive(f float64) bool {
	return f > 0 && !math.IsInf(f, 0) && !math.IsNaN(f)
}
