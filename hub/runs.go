package hub

import (
	"fmt"
	"sync"
	"time"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub/fusion"
)

// LensRef names a lens: what a run or the status shows of it.
type LensRef struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

func refOf(l *island.Lens) *LensRef {
	if l == nil {
		return nil
	}
	return &LensRef{Name: l.Name, Version: l.Version}
}

// Run is one fusion run as the hub keeps it: the fusion result with its id,
// when it was made, under which lens, from how many observations, and how
// long it took.
type Run struct {
	ID           string    `json:"run_id"`
	CreatedAt    time.Time `json:"created_at"`
	Lens         LensRef   `json:"lens"`
	Observations int       `json:"observations"`
	fusion.Result
	DurationMS float64 `json:"duration_ms"`
}

// RunSummary is a run without its tracks: what GET /fusion/results lists.
type RunSummary struct {
	ID           string    `json:"run_id"`
	CreatedAt    time.Time `json:"created_at"`
	Lens         LensRef   `json:"lens"`
	Observations int       `json:"observations"`
	Tracks       int       `json:"tracks"`
	Matches      int       `json:"matches"`
	Unmatched    int       `json:"unmatched"`
	DurationMS   float64   `json:"duration_ms"`
}

func (r *Run) summary() RunSummary {
	return RunSummary{ID: r.ID, CreatedAt: r.CreatedAt, Lens: r.Lens,
		Observations: r.Observations, Tracks: len(r.Tracks), Matches: r.Matches,
		Unmatched: len(r.Unmatched), DurationMS: r.DurationMS}
}

// runIDLayout is the time part of a run id; with a zero-padded sequence
// after it, ids sort as the runs were made.
const runIDLayout = "20060102T150405.000000000Z"

// archive keeps the last max runs by id. Clearing the store does not touch
// it. It is safe for concurrent use.
type archive struct {
	mu    sync.Mutex
	max   int
	seq   uint64
	last  time.Time
	order []*Run // oldest first
	byID  map[string]*Run
}

func newArchive(max int) *archive {
	return &archive{max: max, byID: map[string]*Run{}}
}

// add gives r its id and creation time and keeps it, dropping the oldest
// run when the archive is full. Ids follow now but never go back in time,
// even when the clock does.
func (a *archive) add(r *Run, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now = now.UTC()
	if now.Before(a.last) {
		now = a.last
	}
	a.last = now
	a.seq++
	r.ID = fmt.Sprintf("%s-%08d", now.Format(runIDLayout), a.seq)
	r.CreatedAt = now
	a.order = append(a.order, r)
	a.byID[r.ID] = r
	if len(a.order) > a.max {
		delete(a.byID, a.order[0].ID)
		a.order[0] = nil
		a.order = a.order[1:]
	}
}

// get returns the run with the given id, or nil.
func (a *archive) get(id string) *Run {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.byID[id]
}

// newest returns up to limit runs, newest first.
func (a *archive) newest(limit int) []RunSummary {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]RunSummary, 0, min(limit, len(a.order)))
	for i := len(a.order) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, a.order[i].summary())
	}
	return out
}

func (a *archive) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.order)
}
