package main

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestEnumerationProtection checks that, with enumeration protection on, an
// unknown identifier and a known one with a wrong password get the same error
// and take the same time: both pay for one argon2id hash. Requests alternate
// so machine noise hits both samples alike; the bound on the ratio of medians
// is wide, because the failure it guards against (skipping the hash for
// unknown users) makes them differ by an order of magnitude.
func TestEnumerationProtection(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	s.setSettings(t, vars{"enumerationProtection": true, "lockoutMaxAttempts": 1000})
	s.createUser(t, "known@example.com", "", "correct horse battery")

	const rounds = 15
	var known, unknown []time.Duration
	for i := 0; i < rounds; i++ {
		for _, id := range []string{"known@example.com", fmt.Sprintf("nobody%d@example.com", i)} {
			d := s.browser()
			start := time.Now()
			r := d.signIn(id, "wrong password!")
			elapsed := time.Since(start)
			if got := r.code(t); got != "form_password_or_identifier_incorrect" {
				t.Fatalf("%s: code = %s, want form_password_or_identifier_incorrect", id, got)
			}
			if r.ext(t)["longMessage"] == "" {
				t.Fatalf("%s: no long message", id)
			}
			if id == "known@example.com" {
				known = append(known, elapsed)
			} else {
				unknown = append(unknown, elapsed)
			}
		}
	}
	mk, mu := medianDuration(known), medianDuration(unknown)
	ratio := float64(mu) / float64(mk)
	t.Logf("median known %v, unknown %v, ratio %.2f", mk, mu, ratio)
	if ratio < 0.5 || ratio > 2 {
		t.Fatalf("unknown/known median latency ratio = %.2f (known %v, unknown %v); want within 0.5–2", ratio, mk, mu)
	}
}

func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
