package main

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/trustgate/trustgate/ent"
	entsession "github.com/trustgate/trustgate/ent/session"
)

// TestSingleSessionModeHoldsAtCompletion: single-session mode allows one
// signed-in session per client. A sign-in started while the client held
// none must not complete once a sign-up on the same client has signed in
// meanwhile: the check at signInCreate alone lets the client end with two.
func TestSingleSessionModeHoldsAtCompletion(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "singleSessionMode": true})
		uid := s.createUser(t, "ada@example.com", "", testPassword)
		d := s.browser()
		si := signInObj(t, d.create(vars{"identifier": "ada@example.com"}), "signInCreate")
		if si["status"] != "needs_first_factor" {
			t.Fatalf("signInCreate: status %v", si["status"])
		}
		su := d.do(`mutation { signUpCreate(input: {emailAddress: "new@example.com", password: "`+testPassword+`"}) { id } }`, nil).
			data(t)["signUpCreate"].(map[string]any)
		d.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { id } }`, vars{"id": su["id"]}).data(t)
		done := d.do(`mutation($id: ID!, $c: String!) { signUpAttemptVerification(id: $id, strategy: "email_code", code: $c) { status } }`,
			vars{"id": su["id"], "c": s.mail.code(t, "new@example.com")}).data(t)["signUpAttemptVerification"].(map[string]any)
		if done["status"] != "complete" {
			t.Fatalf("sign-up: %v", done)
		}
		r := d.attemptFirstWith(si["id"].(string), vars{"strategy": "password", "password": testPassword})
		if len(r.Errors) == 0 {
			t.Fatalf("sign-in completed on a client already signed in (status %v), want session_exists",
				signInObj(t, r, "signInAttemptFirstFactor")["status"])
		}
		if got := r.code(t); got != "session_exists" {
			t.Fatalf("sign-in on a client signed in meanwhile: %s, want session_exists", got)
		}
		if n := s.sessionCount(t, uid); n != 0 {
			t.Fatalf("%d sessions of ada, want 0", n)
		}

		// The other order: a sign-up begun first, a sign-in completed meanwhile.
		e := s.browser()
		su = e.do(`mutation { signUpCreate(input: {emailAddress: "later@example.com", password: "`+testPassword+`"}) { id } }`, nil).
			data(t)["signUpCreate"].(map[string]any)
		e.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { id } }`, vars{"id": su["id"]}).data(t)
		e.mustSession(t, "ada@example.com")
		r = e.do(`mutation($id: ID!, $c: String!) { signUpAttemptVerification(id: $id, strategy: "email_code", code: $c) { status } }`,
			vars{"id": su["id"], "c": s.mail.code(t, "later@example.com")})
		if got := r.code(t); got != "session_exists" {
			t.Fatalf("sign-up on a client signed in meanwhile: %s, want session_exists", got)
		}
	})
}

// TestPasswordUpdateFromASessionRevokedMeanwhile: a passwordUpdate whose
// session is revoked while its current password is hashed (the owner
// changing the password on another device, which ends this session, or an
// admin's or the user's revocation) must not go on to set the password and
// end the other sessions: a session taken over would otherwise win the race
// against the owner's own password change and keep the account.
func TestPasswordUpdateFromASessionRevokedMeanwhile(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		id := s.newUser(t, vars{"emailAddress": "pwrevoked@example.com"})
		attacker := s.browser()
		sid := attacker.mustSession(t, "pwrevoked@example.com")
		owner := s.browser()
		ownerSID := owner.mustSession(t, "pwrevoked@example.com")
		before := s.userRow(t, id).PasswordHash

		armed := s.beforePasswordWrite(func(ctx context.Context, c *ent.Client) error {
			return c.Session.UpdateOneID(sid).SetStatus(entsession.StatusRevoked).SetEndedAt(s.clock.Now()).Exec(ctx)
		})
		r := attacker.do(`mutation($c: String!, $n: String!) { passwordUpdate(current: $c, new: $n) }`,
			vars{"c": testPassword, "n": "an entirely new passphrase"})
		if armed.Load() {
			t.Fatal("passwordUpdate never reached its password write")
		}
		after := s.userRow(t, id)
		if len(r.Errors) == 0 || r.code(t) != "authentication_invalid" || *after.PasswordHash != *before {
			t.Fatalf("passwordUpdate from a session revoked meanwhile: got errors %v, password changed %v; want authentication_invalid and the password unchanged",
				r.Errors, *after.PasswordHash != *before)
		}
		// The owner's session was not ended by the refused change.
		got, err := s.m.DB.Ent.Session.Get(context.Background(), ownerSID)
		if err != nil || got.Status != entsession.StatusActive {
			t.Fatalf("the owner's session: %v %v, want active", got, err)
		}
	})
}

// TestConcurrentPasswordUpdatesOnTwoSessions: two sessions of one user
// change the password at once. Each change ends the other's session, so
// exactly one may go through; the other answers authentication_invalid, or
// form_password_incorrect when it read the password already changed (no
// deadlock, no internal error).
func TestConcurrentPasswordUpdatesOnTwoSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		s.newUser(t, vars{"emailAddress": "pwtwo@example.com"})
		password := testPassword
		for round := range 5 {
			a, b := s.browser(), s.browser()
			a.mustSessionWith(t, "pwtwo@example.com", password)
			b.mustSessionWith(t, "pwtwo@example.com", password)
			news := [2]string{fmt.Sprintf("a new passphrase %d for a", round), fmt.Sprintf("a new passphrase %d for b", round)}
			var results [2]result
			var wg sync.WaitGroup
			for i, d := range []*browser{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = d.do(`mutation($c: String!, $n: String!) { passwordUpdate(current: $c, new: $n) }`,
						vars{"c": password, "n": news[i]})
				}()
			}
			wg.Wait()
			won := -1
			for i, r := range results {
				if len(r.Errors) == 0 {
					if won >= 0 {
						t.Fatalf("round %d: both password changes went through", round)
					}
					won = i
				} else if got := r.code(t); got != "authentication_invalid" && got != "form_password_incorrect" {
					// form_password_incorrect: it read the user after the other committed.
					t.Fatalf("round %d: the losing change answered %s, want authentication_invalid", round, got)
				}
			}
			if won < 0 {
				t.Fatalf("round %d: neither change went through", round)
			}
			password = news[won]
		}
	})
}
