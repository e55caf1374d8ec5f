package edge_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
)

func TestGenerate(t *testing.T) {
	obs := edge.Generate("bravo", 1000, 42)
	require.Len(t, obs, 1000)
	b := island.Batch{NodeID: "bravo", Observations: obs}
	require.NoError(t, b.Validate(), "a generated batch is valid")

	fix, err := island.Fixture("bravo")
	require.NoError(t, err)
	for i, o := range obs {
		target := fix.Observations[i%len(fix.Observations)]
		assert.Equal(t, target.Class, o.Class)
		assert.InDelta(t, target.Lat, o.Lat, 0.001)
		assert.InDelta(t, target.Lon, o.Lon, 0.001)
		assert.False(t, o.Timestamp.Before(target.Timestamp))
		assert.GreaterOrEqual(t, o.Confidence, 0.5)
	}
	assert.Equal(t, "bravo-s42-000001", obs[0].ID)
	assert.Equal(t, obs, edge.Generate("bravo", 1000, 42), "one seed, one batch")

	other := edge.Generate("bravo", 10, 43)
	assert.NotEqual(t, obs[0].ID, other[0].ID)
	assert.NotEqual(t, obs[0].Timestamp, other[0].Timestamp)
}

func TestGenerateOtherNodesAndSizes(t *testing.T) {
	obs := edge.Generate("delta", 7, 1)
	require.Len(t, obs, 7)
	b := island.Batch{NodeID: "delta", Observations: obs}
	require.NoError(t, b.Validate())
	assert.Empty(t, edge.Generate("alpha", 0, 1))
	assert.Empty(t, edge.Generate("alpha", -3, 1))
}

func TestGenerateDrawsApartForEachNode(t *testing.T) {
	// alpha and bravo have names of one length; their draws must still differ.
	a, b := edge.Generate("alpha", 5, 7), edge.Generate("bravo", 5, 7)
	fa, err := island.Fixture("alpha")
	require.NoError(t, err)
	fb, err := island.Fixture("bravo")
	require.NoError(t, err)
	same := 0
	for i := range a {
		da := a[i].Timestamp.Sub(fa.Observations[i].Timestamp)
		db := b[i].Timestamp.Sub(fb.Observations[i].Timestamp)
		if da == db && a[i].Confidence == b[i].Confidence {
			same++
		}
	}
	assert.Zero(t, same, "alpha's and bravo's sightings are drawn apart, not in step")
}
