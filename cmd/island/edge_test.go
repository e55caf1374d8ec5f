package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
	"github.com/island-sensors/island/hub"
)

func startTestHub(t *testing.T) *hub.Server {
	t.Helper()
	h := hub.New(hub.Config{Lens: island.DefaultLens()})
	require.NoError(t, h.Start("127.0.0.1:0"))
	t.Cleanup(func() { require.NoError(t, h.Close()) })
	return h
}

func storedTotal(t *testing.T, h *hub.Server) hub.StatusAnswer {
	t.Helper()
	resp, err := http.Get(h.URL() + "/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	var st hub.StatusAnswer
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

func runEdgeCmd(t *testing.T, vars map[string]string, args ...string) (string, string, error) {
	t.Helper()
	env, out, errOut := testEnv(vars)
	err := run(context.Background(), append([]string{"edge"}, args...), env)
	return out.String(), errOut.String(), err
}

func TestEdgePostsTheShippedFixtureOnce(t *testing.T) {
	h := startTestHub(t)
	out, _, err := runEdgeCmd(t, nil, "--hub", h.URL())
	require.NoError(t, err)
	assert.Regexp(t, `^batch 1 alpha: success, 1 attempt, 5 accepted, 0 duplicates, \S+\n$`, out)
	assert.Equal(t, map[string]int{"alpha": 5}, storedTotal(t, h).Nodes)
}

func TestEdgeNodeFromTheEnvironment(t *testing.T) {
	h := startTestHub(t)
	out, _, err := runEdgeCmd(t, map[string]string{"ISLAND_NODE": "charlie", "ISLAND_HUB": h.URL()})
	require.NoError(t, err)
	assert.Contains(t, out, "batch 1 charlie: success")
	assert.Equal(t, map[string]int{"charlie": 5}, storedTotal(t, h).Nodes)
}

func TestEdgeGeneratesBatchesEveryInterval(t *testing.T) {
	h := startTestHub(t)
	out, _, err := runEdgeCmd(t, nil, "--hub", h.URL(), "--node", "bravo", "--generate", "20",
		"--seed", "9", "--every", "1ms", "--batches", "3", "--json")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3)
	for i, line := range lines {
		var r batchReport
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		assert.Equal(t, i+1, r.Batch)
		assert.Equal(t, "bravo", r.Node)
		assert.Equal(t, "success", r.Status)
		assert.Equal(t, 1, r.Attempts)
		assert.Equal(t, 20, r.Accepted, "each batch has a seed of its own")
		assert.Equal(t, 20*(i+1), r.Total)
		assert.NotEmpty(t, r.Key)
		assert.Empty(t, r.Failures)
	}
	assert.Equal(t, 60, storedTotal(t, h).Total)
}

func TestEdgePostsAFixtureFile(t *testing.T) {
	h := startTestHub(t)
	b, err := island.Fixture("bravo")
	require.NoError(t, err)
	data, err := json.Marshal(b)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "bravo.json")
	require.NoError(t, os.WriteFile(path, data, 0o600))

	out, _, err := runEdgeCmd(t, nil, "--hub", h.URL(), "--fixture", path)
	require.NoError(t, err)
	assert.Contains(t, out, "batch 1 bravo: success, 1 attempt, 5 accepted")

	_, _, err = runEdgeCmd(t, nil, "--hub", h.URL(), "--fixture", path, "--node", "alpha")
	require.ErrorIs(t, err, errUsage)
	assert.Contains(t, err.Error(), `batch of node "bravo", not "alpha"`)
}

// refusedURL returns the address of a port where nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	return url
}

func TestEdgeFailedBatchFailsTheCommand(t *testing.T) {
	url := refusedURL(t)
	out, _, err := runEdgeCmd(t, nil, "--hub", url, "--max-attempts", "3", "--base-delay", "1ms",
		"--max-delay", "2ms")
	require.ErrorIs(t, err, errFailed)
	assert.Contains(t, out,
		"batch 1 alpha: failed, 3 attempts (connect, connect, connect), 0 accepted")
	assert.Contains(t, err.Error(), "1 of 1 batches failed")
	assert.ErrorIs(t, err, edge.ErrExhausted, "the error wraps the last batch's")
	assert.Equal(t, exitFailed, exitCode(err, &lockedBuffer{}))

	out, _, err = runEdgeCmd(t, nil, "--hub", url, "--max-attempts", "1", "--json")
	require.ErrorIs(t, err, errFailed)
	var r batchReport
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	assert.Equal(t, "failed", r.Status)
	require.Len(t, r.Failures, 1)
	assert.Equal(t, "connect", r.Failures[0].Class)
	assert.Contains(t, r.Error, "connection refused")
}

func TestEdgeRejectedBatchIsNotRetried(t *testing.T) {
	h := startTestHub(t)
	path := filepath.Join(t.TempDir(), "bad.json")
	bad := `{"node_id":"alpha","observations":[` +
		`{"id":"a-1","timestamp":"2026-03-14T10:00:00Z","lat":99,"lon":0}]}`
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o600))
	out, _, err := runEdgeCmd(t, nil, "--hub", h.URL(), "--fixture", path)
	require.ErrorIs(t, err, errFailed)
	assert.Contains(t, out, "failed, 1 attempt (status)")
	assert.Contains(t, out, "422")
	assert.Contains(t, out, "observations[0].lat")
}

func TestEdgeUsageErrors(t *testing.T) {
	tests := map[string][]string{
		"UnknownNode":      {"--node", "delta"},
		"FixtureAndGen":    {"--fixture", "x.json", "--generate", "3"},
		"NegativeGenerate": {"--generate", "-1"},
		"NoAttempts":       {"--max-attempts", "0"},
		"BadHub":           {"--hub", "127.0.0.1:8080"},
		"BadDelays":        {"--base-delay", "2s", "--max-delay", "1s"},
		"BadLogLevel":      {"--log-level", "loud"},
		"Argument":         {"extra"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := runEdgeCmd(t, nil, args...)
			require.ErrorIs(t, err, errUsage)
			assert.Equal(t, exitBroken, exitCode(err, &lockedBuffer{}))
		})
	}
}

func TestEdgeHelpNamesEveryFlag(t *testing.T) {
	out, _, err := runEdgeCmd(t, nil, "--help")
	require.True(t, errors.Is(err, flag.ErrHelp), "%v", err)
	sc := bufio.NewScanner(strings.NewReader(out))
	var flags []string
	for sc.Scan() {
		if f, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "--"); ok {
			flags = append(flags, strings.Fields(f)[0])
		}
	}
	assert.Equal(t, []string{"attempt-timeout", "base-delay", "batches", "every", "fixture",
		"generate", "hub", "json", "log-level", "max-attempts", "max-delay", "node", "seed"}, flags)
	assert.Contains(t, out, "(ISLAND_MAX_ATTEMPTS)")
	assert.Contains(t, out, "Usage: island edge [flags]")
}

func TestEdgeStopsWhenTold(t *testing.T) {
	h := startTestHub(t)
	env, out, _ := testEnv(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"edge", "--hub", h.URL(), "--every", "1h"}, env) }()
	require.Eventually(t, func() bool {
		return strings.Contains(out.String(), "batch 1 alpha: success")
	}, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done, "a stop between batches is not a failure")
	assert.Equal(t, 1, strings.Count(out.String(), "\n"))
}
