package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

func TestStuffingDrill(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, func(c *Config) {
			c.Dev = true // the drill reads its users' codes from the dev outbox
			c.TrustedProxies = "127.0.0.1/32"
		})
		// The drill runs on real time: the rate-limit windows must move with it.
		s.clock.mu.Lock()
		s.clock.now = time.Now()
		s.clock.mu.Unlock()
		go func() {
			for range time.Tick(50 * time.Millisecond) {
				s.clock.mu.Lock()
				s.clock.now = time.Now()
				s.clock.mu.Unlock()
			}
		}()
		rep, err := runDrill(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), drillPlan{
			base: s.base, key: s.ownerKey, users: 6, leaked: 300, validShare: 0.4,
			attackers: 4, legit: 1, duration: 4 * time.Second, ips: 500,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", *rep)
		if rep.TakeoversNoCode != 0 {
			t.Fatalf("%d account takeovers without a code", rep.TakeoversNoCode)
		}
		if rep.ValidPasswordHeld == 0 {
			t.Fatal("no valid leaked password reached Client Trust: the drill did not exercise it")
		}
		if rep.LegitAttempts == 0 {
			t.Fatal("no legitimate sign-ins ran")
		}
		// With a handful of users, attackers' wrong passwords can reach an
		// account's lockout threshold: a locked owner is refused too (rule 7).
		// Anything else failing a legitimate sign-in on its trusted device is a bug.
		for code, n := range rep.LegitErrors {
			if code != "user_locked" {
				t.Errorf("%d legitimate sign-ins failed with %s", n, code)
			}
		}
	})
}
