package harness

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/chaos"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/hub"
)

// Island is the system under test of one case: a hub on a loopback port,
// an in-process chaos server with one proxy per edge node in front of the
// hub, and an edge client per node that posts through its node's proxy, so
// that one node's network can be hurt while the others' are not. The case's
// end takes it all down.
type Island struct {
	// Hub is the hub; its URL, HubURL, reaches it without a proxy.
	Hub *hub.Server
	// Chaos runs the proxies.
	Chaos *chaos.Server
	// Nodes are the edge nodes, in order.
	Nodes []string
	// HTTP is a client of the case's own for calls straight to the hub.
	HTTP *http.Client

	t       *T
	proxies map[string]*chaos.Proxy
	edges   map[string]*edge.Client
}

// IslandConfig changes what T.IslandWith makes. The zero value gives what
// T.Island gives.
type IslandConfig struct {
	// Hub configures the hub. A nil Lens means island.DefaultLens(), unless
	// NoLens; a nil Logger logs warnings and errors to the case's log.
	Hub    hub.Config
	NoLens bool
	// Nodes names the edge nodes; empty means island.FixtureNodes.
	Nodes []string
	// Policy is every edge's retry policy. Its zero fields take IslandPolicy's
	// values, not edge.DefaultPolicy's; its AfterAttempt, if set, is called
	// after the island's own, which tells the node's proxy that an attempt
	// ended (see chaos.Proxy.RefuseNext).
	Policy edge.Policy
}

// IslandPolicy returns the edges' policy in an island: edge.DefaultPolicy
// with waits short enough for suites to be quick, 5 attempts, backoff from
// 2 ms capped at 20 ms, 2 s per attempt, Retry-After honoured up to 2 s.
func IslandPolicy() edge.Policy {
	p := edge.DefaultPolicy()
	p.BaseDelay = 2 * time.Millisecond
	p.MaxDelay = 20 * time.Millisecond
	p.AttemptTimeout = 2 * time.Second
	p.MaxRetryAfter = 2 * time.Second
	return p
}

// Island makes a fresh island with the default lens, three edges (alpha,
// bravo, charlie) and IslandPolicy. See IslandWith.
func (t *T) Island() *Island { return t.IslandWith(IslandConfig{}) }

// IslandWith makes a fresh island as cfg says, all on loopback ports, and
// registers cleanups that take it down. The faults that fire on its
// proxies are counted into the case's result as "<node>/<fault>", read
// when the case ends; a fault removed before then is not counted, so count
// it with AddFaults first. IslandWith calls FailNow when a part cannot
// start.
func (t *T) IslandWith(cfg IslandConfig) *Island {
	if t.tamper != nil {
		t.tamper(&cfg)
	}
	i := &Island{t: t, Nodes: slices.Clone(cfg.Nodes),
		proxies: map[string]*chaos.Proxy{}, edges: map[string]*edge.Client{}}
	if len(i.Nodes) == 0 {
		i.Nodes = slices.Clone(island.FixtureNodes)
	}
	i.startHub(cfg)
	i.startChaos()
	for _, node := range i.Nodes {
		i.addEdge(node, cfg.Policy)
	}
	i.HTTP = i.newHTTPClient()
	t.FaultSource(i.faults)
	return i
}

func (i *Island) startHub(cfg IslandConfig) {
	hc := cfg.Hub
	if hc.Lens == nil && !cfg.NoLens {
		hc.Lens = island.DefaultLens()
	}
	if hc.Logger == nil {
		hc.Logger = i.t.partLogger(slog.LevelWarn).With("part", "hub")
	}
	i.Hub = hub.New(hc)
	if err := i.Hub.Start("127.0.0.1:0"); err != nil {
		i.t.Fatalf("the island's hub cannot start: %v", err)
	}
	i.t.Cleanup(func() {
		if err := i.Hub.Close(); err != nil {
			i.t.Errorf("closing the island's hub: %v", err)
		}
	})
}

