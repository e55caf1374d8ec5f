package toxics

import (
	"fmt"

	"github.com/Shopify/toxiproxy/v2/stream"
	"github.com/Shopify/toxiproxy/v2/toxics"
)

// Actions a schedule applies to the connections it chooses.
const (
	ActionReset     = "reset"     // pass Bytes bytes, then reset (RST)
	ActionBlackhole = "blackhole" // drop everything, never close
	ActionTruncate  = "truncate"  // pass Bytes bytes, then close (FIN)
)

// ScheduleAttrs are the attributes of a schedule: the plan that chooses
// connections and what happens to them. A connection is numbered when its
// first bytes reach the toxic in its stream, so an idle connection is not
// counted, and sequential attempts are numbered in the order they are made.
type ScheduleAttrs struct {
	Plan
	Action string `json:"action"`
	Bytes  int64  `json:"bytes"`
}

func (a ScheduleAttrs) plan() Plan { return a.Plan }

func (a ScheduleAttrs) check() error {
	switch a.Action {
	case ActionReset, ActionBlackhole, ActionTruncate:
	default:
		return fmt.Errorf("action %q is not one of reset, blackhole, truncate", a.Action)
	}
	if a.Bytes < 0 {
		return fmt.Errorf("bytes %d is negative", a.Bytes)
	}
	return a.Plan.check()
}

// Schedule applies an action to the connections its plan chooses and lets
// the others pass. Upstream, a chosen connection's request never reaches the
// upstream beyond Bytes bytes; downstream, the request has reached it and the
// answer is hurt. Connections count: chosen ones; Bytes: bytes dropped.
type Schedule struct {
	g guard[ScheduleAttrs]
	tally
}

type scheduleState struct {
	decided, chosen bool
	passed          int64
}

// NewState implements toxics.StatefulToxic.
func (t *Schedule) NewState() any { return new(scheduleState) }

// MarshalJSON implements json.Marshaler.
func (t *Schedule) MarshalJSON() ([]byte, error) { return t.g.marshal() }

// UnmarshalJSON implements json.Unmarshaler; it refuses invalid attributes.
func (t *Schedule) UnmarshalJSON(data []byte) error { return t.g.unmarshal(data) }

// Validate implements Validator.
func (t *Schedule) Validate() error { return t.g.get().check() }

// SeedValue implements Seeded.
func (t *Schedule) SeedValue() int64 { return t.g.get().Seed }

// SetSeed implements Seeded.
func (t *Schedule) SetSeed(seed int64) {
	a := t.g.get()
	a.Seed = seed
	t.g.set(a)
}

// NeedsReset implements Resetter.
func (t *Schedule) NeedsReset() bool { return t.g.get().Action == ActionReset }

// Pipe implements toxics.Toxic.
func (t *Schedule) Pipe(stub *toxics.ToxicStub) {
	st := stub.State.(*scheduleState)
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			if !st.decided {
				st.decided, st.chosen = true, t.g.next()
				if st.chosen {
					t.conns.Add(1)
				}
			}
			if !st.chosen {
				stub.Output <- c
				continue
			}
			if t.act(stub, st, c) {
				stub.Close()
				drain(stub)
				return
			}
		}
	}
}

// act applies the action to one chunk and reports whether to close.
func (t *Schedule) act(stub *toxics.ToxicStub, st *scheduleState, c *stream.StreamChunk) bool {
	a := t.g.get()
	if a.Action == ActionBlackhole {
		t.bytes.Add(int64(len(c.Data)))
		return false
	}
	keep := min(int64(len(c.Data)), max(a.Bytes-st.passed, 0))
	if keep > 0 {
		stub.Output <- &stream.StreamChunk{Data: c.Data[:keep], Timestamp: c.Timestamp}
		st.passed += keep
	}
	t.bytes.Add(int64(len(c.Data)) - keep)
	return st.passed >= a.Bytes
}
