package island_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island"
)

func TestFixtures(t *testing.T) {
	for _, node := range island.FixtureNodes {
		b, err := island.Fixture(node)
		require.NoError(t, err)
		b.Normalize()
		require.NoError(t, b.Validate(), node)
		assert.Len(t, b.Observations, 5, node)
	}
	_, err := island.Fixture("delta")
	assert.ErrorContains(t, err, `"delta"`)
	assert.Equal(t, "default", island.DefaultLens().Name)
}

func TestObservationConfidenceDefault(t *testing.T) {
	var o island.Observation
	require.NoError(t, json.Unmarshal([]byte(`{"id":"a"}`), &o))
	assert.Equal(t, 1.0, o.Confidence)
	require.NoError(t, json.Unmarshal([]byte(`{"id":"a","confidence":0}`), &o))
	assert.Equal(t, 0.0, o.Confidence)
}

func validBatch(t *testing.T) island.Batch {
	t.Helper()
	b, err := island.Fixture("alpha")
	require.NoError(t, err)
	return b
}

func TestBatchValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*island.Batch)
		code   string
		detail string
	}{
		{"OK", func(*island.Batch) {}, "", ""},
		{"NodeFilledIn", func(b *island.Batch) { b.Observations[0].NodeID = "" }, "", ""},
		{"ErrLat", func(b *island.Batch) { b.Observations[3].Lat = 95.2 },
			island.EValidation, "observations[3].lat: 95.2 is outside [-90, 90]"},
		{"ErrLon", func(b *island.Batch) { b.Observations[1].Lon = -181 },
			island.EValidation, "observations[1].lon: -181 is outside [-180, 180]"},
		{"ErrConfidence", func(b *island.Batch) { b.Observations[0].Confidence = 1.5 },
			island.EValidation, "observations[0].confidence: 1.5 is outside [0, 1]"},
		{"ErrMissingID", func(b *island.Batch) { b.Observations[2].ID = "" },
			island.EValidation, "observations[2].id: is required"},
		{"ErrLongID", func(b *island.Batch) { b.Observations[2].ID = strings.Repeat("x", 200) },
			island.EValidation, "observations[2].id: is 200 bytes long"},
		{"ErrMissingTimestamp", func(b *island.Batch) { b.Observations[4].Timestamp = time.Time{} },
			island.EValidation, "observations[4].timestamp: is required"},
		{"ErrClass", func(b *island.Batch) { b.Observations[0].Class = "Big Truck" },
			island.EValidation, `observations[0].class: "Big Truck" is not a short lower-case word`},
		{"ErrDuplicateID", func(b *island.Batch) { b.Observations[4].ID = b.Observations[0].ID },
			island.EValidation, `observations[4].id: "alpha-0001" repeats observations[0]`},
		{"ErrNodeMismatch", func(b *island.Batch) { b.Observations[1].NodeID = "bravo" },
			island.ENodeMismatch,
			`observations[1].node_id: "bravo" does not match the batch's node_id "alpha"`},
		{"ErrNoNode", func(b *island.Batch) { b.NodeID = "" }, island.EValidation,
			"node_id: is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := validBatch(t)
			tt.mutate(&b)
			b.Normalize()
			err := b.Validate()
			if tt.code == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.code, island.ErrorCode(err))
			var e *island.Error
			require.ErrorAs(t, err, &e)
			assert.Contains(t, strings.Join(e.Details, "\n"), tt.detail)
		})
	}
}

func TestValidateCapsDetails(t *testing.T) {
	b := validBatch(t)
	for i := 0; i < 50; i++ {
		o := b.Observations[0]
		o.ID = strings.Repeat("y", i+1)
		o.Lat = 100
		b.Observations = append(b.Observations, o)
	}
	var e *island.Error
	require.ErrorAs(t, b.Validate(), &e)
	assert.Len(t, e.Details, island.MaxDetails+1)
	assert.Equal(t, "and 30 more", e.Details[island.MaxDetails])
}

func TestParseLens(t *testing.T) {
	tests := []struct {
		name, body, detail string
	}{
		{"OK", `{"name":"x","gates":{"distance_m":10,"time_s":2}}`, ""},
		{"ErrJSON", `{"name":`, "not valid JSON"},
		{"ErrUnknownField", `{"name":"x","gate":{}}`, `unknown field "gate"`},
		{"ErrGates", `{"name":"x","gates":{"distance_m":-1,"time_s":2}}`,
			"gates.distance_m: -1 must be a positive"},
		{"ErrNoName", `{"gates":{"distance_m":1,"time_s":2}}`, "name: is required"},
		{"ErrMinNodes", `{"name":"x","gates":{"distance_m":1,"time_s":2},"min_nodes":-2}`,
			"min_nodes: -2"},
		{"ErrClass", `{"name":"x","gates":{"distance_m":1,"time_s":2},` +
			`"compatible":{"Car":["x"]}}`, `"Car"`},
		{"ErrOtherClass", `{"name":"x","gates":{"distance_m":1,"time_s":2},` +
			`"compatible":{"car":["x","Y"]}}`, `compatible.car[1]: "Y" is not`},
		{"ErrTrailing", `{"name":"x","gates":{"distance_m":1,"time_s":2}} {}`,
			"after its closing brace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := island.ParseLens([]byte(tt.body))
			if tt.detail == "" {
				require.NoError(t, err)
				assert.Equal(t, island.DefaultMinNodes, l.MinNodes)
				return
			}
			require.Error(t, err)
			assert.Equal(t, island.EInvalidLens, island.ErrorCode(err))
			assert.Contains(t, err.Error()+strings.Join(err.(*island.Error).Details, "\n"), tt.detail)
		})
	}
}

// TestLensErrorsAreShort: a lens with a huge bad class name is refused
// with details of a few dozen bytes each, not with the name echoed whole.
func TestLensErrorsAreShort(t *testing.T) {
	huge := strings.Repeat("X", 1<<20)
	l := island.Lens{Name: "x", Gates: island.Gates{DistanceM: 1, TimeS: 1}, MinNodes: 2,
		Compatible: map[string][]string{huge: {huge}}}
	var e *island.Error
	require.ErrorAs(t, l.Validate(), &e)
	require.Len(t, e.Details, 2)
	for _, d := range e.Details {
		assert.Less(t, len(d), 200, "%.100s...", d)
	}
}

func TestCanFuse(t *testing.T) {
	l := island.DefaultLens()
	assert.True(t, l.CanFuse("vehicle", "vehicle"))
	assert.True(t, l.CanFuse("vehicle", "truck"))
	assert.True(t, l.CanFuse("truck", "vehicle"))
	assert.False(t, l.CanFuse("vehicle", "person"))
}
