// Package hub is the Island hub: the HTTP service, on Echo, that edge nodes
// post observation batches to, and that fuses what they sent into tracks.
//
// Construct a Server with New, then Start it on a loopback address, or mount
// its Handler in a server of your own. The routes are:
//
//	POST   /ingest                  store a batch (honours Idempotency-Key)
//	GET    /status                  a consistent count of what is stored
//	GET    /observations            page through what is stored
//	POST   /clear                   empty the store; runs are kept
//	PUT    /lens, GET /lens, DELETE /lens
//	POST   /fusion/run              fuse a snapshot of the store
//	GET    /fusion/results/:run_id  one stored run
//	GET    /fusion/results          runs, newest first
//	GET    /healthz                 liveness
//
// Every error answer is {"error": {"code", "message", "details"}}, with the
// status that one table gives its code.
//
// GET /observations pages in storage order: batches in the order they were
// applied, each in its own order. Pass the "next" of one page as "after" of
// the next; "" means the end. The order does not change as more is stored,
// so paging while edges post neither skips nor repeats an observation.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub/store"
)

// Defaults of a zero Config.
const (
	DefaultMaxBody       = 8 << 20   // bytes of one request body
	DefaultMaxRuns       = 1000      // fusion runs kept
	DefaultMaxRunMembers = 5_000_000 // track members and unmatched keys of the runs kept
	DefaultMaxKeys       = 10000     // Idempotency-Keys remembered
)

// Store is what the hub needs of an observation store. *store.Store is the
// one the hub uses by default; a test may wrap it to inject faults. Every
// method must be safe for concurrent use, and Add atomic against Clear.
type Store interface {
	Add(ctx context.Context, obs []island.Observation) (store.Added, error)
	Status(ctx context.Context) (store.Status, error)
	List(ctx context.Context, q store.Query) (store.Page, error)
	Snapshot(ctx context.Context) ([]island.Observation, error)
	Clear(ctx context.Context) (int, error)
}

// Timeouts bound how long one connection may hold the server. Zero fields
// take the defaults of DefaultTimeouts.
type Timeouts struct {
	ReadHeader time.Duration // to read a request's headers
	Read       time.Duration // to read a whole request, body included
	Write      time.Duration // from the end of the headers to the end of the answer
	Idle       time.Duration // a kept-alive connection waiting for its next request
}

// DefaultTimeouts returns the timeouts of a zero Timeouts: short enough
// that a silent client is dropped, long enough for a large batch over a
// slow link.
func DefaultTimeouts() Timeouts {
	return Timeouts{ReadHeader: 10 * time.Second, Read: 2 * time.Minute,
		Write: 2 * time.Minute, Idle: 90 * time.Second}
}

// Config configures a Server. The zero value is usable: no lens, an 8 MiB
// body limit, logs discarded, the real clock, a new in-memory store.
//
// The fusion runs kept are bounded twice, by MaxRuns and by MaxRunMembers;
// the hub drops the oldest runs first until both bounds hold, but always
// keeps the newest run, even one that alone is over MaxRunMembers. A
// dropped run answers 404 run_not_found as an unknown one does.
type Config struct {
	Lens    *island.Lens     // the lens to start with; nil for none
	MaxBody int64            // bytes of one request body; 0 for DefaultMaxBody
	Logger  *slog.Logger     // nil discards the logs
	Now     func() time.Time // the clock of run ids and timings; nil for time.Now
	MaxRuns int              // fusion runs kept; 0 for DefaultMaxRuns
	// MaxRunMembers bounds the size of the runs kept: the track members
	// and unmatched keys of all of them, counted together; 0 for
	// DefaultMaxRunMembers. A member costs some 85 bytes with its track,
	// so the default holds about 400 MB, some 30 runs of 150,000 keys.
	MaxRunMembers int
	MaxKeys       int      // answered Idempotency-Keys kept; 0 for DefaultMaxKeys
	Store         Store    // nil for store.New()
	Timeouts      Timeouts // server timeouts of Start
}

