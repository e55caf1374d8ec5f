// Package toxics holds the toxics that Island adds to toxiproxy: a
// connection schedule, a reset after a number of bytes, an HTTP status
// answer, and counting wrappers around toxiproxy's stock toxics, so that
// every fault can tell how often it fired.
//
// Importing the package registers them with toxiproxy's registry once, under
// the names in the constants below. The stock names (latency, bandwidth,
// slicer, limit_data, reset_peer, timeout, slow_close) are registered again
// with wrappers that keep the stock attributes and behaviour and add counts.
//
// A toxic instance belongs to one fault of one proxy and is shared by all its
// connections; all state it keeps is in that instance or per connection,
// never in the package.
package toxics

import (
	"github.com/Shopify/toxiproxy/v2/toxics"
)

// Type names of the toxics this package adds.
const (
	TypeSchedule   = "schedule"    // a behaviour for chosen connections
	TypeResetAfter = "reset_after" // a reset once N bytes have passed
	TypeHTTPStatus = "http_status" // an HTTP error answer for chosen requests
	TypeRSTOnClose = "rst_on_close"
)

func init() {
	toxics.Register(TypeSchedule, new(Schedule))
	toxics.Register(TypeResetAfter, new(ResetAfter))
	toxics.Register(TypeHTTPStatus, new(HTTPStatus))
	// toxiproxy sets SO_LINGER 0 on a connection's sockets, so that closing
	// them sends a reset rather than a FIN, only when its own reset toxic type
	// is in the chain when the connection starts. Registered under a name of
	// its own and added with toxicity 0, it passes data untouched and only
	// gives that linger setting to the faults that need a real reset.
	toxics.Register(TypeRSTOnClose, new(toxics.ResetToxic))
	registerStock()
}

// Counted is implemented by every toxic of this package.
type Counted interface {
	// Counts returns how often the toxic fired so far.
	Counts() Counts
}

// Validator is implemented by toxics whose attributes can be wrong.
type Validator interface {
	// Validate says what is wrong with the attributes, or returns nil.
	Validate() error
}

// Seeded is implemented by toxics that make random choices.
type Seeded interface {
	// SeedValue returns the seed of the toxic's random choices; 0 means unset.
	SeedValue() int64
	// SetSeed sets the seed; call it before the toxic is added to a proxy.
	SetSeed(seed int64)
}

// Resetter is implemented by toxics that close connections with a reset
// (RST) and need the rst_on_close companion beside them to do so.
type Resetter interface {
	// NeedsReset reports whether the current attributes close with a reset.
	NeedsReset() bool
}
