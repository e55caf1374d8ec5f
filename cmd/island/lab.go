package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/chaos"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/hub"
	"github.com/island-sensors/island/hub/store"
)

func labCommand() command {
	return command{name: "lab", summary: "run a whole island, hub, proxy and edges, to hurt by hand",
		run: runLab}
}

const labSynopsis = `Run a whole island in one process: a hub with the default lens, the chaos
proxy with its toxiproxy-compatible API, one proxy per edge node in front of
the hub, and an edge per node that posts a generated batch through its proxy
at every interval. Tune faults by hand through the API (toxiproxy-cli or
curl) while it runs, and watch each batch's line. It stops on SIGINT or
SIGTERM, or after --duration, and then prints what each edge sent and what
the hub stored.`

// labOptions are the flags of island lab.
type labOptions struct {
	hubAddr, api, logLevel string
	every, duration        time.Duration
	attemptTimeout         time.Duration
	size                   int
	seed                   int64
}

// runLab runs the island until ctx ends or the duration passes.
func runLab(ctx context.Context, args []string, env *environment) error {
	o, err := parseLabFlags(args, env)
	if err != nil {
		return err
	}
	log, err := newLogger(env.stderr, o.logLevel)
	if err != nil {
		return err
	}
	st := store.New()
	h := hub.New(hub.Config{Lens: island.DefaultLens(), Logger: log.With("part", "hub"), Store: st})
	if err := h.Start(o.hubAddr); err != nil {
		return fmt.Errorf("start the hub: %w", err)
	}
	defer h.Close()
	cs := chaos.New(chaos.Options{Logger: log.With("part", "chaos"), Seed: o.seed})
	defer cs.Close()
	if err := cs.ListenAPI(o.api); err != nil {
		return fmt.Errorf("start the proxy API: %w", err)
	}
	proxies := make([]*chaos.Proxy, len(island.FixtureNodes))
	for i, node := range island.FixtureNodes {
		if proxies[i], err = cs.CreateProxy(node, h.Addr()); err != nil {
			return fmt.Errorf("start the proxy of %s: %w", node, err)
		}
	}
	printLabBanner(env.stdout, h, cs, proxies)
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	sent, err := runLabEdges(ctx, o, cs.Seed(), proxies, env.stdout)
	if err != nil {
		return err
	}
	return printLabSummary(env.stdout, st, cs, sent)
}

func parseLabFlags(args []string, env *environment) (labOptions, error) {
	o := labOptions{}
	fs := newFlagSet("lab", labSynopsis, env)
	fs.StringVar(&o.hubAddr, "hub", "127.0.0.1:8080", "address of the hub, host:port")
	fs.StringVar(&o.api, "api", "127.0.0.1:8474", "address of the proxy API, host:port (loopback)")
	fs.DurationVar(&o.every, "every", 2*time.Second, "interval between one edge's batches")
	fs.IntVar(&o.size, "batch", 5, "observations per batch")
	fs.Int64Var(&o.seed, "seed", 0, "seed of the batches and of the faults; 0 picks one")
	fs.DurationVar(&o.duration, "duration", 0, "stop after this long; 0 runs until stopped")
	fs.DurationVar(&o.attemptTimeout, "attempt-timeout", edge.DefaultAttemptTimeout,
		"longest an edge's attempt may take before it is retried")
	fs.StringVar(&o.logLevel, "log-level", "warn", "least level logged: debug, info, warn or error")
	if err := parseFlags(fs, args, env); err != nil {
		return o, err
	}
	switch {
	case o.every <= 0:
		return o, fmt.Errorf("--every %v: must be positive: %w", o.every, errUsage)
	case o.size < 0:
		return o, fmt.Errorf("--batch %d: must not be negative: %w", o.size, errUsage)
	case o.duration < 0:
		return o, fmt.Errorf("--duration %v: must not be negative: %w", o.duration, errUsage)
	case o.attemptTimeout <= 0:
		return o, fmt.Errorf("--attempt-timeout %v: must be positive: %w", o.attemptTimeout,
			errUsage)
	}
	if err := chaos.CheckLoopback(o.api); err != nil {
		return o, fmt.Errorf("--api: %w (island proxy --allow-remote serves beyond it): %w",
			err, errUsage)
	}
	return o, nil
}

