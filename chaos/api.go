package chaos

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
)

// CountersPath is where the API serves the fault counters, beside
// toxiproxy's own routes.
const CountersPath = "/island/counters"

// Handler returns the HTTP API: toxiproxy's, with GET /island/counters
// added, and with adding, updating and removing a toxic going through the
// server, so that API faults are validated, seeded and given their reset
// companion as Go ones are.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+CountersPath, s.serveCounters)
	mux.HandleFunc("POST /proxies/{proxy}/toxics", s.serveAddToxic)
	mux.HandleFunc("POST /proxies/{proxy}/toxics/{toxic}", s.serveUpdateToxic)
	mux.HandleFunc("PATCH /proxies/{proxy}/toxics/{toxic}", s.serveUpdateToxic)
	mux.HandleFunc("DELETE /proxies/{proxy}/toxics/{toxic}", s.serveRemoveToxic)
	mux.Handle("/", s.api.Routes())
	return mux
}

func (s *Server) serveCounters(w http.ResponseWriter, r *http.Request) {
	cs, err := s.Counters()
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]Counter{"counters": cs})
}

func (s *Server) serveAddToxic(w http.ResponseWriter, r *http.Request) {
	proxy := r.PathValue("proxy")
	var spec Spec
	if err := json.NewDecoder(r.Body).Decode(&spec); err != nil {
		writeAPIError(w, fmt.Errorf("bad request body: %w", err))
		return
	}
	if c, err := check(spec); err == nil {
		spec.Name = c.Name
	}
	if err := s.addFault(proxy, spec); err != nil {
		writeAPIError(w, err)
		return
	}
	s.writeToxic(w, proxy, spec.Name)
}

func (s *Server) serveUpdateToxic(w http.ResponseWriter, r *http.Request) {
	proxy, name := r.PathValue("proxy"), r.PathValue("toxic")
	err := s.updateRaw(proxy, name, r.Body)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	s.writeToxic(w, proxy, name)
}

// updateRaw applies an API update body as toxiproxy does (it may name only
// some attributes), then adds or removes the reset companion.
func (s *Server) updateRaw(proxy, name string, body io.Reader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tp, err := s.get(proxy)
	if err != nil {
		return err
	}
	if _, err := tp.Toxics.UpdateToxicJson(name, body); err != nil {
		if errors.Is(err, toxiproxy.ErrToxicNotFound) {
			return fmt.Errorf("fault %q on proxy %q: %w", name, proxy, ErrNotFound)
		}
		return err
	}
	return syncCompanion(tp, name)
}

func (s *Server) serveRemoveToxic(w http.ResponseWriter, r *http.Request) {
	if err := s.removeFault(r.PathValue("proxy"), r.PathValue("toxic")); err != nil {
		writeAPIError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) writeToxic(w http.ResponseWriter, proxy, name string) {
	tp, err := s.get(proxy)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tp.Toxics.GetToxic(name))
}

// writeAPIError answers in toxiproxy's error form, which its client reads.
func writeAPIError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	var api *toxiproxy.ApiError
	switch {
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrExists):
		status = http.StatusConflict
	case errors.As(err, &api):
		status = api.StatusCode
	}
	writeJSON(w, status, map[string]any{"error": err.Error(), "status": status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
