package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSignInEvents(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"lockoutMaxAttempts": 5})
		id := s.newUser(t, vars{"emailAddress": "ev@example.com"})
		ua := map[string]string{"User-Agent": "EngineTest/1.0 (events)"}
		d := s.browser()
		d.header = ua
		// next returns the user's events recorded since its last call.
		seen := 0
		next := func() []signInEvent {
			all := s.events(t, vars{"userId": id})
			out := all[seen:]
			seen = len(all)
			return out
		}
		wantKinds := func(t *testing.T, got []signInEvent, want ...string) {
			t.Helper()
			if k := kindsOf(got); !slices.Equal(k, want) {
				t.Fatalf("got kinds %v, want %v", k, want)
			}
		}

		t.Run("a Client Trust sign-in, step by step", func(t *testing.T) {
			d.signIn("ev@example.com", "wrong password")
			wantKinds(t, next(), "sign_in.created", "password.failed")
			si := signInObj(t, d.signIn("ev@example.com", testPassword), "signInCreate")
			sid := si["id"].(string)
			wantKinds(t, next(), "sign_in.created", "password.passed", "client_trust.required")
			signInObj(t, d.prepareSecond(sid, "email_code"), "signInPrepareSecondFactor")
			code := s.mail.code(t, "ev@example.com")
			d.attemptSecond(sid, "email_code", wrongCode(code))
			signInObj(t, d.attemptSecond(sid, "email_code", code), "signInAttemptSecondFactor")
			evs := next()
			wantKinds(t, evs, "code.sent", "code.failed", "code.passed", "sign_in.completed")
			clientID := d.clientID(t)
			for _, e := range s.events(t, vars{"userId": id}) {
				if e.Identifier == "ev@example.com" || !strings.Contains(e.Identifier, "*") || !strings.HasSuffix(e.Identifier, "@example.com") {
					t.Errorf("%s: got identifier %q, want the email masked", e.Kind, e.Identifier)
				}
				if e.ClientID != clientID || e.IP != "127.0.0.1" || e.UserAgent != ua["User-Agent"] || e.SignInID == "" {
					t.Errorf("%s: got client %q ip %q ua %q sign-in %q, want %s, 127.0.0.1, %q and the sign-in", e.Kind, e.ClientID, e.IP, e.UserAgent, e.SignInID, clientID, ua["User-Agent"])
				}
			}
			for _, e := range evs {
				if e.SignInID != sid || e.Strategy != "email_code" {
					t.Errorf("%s: got sign-in %s strategy %q, want %s email_code", e.Kind, e.SignInID, e.Strategy, sid)
				}
			}
			if evs[1].Outcome != "failure" || evs[2].Outcome != "success" || evs[3].Outcome != "success" {
				t.Errorf("got outcomes %v, want failure for code.failed and success after", evs)
			}
		})

		t.Run("an MFA sign-in", func(t *testing.T) {
			d.mustSession(t, "ev@example.com")
			secret, backup := d.enrollTOTP(t)
			next()
			s.clock.Advance(30 * time.Second)
			m := s.browser()
			m.header = ua
			si := signInObj(t, m.signIn("ev@example.com", testPassword), "signInCreate")
			sid := si["id"].(string)
			m.attemptSecond(sid, "totp", wrongCode(totpNow(s, secret, 0)))
			signInObj(t, m.attemptSecond(sid, "backup_code", backup[0]), "signInAttemptSecondFactor")
			wantKinds(t, next(), "sign_in.created", "password.passed", "second_factor.required", "totp.failed", "backup_code.used", "sign_in.completed")
		})

		t.Run("a lockout", func(t *testing.T) {
			for range 5 {
				d.signIn("ev@example.com", "wrong password")
			}
			got := next()
			wantKinds(t, got, "sign_in.created", "password.failed", "sign_in.created", "password.failed", "sign_in.created", "password.failed",
				"sign_in.created", "password.failed", "sign_in.created", "password.failed", "user.locked")
		})

		t.Run("filters by user, kind and identifier", func(t *testing.T) {
			all := s.events(t, vars{"userId": id})
			if got := s.events(t, vars{"userId": id, "kind": "password.failed"}); len(got) != 6 {
				t.Errorf("kind password.failed: got %d events, want 6", len(got))
			}
			if got := s.events(t, vars{"kind": "user.locked"}); len(got) != 1 || got[0].UserID != id {
				t.Errorf("kind user.locked: got %v, want the one lock", got)
			}
			if got := s.events(t, vars{"identifier": "EV@Example.com"}); len(got) != len(all) {
				t.Errorf("identifier EV@Example.com: got %d events, want the user's %d", len(got), len(all))
			}
			s.browser().signIn("other@example.com", testPassword)
			other := s.events(t, vars{"identifier": "other@example.com"})
			if k := kindsOf(other); len(k) == 0 || other[0].UserID != "" {
				t.Errorf("an unknown identifier: got %v, want its events without a user", other)
			}
			if got := s.events(t, vars{"userId": id}); len(got) != len(all) {
				t.Errorf("another identifier's events leaked into the user's: %d, want %d", len(got), len(all))
			}
		})
	})
}
