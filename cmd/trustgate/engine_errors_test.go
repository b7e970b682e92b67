package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// wantError checks a response's error code and paramName ("" for none expected).
func wantError(t *testing.T, r result, code, param string) {
	t.Helper()
	if got := r.code(t); got != code {
		t.Fatalf("got %s, want %s (%v)", got, code, r.Errors)
	}
	if param != "" && r.ext(t)["paramName"] != param {
		t.Errorf("got paramName %v, want %s", r.ext(t)["paramName"], param)
	}
}

func TestSignInErrors(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		s.newUser(t, vars{"emailAddress": "ada@example.com", "phoneNumber": "+15550600001"})
		d := s.browser()

		for _, c := range []struct {
			name        string
			in          vars
			code, param string
		}{
			{"a malformed email", vars{"identifier": "ada@", "password": testPassword}, "form_param_format_invalid", "identifier"},
			{"an email with two @", vars{"identifier": "ada@@example.com"}, "form_param_format_invalid", "identifier"},
			{"a phone number too short", vars{"identifier": "+12", "password": testPassword}, "form_param_format_invalid", "identifier"},
			{"a phone number with letters", vars{"identifier": "+1555abc0001"}, "form_param_format_invalid", "identifier"},
			{"a username while usernames are off", vars{"identifier": "ada", "password": testPassword}, "form_param_format_invalid", "identifier"},
			{"an unknown strategy", vars{"identifier": "ada@example.com", "strategy": "magic_link"}, "form_param_format_invalid", "strategy"},
			{"a password with the email_code strategy", vars{"identifier": "ada@example.com", "strategy": "email_code", "password": testPassword}, "form_param_format_invalid", "password"},
			{"the password strategy without a password", vars{"identifier": "ada@example.com", "strategy": "password"}, "form_param_missing", "password"},
			{"a password without an identifier", vars{"password": testPassword}, "form_param_missing", "identifier"},
		} {
			t.Run("signInCreate with "+c.name, func(t *testing.T) {
				wantError(t, d.create(c.in), c.code, c.param)
			})
		}

		t.Run("factor steps validate their input", func(t *testing.T) {
			si := signInObj(t, d.create(vars{"identifier": "ada@example.com"}), "signInCreate")
			id := si["id"].(string)
			wantError(t, d.attemptFirstWith(id, vars{"strategy": "password"}), "form_param_missing", "password")
			wantError(t, d.attemptFirstWith(id, vars{"strategy": "magic_link", "code": "123456"}), "form_param_format_invalid", "strategy")
			wantError(t, d.prepareFirstWith(id, vars{"strategy": "magic_link"}), "form_param_format_invalid", "strategy")
			wantError(t, d.attemptFirstWith(id, vars{"strategy": "email_code"}), "form_param_missing", "code")
			wantError(t, d.attemptFirstWith(id, vars{"strategy": "email_code", "code": "123456"}), "verification_missing", "")
		})

		t.Run("without enumeration protection the errors tell identifier and password apart", func(t *testing.T) {
			wantError(t, d.signIn("nobody@example.com", testPassword), "form_identifier_not_found", "identifier")
			wantError(t, d.create(vars{"identifier": "nobody@example.com"}), "form_identifier_not_found", "identifier")
			wantError(t, d.signIn("ada@example.com", "wrong password"), "form_password_incorrect", "password")
		})

		t.Run("with enumeration protection an unknown identifier and a wrong password answer alike", func(t *testing.T) {
			s.setSettings(t, vars{"enumerationProtection": true})
			defer s.setSettings(t, vars{"enumerationProtection": false})
			unknown := d.signIn("nobody@example.com", testPassword)
			wrong := d.signIn("ada@example.com", "wrong password")
			wantError(t, unknown, "form_password_or_identifier_incorrect", "")
			wantError(t, wrong, "form_password_or_identifier_incorrect", "")
			if unknown.Errors[0].Message != wrong.Errors[0].Message || unknown.ext(t)["paramName"] != wrong.ext(t)["paramName"] {
				t.Errorf("got %+v and %+v, want the same error", unknown.Errors[0], wrong.Errors[0])
			}
			si := signInObj(t, d.create(vars{"identifier": "nobody@example.com"}), "signInCreate")
			s.newUser(t, vars{"emailAddress": "solo@example.com"}) // an account with one address, like the identifier
			known := signInObj(t, d.create(vars{"identifier": "solo@example.com"}), "signInCreate")
			if got, want := strategies(si["supportedFirstFactors"]), strategies(known["supportedFirstFactors"]); si["status"] != "needs_first_factor" || !slices.Equal(got, want) {
				t.Errorf("an unknown identifier alone: got %v %v, want needs_first_factor with %v like the account's", si["status"], got, want)
			}
		})

		t.Run("without enumeration protection a password for an account without one is no factor of it", func(t *testing.T) {
			// Clerk answers strategy_for_user_invalid ("not valid for this
			// account"): supportedFirstFactors lists no password, so "the
			// password is incorrect" would send the user guessing, and each
			// guess counted toward the lockout of an account no password opens.
			id := s.newUser(t, vars{"emailAddress": "nopassword@example.com", "password": nil})
			dev := s.browser()
			wantError(t, dev.signIn("nopassword@example.com", testPassword), "strategy_for_user_invalid", "strategy")
			if cl := dev.do(`{ client { signIn { id } } }`, nil).data(t)["client"].(map[string]any); cl["signIn"] != nil {
				t.Errorf("a refused signInCreate left the sign-in %v behind", cl["signIn"])
			}
			si := signInObj(t, dev.create(vars{"identifier": "nopassword@example.com"}), "signInCreate")
			if got := strategies(si["supportedFirstFactors"]); slices.Contains(got, "password") {
				t.Fatalf("supportedFirstFactors %v list a password the account does not have", got)
			}
			wantError(t, dev.attemptFirstWith(si["id"].(string), vars{"strategy": "password", "password": testPassword}), "strategy_for_user_invalid", "strategy")
			if n := s.userRow(t, id).FailedAttempts; n != 0 {
				t.Errorf("got %d failed attempts counted toward the lockout, want 0", n)
			}
			// The sign-in is as it was: its code factor still signs in.
			r := dev.prepareFirstWith(si["id"].(string), factorInput(si["supportedFirstFactors"], "email_code"))
			signInObj(t, r, "signInPrepareFirstFactor")
			done := signInObj(t, dev.attemptFirstWith(si["id"].(string), vars{"strategy": "email_code", "code": s.mail.code(t, "nopassword@example.com")}), "signInAttemptFirstFactor")
			if done["status"] != "complete" {
				t.Fatalf("got status %v, want complete", done["status"])
			}
		})

		t.Run("a banned user gets user_banned, even with the right password", func(t *testing.T) {
			id := s.newUser(t, vars{"emailAddress": "banned@example.com"})
			s.admin(`mutation($id: ID!) { banUser(id: $id) { id } }`, vars{"id": id}).data(t)
			wantError(t, d.signIn("banned@example.com", testPassword), "user_banned", "")
			si := signInObj(t, d.create(vars{"identifier": "banned@example.com"}), "signInCreate")
			wantError(t, d.prepareFirstWith(si["id"].(string), factorInput(si["supportedFirstFactors"], "email_code")), "user_banned", "")
			if n := s.sessionCount(t, id); n != 0 {
				t.Errorf("got %d sessions, want 0", n)
			}
		})

		t.Run("an unfinished sign-in expires after signInLifetimeSeconds", func(t *testing.T) {
			s.setSettings(t, vars{"clientTrustEnabled": true, "signInLifetimeSeconds": 300})
			defer s.setSettings(t, vars{"clientTrustEnabled": false, "signInLifetimeSeconds": 7200})
			dev := s.browser()
			si := signInObj(t, dev.signIn("ada@example.com", testPassword), "signInCreate")
			id := si["id"].(string)
			signInObj(t, dev.prepareSecond(id, "email_code"), "signInPrepareSecondFactor")
			code := s.mail.code(t, "ada@example.com")
			s.clock.Advance(301 * time.Second)
			if cl := dev.do(`{ client { signIn { id status } } }`, nil).data(t)["client"].(map[string]any); cl["signIn"] != nil {
				t.Errorf("got the expired sign-in %v as the client's current one, want none", cl["signIn"])
			}
			wantError(t, dev.attemptSecond(id, "email_code", code), "sign_in_expired", "")
			wantError(t, dev.prepareSecond(id, "email_code"), "sign_in_expired", "")
			var abandoned int
			for _, e := range s.events(t, vars{"kind": "sign_in.abandoned"}) {
				if e.SignInID == id {
					abandoned++
					if want := s.userIDByEmail(t, "ada@example.com"); e.UserID != want {
						t.Errorf("sign_in.abandoned names user %q, want %q", e.UserID, want)
					}
				}
			}
			if abandoned != 1 {
				t.Errorf("got %d sign_in.abandoned events for the sign-in, want 1", abandoned)
			}
			if cl := dev.do(`{ client { signIn { id status } } }`, nil).data(t)["client"].(map[string]any); cl["signIn"] != nil {
				t.Errorf("got the abandoned sign-in %v as the client's current one, want none", cl["signIn"])
			}
		})

		t.Run("an imported bcrypt hash signs in and is upgraded to argon2id", func(t *testing.T) {
			h, err := bcrypt.GenerateFromPassword([]byte("imported secret 99"), 10)
			if err != nil {
				t.Fatal(err)
			}
			u := s.admin(`mutation($id: ID!, $in: CreateUserInput!) { createUser(applicationId: $id, input: $in) { id emailAddresses { emailAddress verified } } }`,
				vars{"id": s.appID, "in": vars{"emailAddress": "legacy@example.com", "passwordHash": string(h)}}).data(t)["createUser"].(map[string]any)
			id := u["id"].(string)
			if emails := u["emailAddresses"].([]any); len(emails) != 1 || emails[0].(map[string]any)["verified"] != true {
				t.Errorf("got emailAddresses %v, want one verified", emails)
			}
			if got := *s.userRow(t, id).PasswordHash; got != string(h) {
				t.Fatalf("stored hash %q, want the imported bcrypt hash", got)
			}
			wantError(t, d.signIn("legacy@example.com", "wrong password"), "form_password_incorrect", "password")
			if got := *s.userRow(t, id).PasswordHash; got != string(h) {
				t.Fatal("a wrong password rewrote the hash")
			}
			if got := d.signInStatus(t, "legacy@example.com", "imported secret 99"); got != "complete" {
				t.Fatalf("got %s, want complete", got)
			}
			if got := *s.userRow(t, id).PasswordHash; !strings.HasPrefix(got, "$argon2id$") {
				t.Fatalf("after the sign-in the hash is %.12s…, want $argon2id$", got)
			}
			if got := d.signInStatus(t, "legacy@example.com", "imported secret 99"); got != "complete" {
				t.Fatalf("with the upgraded hash: got %s, want complete", got)
			}
		})
	})
}
