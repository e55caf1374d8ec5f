package chaos

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	tptoxics "github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/island-sensors/island/chaos/toxics"
)

// The methods below make *Server a backend of Proxy handles.

func (s *Server) refusals() *refusals { return s.ref }

func (s *Server) get(name string) (*toxiproxy.Proxy, error) {
	tp, err := s.api.Collection.Get(name)
	if err != nil {
		return nil, fmt.Errorf("proxy %q: %w", name, ErrNotFound)
	}
	return tp, nil
}

// createProxy makes a proxy; an empty listen means a loopback port.
func (s *Server) createProxy(name, listen, upstream string, enabled bool) (string, error) {
	if name == "" || upstream == "" {
		return "", fmt.Errorf("a proxy needs a name and an upstream host:port "+
			"(got name %q, upstream %q)", name, upstream)
	}
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	tp := toxiproxy.NewProxy(s.api, name, listen, upstream)
	if err := s.api.Collection.Add(tp, enabled); err != nil {
		if errors.Is(err, toxiproxy.ErrProxyAlreadyExists) {
			return "", fmt.Errorf("proxy %q: %w; pick another name", name, ErrExists)
		}
		return "", fmt.Errorf("create proxy %q on %s: %w", name, listen, err)
	}
	tp.Lock()
	defer tp.Unlock()
	s.log.Info("proxy created", "proxy", name, "listen", tp.Listen, "upstream", upstream)
	return tp.Listen, nil
}

func (s *Server) setEnabled(name string, on bool) error {
	tp, err := s.get(name)
	if err != nil {
		return err
	}
	if !on {
		tp.Stop()
		return nil
	}
	if err := tp.Start(); err != nil && !errors.Is(err, toxiproxy.ErrProxyAlreadyStarted) {
		return fmt.Errorf("enable proxy %q: %w", name, err)
	}
	return nil
}

func (s *Server) deleteProxy(name string) error {
	if err := s.api.Collection.Remove(name); err != nil {
		return fmt.Errorf("proxy %q: %w", name, ErrNotFound)
	}
	return nil
}

// addFault validates a fault, seeds it, and adds it with the rst_on_close
// companion it may need, added first so that no connection sees the fault
// without it.
func (s *Server) addFault(proxy string, spec Spec) error {
	c, err := check(spec)
	if err != nil {
		return err
	}
	c = c.seeded(s.seed, proxy)
	s.mu.Lock()
	defer s.mu.Unlock()
	tp, err := s.get(proxy)
	if err != nil {
		return err
	}
	if tp.Toxics.GetToxic(c.Name) != nil {
		return fmt.Errorf("fault %q on proxy %q: %w", c.Name, proxy, ErrExists)
	}
	comp, ok := c.companion()
	if ok {
		if _, err := tp.Toxics.AddToxicJson(bytes.NewReader(comp.json())); err != nil {
			return fmt.Errorf("fault %q: add its reset companion: %w", c.Name, err)
		}
	}
	if _, err := tp.Toxics.AddToxicJson(bytes.NewReader(c.json())); err != nil {
		if ok {
			_ = tp.Toxics.RemoveToxic(context.Background(), comp.Name)
		}
		return fmt.Errorf("fault %q on proxy %q: %w", c.Name, proxy, err)
	}
	s.log.Info("fault added", "proxy", proxy, "fault", c.Name, "type", c.Type)
	return nil
}

// updateFault replaces a fault's attributes and toxicity.
func (s *Server) updateFault(proxy string, spec Spec) error {
	c, err := check(spec)
	if err != nil {
		return err
	}
	c = c.seeded(s.seed, proxy)
	s.mu.Lock()
	defer s.mu.Unlock()
	tp, err := s.get(proxy)
	if err != nil {
		return err
	}
	old := tp.Toxics.GetToxic(c.Name)
	switch {
	case old == nil:
		return fmt.Errorf("fault %q on proxy %q: %w", c.Name, proxy, ErrNotFound)
	case old.Type != c.Type || old.Stream != c.Stream:
		return fmt.Errorf("fault %q on proxy %q is a %s on %s; remove it to make it a %s on %s",
			c.Name, proxy, old.Type, old.Stream, c.Type, c.Stream)
	}
	if _, err := tp.Toxics.UpdateToxicJson(c.Name, bytes.NewReader(c.json())); err != nil {
		return fmt.Errorf("update fault %q on proxy %q: %w", c.Name, proxy, err)
	}
	return syncCompanion(tp, c.Name)
}

// syncCompanion adds or removes the rst_on_close companion of fault as its
// current attributes need.
func syncCompanion(tp *toxiproxy.Proxy, fault string) error {
	w := tp.Toxics.GetToxic(fault)
	if w == nil {
		return nil
	}
	r, ok := w.Toxic.(toxics.Resetter)
	need := ok && r.NeedsReset()
	name := companionName(fault)
	has := tp.Toxics.GetToxic(name) != nil
	switch {
	case need && !has:
		comp, _ := checked{Spec: Spec{Name: fault}, toxic: w.Toxic}.companion()
		_, err := tp.Toxics.AddToxicJson(bytes.NewReader(comp.json()))
		return err
	case !need && has:
		return tp.Toxics.RemoveToxic(context.Background(), name)
	}
	return nil
}

func (s *Server) removeFault(proxy, fault string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tp, err := s.get(proxy)
	if err != nil {
		return err
	}
	if err := tp.Toxics.RemoveToxic(context.Background(), fault); err != nil {
		return fmt.Errorf("fault %q on proxy %q: %w", fault, proxy, ErrNotFound)
	}
	if tp.Toxics.GetToxic(companionName(fault)) != nil {
		_ = tp.Toxics.RemoveToxic(context.Background(), companionName(fault))
	}
	return nil
}

// counters reads the counts of every fault of a proxy, and its refusals.
func (s *Server) counters(proxy string) ([]Counter, error) {
	tp, err := s.get(proxy)
	if err != nil {
		return nil, err
	}
	var out []Counter
	for _, t := range tp.Toxics.GetToxicArray() {
		w, ok := t.(*tptoxics.ToxicWrapper)
		if !ok || w.Type == toxics.TypeRSTOnClose {
			continue
		}
		if c, ok := w.Toxic.(toxics.Counted); ok {
			n := c.Counts()
			out = append(out, Counter{Proxy: proxy, Fault: w.Name, Type: w.Type,
				Connections: n.Connections, Requests: n.Requests, Bytes: n.Bytes})
		}
	}
	if c, ok := s.ref.counter(proxy); ok {
		out = append(out, c)
	}
	sortCounters(out)
	return out, nil
}

func sortCounters(cs []Counter) {
	slices.SortFunc(cs, func(a, b Counter) int {
		return cmp.Or(cmp.Compare(a.Proxy, b.Proxy), cmp.Compare(a.Fault, b.Fault))
	})
}
