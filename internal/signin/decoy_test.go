package signin

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestDecoyMillis: a decoy address's time is never before the application
// or after now, is the same for one identifier until the application's age
// doubles, and spreads over the application's life rather than its first
// hour.
func TestDecoyMillis(t *testing.T) {
	created := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, age := range []time.Duration{0, time.Millisecond, time.Minute, 3 * time.Hour, 40 * 24 * time.Hour, 400 * 24 * time.Hour} {
		now := created.Add(age)
		var latest uint64
		for range 2000 {
			h := rng.Uint64()
			ms := decoyMillis(created, now, h)
			if ms < uint64(created.UnixMilli()) || ms > uint64(now.UnixMilli()) {
				t.Fatalf("age %v: %d lies outside [%d, %d]", age, ms, created.UnixMilli(), now.UnixMilli())
			}
			// An hour later (far from a doubling of these ages) it is the same.
			if age >= 40*24*time.Hour {
				if again := decoyMillis(created, now.Add(time.Hour), h); again != ms {
					t.Fatalf("age %v: the time moved from %d to %d within an hour", age, ms, again)
				}
			}
			latest = max(latest, ms)
		}
		// Half the age or more is covered: for the ages tested, more than
		// a sixth of the span lies beyond half the age, and 2000 uniform
		// draws all miss it with probability below (5/6)^2000.
		if age >= 3*time.Hour && time.Duration(latest-uint64(created.UnixMilli()))*time.Millisecond < age/2 {
			t.Errorf("age %v: the latest of 2000 decoy times is %v after creation, want at least half the age",
				age, time.Duration(latest-uint64(created.UnixMilli()))*time.Millisecond)
		}
	}
}
