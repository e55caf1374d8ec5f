package harness

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSummarize(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"testify with messages",
			"\n\tError Trace:\tx.go:18\n\tError:      \tNot equal: \n" +
				"\t            \texpected: 1\n\t            \tactual  : 2\n" +
				"\t            \t\n\t            \tDiff:\n\t            \t-1\n" +
				"\tMessages:   \tcounting things\n",
			"Not equal: expected: 1 actual : 2; counting things"},
		{"testify alone",
			"\n\tError Trace:\tx.go:19\n\tError:      \tReceived unexpected error:\n" +
				"\t            \tboom\n\tTest:       \tR-01a\n",
			"Received unexpected error: boom"},
		{"plain", "\n\n  stored 14 of 15  \nmore", "stored 14 of 15"},
		{"long", strings.Repeat("ab ", 200), strings.Repeat("ab ", 79) + "ab…"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := summarize(c.in)
			assert.Equal(t, c.want, got)
			assert.LessOrEqual(t, len([]rune(got)), maxMessage)
		})
	}
}

func TestCaseSeed(t *testing.T) {
	assert.Equal(t, caseSeed(7, "R-01a"), caseSeed(7, "R-01a"))
	assert.NotEqual(t, caseSeed(7, "R-01a"), caseSeed(7, "R-01b"))
	assert.NotEqual(t, caseSeed(7, "R-01a"), caseSeed(8, "R-01a"))
}

func TestTestSeed(t *testing.T) {
	seed, err := testSeed("1234")
	assert.NoError(t, err)
	assert.Equal(t, int64(1234), seed)
	seed, err = testSeed("")
	assert.NoError(t, err)
	assert.Positive(t, seed)
	_, err = testSeed("abc")
	assert.EqualError(t, err, `ISLAND_SEED="abc" is not a whole number: `+
		"set it to a seed printed by an earlier run, or unset it")
}
