package chaos

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/island-sensors/island/chaos/toxics"
)

// Stream is the direction of traffic a fault acts on.
type Stream string

// Streams. Upstream is client to upstream (the request), Downstream is
// upstream to client (the answer).
const (
	Upstream   Stream = "upstream"
	Downstream Stream = "downstream"
)

// Fault is one toxic on one proxy: a name unique within the proxy, the stream
// it acts on, the share of connections toxiproxy applies it to, and its kind.
type Fault struct {
	Name   string // defaults to "<type>_<stream>"
	Stream Stream // defaults to Downstream
	// Toxicity is the share of connections toxiproxy applies the fault to,
	// drawn by toxiproxy without a seed; 0 means 1, every connection. For a
	// reproducible share use a Schedule or an HTTPStatus with a Share.
	Toxicity float32
	Kind     Kind
}

// Kind is what a fault does: one of the types below.
type Kind interface {
	// Type returns the toxic type name the kind registers under.
	Type() string
	attributes() any
}

// Latency delays each chunk by Latency, give or take Jitter. Toxiproxy
// draws the jitter without a seed, so only a zero Jitter is reproducible.
type Latency struct{ Latency, Jitter time.Duration }

// Bandwidth limits the rate to KBps kilobytes per second.
type Bandwidth struct{ KBps int64 }

// Slicer cuts chunks into pieces of about AverageSize bytes (give or take
// SizeVariation), with Delay between them.
type Slicer struct {
	AverageSize, SizeVariation int
	Delay                      time.Duration
}

// LimitData closes the connection after Bytes bytes of the stream (a FIN).
type LimitData struct{ Bytes int64 }

// ResetPeer resets the connection (an RST) Timeout after data arrives.
type ResetPeer struct{ Timeout time.Duration }

// Timeout stops all data and closes the connection after Timeout; 0 keeps it
// open, silent, until the client gives up.
type Timeout struct{ Timeout time.Duration }

// SlowClose delays the close of the connection by Delay.
type SlowClose struct{ Delay time.Duration }

// Schedule applies Action to the connections Plan chooses, in the order their
// first bytes reach the fault; others pass. Bytes is how much passes before
// a reset or truncate.
type Schedule struct {
	Plan   Plan
	Action Action
	Bytes  int64
}

// Action is what a Schedule does to a chosen connection.
type Action string

// Actions of a Schedule.
const (
	Reset     Action = toxics.ActionReset     // an RST after Bytes bytes
	Blackhole Action = toxics.ActionBlackhole // drop all, keep open
	Truncate  Action = toxics.ActionTruncate  // a FIN after Bytes bytes
)

// Plan chooses connections or requests, counted from 1: the first First,
// every Every-th, and a share Share drawn from Seed (0: derived from the
// server's seed, the proxy's name and the fault's name).
type Plan = toxics.Plan

// ResetAfter lets Bytes bytes of each connection's stream pass, then resets
// the connection with an RST.
type ResetAfter struct{ Bytes int64 }

// HTTPStatus answers the requests Plan chooses with Status and a JSON error
// envelope; it must be on the Downstream stream. The request reaches the
// upstream, which handles it; only its answer is replaced. Code and Message
// default from Status; RetryAfter, rounded to seconds, adds a Retry-After.
type HTTPStatus struct {
	Plan          Plan
	Status        int
	Code, Message string
	RetryAfter    time.Duration
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

// Type implements Kind.
func (k Latency) Type() string { return "latency" }

// Type implements Kind.
func (k Bandwidth) Type() string { return "bandwidth" }

// Type implements Kind.
func (k Slicer) Type() string { return "slicer" }

// Type implements Kind.
func (k LimitData) Type() string { return "limit_data" }

// Type implements Kind.
func (k ResetPeer) Type() string { return "reset_peer" }

// Type implements Kind.
func (k Timeout) Type() string { return "timeout" }

// Type implements Kind.
func (k SlowClose) Type() string { return "slow_close" }

// Type implements Kind.
func (k Schedule) Type() string { return toxics.TypeSchedule }

// Type implements Kind.
func (k ResetAfter) Type() string { return toxics.TypeResetAfter }

// Type implements Kind.
func (k HTTPStatus) Type() string { return toxics.TypeHTTPStatus }

func (k Latency) attributes() any {
	return map[string]int64{"latency": ms(k.Latency), "jitter": ms(k.Jitter)}
}

func (k Bandwidth) attributes() any { return map[string]int64{"rate": k.KBps} }

func (k Slicer) attributes() any {
	return map[string]int64{"average_size": int64(k.AverageSize),
		"size_variation": int64(k.SizeVariation), "delay": k.Delay.Microseconds()}
}

func (k LimitData) attributes() any { return map[string]int64{"bytes": k.Bytes} }
func (k ResetPeer) attributes() any { return map[string]int64{"timeout": ms(k.Timeout)} }
func (k Timeout) attributes() any   { return map[string]int64{"timeout": ms(k.Timeout)} }
func (k SlowClose) attributes() any { return map[string]int64{"delay": ms(k.Delay)} }

func (k Schedule) attributes() any {
	return toxics.ScheduleAttrs{Plan: k.Plan, Action: string(k.Action), Bytes: k.Bytes}
}

func (k ResetAfter) attributes() any { return toxics.ResetAfterAttrs{Bytes: k.Bytes} }

func (k HTTPStatus) attributes() any {
	return toxics.HTTPStatusAttrs{Plan: k.Plan, Status: k.Status, Code: k.Code,
		Message: k.Message, RetryAfter: int64(k.RetryAfter.Round(time.Second) / time.Second)}
}

// spec returns the fault in toxiproxy's wire form.
func (f Fault) spec() (Spec, error) {
	if f.Kind == nil {
		return Spec{}, fmt.Errorf("fault %q has no kind: set Kind to a Latency, Schedule, …", f.Name)
	}
	attrs, err := json.Marshal(f.Kind.attributes())
	if err != nil {
		return Spec{}, fmt.Errorf("fault %q: %w", f.Name, err)
	}
	s := Spec{Name: f.Name, Type: f.Kind.Type(), Stream: string(f.Stream), Attributes: attrs}
	if f.Toxicity != 0 {
		s.Toxicity = &f.Toxicity
	}
	return s, nil
}
