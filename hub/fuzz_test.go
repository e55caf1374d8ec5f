package hub_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
)

// FuzzDecodeBatch feeds the hub's ingest decoder and validator arbitrary
// bodies: they must never panic, must refuse with an *island.Error of a
// code the ingest route gives, must validate alike every time, and a batch
// they accept must obey the rules and come back the same once encoded and
// decoded again.
func FuzzDecodeBatch(f *testing.F) {
	for _, node := range island.FixtureNodes {
		b, err := island.Fixture(node)
		if err != nil {
			f.Fatal(err)
		}
		data, err := json.Marshal(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, ok := decodeAndValidate(t, body)
		if !ok {
			return
		}
		requireObeysRules(t, b)
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encoding the accepted batch %+v: %v", b, err)
		}
		back, ok := decodeAndValidate(t, enc)
		if !ok {
			t.Fatalf("the accepted batch %+v, encoded as %s, is refused", b, enc)
		}
		requireSameBatch(t, b, back)
	})
}

// decodeAndValidate does what the ingest route does with a body before it
// stores it, checks any refusal, and reports whether the batch is accepted.
func decodeAndValidate(t *testing.T, body []byte) (island.Batch, bool) {
	t.Helper()
	b, err := hub.DecodeBatch(body)
	if err != nil {
		requireIslandError(t, err, island.EInvalidJSON, island.EValidation)
		return b, false
	}
	b.Normalize()
	err = b.Validate()
	if again := b.Validate(); !reflect.DeepEqual(err, again) {
		t.Fatalf("Validate is not deterministic: %v, then %v", err, again)
	}
	if err != nil {
		requireIslandError(t, err, island.EValidation, island.ENodeMismatch)
		return b, false
	}
	return b, true
}

// requireIslandError fails t unless err is an *island.Error with one of
// codes, a message, and details within the cap.
func requireIslandError(t *testing.T, err error, codes ...string) {
	t.Helper()
	var e *island.Error
	if !errors.As(err, &e) {
		t.Fatalf("the error %v (%T) is not an *island.Error", err, err)
	}
	known := false
	for _, c := range codes {
		known = known || e.Code == c
	}
	switch {
	case !known:
		t.Fatalf("the error %v has code %q; want one of %v", err, e.Code, codes)
	case e.Message == "":
		t.Fatalf("the error %#v has no message", e)
	case len(e.Details) > island.MaxDetails+1:
		t.Fatalf("the error lists %d details, over the cap", len(e.Details))
	}
	for _, d := range e.Details {
		if strings.TrimSpace(d) == "" {
			t.Fatalf("the error %v has an empty detail", err)
		}
	}
}

// requireObeysRules fails t unless every observation of the accepted batch
// b keeps the rules of the domain.
func requireObeysRules(t *testing.T, b island.Batch) {
	t.Helper()
	seen := map[string]bool{}
	for k, o := range b.Observations {
		switch {
		case o.NodeID != b.NodeID:
			t.Fatalf("observation %d of node %q was accepted in a batch of %q", k, o.NodeID,
				b.NodeID)
		case o.ID == "" || len(o.ID) > island.MaxIDLength || seen[o.ID]:
			t.Fatalf("observation %d was accepted with the id %q", k, o.ID)
		case o.Timestamp.IsZero():
			t.Fatalf("observation %d was accepted without a timestamp", k)
		case !(o.Lat >= -90 && o.Lat <= 90 && o.Lon >= -180 && o.Lon <= 180):
			t.Fatalf("observation %d was accepted at (%v, %v)", k, o.Lat, o.Lon)
		case !(o.Confidence >= 0 && o.Confidence <= 1):
			t.Fatalf("observation %d was accepted with confidence %v", k, o.Confidence)
		case o.Class == "" || len(o.Class) > island.MaxClassLength:
			t.Fatalf("observation %d was accepted with the class %q", k, o.Class)
		}
		seen[o.ID] = true
	}
}

// requireSameBatch fails t unless a and b hold the same observations, with
// timestamps at the same instant and in the same offset.
func requireSameBatch(t *testing.T, a, b island.Batch) {
	t.Helper()
	if a.NodeID != b.NodeID || len(a.Observations) != len(b.Observations) {
		t.Fatalf("the batch %+v came back as %+v", a, b)
	}
	for k, x := range a.Observations {
		y := b.Observations[k]
		_, xo := x.Timestamp.Zone()
		_, yo := y.Timestamp.Zone()
		same := x.ID == y.ID && x.NodeID == y.NodeID && x.Timestamp.Equal(y.Timestamp) &&
			xo == yo && x.Lat == y.Lat && x.Lon == y.Lon && x.Class == y.Class &&
			x.Confidence == y.Confidence
		if !same {
			t.Fatalf("observation %d, %+v, came back as %+v", k, x, y)
		}
	}
}
