package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
)

func edgeCommand() command {
	return command{name: "edge", summary: "post observations to a hub as one edge node",
		run: runEdge}
}

// edgeOptions are the flags of island edge.
type edgeOptions struct {
	hub, node, fixture, logLevel string
	generate, batches            int
	seed                         int64
	every                        time.Duration
	json                         bool
	policy                       edge.Policy
}

const edgeSynopsis = `Post batches of observations to a hub as one edge node, retrying what is
transient. The batch is the node's shipped fixture (alpha, bravo or charlie),
the batch in --fixture FILE, or --generate N observations made from --seed.
With --every, a batch is posted at that interval until --batches are sent or
the command is stopped; batch i of --generate uses the seed S+i-1. One line
is printed per batch (--json: one JSON object); the exit status is 1 when a
batch failed.`

// runEdge posts batches until done and fails with errFailed if any failed.
func runEdge(ctx context.Context, args []string, env *environment) error {
	o, err := parseEdgeFlags(args, env)
	if err != nil {
		return err
	}
	next, node, err := o.source()
	if err != nil {
		return err
	}
	c, closeIdle, err := o.client(node, env.stderr)
	if err != nil {
		return err
	}
	defer closeIdle()
	return postBatches(ctx, o, c, next, env.stdout)
}

func parseEdgeFlags(args []string, env *environment) (*edgeOptions, error) {
	o := &edgeOptions{}
	d := edge.DefaultPolicy()
	fs := newFlagSet("edge", edgeSynopsis, env)
	fs.StringVar(&o.hub, "hub", "http://127.0.0.1:8080", "base URL of the hub")
	fs.StringVar(&o.node, "node", "", "node id; default: the fixture's node, or alpha")
	fs.StringVar(&o.fixture, "fixture", "",
		"JSON file of one batch to post, such as testdata/fixtures/bravo.json")
	fs.IntVar(&o.generate, "generate", 0,
		"post N generated observations per batch instead of a fixture")
	fs.Int64Var(&o.seed, "seed", 1, "seed of --generate")
	fs.DurationVar(&o.every, "every", 0, "post a batch at this interval; 0 posts once")
	fs.IntVar(&o.batches, "batches", 0,
		"with --every, stop after this many batches; 0 runs until stopped")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per batch instead of a line of text")
	fs.IntVar(&o.policy.MaxAttempts, "max-attempts", d.MaxAttempts,
		"attempts per batch, the first included")
	fs.DurationVar(&o.policy.BaseDelay, "base-delay", d.BaseDelay, "ceiling of the first backoff")
	fs.DurationVar(&o.policy.MaxDelay, "max-delay", d.MaxDelay, "cap of every backoff")
	fs.DurationVar(&o.policy.AttemptTimeout, "attempt-timeout", d.AttemptTimeout,
		"time allowed to one attempt")
	fs.StringVar(&o.logLevel, "log-level", "warn",
		"least level logged on stderr: debug, info, warn or error")
	if err := parseFlags(fs, args, env); err != nil {
		return nil, err
	}
	return o, o.check()
}

// check rejects values that the flag package accepts but edge cannot use.
func (o *edgeOptions) check() error {
	p := o.policy
	bad := func(flag string, v any, want string) error {
		return fmt.Errorf("--%s %v: %s: %w", flag, v, want, errUsage)
	}
	switch {
	case o.fixture != "" && o.generate != 0:
		return fmt.Errorf("--fixture and --generate: give one of them: %w", errUsage)
	case o.generate < 0:
		return bad("generate", o.generate, "must be a positive number of observations")
	case o.every < 0:
		return bad("every", o.every, "must be a positive interval, or 0 to post once")
	case o.batches < 0:
		return bad("batches", o.batches, "must be a positive count, or 0 for no limit")
	case p.MaxAttempts < 1:
		return bad("max-attempts", p.MaxAttempts, "must be at least 1")
	case p.BaseDelay <= 0:
		return bad("base-delay", p.BaseDelay, "must be a positive duration, such as 100ms")
	case p.MaxDelay < p.BaseDelay:
		return bad("max-delay", p.MaxDelay, "must be at least --base-delay")
	case p.AttemptTimeout <= 0:
		return bad("attempt-timeout", p.AttemptTimeout, "must be a positive duration, such as 10s")
	case !strings.HasPrefix(o.hub, "http://") && !strings.HasPrefix(o.hub, "https://"):
		return bad("hub", o.hub, "must be a URL such as http://127.0.0.1:8080")
	}
	return nil
}

// source returns the maker of batch i (from 1) and the node it posts as.
func (o *edgeOptions) source() (func(i int) island.Batch, string, error) {
	switch {
	case o.generate > 0:
		node := cmp.Or(o.node, island.FixtureNodes[0])
		return func(i int) island.Batch {
			obs := edge.Generate(node, o.generate, o.seed+int64(i-1))
			return island.Batch{NodeID: node, Observations: obs}
		}, node, nil
	case o.fixture != "":
		b, err := readFixture(o.fixture, o.node)
		return func(int) island.Batch { return b }, b.NodeID, err
	}
	node := cmp.Or(o.node, island.FixtureNodes[0])
	if !slices.Contains(island.FixtureNodes, node) {
		return nil, "", fmt.Errorf("node %q has no shipped fixture (those are %v): "+
			"give --fixture FILE or --generate N: %w", node, island.FixtureNodes, errUsage)
	}
	b, err := island.Fixture(node)
	return func(int) island.Batch { return b }, node, err
}

