package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var labAPI = regexp.MustCompile(`proxy API (http://127\.0\.0\.1:\d+)`)

// labCall sends one request to the lab's proxy API and checks its status.
func labCall(t *testing.T, method, url, body string, want int) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, want, resp.StatusCode, "%s %s", method, url)
}

// labGet returns the body of a GET to the lab's proxy API.
func labGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// countLines counts the lines of out that match re.
func countLines(out string, re string) int {
	return len(regexp.MustCompile(re).FindAllString(out, -1))
}

func TestLabIsHurtByHandWhileItRuns(t *testing.T) {
	env, out, errOut := testEnv(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runLab(ctx, []string{"--hub", "127.0.0.1:0", "--api", "127.0.0.1:0",
			"--every", "5ms", "--seed", "7", "--attempt-timeout", "1s"}, env)
	}()
	var api string
	require.Eventually(t, func() bool {
		m := labAPI.FindStringSubmatch(out.String())
		if m != nil {
			api = m[1]
		}
		return m != nil && countLines(out.String(), `batch \d+ charlie: success`) > 0
	}, 10*time.Second, 5*time.Millisecond, "the lab never ran its edges:\n%s\n%s", out, errOut)

	// Every connection through bravo's proxy is reset, by hand, while the
	// island runs; alpha is untouched.
	labCall(t, http.MethodPost, api+"/proxies/bravo/toxics",
		`{"name":"cut","type":"reset_peer","stream":"downstream","attributes":{"timeout":0}}`,
		http.StatusOK)
	require.Eventually(t, func() bool {
		return countLines(out.String(), `batch \d+ bravo: failed, 5 attempts \(read`) > 0
	}, 20*time.Second, 5*time.Millisecond, "bravo's batches never failed:\n%s", out)
	counters := labGet(t, api+"/island/counters")
	assert.Regexp(t, `"proxy":"bravo","fault":"cut","type":"reset_peer","connections":[1-9]`,
		counters)
	// An attempt in flight as the fault goes may stall until its timeout.
	labCall(t, http.MethodDelete, api+"/proxies/bravo/toxics/cut", "", http.StatusNoContent)
	healed := countLines(out.String(), `batch \d+ bravo: success`)
	require.Eventually(t, func() bool {
		return countLines(out.String(), `batch \d+ bravo: success`) > healed
	}, 10*time.Second, 5*time.Millisecond, "bravo never healed:\n%s", out)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the lab did not stop when told")
	}
	text := out.String()
	assert.Equal(t, 0, countLines(text, `batch \d+ alpha: failed`), text)
	for _, node := range []string{"alpha", "bravo", "charlie"} {
		m := regexp.MustCompile(node + ` +(\d+) batches, (\d+) failed; (\d+) observations ` +
			`acknowledged, (\d+) stored`).FindStringSubmatch(text)
		require.NotNil(t, m, "no summary line of %s:\n%s", node, text)
		assert.NotEqual(t, "0", m[1], node)
		acked, _ := strconv.Atoi(m[3])
		stored, _ := strconv.Atoi(m[4])
		assert.GreaterOrEqual(t, stored, acked, "%s lost acknowledged observations", node)
	}
}

func TestLabUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--every", "0"},
		{"--batch", "-1"},
		{"--attempt-timeout", "0s"},
		{"--api", "0.0.0.0:8474"},
		{"extra"},
	} {
		env, _, _ := testEnv(nil)
		err := runLab(context.Background(), args, env)
		assert.ErrorIs(t, err, errUsage, "%v", args)
	}
}
