package island

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"time"
)

// Limits on the strings of an observation, so that a hostile edge cannot make
// the hub keep megabytes per sighting.
const (
	MaxIDLength    = 128
	MaxClassLength = 32
)

// DefaultClass is the class of an observation that names none.
const DefaultClass = "unknown"

var (
	classPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
)

// Observation is one sighting of a target by one edge node. Its identity is
// the pair (NodeID, ID).
type Observation struct {
	ID         string    `json:"id"`
	NodeID     string    `json:"node_id"`
	Timestamp  time.Time `json:"timestamp"`
	Lat        float64   `json:"lat"`
	Lon        float64   `json:"lon"`
	Class      string    `json:"class"`
	Confidence float64   `json:"confidence"`
}

// Key returns the identity of the observation: its node id and id.
func (o Observation) Key() ObservationKey {
	return ObservationKey{NodeID: o.NodeID, ID: o.ID}
}

// ObservationKey is the identity of an observation.
type ObservationKey struct {
	NodeID string `json:"node_id"`
	ID     string `json:"id"`
}

// String returns the key as "node/id".
func (k ObservationKey) String() string { return k.NodeID + "/" + k.ID }

// UnmarshalJSON decodes an observation, giving a missing confidence its
// default of 1. An explicit 0 stays 0.
func (o *Observation) UnmarshalJSON(data []byte) error {
	type plain Observation
	p := plain{Confidence: 1}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*o = Observation(p)
	return nil
}

// validate returns one line for each field of o that is wrong, each prefixed
// with the path of observation i (such as "observations[3]").
func (o Observation) validate(i int) []string {
	var bad []string
	add := func(field, format string, args ...any) {
		bad = append(bad, fmt.Sprintf("%s.%s: ", obsPath(i), field)+fmt.Sprintf(format, args...))
	}
	switch {
	case o.ID == "":
		add("id", "is required")
	case len(o.ID) > MaxIDLength:
		add("id", "is %d bytes long; the limit is %d", len(o.ID), MaxIDLength)
	case !isID(o.ID):
		add("id", "%q has characters other than letters, digits and . _ : -", o.ID)
	}
	if o.Timestamp.IsZero() {
		add("timestamp", "is required (RFC 3339, such as 2026-03-14T10:00:00Z)")
	}
	if math.IsNaN(o.Lat) || math.IsInf(o.Lat, 0) || o.Lat < -90 || o.Lat > 90 {
		add("lat", "%v is outside [-90, 90]", o.Lat)
	}
	if math.IsNaN(o.Lon) || math.IsInf(o.Lon, 0) || o.Lon < -180 || o.Lon > 180 {
		add("lon", "%v is outside [-180, 180]", o.Lon)
	}
	if math.IsNaN(o.Confidence) || o.Confidence < 0 || o.Confidence > 1 {
		add("confidence", "%v is outside [0, 1]", o.Confidence)
	}
	switch {
	case len(o.Class) > MaxClassLength:
		add("class", "is %d bytes long; the limit is %d", len(o.Class), MaxClassLength)
	case o.Class != "" && !isClass(o.Class):
		add("class", "%q is not a short lower-case word", o.Class)
	}
	return bad
}

// Batch is what an edge node posts to the hub: observations that all belong
// to NodeID.
type Batch struct {
	NodeID       string        `json:"node_id"`
	Observations []Observation `json:"observations"`
}

// Normalize fills in what a batch may leave out: the node id of each
// observation that names none, and the default class. Call it before
// Validate.
func (b *Batch) Normalize() {
	for i := range b.Observations {
		o := &b.Observations[i]
		if o.NodeID == "" {
			o.NodeID = b.NodeID
		}
		if o.Class == "" {
			o.Class = DefaultClass
		}
	}
}

// Validate checks the whole batch and returns nil or an *Error whose Details
// name every failing field. An observation that names another node gives the
// code ENodeMismatch; every other fault gives EValidation. Nothing is changed.
func (b *Batch) Validate() error {
	if b.NodeID == "" {
		return &Error{Code: EValidation, Message: "the batch is invalid",
			Details: []string{"node_id: is required"}}
	}
	if len(b.NodeID) > MaxIDLength || !idPattern.MatchString(b.NodeID) {
		return &Error{Code: EValidation, Message: "the batch is invalid",
			Details: []string{fmt.Sprintf("node_id: %.40q is not a valid node id", b.NodeID)}}
	}
	var mismatch, bad []string
	seen := make(map[string]int, len(b.Observations))
	for i, o := range b.Observations {
		if o.NodeID != "" && o.NodeID != b.NodeID {
			mismatch = append(mismatch, fmt.Sprintf(
				"%s.node_id: %.40q does not match the batch's node_id %q",
				obsPath(i), o.NodeID, b.NodeID))
		}
		bad = append(bad, o.validate(i)...)
		if j, ok := seen[o.ID]; ok && o.ID != "" {
			bad = append(bad, fmt.Sprintf("%s.id: %q repeats observations[%d]", obsPath(i), o.ID, j))
		} else {
			seen[o.ID] = i
		}
	}
	if len(mismatch) > 0 {
		return &Error{Code: ENodeMismatch, Message: "observations belong to another node",
			Details: capDetails(append(mismatch, bad...))}
	}
	if len(bad) > 0 {
		return &Error{Code: EValidation, Message: "the batch is invalid", Details: capDetails(bad)}
	}
	return nil
}

func obsPath(i int) string { return fmt.Sprintf("observations[%d]", i) }

// isID reports whether s matches idPattern. It is the hot path of batch
// validation, so it matches by hand rather than with the regexp.
func isID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != ':' && c != '-') {
			return false
		}
	}
	return s != ""
}

// isClass reports whether s matches classPattern, by hand like isID.
func isClass(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		lower := 'a' <= c && c <= 'z'
		if !lower && (i == 0 || !('0' <= c && c <= '9') && c != '_' && c != '-') {
			return false
		}
	}
	return s != ""
}

// MaxDetails is how many failing fields an error lists before it sums up the
// rest in one line.
const MaxDetails = 20

func capDetails(d []string) []string {
	if len(d) <= MaxDetails {
		return d
	}
	return append(d[:MaxDetails:MaxDetails], fmt.Sprintf("and %d more", len(d)-MaxDetails))
}
