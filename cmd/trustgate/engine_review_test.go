package main

import (
	"testing"
)

// A sign-in waiting at needs_second_factor whose user loses every second
// factor meanwhile (an admin's resetUserMfa, the user's totpDisable in
// another session) cannot go on: its next step abandons it and answers
// sign_in_expired, the client shows no sign-in in flight, and nothing
// completes without a second check: the device starts over and meets
// Client Trust.
func TestSecondFactorsRemovedDuringSignIn(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		id := s.newUser(t, vars{"emailAddress": "gone@example.com"})
		owner := s.browser()
		owner.passClientTrust(t, "gone@example.com", testPassword, "email_code", "gone@example.com")
		ownerSID := owner.mustSession(t, "gone@example.com")
		var backup []string

		steps := []struct {
			name string
			run  func(d *browser, sid string) result
		}{
			{"a backup code", func(d *browser, sid string) result { return d.attemptSecond(sid, "backup_code", backup[0]) }},
			{"a TOTP", func(d *browser, sid string) result { return d.attemptSecond(sid, "totp", "123456") }},
			{"an SMS prepare", func(d *browser, sid string) result { return d.prepareSecond(sid, "phone_code") }},
		}
		for _, step := range steps {
			t.Run(step.name, func(t *testing.T) {
				owner.token(t, ownerSID)
				if _, backup = owner.enrollTOTP(t); len(backup) == 0 {
					t.Fatal("totpVerify showed no backup codes")
				}
				d, sid := mfaSignIn(t, s, "gone@example.com")
				s.admin(`mutation($id: ID!) { resetUserMfa(id: $id) { id } }`, vars{"id": id}).data(t)

				cur := d.do(`{ client { signIn { id status } } }`, nil).data(t)["client"].(map[string]any)["signIn"]
				if cur != nil {
					t.Errorf("the client's sign-in after the reset: got %v, want none (it cannot go on)", cur)
				}
				if got := step.run(d, sid).code(t); got != "sign_in_expired" {
					t.Errorf("the step: got %s, want sign_in_expired", got)
				}
				if got := d.attemptSecond(sid, "totp", "123456").code(t); got != "sign_in_expired" {
					t.Errorf("a later step: got %s, want sign_in_expired", got)
				}
				if got := d.signInStatus(t, "gone@example.com", testPassword); got != "needs_client_trust" {
					t.Errorf("starting over on the device: got %s, want needs_client_trust", got)
				}
				if n := s.sessionCount(t, id); n == 0 {
					t.Fatal("the owner's session is gone")
				}
				var abandoned int
				for _, e := range s.events(t, vars{"kind": "sign_in.abandoned"}) {
					if e.SignInID == sid && e.Reason == "mfa_removed" {
						abandoned++
					}
				}
				if abandoned != 1 {
					t.Errorf("got %d sign_in.abandoned events with reason mfa_removed, want 1", abandoned)
				}
			})
		}
	})
}

// A Client Trust sign-in that completes has made its client trusted: its
// clientTrustState reads known, as a completed sign-in on a trusted client
// does, not pending (a code waiting to be entered).
func TestCompletedClientTrustSignInIsKnown(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.newUser(t, vars{"emailAddress": "known@example.com"})
		d := s.browser()
		done := d.passClientTrust(t, "known@example.com", testPassword, "email_code", "known@example.com")
		if done["clientTrustState"] != "known" {
			t.Errorf("the completed Client Trust sign-in: got clientTrustState %v, want known", done["clientTrustState"])
		}
		si := signInObj(t, d.signIn("known@example.com", testPassword), "signInCreate")
		if si["status"] != "complete" || si["clientTrustState"] != "known" {
			t.Errorf("the next sign-in on the device: got %v/%v, want complete/known", si["status"], si["clientTrustState"])
		}
	})
}

// A signInCreate that starts a password reset through a channel the account
// does not have (enumeration protection off) answers
// strategy_for_user_invalid as a password for an account without one does:
// no sign-in is created, and the one the client had in flight stays its
// current one.
func TestFailedResetCreateLeavesNoSignIn(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.newUser(t, vars{"emailAddress": "nophone@example.com"})
		d := s.browser()
		first := signInObj(t, d.create(vars{"identifier": "nophone@example.com"}), "signInCreate")
		created := func() int {
			n := 0
			for _, e := range s.events(t, vars{"kind": "sign_in.created", "clientId": d.clientID(t)}) {
				if e.SignInID != "" {
					n++
				}
			}
			return n
		}
		before := created()
		if got := d.create(vars{"identifier": "nophone@example.com", "strategy": "reset_password_phone_code"}).code(t); got != "strategy_for_user_invalid" {
			t.Fatalf("a reset by SMS for an account without a phone: got %s, want strategy_for_user_invalid", got)
		}
		cur := d.do(`{ client { signIn { id } } }`, nil).data(t)["client"].(map[string]any)["signIn"]
		if cur == nil || cur.(map[string]any)["id"] != first["id"] {
			t.Errorf("the client's sign-in after the failed create: got %v, want the one in flight (%v)", cur, first["id"])
		}
		if n := created(); n != before {
			t.Errorf("sign_in.created events of a sign-in: got %d, want %d (none for the failed create)", n, before)
		}
		if r := d.prepareFirstWith(first["id"].(string), vars{"strategy": "email_code"}); len(r.Errors) > 0 {
			t.Errorf("the sign-in in flight after the failed create: got %s, want it usable", r.code(t))
		}
	})
}
