package chaos_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/chaos"
)

// TestShippedScenarios loads every scenario in testdata/scenarios and
// applies it, on free ports, to a server in front of a real upstream: a
// scenario that the README offers must work as it stands.
func TestShippedScenarios(t *testing.T) {
	leakCheck(t)
	files, err := filepath.Glob("../testdata/scenarios/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no scenarios are shipped")
	up := newUpstream(t)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			sc, err := chaos.LoadScenario(file)
			require.NoError(t, err)
			for i := range sc.Proxies {
				sc.Proxies[i].Listen = "127.0.0.1:0"
				sc.Proxies[i].Upstream = up.hostPort()
			}
			s := newServer(t, 1)
			require.NoError(t, s.Apply(sc))
			for _, ps := range sc.Proxies {
				p, err := s.Proxy(ps.Name)
				require.NoError(t, err)
				cs, err := p.Counters()
				require.NoError(t, err)
				assert.Len(t, cs, len(ps.Faults), "%s: a counter per fault", ps.Name)
			}
		})
	}
}