func printLabBanner(w io.Writer, h *hub.Server, cs *chaos.Server, proxies []*chaos.Proxy) {
	fmt.Fprintf(w, "island lab: hub %s, proxy API %s (seed %d)\n", h.URL(), cs.APIURL(), cs.Seed())
	for _, p := range proxies {
		fmt.Fprintf(w, "  edge %-8s posts through proxy %s at %s\n", p.Name(), p.Name(), p.Addr())
	}
	fmt.Fprintf(w, "Hurt a link by hand, for example:\n"+
		"  toxiproxy-cli -h %[1]s toxic add -t latency -a latency=800 alpha\n"+
		"  curl -s -X POST %[1]s/proxies/bravo/toxics -d "+
		"'{\"name\":\"cut\",\"type\":\"reset_peer\",\"attributes\":{\"timeout\":0}}'\n"+
		"  curl -s -X DELETE %[1]s/proxies/bravo/toxics/cut\n"+
		"  curl -s %[1]s/island/counters\n", cs.APIURL())
}

// labSent counts what one edge sent.
type labSent struct {
	node             string
	batches, failed  int
	observationsSent int
}

// runLabEdges runs one edge per proxy until ctx ends, printing a line per
// batch, and returns what each sent.
func runLabEdges(ctx context.Context, o labOptions, seed int64, proxies []*chaos.Proxy,
	out io.Writer) ([]labSent, error) {
	var mu sync.Mutex // one line at a time
	sent := make([]labSent, len(proxies))
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range proxies {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		c := &edge.Client{BaseURL: p.URL(), NodeID: p.Name(), HTTPClient: &http.Client{Transport: tr},
			Policy: edge.Policy{AttemptTimeout: o.attemptTimeout,
				Jitter: edge.NewJitter(uint64(seed) + uint64(i))}}
		g.Go(func() error {
			s := &sent[i]
			s.node = c.NodeID
			for n := 1; gctx.Err() == nil; n++ {
				obs := edge.Generate(c.NodeID, o.size, seed+int64(n))
				res, err := c.PostObservations(gctx, obs)
				if gctx.Err() != nil {
					return nil // stopped mid-batch: not counted either way
				}
				s.batches++
				if err != nil {
					s.failed++
				} else {
					s.observationsSent += len(obs)
				}
				mu.Lock()
				perr := printBatch(out, false, n, c.NodeID, res, err)
				mu.Unlock()
				if perr != nil {
					return perr
				}
				if edge.Sleep(gctx, o.every) != nil {
					return nil
				}
			}
			return nil
		})
	}
	return sent, g.Wait()
}

// printLabSummary says what each edge sent, what the hub stored and how
// often each fault fired.
func printLabSummary(w io.Writer, hs hub.Store, cs *chaos.Server, sent []labSent) error {
	st, err := hs.Status(context.Background())
	if err != nil {
		return fmt.Errorf("read the hub's status: %w", err)
	}
	fmt.Fprintln(w, "island lab stopped:")
	for _, s := range sent {
		fmt.Fprintf(w, "  %-8s %d batches, %d failed; %d observations acknowledged, %d stored\n",
			s.node, s.batches, s.failed, s.observationsSent, st.Nodes[s.node])
	}
	counters, err := cs.Counters()
	if err != nil {
		return fmt.Errorf("read the fault counters: %w", err)
	}
	for _, c := range counters {
		fmt.Fprintf(w, "  fault %s/%s (%s): %d connections, %d requests, %d bytes\n",
			c.Proxy, c.Fault, c.Type, c.Connections, c.Requests, c.Bytes)
	}
	return nil
}
