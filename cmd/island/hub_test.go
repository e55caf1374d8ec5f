package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer collects what a command prints, safe to read while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testEnv(vars map[string]string) (*environment, *lockedBuffer, *lockedBuffer) {
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	return &environment{stdout: out, stderr: errOut,
		getenv: func(k string) string { return vars[k] }}, out, errOut
}

var listening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

func TestHubCommand(t *testing.T) {
	env, out, errOut := testEnv(map[string]string{"ISLAND_LENS": "../../testdata/fixtures/lens.json"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"hub", "--addr", "127.0.0.1:0"}, env) }()

	var base string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "the hub prints where it listens: %s", errOut)
	assert.Contains(t, out.String(), "(lens: default 1)")

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(base + "/status")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	var st struct {
		Lens struct{ Name string } `json:"lens"`
	}
	require.NoError(t, json.Unmarshal(body, &st))
	assert.Equal(t, "default", st.Lens.Name, "the lens from ISLAND_LENS is loaded")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("the hub did not stop when its context was cancelled")
	}
	assert.Contains(t, errOut.String(), "path=/status", "one log line per request")
}

// TestHubCommandMaxRunMembers starts a hub whose runs may hold one key:
// each run over alpha's 5 unmatched observations drops the one before.
func TestHubCommandMaxRunMembers(t *testing.T) {
	env, out, errOut := testEnv(map[string]string{"ISLAND_MAX_RUN_MEMBERS": "1",
		"ISLAND_LENS": "../../testdata/fixtures/lens.json"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"hub", "--addr", "127.0.0.1:0"}, env) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	var base string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "the hub prints where it listens: %s", errOut)

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	post := func(path, file string) {
		var body io.Reader
		if file != "" {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			body = bytes.NewReader(data)
		}
		resp, err := hc.Post(base+path, "application/json", body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode, "POST %s", path)
	}
	post("/ingest", "../../testdata/fixtures/alpha.json")
	post("/fusion/run", "")
	post("/fusion/run", "")
	resp, err := hc.Get(base + "/status")
	require.NoError(t, err)
	var st struct{ Runs int }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 1, st.Runs, "the newer run of 5 keys drops the older one")
}

func TestHubCommandHelp(t *testing.T) {
	env, out, _ := testEnv(nil)
	err := run(context.Background(), []string{"hub", "--help"}, env)
	require.True(t, errors.Is(err, flag.ErrHelp), "%v", err)
	for _, want := range []string{"Usage: island hub", "--addr (ISLAND_ADDR)", "127.0.0.1:8080",
		"--lens (ISLAND_LENS)", "--max-body (ISLAND_MAX_BODY)", "--log-level (ISLAND_LOG_LEVEL)",
		"--max-run-members (ISLAND_MAX_RUN_MEMBERS)", "(default 5000000)"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestHubCommandErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"NoLensFile", []string{"--lens", "/nonexistent/lens.json"}, nil, "--lens"},
		{"BadLens", []string{"--lens", "../../testdata/fixtures/alpha.json"}, nil, "invalid_lens"},
		{"BadLogLevel", []string{"--log-level", "loud"}, nil, "--log-level"},
		{"BadMaxBody", nil, map[string]string{"ISLAND_MAX_BODY": "-1"}, "--max-body"},
		{"BadMaxRunMembers", []string{"--max-run-members", "0"}, nil, "--max-run-members"},
		{"BadMaxRunMembersEnv", nil, map[string]string{"ISLAND_MAX_RUN_MEMBERS": "many"},
			"ISLAND_MAX_RUN_MEMBERS"},
		{"BadAddr", []string{"--addr", "256.1.1.1:0"}, nil, "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, _ := testEnv(tt.vars)
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a hub that did start stops at once
			err := run(ctx, append([]string{"hub", "--addr", "127.0.0.1:0"}, tt.args...), env)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tt.want), "%v", err)
		})
	}
}
