package toxics

import (
	"fmt"

	"github.com/Shopify/toxiproxy/v2/stream"
	"github.com/Shopify/toxiproxy/v2/toxics"
)

// ResetAfterAttrs are the attributes of reset_after.
type ResetAfterAttrs struct {
	Bytes int64 `json:"bytes"` // bytes of the stream that pass before the reset
}

func (a ResetAfterAttrs) plan() Plan { return Plan{} }

func (a ResetAfterAttrs) check() error {
	if a.Bytes < 0 {
		return fmt.Errorf("bytes %d is negative", a.Bytes)
	}
	return nil
}

// ResetAfter lets Bytes bytes of each connection's stream pass and then
// resets the connection: both its sockets are closed with SO_LINGER 0, so
// the peers get an RST, not a FIN. Connections count the resets, Bytes the
// bytes passed before them.
type ResetAfter struct {
	g guard[ResetAfterAttrs]
	tally
}

// NewState implements toxics.StatefulToxic.
func (t *ResetAfter) NewState() any { return new(int64) }

// MarshalJSON implements json.Marshaler.
func (t *ResetAfter) MarshalJSON() ([]byte, error) { return t.g.marshal() }

// UnmarshalJSON implements json.Unmarshaler; it refuses invalid attributes.
func (t *ResetAfter) UnmarshalJSON(data []byte) error { return t.g.unmarshal(data) }

// Validate implements Validator.
func (t *ResetAfter) Validate() error { return t.g.get().check() }

// NeedsReset implements Resetter.
func (t *ResetAfter) NeedsReset() bool { return true }

// Pipe implements toxics.Toxic.
func (t *ResetAfter) Pipe(stub *toxics.ToxicStub) {
	passed := stub.State.(*int64)
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			limit := t.g.get().Bytes
			keep := min(int64(len(c.Data)), max(limit-*passed, 0))
			if keep > 0 {
				stub.Output <- &stream.StreamChunk{Data: c.Data[:keep], Timestamp: c.Timestamp}
				*passed += keep
				t.bytes.Add(keep)
			}
			if *passed >= limit {
				t.conns.Add(1)
				stub.Close()
				drain(stub)
				return
			}
		}
	}
}
