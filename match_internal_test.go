package island

import (
	"math/rand/v2"
	"testing"
)

// TestMatchersAgreeWithPatterns checks the hand-written matchers of ids and
// classes against the regexps they stand for, on random short strings.
func TestMatchersAgreeWithPatterns(t *testing.T) {
	const alphabet = "azAZ09._:-/ é\x00"
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, rng.IntN(5))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(b)
		if got, want := isID(s), idPattern.MatchString(s); got != want {
			t.Errorf("isID(%q) = %v, the pattern says %v", s, got, want)
		}
		if got, want := isClass(s), classPattern.MatchString(s); got != want {
			t.Errorf("isClass(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}