// readFixture reads one batch from path; node, when given, must match it.
func readFixture(path, node string) (island.Batch, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return island.Batch{}, fmt.Errorf("--fixture: %w", err)
	}
	var b island.Batch
	if err := json.Unmarshal(data, &b); err != nil {
		return island.Batch{}, fmt.Errorf("--fixture %s: not a batch of observations: %w", path, err)
	}
	switch {
	case b.NodeID == "" && node == "":
		return island.Batch{}, fmt.Errorf("--fixture %s names no node_id: give --node: %w",
			path, errUsage)
	case b.NodeID == "":
		b.NodeID = node
	case node != "" && node != b.NodeID:
		return island.Batch{}, fmt.Errorf("--fixture %s is a batch of node %q, not %q: "+
			"drop --node or pass --node %s: %w", path, b.NodeID, node, b.NodeID, errUsage)
	}
	return b, nil
}

// client returns the edge client and a function that closes its idle
// connections.
func (o *edgeOptions) client(node string, stderr io.Writer) (*edge.Client, func(), error) {
	log, err := newLogger(stderr, o.logLevel)
	if err != nil {
		return nil, nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	c := &edge.Client{BaseURL: o.hub, NodeID: node, HTTPClient: &http.Client{Transport: tr},
		Policy: o.policy, Logger: log}
	return c, tr.CloseIdleConnections, nil
}

// postBatches posts batch after batch, printing each outcome.
func postBatches(ctx context.Context, o *edgeOptions, c *edge.Client, next func(int) island.Batch,
	out io.Writer) error {
	var failed int
	var last error
	i := 1
	for ; ; i++ {
		res, err := c.PostBatch(ctx, next(i))
		if perr := printBatch(out, o.json, i, c.NodeID, res, err); perr != nil {
			return perr
		}
		if ctx.Err() != nil {
			break // stopped by a signal: the operator's choice, not a failure
		}
		if err != nil {
			failed, last = failed+1, err
		}
		if o.every == 0 || i == o.batches || edge.Sleep(ctx, o.every) != nil {
			break
		}
	}
	if failed > 0 {
		return &batchesFailed{failed: failed, total: i, last: last}
	}
	return nil
}

// batchesFailed is the error of a run in which batches failed. It matches
// errFailed and the last failed batch's error.
type batchesFailed struct {
	failed, total int
	last          error
}

func (e *batchesFailed) Error() string {
	return fmt.Sprintf("%d of %d batches failed; the line of each says why", e.failed, e.total)
}

func (e *batchesFailed) Unwrap() []error { return []error{errFailed, e.last} }

// batchReport is the JSON form of one batch's outcome.
type batchReport struct {
	Batch      int             `json:"batch"`
	Node       string          `json:"node"`
	Status     string          `json:"status"`
	Attempts   int             `json:"attempts"`
	Accepted   int             `json:"accepted"`
	Duplicates int             `json:"duplicates"`
	Total      int             `json:"total"`
	ElapsedMS  float64         `json:"elapsed_ms"`
	Key        string          `json:"key"`
	Replayed   bool            `json:"replayed"`
	Failures   []attemptReport `json:"failures"`
	Error      string          `json:"error,omitempty"`
}

// attemptReport is the JSON form of one failed attempt.
type attemptReport struct {
	Attempt    int     `json:"attempt"`
	Class      string  `json:"class"`
	HTTPStatus int     `json:"http_status,omitempty"`
	Error      string  `json:"error"`
	DurationMS float64 `json:"duration_ms"`
	WaitMS     float64 `json:"wait_ms"`
}

func printBatch(w io.Writer, asJSON bool, n int, node string, res edge.Result, err error) error {
	if asJSON {
		return json.NewEncoder(w).Encode(reportOf(n, node, res, err))
	}
	line := fmt.Sprintf("batch %d %s: %s, %s, %d accepted, %d duplicates, %v",
		n, node, res.Status, attemptsText(res), res.Accepted, res.Duplicates,
		res.Elapsed.Round(time.Microsecond))
	if err != nil {
		line += ": " + err.Error()
	}
	_, werr := fmt.Fprintln(w, line)
	return werr
}

// attemptsText says how many attempts a batch took and what failed them.
func attemptsText(res edge.Result) string {
	s := fmt.Sprintf("%d attempts", res.Attempts)
	if res.Attempts == 1 {
		s = "1 attempt"
	}
	if len(res.Failures) == 0 {
		return s
	}
	classes := make([]string, len(res.Failures))
	for i, a := range res.Failures {
		classes[i] = string(a.Class)
	}
	return s + " (" + strings.Join(classes, ", ") + ")"
}

func reportOf(n int, node string, res edge.Result, err error) batchReport {
	r := batchReport{Batch: n, Node: node, Status: res.Status, Attempts: res.Attempts,
		Accepted: res.Accepted, Duplicates: res.Duplicates, Total: res.Total,
		ElapsedMS: ms(res.Elapsed), Key: res.Key, Replayed: res.Replayed,
		Failures: make([]attemptReport, 0, len(res.Failures))}
	for _, a := range res.Failures {
		r.Failures = append(r.Failures, attemptReport{Attempt: a.N, Class: string(a.Class),
			HTTPStatus: a.Status, Error: a.Err.Error(), DurationMS: ms(a.Duration), WaitMS: ms(a.Wait)})
	}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
