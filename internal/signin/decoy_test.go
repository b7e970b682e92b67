package signin

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/settings"
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

// TestDecoyFactorStaysForTheSignIn: the id a sign-in lists for an address
// is taken as of the sign-in's start, so a later step finds the same id even
// when the application's age doubled meanwhile (an account's factor is then
// picked by that id; a moved id would answer as a decoy and send nothing).
func TestDecoyFactorStaysForTheSignIn(t *testing.T) {
	keys, err := keyring.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	appCreated := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	started := appCreated.Add(100 * 24 * time.Hour)
	now := started
	s := &Service{Keys: keys, Now: func() time.Time { return now }}
	set := &settings.Settings{EmailEnabled: true, FirstFactors: []string{settings.StrategyEmailCode}}
	var st *state
	// Twenty addresses: a time part taken from the clock would move for
	// about half of them.
	for i := range 20 {
		ident := fmt.Sprintf("someone%d@example.com", i)
		st = &state{
			app:      &ent.Application{ID: "app_1", CreatedAt: appCreated},
			settings: set,
			si:       &ent.SignIn{ID: "sia_1", CreatedAt: started, Identifier: &ident},
		}
		now = started
		first := s.decoyFactor(st)
		if first == nil || first.EmailAddressID == nil {
			t.Fatalf("no email factor: %+v", first)
		}
		now = started.Add(150 * 24 * time.Hour) // the age went from 100 days past 2^34 ms (199 days)
		if again := s.decoyFactor(st); *again.EmailAddressID != *first.EmailAddressID {
			t.Fatalf("%s: the listed id moved from %s to %s within one sign-in", ident, *first.EmailAddressID, *again.EmailAddressID)
		}
	}
	// A sign-in begun after the doubling may list another id (the
	// documented change); this one is taken anew.
	st.si.CreatedAt = appCreated.Add(300 * 24 * time.Hour)
	if later := s.decoyFactor(st); later == nil {
		t.Fatal("no factor for a later sign-in")
	}
}
