package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startProxy runs "island proxy" with args until the test ends and returns
// its API URL.
func startProxy(t *testing.T, args ...string) string {
	t.Helper()
	env, out, errOut := testEnv(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"proxy"}, args...), env) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done, "stderr: %s", errOut.String())
	})
	var api string
	require.Eventually(t, func() bool {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			api = m[1]
		}
		return api != ""
	}, 10*time.Second, 10*time.Millisecond, "stdout: %q stderr: %q", out, errOut)
	require.Contains(t, out.String(), "(seed 42)")
	return api
}

// buildToxiproxyCLI builds toxiproxy-cli from the toxiproxy module's own
// cmd/cli at the pinned version, outside this module.
func buildToxiproxyCLI(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds toxiproxy-cli from the module proxy")
	}
	bin := t.TempDir()
	cmd := exec.Command("go", "install", "github.com/Shopify/toxiproxy/v2/cmd/cli@v2.12.0")
	cmd.Dir = bin
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go install toxiproxy-cli: %s", out)
	return filepath.Join(bin, "cli")
}

func TestToxiproxyCLIDrivesIslandProxy(t *testing.T) {
	cli := buildToxiproxyCLI(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(up.Close)
	upstream := strings.TrimPrefix(up.URL, "http://")
	scenario := filepath.Join(t.TempDir(), "scenario.json")
	require.NoError(t, os.WriteFile(scenario, []byte(fmt.Sprintf(
		`{"proxies": [{"name": "alpha", "upstream": %q}]}`, upstream)), 0o600))
	api := startProxy(t, "--api", "127.0.0.1:0", "--config", scenario, "--seed", "42")

	toxi := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"--host", api}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "toxiproxy-cli %v: %s", args, out)
		return string(out)
	}
	require.Contains(t, toxi("list"), "alpha")
	toxi("create", "--listen", "127.0.0.1:0", "--upstream", upstream, "bravo")
	require.Contains(t, toxi("list"), "bravo")
	toxi("toxic", "add", "-n", "slow", "-t", "latency", "-a", "latency=10", "bravo")
	toxi("toxic", "add", "-n", "first1", "-t", "schedule", "--upstream",
		"-a", "action=reset", "-a", "first=1", "bravo")
	inspect := toxi("inspect", "bravo")
	for _, want := range []string{"slow", "latency", "first1", "schedule", "first1.rst"} {
		require.Contains(t, inspect, want)
	}
	toxi("toxic", "remove", "-n", "first1", "bravo")
	inspect = toxi("inspect", "bravo")
	require.NotContains(t, inspect, "first1")
	require.Contains(t, inspect, "slow")
	toxi("delete", "bravo")
	require.NotContains(t, toxi("list"), "bravo")

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(api + "/island/counters")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestProxyCommandRefusesRemoteAPI(t *testing.T) {
	env, _, _ := testEnv(nil)
	err := run(context.Background(), []string{"proxy", "--api", "0.0.0.0:8474"}, env)
	require.True(t, errors.Is(err, errUsage), "got %v", err)
	require.ErrorContains(t, err, "not loopback")
}

func TestProxyCommandRefusesBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"proxies": [{"name": "a"}]}`), 0o600))
	env, _, _ := testEnv(nil)
	err := run(context.Background(), []string{"proxy", "--api", "127.0.0.1:0",
		"--config", path}, env)
	require.ErrorContains(t, err, "no upstream")
}
