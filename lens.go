package island

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
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
	bad := l.validateFields()
	bad = append(bad, l.validateCompatible()...)
	if len(bad) > 0 {
		return &Error{Code: EInvalidLens, Message: "the lens is invalid", Details: capDetails(bad)}
	}
	return nil
}

// validateFields returns one line for each wrong field of l but Compatible.
func (l *Lens) validateFields() []string {
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	if l.Name == "" {
		add("name: is required")
	}
	if len(l.Name) > MaxIDLength {
		add("name: is %d bytes long; the limit is %d", len(l.Name), MaxIDLength)
	}
	if len(l.Version) > MaxIDLength {
		add("version: is %d bytes long; the limit is %d", len(l.Version), MaxIDLength)
	}
	if !positive(l.Gates.DistanceM) {
		add("gates.distance_m: %v must be a positive number of metres", l.Gates.DistanceM)
	}
	if !positive(l.Gates.TimeS) {
		add("gates.time_s: %v must be a positive number of seconds", l.Gates.TimeS)
	}
	if l.MinNodes < 1 {
		add("min_nodes: %d must be at least 1", l.MinNodes)
	}
	return bad
}

// validateCompatible returns one line for each class of l.Compatible that is
// not a short lower-case word, in the order of the classes. A class is
// quoted to its first 40 bytes, so that a huge one does not make a huge
// answer.
func (l *Lens) validateCompatible() []string {
	var bad []string
	for _, c := range slices.Sorted(maps.Keys(l.Compatible)) {
		if !validClass(c) {
			bad = append(bad, fmt.Sprintf("compatible: %.40q is not a short lower-case word", c))
		}
		for i, other := range l.Compatible[c] {
			if !validClass(other) {
				bad = append(bad, fmt.Sprintf("compatible.%.40s[%d]: %.40q is not a short "+
					"lower-case word", c, i, other))
			}
		}
	}
	return bad
}

func validClass(c string) bool {
	return len(c) <= MaxClassLength && classPattern.MatchString(c)
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
