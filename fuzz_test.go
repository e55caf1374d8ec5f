package island

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParseLens feeds ParseLens arbitrary bytes: it must never panic, must
// refuse with an *Error of code EInvalidLens, and what it accepts must be
// well-formed JSON, valid, and the same lens once encoded and parsed again.
func FuzzParseLens(f *testing.F) {
	if data, err := fixtureFS.ReadFile("testdata/fixtures/lens.json"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLens(data)
		if err != nil {
			requireCoded(t, err, EInvalidLens)
			return
		}
		if !json.Valid(data) {
			t.Fatalf("ParseLens accepted %q, which is not well-formed JSON", data)
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("ParseLens accepted a lens that does not validate: %v", err)
		}
		again, err := ParseLens(data)
		if err != nil || !sameLens(l, again) {
			t.Fatalf("ParseLens is not deterministic: %+v, then %+v, %v", l, again, err)
		}
		enc, err := json.Marshal(l)
		if err != nil {
			t.Fatalf("encoding an accepted lens: %v", err)
		}
		back, err := ParseLens(enc)
		if err != nil {
			t.Fatalf("the accepted lens %+v, encoded as %s, does not parse: %v", l, enc, err)
		}
		if !sameLens(l, back) {
			t.Fatalf("the lens %+v came back from %s as %+v", l, enc, back)
		}
	})
}

// sameLens compares lenses, taking a nil and an empty Compatible as one.
func sameLens(a, b *Lens) bool {
	x, y := *a, *b
	if len(x.Compatible) == 0 {
		x.Compatible = nil
	}
	if len(y.Compatible) == 0 {
		y.Compatible = nil
	}
	return reflect.DeepEqual(x, y)
}

// FuzzBatchValidate builds a batch of one observation, repeated when dup is
// set, from arbitrary fields, and checks Normalize and Validate against the
// rules written out again here with the package's patterns: the verdict and
// the code must agree, an error must name fields, and validating must be
// deterministic and change nothing.
func FuzzBatchValidate(f *testing.F) {
	f.Add("alpha", "alpha-0001", "", "vehicle", "2026-03-14T10:00:00Z", 34.05, -118.24, 0.9, false)
	f.Fuzz(func(t *testing.T, node, id, obsNode, class, ts string,
		lat, lon, conf float64, dup bool) {
		stamp, _ := time.Parse(time.RFC3339Nano, ts)
		o := Observation{ID: id, NodeID: obsNode, Timestamp: stamp, Lat: lat, Lon: lon,
			Class: class, Confidence: conf}
		b := Batch{NodeID: node, Observations: []Observation{o}}
		if dup {
			b.Observations = append(b.Observations, o)
		}
		b.Normalize()
		kept := cloneBatch(b)
		err := b.Validate()
		if !sameBits(kept, b) {
			t.Fatalf("Validate changed the batch: %+v became %+v", kept, b)
		}
		if again := b.Validate(); !reflect.DeepEqual(err, again) {
			t.Fatalf("Validate is not deterministic: %v, then %v", err, again)
		}
		want := expectedCode(b, dup)
		if got := ErrorCode(err); got != want {
			t.Fatalf("Validate of %+v gave %q (%v), the rules say %q", b, got, err, want)
		}
		if err != nil {
			requireCoded(t, err, EValidation, ENodeMismatch)
			requireFieldPaths(t, err.(*Error))
		}
	})
}

// expectedCode is the code that the rules give b, whose observations are
// one observation, twice when dup; "" when b is valid.
func expectedCode(b Batch, dup bool) string {
	if b.NodeID == "" || len(b.NodeID) > MaxIDLength || !idPattern.MatchString(b.NodeID) {
		return EValidation
	}
	o := b.Observations[0]
	if o.NodeID != b.NodeID {
		return ENodeMismatch
	}
	inRange := func(v, lo, hi float64) bool { return !math.IsNaN(v) && v >= lo && v <= hi }
	ok := o.ID != "" && len(o.ID) <= MaxIDLength && idPattern.MatchString(o.ID) &&
		!o.Timestamp.IsZero() && inRange(o.Lat, -90, 90) && inRange(o.Lon, -180, 180) &&
		inRange(o.Confidence, 0, 1) && len(o.Class) <= MaxClassLength &&
		classPattern.MatchString(o.Class) && !dup
	if !ok {
		return EValidation
	}
	return ""
}

// requireFieldPaths fails t unless each detail of e starts with the path
// of the field it is about.
func requireFieldPaths(t *testing.T, e *Error) {
	t.Helper()
	for _, d := range e.Details {
		if !strings.HasPrefix(d, "node_id: ") && !strings.HasPrefix(d, "observations[") {
			t.Fatalf("the detail %q does not start with the path of a field", d)
		}
	}
}

// sameBits compares batches field by field, floats by their bits, so that
// a NaN equals itself.
func sameBits(a, b Batch) bool {
	if a.NodeID != b.NodeID || len(a.Observations) != len(b.Observations) {
		return false
	}
	bits := math.Float64bits
	for k, x := range a.Observations {
		y := b.Observations[k]
		if x.ID != y.ID || x.NodeID != y.NodeID || x.Timestamp != y.Timestamp ||
			x.Class != y.Class || bits(x.Lat) != bits(y.Lat) || bits(x.Lon) != bits(y.Lon) ||
			bits(x.Confidence) != bits(y.Confidence) {
			return false
		}
	}
	return true
}

func cloneBatch(b Batch) Batch {
	b.Observations = append([]Observation(nil), b.Observations...)
	return b
}

// requireCoded fails t unless err is an *Error with one of codes, a message,
// and details that each name a field.
func requireCoded(t *testing.T, err error, codes ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("the error %v (%T) is not an *island.Error", err, err)
	}
	known := false
	for _, c := range codes {
		known = known || e.Code == c
	}
	if !known {
		t.Fatalf("the error %v has code %q; want one of %v", err, e.Code, codes)
	}
	if e.Message == "" {
		t.Fatalf("the error %#v has no message", e)
	}
	if len(e.Details) > MaxDetails+1 {
		t.Fatalf("the error lists %d details, over the cap of %d", len(e.Details), MaxDetails)
	}
	for _, d := range e.Details {
		if d == "" || strings.TrimSpace(d) != d {
			t.Fatalf("the error %v has a detail %q that names nothing", err, d)
		}
	}
}
