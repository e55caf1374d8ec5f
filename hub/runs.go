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

// archive keeps the newest runs by id within two bounds: at most maxRuns
// runs, and at most maxMembers track members and unmatched keys over all
// of them. It drops the oldest runs first until both hold, but always keeps
// the newest run, even one that alone holds more than maxMembers. Clearing
// the store does not touch it. It is safe for concurrent use.
type archive struct {
	mu         sync.Mutex
	maxRuns    int
	maxMembers int
	members    int // track members and unmatched keys of the runs in order
	seq        uint64
	last       time.Time
	order      []*Run // oldest first
	byID       map[string]*Run
}

func newArchive(maxRuns, maxMembers int) *archive {
	return &archive{maxRuns: maxRuns, maxMembers: maxMembers, byID: map[string]*Run{}}
}

// membersOf counts the keys a run holds: its tracks' members and its
// unmatched keys.
func membersOf(r *Run) int {
	n := len(r.Unmatched)
	for i := range r.Tracks {
		n += len(r.Tracks[i].Members)
	}
	return n
}

// add gives r its id and creation time and keeps it, dropping the oldest
// runs until the archive is within its bounds again; it returns how many
// it dropped. Ids follow now but never go back in time, even when the
// clock does. r must not change afterwards.
func (a *archive) add(r *Run, now time.Time) (dropped int) {
	n := membersOf(r)
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
	a.members += n
	for len(a.order) > 1 && (len(a.order) > a.maxRuns || a.members > a.maxMembers) {
		a.dropOldest()
		dropped++
	}
	return dropped
}

// dropOldest forgets the oldest run. The caller holds a.mu.
func (a *archive) dropOldest() {
	old := a.order[0]
	delete(a.byID, old.ID)
	a.members -= membersOf(old)
	a.order[0] = nil
	a.order = a.order[1:]
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

// footprint returns how many runs the archive keeps and how many track
// members and unmatched keys they hold, counted together.
func (a *archive) footprint() (runs, members int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.order), a.members
}
