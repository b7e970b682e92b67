package main

import "testing"

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
