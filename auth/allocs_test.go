//go:build !race

package auth

import (
	"testing"
	"time"
)

// Allocation budgets (the race detector adds allocations, hence the tag).
func TestVerifyAllocs(t *testing.T) {
	m := newTestManager(t, nil)
	good := craft(t, header("HS256"), with(claimsAt("user123", time.Hour), "did", "web001"), hs256)
	forged := craft(t, header("HS256"), claimsAt("user123", time.Hour), flipped(hs256))
	for _, tc := range []struct {
		name  string
		token string
		max   float64
	}{
		// A forged token is refused before jwt runs: nothing allocated.
		{name: "forged", token: forged, max: 0},
		{name: "garbage", token: "x.y.z", max: 0},
		{name: "too long", token: string(make([]byte, MaxTokenLen+1)), max: 0},
		// A good one takes the fast path (fastverify.go): the copies of
		// sub, did and jti the caller keeps, and the error slice jwt's
		// Validator makes on every call. golang-jwt's own parse made 37.
		// Raise with care: each allocation is garbage on every connect.
		{name: "valid", token: good, max: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(100, func() { _, _ = m.Verify(tc.token) }); got > tc.max {
				t.Fatalf("%v allocations per Verify, budget %v", got, tc.max)
			}
		})
	}
}