// Server is the hub. Its methods are safe for concurrent use.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store Store
	lens  atomic.Pointer[island.Lens]
	runs  *archive
	keys  *keyCache
	bufs  bufPool
	echo  *echo.Echo

	mu     sync.Mutex
	ln     net.Listener
	srv    *http.Server
	served chan struct{} // closed when Serve returns
}

// New returns a hub configured by cfg. It does not listen yet: call Start,
// or serve Handler yourself.
func New(cfg Config) *Server {
	cfg = withDefaults(cfg)
	s := &Server{cfg: cfg, log: cfg.Logger, store: cfg.Store,
		runs: newArchive(cfg.MaxRuns, cfg.MaxRunMembers), keys: newKeyCache(cfg.MaxKeys)}
	s.lens.Store(cfg.Lens)
	s.echo = s.routes()
	return s
}

func withDefaults(cfg Config) Config {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxRuns <= 0 {
		cfg.MaxRuns = DefaultMaxRuns
	}
	if cfg.MaxRunMembers <= 0 {
		cfg.MaxRunMembers = DefaultMaxRunMembers
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Store == nil {
		cfg.Store = store.New()
	}
	d := DefaultTimeouts()
	t := &cfg.Timeouts
	t.ReadHeader = cmpOr(t.ReadHeader, d.ReadHeader)
	t.Read = cmpOr(t.Read, d.Read)
	t.Write = cmpOr(t.Write, d.Write)
	t.Idle = cmpOr(t.Idle, d.Idle)
	return cfg
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.logRequests, s.recoverPanics)
	e.POST("/ingest", s.ingest)
	e.GET("/status", s.status)
	e.GET("/observations", s.observations)
	e.POST("/clear", s.clear)
	e.PUT("/lens", s.putLens)
	e.GET("/lens", s.getLens)
	e.DELETE("/lens", s.deleteLens)
	e.POST("/fusion/run", s.runFusion)
	e.GET("/fusion/results", s.listRuns)
	e.GET("/fusion/results/:run_id", s.getRun)
	e.GET("/healthz", s.healthz)
	return e
}

// Handler returns the hub's routes, for use in a server of one's own.
func (s *Server) Handler() http.Handler { return s.echo }

// Lens returns the loaded lens, or nil. The lens must not be changed.
func (s *Server) Lens() *island.Lens { return s.lens.Load() }

// SetLens loads l, or unloads the lens when l is nil. l must be valid (see
// island.Lens.Validate) and must not be changed afterwards.
func (s *Server) SetLens(l *island.Lens) { s.lens.Store(l) }

// Start listens on addr (such as "127.0.0.1:0") and serves in the
// background until Shutdown or Close. It fails if the address cannot be
// bound or the server was started before.
func (s *Server) Start(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("hub: the server was already started; make a new one with New")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("hub: listen on %s: %w", addr, err)
	}
	t := s.cfg.Timeouts
	s.ln, s.served = ln, make(chan struct{})
	s.srv = &http.Server{Handler: s.echo, ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	go s.serve(s.srv, ln, s.served)
	return nil
}

func (s *Server) serve(srv *http.Server, ln net.Listener, served chan struct{}) {
	defer close(served)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("the hub stopped serving", "err", err)
	}
}

// Addr returns the address the server listens on, or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// URL returns the base URL of the server, such as "http://127.0.0.1:41234",
// or "" before Start.
func (s *Server) URL() string {
	if a := s.Addr(); a != "" {
		return "http://" + a
	}
	return ""
}

// Shutdown stops accepting connections, waits for the requests in flight
// to finish, or for ctx to end, and then returns. It is a no-op before
// Start.
func (s *Server) Shutdown(ctx context.Context) error {
	srv, served := s.started()
	if srv == nil {
		return nil
	}
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("hub: shut down: %w", err)
	}
	<-served
	return nil
}

// Close stops the server at once, dropping requests in flight. It is a
// no-op before Start.
func (s *Server) Close() error {
	srv, served := s.started()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	<-served
	return err
}

func (s *Server) started() (*http.Server, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv, s.served
}
