package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
)

// TestSignUpAnswersEveryFieldAtFault: signUpCreate answers every field at
// fault in one response, one entry of `errors` each with its code and
// paramName, as Clerk answers a form; first the fields' own problems, then,
// once they pass, every identifier already taken.
func TestSignUpAnswersEveryFieldAtFault(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"usernameEnabled": true, "phoneEnabled": true})
		s.newUser(t, vars{"emailAddress": "taken@example.com", "username": "taken_name", "password": "correct horse battery"})
		const q = `mutation($in: SignUpCreateInput!) { signUpCreate(input: $in) { id } }`
		faults := func(r result) []string {
			var out []string
			for _, e := range r.Errors {
				out = append(out, fmt.Sprintf("%v %v", e.Extensions["code"], e.Extensions["paramName"]))
			}
			return out
		}
		for _, tc := range []struct {
			name string
			in   vars
			want []string
		}{
			{"every format at fault, and the password",
				vars{"emailAddress": "not-an-email", "phoneNumber": "12", "username": "x", "password": "short"},
				[]string{"form_param_format_invalid emailAddress", "form_param_format_invalid phoneNumber",
					"form_param_format_invalid username", "form_password_length_too_short password"}},
			{"a required identifier and the password missing",
				vars{"username": "fresh_name"},
				[]string{"form_param_missing emailAddress", "form_param_missing password"}},
			{"one field at fault is one error",
				vars{"emailAddress": "fresh@example.com", "password": "short"},
				[]string{"form_password_length_too_short password"}},
			{"every identifier taken",
				vars{"emailAddress": "taken@example.com", "username": "taken_name", "password": "another good passphrase"},
				[]string{"form_identifier_exists emailAddress", "form_identifier_exists username"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := s.browser().do(q, vars{"in": tc.in})
				if got := faults(r); !slices.Equal(got, tc.want) {
					t.Fatalf("errors %q, want %q (data %v)", got, tc.want, r.Data)
				}
				for _, e := range r.Errors {
					if e.Message == "" || e.Extensions["longMessage"] == "" {
						t.Errorf("an error without its messages: %+v", e)
					}
				}
			})
		}
	})
}

// TestSignUpVerifiedFieldsStayVerified: a prepare for a field already
// verified answers verification_already_verified and leaves it verified;
// first prepares sent at once send one code.
func TestSignUpVerifiedFieldsStayVerified(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"phoneEnabled": true})
		const (
			prepare = `mutation($id: ID!, $s: String!) { signUpPrepareVerification(id: $id, strategy: $s) { unverifiedFields } }`
			attempt = `mutation($id: ID!, $s: String!, $c: String!) { signUpAttemptVerification(id: $id, strategy: $s, code: $c) { status unverifiedFields } }`
		)
		d := s.browser()
		id := d.do(`mutation { signUpCreate(input: {emailAddress: "new@example.com", phoneNumber: "+15550100777", password: "correct horse battery"}) { id } }`, nil).
			data(t)["signUpCreate"].(map[string]any)["id"].(string)
		answers := make([]string, 4)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				if r := d.do(prepare, vars{"id": id, "s": "email_code"}); len(r.Errors) > 0 {
					answers[i] = r.code(t)
				}
			})
		}
		wg.Wait()
		if n := s.mail.count("new@example.com"); n != 1 {
			t.Fatalf("%d first prepares at once sent %d codes, want 1 (answers %q)", len(answers), n, answers)
		}
		d.do(attempt, vars{"id": id, "s": "email_code", "c": s.mail.code(t, "new@example.com")}).data(t)
		if got := d.do(prepare, vars{"id": id, "s": "email_code"}).code(t); got != "verification_already_verified" {
			t.Fatalf("prepare of the verified email: %s, want verification_already_verified", got)
		}
		d.do(prepare, vars{"id": id, "s": "phone_code"}).data(t)
		done := d.do(attempt, vars{"id": id, "s": "phone_code", "c": s.mail.code(t, "+15550100777")}).data(t)["signUpAttemptVerification"].(map[string]any)
		if done["status"] != "complete" {
			t.Fatalf("sign-up %v, want complete", done)
		}
	})
}

