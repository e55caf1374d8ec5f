package hub

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub/fusion"
	"github.com/island-sensors/island/hub/store"
)

// Page sizes of GET /observations and GET /fusion/results.
const (
	DefaultPageLimit = 1000
	MaxPageLimit     = 10000
	DefaultRunsLimit = 100
)

// StatusAnswer is the answer of GET /status. The counts of Nodes add up to
// Total.
type StatusAnswer struct {
	Nodes     map[string]int `json:"nodes"`
	NodeCount int            `json:"node_count"`
	Total     int            `json:"total"`
	Lens      *LensRef       `json:"lens"`
	Runs      int            `json:"runs"`
}

// ObservationsPage is the answer of GET /observations: observations in the
// order they were stored, and the cursor of the next page, "" at the end.
type ObservationsPage struct {
	Observations []island.Observation `json:"observations"`
	Next         string               `json:"next"`
}

func (s *Server) status(c echo.Context) error {
	st, err := s.store.Status(contextOf(c))
	if err != nil {
		return fmt.Errorf("read the store's status: %w", err)
	}
	return okAnswer(StatusAnswer{Nodes: st.Nodes, NodeCount: len(st.Nodes), Total: st.Total,
		Lens: refOf(s.lens.Load()), Runs: s.runs.len()}).write(c)
}

func (s *Server) observations(c echo.Context) error {
	limit, err := limitParam(c, DefaultPageLimit, MaxPageLimit)
	if err != nil {
		return err
	}
	q := store.Query{Node: c.QueryParam("node"), After: c.QueryParam("after"), Limit: limit}
	c.Set(logNodeKey, q.Node)
	p, err := s.store.List(contextOf(c), q)
	if err != nil {
		return err
	}
	if p.Observations == nil {
		p.Observations = []island.Observation{}
	}
	return okAnswer(ObservationsPage{Observations: p.Observations, Next: p.Next}).write(c)
}

// limitParam reads the limit query parameter: def when absent, at most max.
func limitParam(c echo.Context, def, max int) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, &island.Error{Code: island.EInvalidParameter,
			Message: fmt.Sprintf("limit must be a whole number from 1 to %d", max),
			Details: []string{"limit: " + strconv.Quote(v)}}
	}
	return n, nil
}

func (s *Server) clear(c echo.Context) error {
	n, err := s.store.Clear(contextOf(c))
	if err != nil {
		return fmt.Errorf("clear the store: %w", err)
	}
	return okAnswer(map[string]int{"cleared": n}).write(c)
}

func (s *Server) putLens(c echo.Context) error {
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	if err := s.readJSON(c, buf); err != nil {
		return err
	}
	if !json.Valid(buf.Bytes()) {
		return island.Errorf(island.EInvalidJSON,
			"the body is not well-formed JSON; send a lens such as testdata/fixtures/lens.json")
	}
	l, err := island.ParseLens(buf.Bytes())
	if err != nil {
		return err // the lens loaded before stays loaded
	}
	s.lens.Store(l)
	s.log.Info("lens loaded", "name", l.Name, "version", l.Version)
	return okAnswer(l).write(c)
}

func (s *Server) getLens(c echo.Context) error {
	l := s.lens.Load()
	if l == nil {
		return island.Errorf(island.ENotFound,
			"no lens is loaded; PUT one to /lens or start the hub with --lens FILE")
	}
	return okAnswer(l).write(c)
}

func (s *Server) deleteLens(c echo.Context) error {
	old := s.lens.Swap(nil)
	return okAnswer(map[string]*LensRef{"unloaded": refOf(old)}).write(c)
}

// runFusion fuses a snapshot of the store under the loaded lens and keeps
// the run. Nothing stored changes, whether the run succeeds or not.
func (s *Server) runFusion(c echo.Context) error {
	lens := s.lens.Load()
	if lens == nil {
		return island.Errorf(island.ELensNotLoaded,
			"no lens is loaded, so there is nothing to fuse by; PUT one to /lens "+
				"(such as testdata/fixtures/lens.json) and run again")
	}
	start := s.cfg.Now()
	obs, err := s.store.Snapshot(contextOf(c))
	if err != nil {
		return fmt.Errorf("take a snapshot of the store: %w", err)
	}
	res := fusion.Fuse(obs, lens)
	run := &Run{Lens: *refOf(lens), Observations: len(obs), Result: res}
	if run.Tracks == nil {
		run.Tracks = []fusion.Track{}
	}
	if run.Unmatched == nil {
		run.Unmatched = []island.ObservationKey{}
	}
	end := s.cfg.Now()
	run.DurationMS = float64(end.Sub(start).Microseconds()) / 1000
	dropped := s.runs.add(run, end)
	s.log.Info("fusion run", "run_id", run.ID, "observations", len(obs),
		"tracks", len(run.Tracks), "matches", run.Matches, "old_runs_dropped", dropped)
	return okAnswer(run).write(c)
}

func (s *Server) getRun(c echo.Context) error {
	id := c.Param("run_id")
	run := s.runs.get(id)
	if run == nil {
		return &island.Error{Code: island.ERunNotFound,
			Message: "no run has this id: it was never made, or it was dropped to keep " +
				"the archive within its bounds of runs and members; " +
				"GET /fusion/results lists the runs kept",
			Details: []string{"run_id: " + strconv.Quote(id)}}
	}
	return okAnswer(run).write(c)
}

func (s *Server) listRuns(c echo.Context) error {
	limit, err := limitParam(c, DefaultRunsLimit, s.cfg.MaxRuns)
	if err != nil {
		return err
	}
	return okAnswer(map[string][]RunSummary{"runs": s.runs.newest(limit)}).write(c)
}

func (s *Server) healthz(c echo.Context) error {
	return okAnswer(map[string]string{"status": "ok"}).write(c)
}
