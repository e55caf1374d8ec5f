package fusion

import (
	"testing"

	"github.com/island-sensors/island"
	"github.com/stretchr/testify/require"
)

func fixtureObservations(t testing.TB) []island.Observation {
	t.Helper()
	var obs []island.Observation
	for _, node := range island.FixtureNodes {
		b, err := island.Fixture(node)
		require.NoError(t, err)
		b.Normalize()
		require.NoError(t, b.Validate())
		obs = append(obs, b.Observations...)
	}
	return obs
}
