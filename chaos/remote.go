package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	tpclient "github.com/Shopify/toxiproxy/v2/client"
)

// Remote drives a toxiproxy-compatible server over its HTTP API, through
// toxiproxy's own client package: an `island proxy` elsewhere, for example
// in a container. Faults are validated here before they are sent; Island's
// own fault types and Counters need an `island proxy` at the other end.
// RefuseNext windows are kept by the Remote, so use one Remote per client.
type Remote struct {
	url    string
	client *tpclient.Client
	http   *http.Client
	ref    *refusals
	// ListenHost is the host that proxies made by CreateProxy listen on, on
	// the remote machine; it defaults to 127.0.0.1.
	ListenHost string
}

// NewRemote returns a driver of the toxiproxy API at apiURL, such as
// http://127.0.0.1:8474.
func NewRemote(apiURL string) *Remote {
	if !strings.Contains(apiURL, "://") {
		apiURL = "http://" + apiURL
	}
	return &Remote{url: strings.TrimSuffix(apiURL, "/"), client: tpclient.NewClient(apiURL),
		http: &http.Client{Timeout: 30 * time.Second}, ref: newRefusals(),
		ListenHost: "127.0.0.1"}
}

// CreateProxy makes an enabled proxy on a port of ListenHost in front of
// upstream, as the remote server resolves it.
func (r *Remote) CreateProxy(name, upstream string) (*Proxy, error) {
	addr, err := r.createProxy(name, "", upstream, true)
	if err != nil {
		return nil, err
	}
	return &Proxy{name: name, addr: addr, b: r}, nil
}

// Proxy returns a handle on the remote proxy named name.
func (r *Remote) Proxy(name string) (*Proxy, error) {
	tp, err := r.client.Proxy(name)
	if err != nil {
		return nil, fmt.Errorf("proxy %q: %w", name, err)
	}
	return &Proxy{name: name, addr: tp.Listen, b: r}, nil
}

// Apply applies sc whole, as Server.Apply does, over the API.
func (r *Remote) Apply(sc Scenario) error { return apply(r, sc) }

// ResetAll enables every proxy and removes every fault on the server.
func (r *Remote) ResetAll() error {
	r.ref.reset()
	if err := r.client.ResetState(); err != nil {
		return fmt.Errorf("reset %s: %w", r.url, err)
	}
	return nil
}

// Counters reads GET /island/counters of an island proxy, and adds the
// refusals this Remote counted.
func (r *Remote) Counters() ([]Counter, error) {
	resp, err := r.http.Get(r.url + CountersPath)
	if err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read counters: %s answered %s; counters need an island proxy",
			r.url, resp.Status)
	}
	var body struct {
		Counters []Counter `json:"counters"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	r.ref.mu.Lock()
	for name, n := range r.ref.refused {
		body.Counters = append(body.Counters, Counter{Proxy: name, Fault: RefuseFault,
			Type: RefuseFault, Connections: n})
	}
	r.ref.mu.Unlock()
	sortCounters(body.Counters)
	return body.Counters, nil
}

// Close releases the Remote's idle connections; the server keeps running.
func (r *Remote) Close() error {
	r.http.CloseIdleConnections()
	return nil
}

func (r *Remote) refusals() *refusals { return r.ref }

func (r *Remote) createProxy(name, listen, upstream string, enabled bool) (string, error) {
	if name == "" || upstream == "" {
		return "", fmt.Errorf("a proxy needs a name and an upstream host:port "+
			"(got name %q, upstream %q)", name, upstream)
	}
	if listen == "" {
		listen = r.ListenHost + ":0"
	}
	tp := r.client.NewProxy()
	tp.Name, tp.Listen, tp.Upstream, tp.Enabled = name, listen, upstream, enabled
	if err := tp.Save(); err != nil {
		return "", fmt.Errorf("create proxy %q at %s: %w", name, r.url, err)
	}
	return tp.Listen, nil
}

func (r *Remote) setEnabled(name string, on bool) error {
	tp, err := r.client.Proxy(name)
	if err != nil {
		return fmt.Errorf("proxy %q: %w", name, err)
	}
	if on {
		err = tp.Enable()
	} else {
		err = tp.Disable()
	}
	if err != nil {
		return fmt.Errorf("set proxy %q enabled=%v: %w", name, on, err)
	}
	return nil
}

func (r *Remote) deleteProxy(name string) error {
	tp, err := r.client.Proxy(name)
	if err != nil {
		return fmt.Errorf("proxy %q: %w", name, err)
	}
	return tp.Delete()
}

func (r *Remote) addFault(proxy string, s Spec) error {
	c, err := check(s)
	if err != nil {
		return err
	}
	attrs, err := attributeMap(c)
	if err != nil {
		return err
	}
	_, err = r.client.AddToxic(&tpclient.ToxicOptions{ProxyName: proxy, ToxicName: c.Name,
		ToxicType: c.Type, Stream: c.Stream, Toxicity: *c.Toxicity, Attributes: attrs})
	return err
}

func (r *Remote) updateFault(proxy string, s Spec) error {
	c, err := check(s)
	if err != nil {
		return err
	}
	attrs, err := attributeMap(c)
	if err != nil {
		return err
	}
	_, err = r.client.UpdateToxic(&tpclient.ToxicOptions{ProxyName: proxy, ToxicName: c.Name,
		Toxicity: *c.Toxicity, Attributes: attrs})
	return err
}

func (r *Remote) removeFault(proxy, fault string) error {
	return r.client.RemoveToxic(&tpclient.ToxicOptions{ProxyName: proxy, ToxicName: fault})
}

func (r *Remote) counters(proxy string) ([]Counter, error) {
	all, err := r.Counters()
	if err != nil {
		return nil, err
	}
	var out []Counter
	for _, c := range all {
		if c.Proxy == proxy {
			out = append(out, c)
		}
	}
	return out, nil
}

// attributeMap returns a checked spec's attributes as the client takes them.
// A zero seed is left out, so that the server derives one from its own.
func attributeMap(c checked) (tpclient.Attributes, error) {
	attrs := tpclient.Attributes{}
	dec := json.NewDecoder(bytes.NewReader(c.Attributes))
	dec.UseNumber() // seeds are 64-bit integers
	if err := dec.Decode(&attrs); err != nil {
		return nil, fmt.Errorf("fault %q: %w", c.Name, err)
	}
	if seed, ok := attrs["seed"].(json.Number); ok && seed == "0" {
		delete(attrs, "seed")
	}
	return attrs, nil
}
