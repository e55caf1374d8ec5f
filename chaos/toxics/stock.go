package toxics

import (
	"time"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// The wrappers below register under toxiproxy's stock names. Each embeds the
// stock toxic, so its attributes and behaviour are the stock ones, and counts
// the connections it acted on: once per connection on which toxiproxy chose
// to run it (its toxicity is drawn by toxiproxy, not from a seed).

// Latency is toxiproxy's latency toxic, counted.
type Latency struct {
	toxics.LatencyToxic
	tally
}

// Bandwidth is toxiproxy's bandwidth toxic, counted.
type Bandwidth struct {
	toxics.BandwidthToxic
	tally
}

// Slicer is toxiproxy's slicer toxic, counted.
type Slicer struct {
	toxics.SlicerToxic
	tally
}

// LimitData is toxiproxy's limit_data toxic, counted.
type LimitData struct {
	toxics.LimitDataToxic
	tally
}

// Timeout is toxiproxy's timeout toxic, counted.
type Timeout struct {
	toxics.TimeoutToxic
	tally
}

// SlowClose is toxiproxy's slow_close toxic, counted.
type SlowClose struct {
	toxics.SlowCloseToxic
	tally
}

func registerStock() {
	toxics.Register("latency", new(Latency))
	toxics.Register("bandwidth", new(Bandwidth))
	toxics.Register("slicer", new(Slicer))
	toxics.Register("limit_data", new(LimitData))
	toxics.Register("reset_peer", new(ResetPeer))
	toxics.Register("timeout", new(Timeout))
	toxics.Register("slow_close", new(SlowClose))
}

// linkState marks a connection as counted and carries the stock toxic's own
// state, if it has one.
type linkState struct {
	counted bool
	inner   any
}

func newLinkState() any { return new(linkState) }

// NewState implements toxics.StatefulToxic.
func (t *Latency) NewState() any { return newLinkState() }

// NewState implements toxics.StatefulToxic.
func (t *Bandwidth) NewState() any { return newLinkState() }

// NewState implements toxics.StatefulToxic.
func (t *Slicer) NewState() any { return newLinkState() }

// NewState implements toxics.StatefulToxic.
func (t *LimitData) NewState() any {
	return &linkState{inner: t.LimitDataToxic.NewState()}
}

// NewState implements toxics.StatefulToxic.
func (t *Timeout) NewState() any { return newLinkState() }

// NewState implements toxics.StatefulToxic.
func (t *SlowClose) NewState() any { return newLinkState() }

// Pipe implements toxics.Toxic.
func (t *Latency) Pipe(s *toxics.ToxicStub) { counted(s, &t.tally, t.LatencyToxic.Pipe) }

// Pipe implements toxics.Toxic.
func (t *Bandwidth) Pipe(s *toxics.ToxicStub) { counted(s, &t.tally, t.BandwidthToxic.Pipe) }

// Pipe implements toxics.Toxic.
func (t *Slicer) Pipe(s *toxics.ToxicStub) { counted(s, &t.tally, t.SlicerToxic.Pipe) }

// Pipe implements toxics.Toxic.
func (t *LimitData) Pipe(s *toxics.ToxicStub) { counted(s, &t.tally, t.LimitDataToxic.Pipe) }

// Pipe implements toxics.Toxic.
func (t *Timeout) Pipe(s *toxics.ToxicStub) { counted(s, &t.tally, t.TimeoutToxic.Pipe) }

// Pipe implements toxics.Toxic.
func (t *SlowClose) Pipe(s *toxics.ToxicStub) { counted(s, &t.tally, t.SlowCloseToxic.Pipe) }

// counted counts the connection once, runs the stock pipe with its own
// state, and drains the input if the stock toxic closed the stub early.
func counted(s *toxics.ToxicStub, t *tally, pipe func(*toxics.ToxicStub)) {
	st := s.State.(*linkState)
	if !st.counted {
		st.counted = true
		t.conns.Add(1)
	}
	s.State = st.inner
	pipe(s)
	s.State = st
	if s.Closed() {
		drain(s)
	}
}

// ResetPeer behaves as toxiproxy's reset_peer: once data arrives, it waits
// Timeout milliseconds and resets the connection. Toxiproxy gives the reset
// (SO_LINGER 0) only to its own type, so this one needs the rst_on_close
// companion, which the chaos package adds beside it.
type ResetPeer struct {
	toxics.ResetToxic
	tally
}

// NeedsReset implements Resetter.
func (t *ResetPeer) NeedsReset() bool { return true }

// Pipe implements toxics.Toxic.
func (t *ResetPeer) Pipe(stub *toxics.ToxicStub) {
	select {
	case <-stub.Interrupt:
		return
	case c := <-stub.Input:
		if c == nil {
			stub.Close()
			return
		}
	}
	select {
	case <-stub.Interrupt:
		// The chunk is dropped, as the stock toxic drops it.
		return
	case <-time.After(time.Duration(t.Timeout) * time.Millisecond):
	}
	t.conns.Add(1)
	stub.Close()
	drain(stub)
}
