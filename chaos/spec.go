package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"

	"github.com/Shopify/toxiproxy/v2/stream"
	tptoxics "github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/island-sensors/island/chaos/toxics"
)

// Spec is a fault as data, in toxiproxy's wire form: what a scenario file
// holds and what the toxiproxy API takes.
type Spec struct {
	Name       string          `json:"name,omitempty"`
	Type       string          `json:"type"`
	Stream     string          `json:"stream,omitempty"`
	Toxicity   *float32        `json:"toxicity,omitempty"`
	Attributes json.RawMessage `json:"attributes,omitempty"`
}

// checked is a normalised, validated spec and the toxic it decodes to.
type checked struct {
	Spec
	toxic tptoxics.Toxic
}

// check fills in a spec's defaults and validates it whole: a known type, a
// valid stream and toxicity, and attributes the toxic accepts.
func check(s Spec) (checked, error) {
	if s.Stream == "" {
		s.Stream = string(Downstream)
	}
	if _, err := stream.ParseDirection(s.Stream); err != nil {
		return checked{}, fmt.Errorf("fault %q: stream %q is neither upstream nor downstream",
			s.Name, s.Stream)
	}
	if s.Name == "" {
		s.Name = s.Type + "_" + s.Stream
	}
	if s.Toxicity == nil {
		one := float32(1)
		s.Toxicity = &one
	}
	if t := *s.Toxicity; t < 0 || t > 1 {
		return checked{}, fmt.Errorf("fault %q: toxicity %v is not within [0, 1]", s.Name, t)
	}
	if s.Type == toxics.TypeHTTPStatus && s.Stream != string(Downstream) {
		return checked{}, fmt.Errorf("fault %q: http_status answers requests, so its "+
			"stream must be downstream", s.Name)
	}
	toxic, err := decodeToxic(s)
	if err != nil {
		return checked{}, err
	}
	if s.Attributes, err = json.Marshal(toxic); err != nil {
		return checked{}, fmt.Errorf("fault %q: %w", s.Name, err)
	}
	return checked{Spec: s, toxic: toxic}, nil
}

// decodeToxic makes a fresh toxic of the spec's type from its attributes.
func decodeToxic(s Spec) (tptoxics.Toxic, error) {
	w := &tptoxics.ToxicWrapper{Type: s.Type}
	toxic := tptoxics.New(w)
	if toxic == nil {
		return nil, fmt.Errorf("fault %q: unknown type %q; known are latency, bandwidth, "+
			"slicer, limit_data, reset_peer, timeout, slow_close, schedule, reset_after, "+
			"http_status", s.Name, s.Type)
	}
	attrs := s.Attributes
	if len(attrs) == 0 {
		attrs = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(attrs))
	dec.DisallowUnknownFields()
	if err := dec.Decode(toxic); err != nil {
		return nil, fmt.Errorf("fault %q (%s): attributes: %w", s.Name, s.Type, err)
	}
	if v, ok := toxic.(toxics.Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("fault %q (%s): %w", s.Name, s.Type, err)
		}
	}
	return toxic, nil
}

// seeded returns c with its seed derived from seed, proxy and fault name if
// the toxic makes random choices and has no seed of its own.
func (c checked) seeded(seed int64, proxy string) checked {
	sd, ok := c.toxic.(toxics.Seeded)
	if !ok || sd.SeedValue() != 0 {
		return c
	}
	sd.SetSeed(deriveSeed(seed, proxy, c.Name))
	c.Attributes, _ = json.Marshal(c.toxic)
	return c
}

// deriveSeed mixes a server's seed with a proxy and fault name, so that each
// fault draws its own reproducible sequence.
func deriveSeed(seed int64, proxy, fault string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%s", seed, proxy, fault)
	if v := int64(h.Sum64() >> 1); v != 0 {
		return v
	}
	return 1
}

// companion returns the rst_on_close spec that gives c its resets, if it
// needs one.
func (c checked) companion() (Spec, bool) {
	r, ok := c.toxic.(toxics.Resetter)
	if !ok || !r.NeedsReset() {
		return Spec{}, false
	}
	zero := float32(0)
	return Spec{Name: companionName(c.Name), Type: toxics.TypeRSTOnClose,
		Stream: string(Upstream), Toxicity: &zero, Attributes: []byte(`{"timeout":0}`)}, true
}

// companionName names the rst_on_close toxic that serves fault.
func companionName(fault string) string { return fault + ".rst" }

func (s Spec) json() []byte {
	b, _ := json.Marshal(s)
	return b
}
