// Package chaos runs toxiproxy in-process for Island's robustness harness:
// proxies on loopback ports in front of the hub, faults given as typed Go
// values or as data (a scenario file), Island's own toxics (connection
// schedules, resets after N bytes, HTTP status answers) beside the stock
// ones, a count of how often each fault fired, and the toxiproxy HTTP API
// with those additions. A Remote drives a toxiproxy-compatible server
// elsewhere through the same Driver interface.
package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
)

// Errors a caller may test for with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Options configure a Server.
type Options struct {
	Logger *slog.Logger // nil discards logs
	// Seed seeds every random choice of every fault that has no seed of its
	// own; 0 picks one at random, which Seed reports.
	Seed int64
	// AllowRemoteAPI lets ListenAPI bind a non-loopback address. The API has
	// no authentication.
	AllowRemoteAPI bool
}

// Server is an in-process toxiproxy: its proxies, faults and counters, and
// optionally its HTTP API. Its methods are safe for concurrent use.
type Server struct {
	log         *slog.Logger
	seed        int64
	allowRemote bool
	api         *toxiproxy.ApiServer
	ref         *refusals

	mu     sync.Mutex // serialises fault changes and the API listener
	http   *http.Server
	apiURL string
	served chan struct{}
}

// New returns a Server with no proxies and no API listener.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	seed := opts.Seed
	for seed == 0 {
		seed = rand.Int64()
	}
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerologTo(log))
	return &Server{log: log, seed: seed, allowRemote: opts.AllowRemoteAPI, api: api,
		ref: newRefusals()}
}

// Seed returns the seed the server's faults draw from.
func (s *Server) Seed() int64 { return s.seed }

// ListenAPI serves the toxiproxy-compatible API, with Island's additions
// (GET /island/counters), on addr, e.g. "127.0.0.1:0"; APIURL then tells
// where. It refuses a non-loopback addr unless Options.AllowRemoteAPI.
func (s *Server) ListenAPI(addr string) error {
	if !s.allowRemote {
		if err := CheckLoopback(addr); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil {
		return fmt.Errorf("the API already listens on %s", s.apiURL)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for the proxy API: %w", err)
	}
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.apiURL = "http://" + ln.Addr().String()
	s.served = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("proxy API stopped", "err", err)
		}
	}(s.http, s.served)
	s.log.Info("proxy API listening", "url", s.apiURL, "seed", s.seed)
	return nil
}

// APIURL returns the API's base URL, or "" before ListenAPI.
func (s *Server) APIURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiURL
}

// Close stops the API and every proxy, closing their connections.
func (s *Server) Close() error {
	s.mu.Lock()
	srv, served := s.http, s.served
	s.http = nil
	s.mu.Unlock()
	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(ctx)
		cancel()
		<-served
	}
	// Removing the faults first interrupts the toxics of open links, so
	// that none outlives the server: a slow_close would otherwise hold
	// its link for its whole delay after the proxy has stopped.
	for _, tp := range s.api.Collection.Proxies() {
		tp.Toxics.ResetToxics(context.Background())
	}
	return errors.Join(err, s.api.Collection.Clear())
}

// CreateProxy makes an enabled proxy named name on a loopback port in
// front of upstream (host:port).
func (s *Server) CreateProxy(name, upstream string) (*Proxy, error) {
	addr, err := s.createProxy(name, "", upstream, true)
	if err != nil {
		return nil, err
	}
	return &Proxy{name: name, addr: addr, b: s}, nil
}

// Proxy returns a handle on the proxy named name.
func (s *Server) Proxy(name string) (*Proxy, error) {
	tp, err := s.get(name)
	if err != nil {
		return nil, err
	}
	tp.Lock()
	addr := tp.Listen
	tp.Unlock()
	return &Proxy{name: name, addr: addr, b: s}, nil
}

// Apply applies sc whole: every part is validated first, its proxies are
// made and given their faults before any of them accepts a connection, and
// if any step fails nothing of sc is kept.
func (s *Server) Apply(sc Scenario) error { return apply(s, sc) }

// ResetAll enables every proxy, removes every fault and ends every
// RefuseNext window.
func (s *Server) ResetAll() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ref.reset()
	for _, tp := range s.api.Collection.Proxies() {
		if err := tp.Start(); err != nil && !errors.Is(err, toxiproxy.ErrProxyAlreadyStarted) {
			return fmt.Errorf("reset proxy %q: %w", tp.Name, err)
		}
		tp.Toxics.ResetToxics(context.Background())
	}
	return nil
}

// Counters says how often each fault of each proxy fired, sorted by proxy
// and fault.
func (s *Server) Counters() ([]Counter, error) {
	var all []Counter
	for name := range s.api.Collection.Proxies() {
		cs, err := s.counters(name)
		if err != nil {
			return nil, err
		}
		all = append(all, cs...)
	}
	sortCounters(all)
	return all, nil
}
