package chaos_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/chaos"
)

func writeScenario(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.json")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

func TestScenarioAppliesBeforeTheFirstConnection(t *testing.T) {
	leakCheck(t)
	up := newUpstream(t)
	path := writeScenario(t, fmt.Sprintf(`{"proxies": [
	  {"name": "alpha", "upstream": %q, "faults": [
	    {"name": "first1", "type": "schedule", "stream": "upstream",
	     "attributes": {"action": "reset", "first": 1}}]},
	  {"name": "bravo", "upstream": %q}]}`, up.hostPort(), up.hostPort()))
	sc, err := chaos.LoadScenario(path)
	require.NoError(t, err)
	s := newServer(t, 3)
	require.NoError(t, s.Apply(sc))
	alpha, err := s.Proxy("alpha")
	require.NoError(t, err)
	c := freshClient(t)
	_, _, _, err = get(c, alpha.URL())
	require.ErrorIs(t, err, syscall.ECONNRESET, "the very first connection meets the fault")
	status, _, _, err := get(c, alpha.URL())
	require.NoError(t, err)
	require.Equal(t, 200, status)
	bravo, err := s.Proxy("bravo")
	require.NoError(t, err)
	status, _, _, err = get(c, bravo.URL())
	require.NoError(t, err)
	require.Equal(t, 200, status)
}

func TestScenarioInvalidAppliesNothing(t *testing.T) {
	leakCheck(t)
	s := newServer(t, 3)
	bad := chaos.Scenario{Proxies: []chaos.ProxySpec{
		{Name: "alpha", Upstream: "127.0.0.1:1"},
		{Name: "bravo", Upstream: "127.0.0.1:1", Faults: []chaos.Spec{
			{Type: "schedule", Attributes: []byte(`{"action": "explode", "first": 1}`)}}},
	}}
	err := s.Apply(bad)
	require.ErrorContains(t, err, `action "explode"`)
	_, err = s.Proxy("alpha")
	require.ErrorIs(t, err, chaos.ErrNotFound, "nothing of an invalid scenario is applied")

	proxy := func(faults string) string {
		return `{"proxies": [{"name": "a", "upstream": "x:1", "faults": [` + faults + `]}]}`
	}
	for name, text := range map[string]string{
		"unknown field": `{"proxies": [], "extra": 1}`,
		"unknown type":  proxy(`{"type": "nope"}`),
		"bad attribute": proxy(`{"type": "latency", "attributes": {"latncy": 5}}`),
		"duplicate": `{"proxies": [{"name": "a", "upstream": "x:1"},
			{"name": "a", "upstream": "x:1"}]}`,
		"http upstream": proxy(`{"type": "http_status", "stream": "upstream",
			"attributes": {"status": 500, "first": 1}}`),
		"no upstream":  `{"proxies": [{"name": "a"}]}`,
		"bad toxicity": proxy(`{"type": "latency", "toxicity": 2}`),
		"never fires":  proxy(`{"type": "schedule", "attributes": {"action": "reset"}}`),
		"bad status":   proxy(`{"type": "http_status", "attributes": {"status": 200, "first": 1}}`),
	} {
		_, err := chaos.LoadScenario(writeScenario(t, text))
		require.Error(t, err, name)
	}
}

func TestSameSeedSameFaults(t *testing.T) {
	leakCheck(t)
	up := newUpstream(t)
	outcomes := func(seed int64) []bool {
		s := newServer(t, seed)
		p, err := s.CreateProxy("alpha", up.hostPort())
		require.NoError(t, err)
		require.NoError(t, p.AddFault(chaos.Fault{Name: "half", Kind: chaos.HTTPStatus{
			Plan: chaos.Plan{Share: 0.5}, Status: 503}}))
		c := freshClient(t)
		var got []bool
		for range 16 {
			status, _, _, err := get(c, p.URL())
			require.NoError(t, err)
			got = append(got, status == 503)
		}
		return got
	}
	a := outcomes(99)
	require.Equal(t, a, outcomes(99), "same seed, same faults")
	require.Contains(t, a, true)
	require.Contains(t, a, false)
	require.NotEqual(t, a, outcomes(100), "another seed, other draws")
}
