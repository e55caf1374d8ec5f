package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/hub/store"
)

func TestFootprintCountsEntriesAndClearGivesThemBack(t *testing.T) {
	ctx := context.Background()
	s := store.New()
	assert.Equal(t, store.Footprint{}, s.Footprint())

	_, err := s.Add(ctx, batch("alpha", "a", 4))
	require.NoError(t, err)
	_, err = s.Add(ctx, batch("bravo", "b", 3))
	require.NoError(t, err)
	_, err = s.Add(ctx, batch("alpha", "a", 4)) // all duplicates: nothing new is kept
	require.NoError(t, err)

	f := s.Footprint()
	assert.Equal(t, 7, f.Observations)
	assert.Equal(t, 2, f.Chunks)
	assert.Equal(t, 2, f.Nodes)
	assert.Equal(t, 7, f.IDs)
	assert.GreaterOrEqual(t, f.Slots, 7)

	n, err := s.Clear(ctx)
	require.NoError(t, err)
	assert.Equal(t, 7, n)
	assert.Equal(t, store.Footprint{}, s.Footprint(), "Clear keeps nothing")
}
