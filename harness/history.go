package harness

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
)

// OpStatus is what became of one edge operation, as a History records it.
type OpStatus string

// The states of an operation. An operation is invoked first and then ends
// ok, failed or unknown.
const (
	// OpInvoked: sent, and no outcome recorded yet. A checker treats it as
	// unknown.
	OpInvoked OpStatus = "invoked"
	// OpOK: the hub acknowledged the batch.
	OpOK OpStatus = "ok"
	// OpFailed: the batch failed, and none of its attempts can have reached
	// the hub's store.
	OpFailed OpStatus = "failed"
	// OpUnknown: the batch failed after an attempt that may have reached
	// the hub's store; its answer was lost.
	OpUnknown OpStatus = "unknown"
)

// Op is one edge operation: one batch posted, all its attempts included.
type Op struct {
	ID   int    // its index in the history, from 0
	Node string // the node that posted it
	// Key is the Idempotency-Key that every attempt carried.
	Key string
	// Observations are the identities of the observations it carried, in
	// the batch's order.
	Observations []island.ObservationKey
	Status       OpStatus
	Attempts     int
	// Classes lists the class of each failed attempt, in order.
	Classes []edge.Class
	// Faults lists the faults that fired on its connections, in the order
	// they were recorded, such as "alpha/reset_up".
	Faults []string
	// Err is the edge's error of a batch that did not end ok.
	Err      string
	Invoked  time.Time
	Finished time.Time // zero while the operation is only invoked
}

// History records edge operations as they are invoked and as they end.
// Its methods are safe for concurrent use; the zero value is not usable,
// call NewHistory.
type History struct {
	now func() time.Time
	mu  sync.Mutex
	ops []Op
}

// NewHistory returns an empty history whose times come from now; nil means
// time.Now.
func NewHistory(now func() time.Time) *History {
	if now == nil {
		now = time.Now
	}
	return &History{now: now}
}

// Invoke records that node is sending obs under the Idempotency-Key key, and
// returns the operation's id for End and AddFaults. An observation without
// a node id counts as node's, as the hub fills it in.
func (h *History) Invoke(node, key string, obs []island.Observation) int {
	keys := make([]island.ObservationKey, len(obs))
	for n, o := range obs {
		keys[n] = island.ObservationKey{NodeID: cmp.Or(o.NodeID, node), ID: o.ID}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	id := len(h.ops)
	h.ops = append(h.ops, Op{ID: id, Node: node, Key: key, Observations: keys,
		Status: OpInvoked, Invoked: h.now()})
	return id
}

// End records the outcome of operation id from the edge's Result and
// error; see Outcome. It panics for an id that Invoke did not return.
func (h *History) End(id int, res edge.Result, err error) {
	classes := make([]edge.Class, 0, len(res.Failures))
	for _, a := range res.Failures {
		classes = append(classes, a.Class)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	op := &h.ops[id]
	op.Status, op.Attempts, op.Classes, op.Finished = Outcome(res, err), res.Attempts,
		classes, h.now()
	if err != nil {
		op.Err = err.Error()
	}
}

// AddFaults records faults that fired on the connections of operation id,
// during or after its attempts. It panics for an id that Invoke did not
// return.
func (h *History) AddFaults(id int, faults ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops[id].Faults = append(h.ops[id].Faults, faults...)
}

// Ops returns a copy of the operations recorded so far, in the order they
// were invoked.
func (h *History) Ops() []Op {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Op, len(h.ops))
	for n, op := range h.ops {
		op.Observations = slices.Clone(op.Observations)
		op.Classes = slices.Clone(op.Classes)
		op.Faults = slices.Clone(op.Faults)
		out[n] = op
	}
	return out
}

// Outcome says what the history makes of a batch that ended with res and
// err: ok when it succeeded; failed when none of its attempts can have
// reached the hub's store; unknown otherwise. An attempt cannot have
// reached the store when its request was never written to a connection
// (a refused connection, for one), or when the hub refused it with a 4xx
// status other than 408 and 429, which it gives only to requests it did not
// store. Every other failed attempt (a reset, a cut answer, a timeout, a
// 5xx, an answer replaced on the way) may have been stored.
func Outcome(res edge.Result, err error) OpStatus {
	if err == nil && res.Status == edge.StatusSuccess {
		return OpOK
	}
	for _, a := range res.Failures {
		if mayHaveStored(a) {
			return OpUnknown
		}
	}
	return OpFailed
}

func mayHaveStored(a edge.Attempt) bool {
	if a.Writes == 0 {
		return false
	}
	refused := a.Status >= 400 && a.Status < 500 &&
		a.Status != http.StatusRequestTimeout && a.Status != http.StatusTooManyRequests
	return !refused
}

// HistorySummary counts what a history holds.
type HistorySummary struct {
	Ops                          int
	OK, Failed, Unknown, Invoked int // operations by status
	Attempts                     int // attempts of all operations
	Observations                 int // observations carried, resends counted again
	Faults                       int // faults recorded as fired
}

// Summarize counts ops.
func Summarize(ops []Op) HistorySummary {
	s := HistorySummary{Ops: len(ops)}
	for _, op := range ops {
		switch op.Status {
		case OpOK:
			s.OK++
		case OpFailed:
			s.Failed++
		case OpUnknown:
			s.Unknown++
		default:
			s.Invoked++
		}
		s.Attempts += op.Attempts
		s.Observations += len(op.Observations)
		s.Faults += len(op.Faults)
	}
	return s
}

// String gives the summary on one line.
func (s HistorySummary) String() string {
	return fmt.Sprintf("%d ops (%d ok, %d failed, %d unknown, %d invoked), "+
		"%d attempts, %d observations, %d faults", s.Ops, s.OK, s.Failed, s.Unknown,
		s.Invoked, s.Attempts, s.Observations, s.Faults)
}

// Recorder posts batches through an edge client and records each in a
// history. It is safe for concurrent use when its Client is.
type Recorder struct {
	Client  *edge.Client
	History *History
}

// Post posts b through r.Client under a new Idempotency-Key, recording it
// as invoked before the first attempt and its outcome after the last. It
// returns the operation's id, so that the caller can add the faults that
// fired, and the client's Result and error.
func (r Recorder) Post(ctx context.Context, b island.Batch) (int, edge.Result, error) {
	node := cmp.Or(b.NodeID, r.Client.NodeID)
	key := edge.NewKey()
	id := r.History.Invoke(node, key, b.Observations)
	res, err := r.Client.PostBatchWithKey(ctx, b, key)
	r.History.End(id, res, err)
	return id, res, err
}
