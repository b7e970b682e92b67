package main

import (
	"strings"
	"testing"
	"time"
)

// TestReverification: the account mutations that change how an account signs
// in need a session whose first factor passed within the last 10 minutes
// (Clerk's reverification); after that they answer
// session_reverification_required (403) until the user signs in again, while
// the session itself and the other mutations keep working.
func TestReverification(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true, "firstFactors": []string{"password", "email_code"}})
		s.newUser(t, vars{"emailAddress": "sudo@example.com"})
		s.newUser(t, vars{"emailAddress": "nopassword@example.com", "password": nil})
		gated := map[string]string{
			"totpCreate":                        `mutation { totpCreate { id } }`,
			"totpDisable":                       `mutation { totpDisable }`,
			"backupCodesCreate":                 `mutation { backupCodesCreate { codes } }`,
			"phoneNumberCreate":                 `mutation { phoneNumberCreate(phoneNumber: "+15555550700") { id } }`,
			"phoneNumberReserveForSecondFactor": `mutation { phoneNumberReserveForSecondFactor(id: "idn_x", reserved: true) { id } }`,
		}

		d := s.browser()
		sid := d.mustSession(t, "sudo@example.com")
		s.clock.Advance(10*time.Minute + time.Second)
		d.token(t, sid) // the session lives on
		for name, q := range gated {
			r := d.do(q, nil)
			if got := r.code(t); got != "session_reverification_required" {
				t.Errorf("%s after 10 minutes: got %s, want session_reverification_required", name, got)
				continue
			}
			ext := r.ext(t)
			meta, _ := ext["meta"].(map[string]any)
			if ext["status"] != float64(403) || meta["reverifyWithinSeconds"] != float64(600) {
				t.Errorf("%s: extensions %v, want status 403 and meta.reverifyWithinSeconds 600", name, ext)
			}
		}
		// The current password is a reverification of its own.
		if r := d.do(`mutation { passwordUpdate(current: "correct horse battery", new: "another good passphrase") }`, nil); len(r.Errors) > 0 {
			t.Fatalf("passwordUpdate with the current password after 10 minutes: %v", r.Errors)
		}
		if r := d.do(`query { me { id } }`, nil); r.data(t)["me"] == nil {
			t.Fatal("the session stopped working")
		}

		t.Run("a first password needs a recent sign-in", func(t *testing.T) {
			signIn := func() *browser {
				n := s.browser()
				si := signInObj(t, n.codeSignIn(t, "nopassword@example.com", "email_code", "nopassword@example.com"), "signInAttemptFirstFactor")
				n.token(t, si["createdSessionId"].(string))
				return n
			}
			const setQ = `mutation { passwordUpdate(current: "", new: "a first good passphrase") }`
			n := signIn()
			sid := n.do(`query { client { lastActiveSessionId } }`, nil).data(t)["client"].(map[string]any)["lastActiveSessionId"].(string)
			s.clock.Advance(10*time.Minute + time.Second)
			n.token(t, sid)
			if got := n.do(setQ, nil).code(t); got != "session_reverification_required" {
				t.Fatalf("a first password after 10 minutes: got %s, want session_reverification_required", got)
			}
			if r := signIn().do(setQ, nil); len(r.Errors) > 0 {
				t.Fatalf("a first password on a fresh session: %v", r.Errors)
			}
		})

		t.Run("signing in again allows the change", func(t *testing.T) {
			again := s.browser()
			again.mustSessionWith(t, "sudo@example.com", "another good passphrase")
			if r := again.do(gated["totpCreate"], nil); len(r.Errors) > 0 {
				t.Fatalf("totpCreate on a fresh session: %v", r.Errors)
			}
		})
	})
}

// TestLockedUserAttempts: a locked user's session still works, but the
// account mutations that check a code answer user_locked before checking
// it, so the lock bounds those guesses as it does a sign-in's, and they add
// nothing to the failure count.
func TestLockedUserAttempts(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true})
		id := s.newUser(t, vars{"emailAddress": "locked@example.com"})
		d := s.browser()
		d.mustSession(t, "locked@example.com")
		d.do(`mutation { totpCreate { id } }`, nil).data(t)
		p := d.do(`mutation { phoneNumberCreate(phoneNumber: "+15555550800") { id } }`, nil).data(t)["phoneNumberCreate"].(map[string]any)
		d.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`, vars{"id": p["id"]}).data(t)
		s.admin(`mutation($id: ID!) { lockUser(id: $id) { id } }`, vars{"id": id}).data(t)
		before := s.userRow(t, id).FailedAttempts
		for name, q := range map[string]string{
			"totpVerify":                     `mutation { totpVerify(code: "000000") { id } }`,
			"phoneNumberAttemptVerification": `mutation($id: ID!) { phoneNumberAttemptVerification(id: $id, code: "000000") { id } }`,
			"passwordUpdate":                 `mutation { passwordUpdate(current: "wrong", new: "another good passphrase") }`,
		} {
			if got := d.do(q, vars{"id": p["id"]}).code(t); got != "user_locked" {
				t.Errorf("%s while locked: got %s, want user_locked", name, got)
			}
		}
		if after := s.userRow(t, id).FailedAttempts; after != before {
			t.Errorf("failed attempts went from %d to %d while locked", before, after)
		}
		if r := d.do(`query { me { id } }`, nil); r.data(t)["me"] == nil {
			t.Fatal("the locked user's session stopped working")
		}
	})
}

// TestAccountFailuresAreInTheHistory: wrong passwords and codes given to the
// account mutations count toward lockout and appear in the sign-in history,
// with the session's client and the lock they cause.
func TestAccountFailuresAreInTheHistory(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "lockoutMaxAttempts": 5})
		id := s.newUser(t, vars{"emailAddress": "history@example.com"})
		d := s.browser()
		d.mustSession(t, "history@example.com")
		d.do(`mutation { totpCreate { id } }`, nil).data(t)
		if got := d.do(`mutation { totpVerify(code: "000000") { id } }`, nil).code(t); got != "form_code_incorrect" {
			t.Fatalf("a wrong TOTP code: got %s", got)
		}
		for i, want := range []string{"form_password_incorrect", "form_password_incorrect", "form_password_incorrect", "user_locked"} {
			if got := d.do(`mutation { passwordUpdate(current: "wrong", new: "another good passphrase") }`, nil).code(t); got != want {
				t.Fatalf("wrong current password %d: got %s, want %s", i+1, got, want)
			}
		}
		client := d.clientID(t)
		var got []string
		for _, e := range s.events(t, vars{"userId": id}) {
			if e.Kind == "sign_in.created" || e.Kind == "password.passed" || e.Kind == "sign_in.completed" {
				continue
			}
			if e.ClientID != client || e.Outcome != "failure" {
				t.Errorf("event %+v: want a failure on the session's client %s", e, client)
			}
			got = append(got, e.Kind+"/"+e.Strategy)
		}
		want := []string{"totp.failed/totp", "password.failed/password", "password.failed/password", "password.failed/password",
			"password.failed/password", "user.locked/password"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("history %v, want %v", got, want)
		}
	})
}