// TestExpiredSignUpReadsAbandoned: the client's sign-up, once expired, reads
// abandoned, as every step on it answers sign_up_expired and marks it so.
// It read missing_requirements until a step happened to touch it, which
// invites a frontend to resume a sign-up that can never complete.
func TestExpiredSignUpReadsAbandoned(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"signInLifetimeSeconds": 300})
		const current = `{ client { signUp { id status unverifiedFields } } }`
		d := s.browser()
		id := d.do(`mutation { signUpCreate(input: {emailAddress: "late@example.com", password: "correct horse battery"}) { id } }`, nil).
			data(t)["signUpCreate"].(map[string]any)["id"].(string)
		if su := d.do(current, nil).data(t)["client"].(map[string]any)["signUp"].(map[string]any); su["status"] != "missing_requirements" {
			t.Fatalf("a live sign-up reads %v, want missing_requirements", su["status"])
		}
		s.clock.Advance(301 * time.Second)
		before := d.do(current, nil).data(t)["client"].(map[string]any)["signUp"].(map[string]any)
		if got := d.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { id } }`, vars{"id": id}).code(t); got != "sign_up_expired" {
			t.Fatalf("a step on the expired sign-up: %s, want sign_up_expired", got)
		}
		after := d.do(current, nil).data(t)["client"].(map[string]any)["signUp"].(map[string]any)
		if before["status"] != "abandoned" || after["status"] != "abandoned" {
			t.Fatalf("the expired sign-up reads %v before a step and %v after it, want abandoned both times", before["status"], after["status"])
		}
	})
}

// TestSignUpRefusesACommonPasswordInAnyWidth: the blocklist is checked on
// the password as it is hashed (NFKC). A common password typed in
// full-width characters (an East Asian input method left in full-width
// mode does it) is that common password to the hash, and signs in typed
// plainly, so it is refused as the plain one is.
func TestSignUpRefusesACommonPasswordInAnyWidth(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		for _, pw := range []string{"password123", "ｐａｓｓｗｏｒｄ１２３", "Ｑｗｅｒｔｙｕｉｏｐ"} {
			r := s.browser().do(`mutation($in: SignUpCreateInput!) { signUpCreate(input: $in) { id } }`,
				vars{"in": vars{"emailAddress": "wide@example.com", "password": pw}})
			if got := r.code(t); got != "form_password_pwned" || r.ext(t)["paramName"] != "password" {
				t.Fatalf("sign-up with %q: %s %v, want form_password_pwned on password", pw, got, r.ext(t)["paramName"])
			}
		}
	})
}

// TestSignUpRefusesAPasswordWhenPasswordsAreOff: a password given to an
// application without passwords is refused, as a phone number is where
// phone numbers are off (and as createUser refuses it), rather than
// dropped: the user would believe the account has it.
func TestSignUpRefusesAPasswordWhenPasswordsAreOff(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"passwordEnabled": false, "clientTrustEnabled": false, "firstFactors": []string{"email_code", "phone_code"}})
		const q = `mutation($in: SignUpCreateInput!) { signUpCreate(input: $in) { id } }`
		r := s.browser().do(q, vars{"in": vars{"emailAddress": "nopass@example.com", "password": testPassword}})
		if got := r.code(t); got != "form_param_format_invalid" || r.ext(t)["paramName"] != "password" {
			t.Fatalf("a password where passwords are off: %s %v, want form_param_format_invalid on password", got, r.ext(t)["paramName"])
		}
		s.browser().do(q, vars{"in": vars{"emailAddress": "nopass@example.com"}}).data(t)
	})
}

// TestExpiredStepDoesNotUndoACompletedSignUp: a step that finds the sign-up
// expired marks it abandoned only while it is still in progress. A step
// that read it just before a right code completed it (at the edge of its
// lifetime) overwrote the completed sign-up, its user and session made, as
// abandoned, and the client read it so.
func TestExpiredStepDoesNotUndoACompletedSignUp(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"signInLifetimeSeconds": 300})
		d := s.browser()
		id := d.do(`mutation { signUpCreate(input: {emailAddress: "edge@example.com", password: "correct horse battery"}) { id } }`, nil).
			data(t)["signUpCreate"].(map[string]any)["id"].(string)
		d.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { id } }`, vars{"id": id}).data(t)
		code := s.mail.code(t, "edge@example.com")
		s.clock.Advance(299 * time.Second)

		// Once the late step has read the sign-up, the code completes it, a
		// moment earlier by the clock; the late step then finds it expired.
		var armed atomic.Bool
		var done result
		s.m.DB.Ent.SignUp.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
			return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
				v, err := next.Query(ctx, q)
				if armed.Swap(false) {
					done = d.do(`mutation($id: ID!, $c: String!) { signUpAttemptVerification(id: $id, strategy: "email_code", code: $c) { status } }`,
						vars{"id": id, "c": code})
					s.clock.Advance(2 * time.Second)
				}
				return v, err
			})
		}))
		armed.Store(true)
		late := d.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { id } }`, vars{"id": id})
		if armed.Load() {
			t.Fatal("the late step read no sign-up")
		}
		if got := done.data(t)["signUpAttemptVerification"].(map[string]any)["status"]; got != "complete" {
			t.Fatalf("the code's attempt: status %v, want complete", got)
		}
		if got := late.code(t); got != "sign_up_expired" {
			t.Fatalf("the late step: %s, want sign_up_expired", got)
		}
		su, err := s.m.DB.Ent.SignUp.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if su.Status != "complete" {
			t.Fatalf("the completed sign-up (user made: %v) reads %s, want complete", su.CreatedUserID != nil, su.Status)
		}
	})
}
