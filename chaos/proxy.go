package chaos

import (
	"fmt"
	"sync"
)

// Driver is what the harness drives: an in-process *Server or a *Remote
// toxiproxy-compatible server. Both give the same *Proxy handles.
type Driver interface {
	// CreateProxy makes a proxy on a loopback port in front of upstream.
	CreateProxy(name, upstream string) (*Proxy, error)
	// Proxy returns the handle of an existing proxy.
	Proxy(name string) (*Proxy, error)
	// Apply applies a scenario whole, or nothing of it.
	Apply(sc Scenario) error
	// ResetAll enables every proxy and removes every fault.
	ResetAll() error
	// Counters says how often each fault of each proxy fired.
	Counters() ([]Counter, error)
	// Close releases the driver; a Server stops everything it runs.
	Close() error
}

// Counter says how often one fault of one proxy fired. Connections counts the
// connections it acted on (for "refuse", the refused attempts), Requests the
// HTTP requests it answered, Bytes the bytes it passed, dropped or replaced.
type Counter struct {
	Proxy       string `json:"proxy"`
	Fault       string `json:"fault"`
	Type        string `json:"type"`
	Connections int64  `json:"connections"`
	Requests    int64  `json:"requests"`
	Bytes       int64  `json:"bytes"`
}

// RefuseFault is the fault name under which refused attempts are counted.
const RefuseFault = "refuse"

// backend is what a Proxy handle calls: an in-process server or a remote one.
type backend interface {
	setEnabled(proxy string, on bool) error
	addFault(proxy string, s Spec) error
	updateFault(proxy string, s Spec) error
	removeFault(proxy, fault string) error
	deleteProxy(proxy string) error
	counters(proxy string) ([]Counter, error)
	refusals() *refusals
	createProxy(name, listen, upstream string, enabled bool) (string, error)
}

// Proxy is a handle on one proxy. Its methods are safe for concurrent use;
// several handles on the same proxy share its state.
type Proxy struct {
	name, addr string
	b          backend
}

// Name returns the proxy's name.
func (p *Proxy) Name() string { return p.name }

// Addr returns the host:port the proxy listens on.
func (p *Proxy) Addr() string { return p.addr }

// URL returns "http://" and the proxy's address, for HTTP clients.
func (p *Proxy) URL() string { return "http://" + p.addr }

// Enable starts accepting connections again, on the same address.
func (p *Proxy) Enable() error { return p.b.setEnabled(p.name, true) }

// Disable closes the listener and every connection through the proxy, so
// that new attempts are refused.
func (p *Proxy) Disable() error { return p.b.setEnabled(p.name, false) }

// AddFault adds a fault; it acts on connections from now on, including
// those already open.
func (p *Proxy) AddFault(f Fault) error {
	s, err := f.spec()
	if err != nil {
		return err
	}
	return p.b.addFault(p.name, s)
}

// UpdateFault replaces the attributes and toxicity of the fault named
// f.Name; its kind must stay the same. A schedule or share starts counting
// and drawing afresh.
func (p *Proxy) UpdateFault(f Fault) error {
	s, err := f.spec()
	if err != nil {
		return err
	}
	return p.b.updateFault(p.name, s)
}

// RemoveFault removes the fault named name.
func (p *Proxy) RemoveFault(name string) error { return p.b.removeFault(p.name, name) }

// Delete removes the proxy and closes its connections.
func (p *Proxy) Delete() error { return p.b.deleteProxy(p.name) }

// Counters says how often each fault of the proxy fired.
func (p *Proxy) Counters() ([]Counter, error) { return p.b.counters(p.name) }

// RefuseNext makes exactly the next n connection attempts fail with
// "connection refused". It closes the listener now; the client must call
// AttemptDone after each of its attempts (an edge does so from its
// Policy.AfterAttempt hook, which runs after an attempt and before the
// backoff wait), and the n-th call reopens the listener, on the same address,
// before it returns. So attempts 1..n are refused and attempt n+1 connects,
// whatever the backoff. n <= 0 reopens at once.
func (p *Proxy) RefuseNext(n int) error {
	return p.b.refusals().refuse(p.name, n, p.b.setEnabled)
}

// AttemptDone tells the proxy that the client finished one attempt; see
// RefuseNext. Outside a RefuseNext window it does nothing.
func (p *Proxy) AttemptDone() error {
	return p.b.refusals().attempted(p.name, p.b.setEnabled)
}

// refusals keeps, per proxy, how many attempts are still to be refused and
// how many were.
type refusals struct {
	mu      sync.Mutex
	left    map[string]int
	refused map[string]int64
}

func newRefusals() *refusals {
	return &refusals{left: map[string]int{}, refused: map[string]int64{}}
}

type setEnabled func(proxy string, on bool) error

func (r *refusals) refuse(proxy string, n int, set setEnabled) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n <= 0 {
		delete(r.left, proxy)
		return set(proxy, true)
	}
	if err := set(proxy, false); err != nil {
		return fmt.Errorf("refuse connections to proxy %q: %w", proxy, err)
	}
	r.left[proxy] = n
	return nil
}

func (r *refusals) attempted(proxy string, set setEnabled) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	left, ok := r.left[proxy]
	if !ok {
		return nil
	}
	r.refused[proxy]++
	if left > 1 {
		r.left[proxy] = left - 1
		return nil
	}
	delete(r.left, proxy)
	if err := set(proxy, true); err != nil {
		return fmt.Errorf("reopen proxy %q after refusing %d attempts: %w",
			proxy, r.refused[proxy], err)
	}
	return nil
}

// counter returns the refusal counter of proxy, if it refused any.
func (r *refusals) counter(proxy string) (Counter, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, ok := r.refused[proxy]
	return Counter{Proxy: proxy, Fault: RefuseFault, Type: RefuseFault, Connections: n}, ok
}

// reset ends every refusal window and forgets the counts.
func (r *refusals) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.left)
	clear(r.refused)
}
