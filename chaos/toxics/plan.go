package toxics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
)

// Plan chooses which connections or requests a toxic acts on, counting them
// from 1 in the order they reach it: the first First of them, every Every-th
// (Every, 2*Every, ...), and a share Share of them drawn from Seed. A choice
// is made when any of the three says so; the others pass untouched.
type Plan struct {
	First int64   `json:"first"`
	Every int64   `json:"every"`
	Share float64 `json:"share"`
	Seed  int64   `json:"seed"`
}

func (p Plan) check() error {
	switch {
	case p.First < 0 || p.Every < 0:
		return errors.New("first and every must not be negative")
	case p.Share < 0 || p.Share > 1:
		return fmt.Errorf("share %v is not within [0, 1]", p.Share)
	case p.First == 0 && p.Every == 0 && p.Share == 0:
		return errors.New("set first, every or share, or the toxic never fires")
	}
	return nil
}

// hits reports whether the n-th item is chosen. It draws from r whenever the
// plan has a share, so that the sequence of draws depends on n alone.
func (p Plan) hits(n int64, r *rand.Rand) bool {
	drawn := p.Share > 0 && r.Float64() < p.Share
	return n <= p.First || (p.Every > 0 && n%p.Every == 0) || drawn
}

// attributes is what a guard holds.
type attributes interface {
	check() error
	plan() Plan
}

// guard holds a toxic's attributes under a lock, because toxiproxy's API
// rewrites them in place while connections read them, and numbers the items
// the plan chooses from. Its zero value is ready to use.
type guard[A attributes] struct {
	mu  sync.Mutex
	a   A
	seq int64
	rng *rand.Rand
}

func (g *guard[A]) get() A {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.a
}

func (g *guard[A]) set(a A) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.a, g.seq, g.rng = a, 0, nil
}

func (g *guard[A]) marshal() ([]byte, error) {
	return json.Marshal(g.get())
}

// unmarshal decodes data over the current attributes, so that an update may
// name only the fields it changes. Unknown fields and invalid values are
// refused. Setting attributes starts the plan's count and draws afresh.
func (g *guard[A]) unmarshal(data []byte) error {
	a := g.get()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return err
	}
	if err := a.check(); err != nil {
		return err
	}
	g.set(a)
	return nil
}

// next numbers one more item and reports whether the plan chooses it.
func (g *guard[A]) next() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.a.plan()
	if g.rng == nil {
		g.rng = rand.New(rand.NewPCG(uint64(p.Seed), 0x15a4d5eed))
	}
	g.seq++
	return p.hits(g.seq, g.rng)
}
