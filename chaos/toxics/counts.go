package toxics

import (
	"sync/atomic"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// Counts says how often a toxic fired.
type Counts struct {
	Connections int64 `json:"connections"` // connections the toxic acted on
	Requests    int64 `json:"requests"`    // HTTP requests it answered itself
	Bytes       int64 `json:"bytes"`       // bytes it passed, dropped or delayed
}

// tally counts a toxic's work; its zero value is ready and safe for
// concurrent use by all connections of the toxic.
type tally struct {
	conns, reqs, bytes atomic.Int64
}

// Counts returns a snapshot of the counts.
func (t *tally) Counts() Counts {
	return Counts{
		Connections: t.conns.Load(),
		Requests:    t.reqs.Load(),
		Bytes:       t.bytes.Load(),
	}
}

// drain discards what is left of a closed stub's input until the previous
// toxic closes it, so that the toxics before this one are not left blocked
// on a send that nobody receives.
func drain(stub *toxics.ToxicStub) {
	for range stub.Input {
	}
}
