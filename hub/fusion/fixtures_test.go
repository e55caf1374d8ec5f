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

func TestFuseFixtures(t *testing.T) {
	res := Fuse(fixtureObservations(t), island.DefaultLens())
	require.Len(t, res.Tracks, 5)
	require.Equal(t, 15, res.Matches)
	require.Empty(t, res.Unmatched)
	for i, tr := range res.Tracks {
		require.Len(t, tr.Members, 3, "track %d", i)
	}
}