func (i *Island) startChaos() {
	i.Chaos = chaos.New(chaos.Options{
		Logger: i.t.partLogger(slog.LevelWarn).With("part", "chaos"),
		Seed:   int64(i.t.Seed()>>1) | 1,
	})
	i.t.Cleanup(func() {
		if err := i.Chaos.Close(); err != nil {
			i.t.Errorf("closing the island's proxies: %v", err)
		}
	})
}

func (i *Island) addEdge(node string, base edge.Policy) {
	p, err := i.Chaos.CreateProxy(node, i.Hub.Addr())
	if err != nil {
		i.t.Fatalf("the island's proxy for %s cannot start: %v", node, err)
	}
	i.proxies[node] = p
	i.edges[node] = &edge.Client{
		BaseURL:    p.URL(),
		NodeID:     node,
		HTTPClient: i.newHTTPClient(),
		Policy:     i.policy(node, p, base),
		Logger:     i.t.partLogger(slog.LevelInfo), // the client names its node
	}
}

// policy fills base's zero fields from IslandPolicy, seeds its jitter from
// the case and the node, and tells the proxy when an attempt ends.
func (i *Island) policy(node string, p *chaos.Proxy, base edge.Policy) edge.Policy {
	def := IslandPolicy()
	base.MaxAttempts = cmp.Or(base.MaxAttempts, def.MaxAttempts)
	base.BaseDelay = cmp.Or(base.BaseDelay, def.BaseDelay)
	base.MaxDelay = cmp.Or(base.MaxDelay, def.MaxDelay)
	base.AttemptTimeout = cmp.Or(base.AttemptTimeout, def.AttemptTimeout)
	base.MaxRetryAfter = cmp.Or(base.MaxRetryAfter, def.MaxRetryAfter)
	if base.Jitter == nil {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%s", i.t.Seed(), node)
		base.Jitter = edge.NewJitter(h.Sum64())
	}
	after := base.AfterAttempt
	base.AfterAttempt = func(a edge.Attempt) {
		if err := p.AttemptDone(); err != nil {
			i.t.Errorf("telling the proxy of %s that attempt %d ended: %v", node, a.N, err)
		}
		if after != nil {
			after(a)
		}
	}
	return base
}

// newHTTPClient returns a client with a transport of its own, whose idle
// connections the case's end closes.
func (i *Island) newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	i.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// HubURL returns the hub's base URL, reached without a proxy.
func (i *Island) HubURL() string { return "http://" + i.Hub.Addr() }

// Edge returns the client of node, which posts through node's proxy. It
// calls FailNow for a node the island does not have.
func (i *Island) Edge(node string) *edge.Client {
	c, ok := i.edges[node]
	if !ok {
		i.t.Fatalf("the island has no edge %q; its nodes are %s", node,
			strings.Join(i.Nodes, ", "))
	}
	return c
}

// Proxy returns the proxy in front of the hub for node. It calls FailNow
// for a node the island does not have.
func (i *Island) Proxy(node string) *chaos.Proxy {
	p, ok := i.proxies[node]
	if !ok {
		i.t.Fatalf("the island has no proxy %q; its nodes are %s", node,
			strings.Join(i.Nodes, ", "))
	}
	return p
}

// faults reads how often each fault of each proxy fired.
func (i *Island) faults() map[string]int64 {
	counters, err := i.Chaos.Counters()
	if err != nil {
		i.t.Errorf("reading the island's fault counters: %v", err)
		return nil
	}
	out := map[string]int64{}
	for _, c := range counters {
		out[c.Proxy+"/"+c.Fault] += c.Connections + c.Requests
	}
	return out
}

// partLogger returns a logger into the case's log that keeps records of
// level and above, for a part of the island that would otherwise log every
// request.
func (t *T) partLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{
		Level:       level,
		ReplaceAttr: dropTime,
	}))
}
