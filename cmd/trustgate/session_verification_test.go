package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/ent/verification"
	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/pgtest"
)

const sessionVerificationFields = `id status level expireAt
  supportedFirstFactors { strategy safeIdentifier emailAddressId phoneNumberId primary }
  supportedSecondFactors { strategy safeIdentifier emailAddressId phoneNumberId primary }
  firstFactorVerification { status strategy attempts expireAt }
  secondFactorVerification { status strategy attempts expireAt }`

// reverify runs a session verification mutation (or the sessionVerification
// query when field is that) and returns its result.
// startReverification starts a session reverification on d, which must
// stop at want (needs_first_factor, needs_second_factor), and returns it.
func (d *browser) startReverification(tb testing.TB, want string) map[string]any {
	tb.Helper()
	v := d.reverify("sessionVerificationCreate", nil).data(tb)["sessionVerificationCreate"].(map[string]any)
	if v["status"] != want {
		tb.Fatalf("reverification started: status %v, want %s", v["status"], want)
	}
	return v
}

func (d *browser) reverify(field string, v vars) result {
	d.s.t.Helper()
	switch field {
	case "sessionVerificationCreate":
		return d.do(`mutation($l: SessionVerificationLevel) { sessionVerificationCreate(level: $l) { `+sessionVerificationFields+` } }`, v)
	case "sessionVerification":
		return d.do(`query { sessionVerification { `+sessionVerificationFields+` } }`, nil)
	case "sessionVerificationPrepareFirstFactor", "sessionVerificationPrepareSecondFactor":
		return d.do(`mutation($in: PrepareFactorInput!) { `+field+`(input: $in) { `+sessionVerificationFields+` } }`, vars{"in": v})
	}
	return d.do(`mutation($in: AttemptFactorInput!) { `+field+`(input: $in) { `+sessionVerificationFields+` } }`, vars{"in": v})
}

// TestSessionReverification: a session older than the reverification window
// refreshes it in place (Clerk's session.startVerification) instead of
// signing in again. A user without MFA verifies a first factor (password or
// a code); a user with MFA a second factor, and a password alone does not
// do for them. Failures count toward lockout and are in the sign-in
// history; each factor is spent once; a verification expires.
func TestSessionReverification(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
			"firstFactors": []string{"password", "email_code"}, "secondFactors": []string{"totp", "phone_code", "backup_code"}})
		const gated = `mutation { backupCodesCreate { codes } }`
		const totpCreate = `mutation { totpCreate { id } }`

		// stale signs in as ident and lets the reverification window pass.
		stale := func(t *testing.T, ident string) (*browser, string) {
			d := s.browser()
			sid := d.mustSession(t, ident)
			s.clock.Advance(10*time.Minute + time.Second)
			d.token(t, sid)
			return d, sid
		}
		status := func(t *testing.T, r result, field string) map[string]any {
			t.Helper()
			return r.data(t)[field].(map[string]any)
		}
		levelOf := func(t *testing.T, r result) any {
			t.Helper()
			meta, _ := r.ext(t)["meta"].(map[string]any)
			return meta["level"]
		}

		t.Run("without MFA: the password, in place", func(t *testing.T) {
			uid := s.newUser(t, vars{"emailAddress": "plain@example.com"})
			d, _ := stale(t, "plain@example.com")
			r := d.do(totpCreate, nil)
			if r.code(t) != "session_reverification_required" || levelOf(t, r) != "first_factor" {
				t.Fatalf("totpCreate on a stale session: got %s (meta.level %v), want session_reverification_required at first_factor", r.code(t), levelOf(t, r))
			}
			v := status(t, d.reverify("sessionVerificationCreate", nil), "sessionVerificationCreate")
			if v["status"] != "needs_first_factor" || v["level"] != "second_factor" {
				t.Fatalf("started: status %v level %v, want needs_first_factor at the default second_factor", v["status"], v["level"])
			}
			if got := strategies(v["supportedFirstFactors"]); !slices.Equal(got, []string{"password", "email_code"}) {
				t.Errorf("first factors: got %v, want [password email_code]", got)
			}
			if got := v["supportedSecondFactors"].([]any); len(got) != 0 {
				t.Errorf("second factors of a user without MFA: got %v, want none", got)
			}
			// Not a second factor of this user, and not this step.
			if got := d.reverify("sessionVerificationAttemptSecondFactor", vars{"strategy": "totp", "code": "123456"}).code(t); got != "client_state_invalid" {
				t.Errorf("a second factor at needs_first_factor: got %s, want client_state_invalid", got)
			}
			if got := d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": "not it at all"}).code(t); got != "form_password_incorrect" {
				t.Fatalf("a wrong password: got %s, want form_password_incorrect", got)
			}
			if n := s.userRow(t, uid).FailedAttempts; n != 1 {
				t.Errorf("failed attempts after a wrong password: got %d, want 1", n)
			}
			if got := d.do(totpCreate, nil).code(t); got != "session_reverification_required" {
				t.Fatalf("totpCreate after a wrong password: got %s, want session_reverification_required", got)
			}
			v = status(t, d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": testPassword}), "sessionVerificationAttemptFirstFactor")
			ffv, _ := v["firstFactorVerification"].(map[string]any)
			if v["status"] != "complete" || ffv["status"] != "verified" || ffv["strategy"] != "password" {
				t.Fatalf("after the password: status %v, first factor verification %v; want complete, verified by password", v["status"], ffv)
			}
			if r := d.do(totpCreate, nil); len(r.Errors) > 0 {
				t.Fatalf("totpCreate after reverifying: %v", r.Errors)
			}
			// A passed step is not passed again.
			if got := d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": testPassword}).code(t); got != "client_state_invalid" {
				t.Errorf("the password again on a complete verification: got %s, want client_state_invalid", got)
			}
			// The lockout count is left to the next sign-in.
			if n := s.userRow(t, uid).FailedAttempts; n != 1 {
				t.Errorf("failed attempts after reverifying: got %d, want 1 (only a completed sign-in resets it)", n)
			}
			evs := s.events(t, vars{"userId": uid})
			want := []signInEvent{
				{Kind: "password.failed", Strategy: "password", Outcome: "failure", Reason: "account:form_password_incorrect"},
				{Kind: "password.passed", Strategy: "password", Outcome: "success", Reason: "reverification"},
			}
			got := []signInEvent{}
			for _, e := range evs[len(evs)-2:] {
				got = append(got, signInEvent{Kind: e.Kind, Strategy: e.Strategy, Outcome: e.Outcome, Reason: e.Reason})
			}
			if !slices.Equal(got, want) {
				t.Errorf("the last events: got %v, want %v", got, want)
			}
			// The verification reads back as it was left, until it expires.
			if v := status(t, d.reverify("sessionVerification", nil), "sessionVerification"); v["status"] != "complete" {
				t.Errorf("sessionVerification: got status %v, want complete", v["status"])
			}
			s.clock.Advance(10*time.Minute + time.Second)
			d.token(t, d.do(`query { client { lastActiveSessionId } }`, nil).data(t)["client"].(map[string]any)["lastActiveSessionId"].(string))
			if v := d.reverify("sessionVerification", nil).data(t)["sessionVerification"]; v != nil {
				t.Errorf("sessionVerification after it expired: got %v, want null", v)
			}
		})

		t.Run("without MFA: an email code", func(t *testing.T) {
			s.newUser(t, vars{"emailAddress": "coded@example.com"})
			d, _ := stale(t, "coded@example.com")
			d.reverify("sessionVerificationCreate", vars{"l": "first_factor"}).data(t)
			if got := d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "email_code", "code": "123456"}).code(t); got != "verification_missing" {
				t.Errorf("a code before one was sent: got %s, want verification_missing", got)
			}
			before := s.mail.count("coded@example.com")
			v := status(t, d.reverify("sessionVerificationPrepareFirstFactor", vars{"strategy": "email_code"}), "sessionVerificationPrepareFirstFactor")
			if s.mail.count("coded@example.com") != before+1 {
				t.Fatal("prepare sent no email")
			}
			if ffv, _ := v["firstFactorVerification"].(map[string]any); ffv["status"] != "unverified" || ffv["strategy"] != "email_code" {
				t.Errorf("after prepare: first factor verification %v, want an unverified email_code", ffv)
			}
			if got := d.reverify("sessionVerificationPrepareFirstFactor", vars{"strategy": "email_code"}).code(t); got != "verification_code_too_many_requests" && got != "too_many_requests" {
				t.Errorf("a resend within the cooldown: got %s, want a cooldown error", got)
			}
			code := s.mail.code(t, "coded@example.com")
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			if got := d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "email_code", "code": wrong}).code(t); got != "form_code_incorrect" {
				t.Errorf("a wrong code: got %s, want form_code_incorrect", got)
			}
			v = status(t, d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "email_code", "code": code}), "sessionVerificationAttemptFirstFactor")
			if v["status"] != "complete" {
				t.Fatalf("after the code: status %v, want complete", v["status"])
			}
			// The spent code goes: nothing points to it, and it holds the address.
			if n := s.m.DB.Ent.Verification.Query().Where(verification.Target("coded@example.com")).CountX(context.Background()); n != 0 {
				t.Errorf("%d verifications of the address left after the reverification passed, want 0", n)
			}
			if r := d.do(totpCreate, nil); len(r.Errors) > 0 {
				t.Fatalf("totpCreate after reverifying by code: %v", r.Errors)
			}
		})

		t.Run("with MFA: the second factor, and a password is not enough", func(t *testing.T) {
			s.newUser(t, vars{"emailAddress": "mfa@example.com"})
			d := s.browser()
			d.mustSession(t, "mfa@example.com")
			secret, _ := d.enrollTOTP(t)
			// Enrolling proved the authenticator: the window holds for the
			// user who now has MFA.
			if r := d.do(gated, nil); len(r.Errors) > 0 {
				t.Fatalf("backupCodesCreate right after enrolling: %v", r.Errors)
			}
			// Sign in again with the second factor (at the next TOTP step: the
			// enrolment spent this one), then let the window pass.
			s.clock.Advance(30 * time.Second)
			n := s.browser()
			si := signInObj(t, n.signIn("mfa@example.com", testPassword), "signInCreate")
			si = signInObj(t, n.attemptSecond(si["id"].(string), "totp", totpNow(s, secret, 0)), "signInAttemptSecondFactor")
			sid := si["createdSessionId"].(string)
			n.token(t, sid)
			s.clock.Advance(10*time.Minute + time.Second)
			n.token(t, sid)
			r := n.do(gated, nil)
			if r.code(t) != "session_reverification_required" || levelOf(t, r) != "second_factor" {
				t.Fatalf("backupCodesCreate on a stale session: got %s (meta.level %v), want session_reverification_required at second_factor", r.code(t), levelOf(t, r))
			}

			// A first_factor verification passes with the password, and the
			// guarded mutation still asks for the second factor.
			v := status(t, n.reverify("sessionVerificationCreate", vars{"l": "first_factor"}), "sessionVerificationCreate")
			if v["status"] != "needs_first_factor" {
				t.Fatalf("first_factor level: status %v, want needs_first_factor", v["status"])
			}
			v = status(t, n.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": testPassword}), "sessionVerificationAttemptFirstFactor")
			if v["status"] != "complete" {
				t.Fatalf("first_factor level after the password: status %v, want complete", v["status"])
			}
			if got := n.do(gated, nil).code(t); got != "session_reverification_required" {
				t.Fatalf("backupCodesCreate after only a password: got %s, want session_reverification_required", got)
			}

			v = status(t, n.reverify("sessionVerificationCreate", nil), "sessionVerificationCreate")
			if v["status"] != "needs_second_factor" || !slices.Equal(strategies(v["supportedSecondFactors"]), []string{"totp", "backup_code"}) {
				t.Fatalf("default level: status %v, second factors %v; want needs_second_factor with [totp backup_code]", v["status"], strategies(v["supportedSecondFactors"]))
			}
			if got := n.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": testPassword}).code(t); got != "client_state_invalid" {
				t.Errorf("a password at needs_second_factor: got %s, want client_state_invalid", got)
			}
			// The code that signed in was spent; the next step's is not.
			if got := n.reverify("sessionVerificationAttemptSecondFactor", vars{"strategy": "totp", "code": totpNow(s, secret, -20)}).code(t); got != "form_code_incorrect" {
				t.Errorf("an old TOTP code: got %s, want form_code_incorrect", got)
			}
			v = status(t, n.reverify("sessionVerificationAttemptSecondFactor", vars{"strategy": "totp", "code": totpNow(s, secret, 0)}), "sessionVerificationAttemptSecondFactor")
			if v["status"] != "complete" {
				t.Fatalf("after the TOTP code: status %v, want complete", v["status"])
			}
			if r := n.do(gated, nil); len(r.Errors) > 0 {
				t.Fatalf("backupCodesCreate after the second factor: %v", r.Errors)
			}
			fresh := n.do(gated, nil).data(t)["backupCodesCreate"].(map[string]any)["codes"].([]any)

			t.Run("a backup code, once", func(t *testing.T) {
				s.clock.Advance(10*time.Minute + time.Second)
				n.token(t, sid)
				n.reverify("sessionVerificationCreate", nil).data(t)
				code := fresh[0].(string)
				if v := status(t, n.reverify("sessionVerificationAttemptSecondFactor", vars{"strategy": "backup_code", "code": code}), "sessionVerificationAttemptSecondFactor"); v["status"] != "complete" {
					t.Fatalf("after a backup code: status %v, want complete", v["status"])
				}
				n.reverify("sessionVerificationCreate", nil).data(t)
				if got := n.reverify("sessionVerificationAttemptSecondFactor", vars{"strategy": "backup_code", "code": code}).code(t); got != "form_code_incorrect" {
					t.Errorf("the same backup code again: got %s, want form_code_incorrect", got)
				}
			})

			t.Run("multi_factor asks both, in order", func(t *testing.T) {
				s.clock.Advance(time.Minute)
				n.token(t, sid)
				v := status(t, n.reverify("sessionVerificationCreate", vars{"l": "multi_factor"}), "sessionVerificationCreate")
				if v["status"] != "needs_first_factor" {
					t.Fatalf("multi_factor: status %v, want needs_first_factor", v["status"])
				}
				v = status(t, n.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": testPassword}), "sessionVerificationAttemptFirstFactor")
				if v["status"] != "needs_second_factor" {
					t.Fatalf("multi_factor after the password: status %v, want needs_second_factor", v["status"])
				}
				v = status(t, n.reverify("sessionVerificationAttemptSecondFactor", vars{"strategy": "totp", "code": factor.TOTPAt(secret, s.clock.Now())}), "sessionVerificationAttemptSecondFactor")
				if v["status"] != "complete" {
					t.Fatalf("multi_factor after the TOTP code: status %v, want complete", v["status"])
				}
			})
		})

		t.Run("expired, missing and locked", func(t *testing.T) {
			uid := s.newUser(t, vars{"emailAddress": "late@example.com"})
			d, sid := stale(t, "late@example.com")
			if got := d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": testPassword}).code(t); got != "verification_missing" {
				t.Errorf("an attempt before any start: got %s, want verification_missing", got)
			}
			d.reverify("sessionVerificationCreate", nil).data(t)
			s.clock.Advance(10*time.Minute + time.Second)
			d.token(t, sid)
			if got := d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": testPassword}).code(t); got != "verification_expired" {
				t.Errorf("an attempt after the verification expired: got %s, want verification_expired", got)
			}
			d.reverify("sessionVerificationCreate", nil).data(t)
			for i := 0; i < 10; i++ {
				if d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": "wrong guess number"}).code(t) == "user_locked" {
					break
				}
			}
			if s.userRow(t, uid).LockedAt == nil {
				t.Fatal("wrong passwords in a reverification did not lock the user")
			}
			if got := d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": testPassword}).code(t); got != "user_locked" {
				t.Errorf("the right password while locked: got %s, want user_locked", got)
			}
			if got := d.do(totpCreate, nil).code(t); got != "session_reverification_required" {
				t.Errorf("totpCreate after a locked-out reverification: got %s, want session_reverification_required", got)
			}
		})
	})
}

// phoneFactorOf is the prepare input of the phone_code factor of number id
// in a factor list.
func phoneFactorOf(tb testing.TB, list any, id string) vars {
	tb.Helper()
	for _, f := range list.([]any) {
		if m := f.(map[string]any); m["strategy"] == "phone_code" && m["phoneNumberId"] == id {
			return vars{"strategy": "phone_code", "phoneNumberId": id}
		}
	}
	tb.Fatalf("no phone_code factor for %s in %v", id, list)
	return nil
}

// addPhone adds a verified phone number (not reserved for two-step
// verification) to d's signed-in user and returns its id.
func (d *browser) addPhone(tb testing.TB, phone string) string {
	tb.Helper()
	id := d.do(`mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { id } }`, vars{"p": phone}).
		data(tb)["phoneNumberCreate"].(map[string]any)["id"].(string)
	d.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`, vars{"id": id}).data(tb)
	d.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { id } }`,
		vars{"id": id, "c": d.s.mail.code(tb, phone)}).data(tb)
	return id
}

// TestReverificationCodesBelongToTheirStep: a code passes only the step
// whose factors list the address it went to. A number that is a first
// factor but not a second factor cannot stand for the second factor, also
// when the user's second factors change after the code was sent.
func TestReverificationCodesBelongToTheirStep(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
			"firstFactors": []string{"password", "email_code", "phone_code"}, "secondFactors": []string{"totp", "phone_code", "backup_code"}})
		const first, second = "+15550400001", "+15550400002"
		s.newUser(t, vars{"emailAddress": "steps@example.com"})
		o := s.browser()
		o.mustSession(t, "steps@example.com")
		firstID, secondID := o.addPhone(t, first), o.addPhone(t, second)

		d := s.browser()
		sid := d.mustSession(t, "steps@example.com")
		s.clock.Advance(10*time.Minute + time.Second)
		d.token(t, sid)
		v := d.startReverification(t, "needs_first_factor")
		d.reverify("sessionVerificationPrepareFirstFactor", phoneFactorOf(t, v["supportedFirstFactors"], firstID)).data(t)
		code := s.mail.code(t, first)

		// The user makes the other number their second factor meanwhile:
		// the verification now asks for it.
		u := s.browser()
		u.mustSession(t, "steps@example.com")
		u.do(`mutation($id: ID!) { phoneNumberReserveForSecondFactor(id: $id, reserved: true) { id } }`, vars{"id": secondID}).data(t)
		d.token(t, sid)
		if got := d.reverify("sessionVerificationAttemptSecondFactor", vars{"strategy": "phone_code", "code": code}).code(t); got != "verification_missing" {
			t.Errorf("the first number's code at the second step: got %s, want verification_missing", got)
		}
		if got := d.do(`mutation { backupCodesCreate { codes } }`, nil).code(t); got != "session_reverification_required" {
			t.Errorf("backupCodesCreate after that: got %s, want session_reverification_required", got)
		}
		// The second factor's own code passes.
		v = d.reverify("sessionVerification", nil).data(t)["sessionVerification"].(map[string]any)
		s.clock.Advance(31 * time.Second)
		d.token(t, sid)
		d.reverify("sessionVerificationPrepareSecondFactor", phoneFactorOf(t, v["supportedSecondFactors"], secondID)).data(t)
		v = d.reverify("sessionVerificationAttemptSecondFactor", vars{"strategy": "phone_code", "code": s.mail.code(t, second)}).data(t)["sessionVerificationAttemptSecondFactor"].(map[string]any)
		if v["status"] != "complete" {
			t.Fatalf("after the second factor's code: status %v, want complete", v["status"])
		}
		if r := d.do(`mutation { backupCodesCreate { codes } }`, nil); len(r.Errors) > 0 {
			t.Errorf("backupCodesCreate after the second factor: %v", r.Errors)
		}
	})
}

// TestReverificationCodeAttachRace: a first-factor code whose send is
// still under way when a concurrent attempt passes the first step is not
// attached to the verification, so it cannot stand for the second step.
func TestReverificationCodeAttachRace(t *testing.T) {
	s := mustStart(t, pgtest.URL(t), cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
		"firstFactors": []string{"password", "email_code", "phone_code"}, "secondFactors": []string{"totp", "phone_code", "backup_code"}})
	const first, second = "+15550500001", "+15550500002"
	s.newUser(t, vars{"emailAddress": "race@example.com"})
	d := s.browser()
	sid := d.mustSession(t, "race@example.com")
	firstID := d.addPhone(t, first)
	d.enrollPhoneMFA(t, second)
	s.clock.Advance(10*time.Minute + time.Second)
	d.token(t, sid)

	v := d.reverify("sessionVerificationCreate", vars{"l": "multi_factor"}).data(t)["sessionVerificationCreate"].(map[string]any)
	var armed atomic.Bool
	armed.Store(true)
	s.m.DB.Ent.Verification.Use(func(next ent.Mutator) ent.Mutator {
		return hook.VerificationFunc(func(ctx context.Context, m *ent.VerificationMutation) (ent.Value, error) {
			if m.Op().Is(ent.OpCreate) && armed.Swap(false) {
				// The password passes the first step while the code is issued.
				if r := d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": testPassword}); len(r.Errors) > 0 {
					t.Errorf("the concurrent password attempt: %v", r.Errors)
				}
			}
			return next.Mutate(ctx, m)
		})
	})
	before := s.mail.count(first)
	if got := d.reverify("sessionVerificationPrepareFirstFactor", phoneFactorOf(t, v["supportedFirstFactors"], firstID)).code(t); got != "client_state_invalid" {
		t.Fatalf("the prepare that lost the race: got %s, want client_state_invalid", got)
	}
	if s.mail.count(first) != before {
		t.Error("the prepare that lost the race sent its code")
	}
	v = d.reverify("sessionVerification", nil).data(t)["sessionVerification"].(map[string]any)
	if v["status"] != "needs_second_factor" || v["secondFactorVerification"] != nil {
		t.Errorf("after the race: status %v, second factor verification %v; want needs_second_factor with no code", v["status"], v["secondFactorVerification"])
	}
}

// TestReverificationSendsAreBounded: starting again keeps the last code's
// resend cooldown, each send spends the address's per-identifier budget,
// and a locked user's session sends nothing.
func TestReverificationSendsAreBounded(t *testing.T) {
	s := mustStart(t, "sqlite://"+filepath.Join(t.TempDir(), "tg.db"), cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
		"firstFactors": []string{"password", "email_code", "phone_code"}, "secondFactors": []string{"totp", "phone_code", "backup_code"}})
	s.setOverrides(t, map[string]any{"rateLimitCodeSendsPerIp": 1000, "rateLimitIdentifierPerMinute": 1})
	const phone = "+15550600001"
	uid := s.newUser(t, vars{"emailAddress": "pump@example.com"})
	d := s.browser()
	sid := d.mustSession(t, "pump@example.com")
	d.addPhone(t, phone)
	// At the start of a rate-limit window.
	now := s.clock.Now()
	s.clock.Advance(now.Truncate(time.Minute).Add(time.Minute).Sub(now))
	d.token(t, sid)
	before := s.mail.count(phone)
	var codes []string
	for i := range 5 {
		d.reverify("sessionVerificationCreate", vars{"l": "first_factor"}).data(t)
		r := d.reverify("sessionVerificationPrepareFirstFactor", vars{"strategy": "phone_code"})
		if len(r.Errors) == 0 {
			codes = append(codes, "")
		} else {
			codes = append(codes, r.code(t))
		}
		if i == 0 && codes[0] != "" {
			t.Fatalf("the first send: got %s, want it sent", codes[0])
		}
	}
	if n := s.mail.count(phone) - before; n != 1 {
		t.Errorf("five starts and sends within a second: %d messages, want 1 (codes %v)", n, codes)
	}
	if codes[1] != "verification_code_too_many_requests" {
		t.Errorf("a send right after starting again: got %s, want verification_code_too_many_requests", codes[1])
	}
	s.clock.Advance(31 * time.Second)
	d.token(t, sid)
	if got := d.reverify("sessionVerificationPrepareFirstFactor", vars{"strategy": "phone_code"}).code(t); got != "too_many_requests" {
		t.Errorf("a second send to the number within the minute: got %s, want too_many_requests", got)
	}

	for range 10 {
		if d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": "wrong wrong wrong"}).code(t) == "user_locked" {
			break
		}
	}
	if s.userRow(t, uid).LockedAt == nil {
		t.Fatal("the wrong passwords did not lock the user")
	}
	s.clock.Advance(time.Minute)
	d.token(t, sid)
	before = s.mail.count(phone)
	for name, r := range map[string]result{
		"start":   d.reverify("sessionVerificationCreate", nil),
		"prepare": d.reverify("sessionVerificationPrepareFirstFactor", vars{"strategy": "phone_code"}),
	} {
		if got := r.code(t); got != "user_locked" {
			t.Errorf("a locked user's %s: got %s, want user_locked", name, got)
		}
	}
	if s.mail.count(phone) != before {
		t.Error("a locked user's session got a code sent")
	}
}

// TestPendingEnrolmentAndPasswordNeedARecentFactor: an authenticator setup
// can be finished only within the reverification window of its start, so
// a session cannot add a factor long after; and a user with MFA changes
// their password only with a recent second factor, the current password
// being what credential stuffing has.
func TestPendingEnrolmentAndPasswordNeedARecentFactor(t *testing.T) {
	s := mustStart(t, "sqlite://"+filepath.Join(t.TempDir(), "tg.db"), cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
		"firstFactors": []string{"password", "email_code"}, "secondFactors": []string{"totp", "phone_code", "backup_code"}})
	s.newUser(t, vars{"emailAddress": "pending@example.com"})
	a := s.browser()
	sid := a.mustSession(t, "pending@example.com")
	created := a.do(`mutation { totpCreate { id secret } }`, nil).data(t)["totpCreate"].(map[string]any)
	secret, err := factor.DecodeSecret(created["secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(10*time.Minute + time.Second)
	a.token(t, sid)
	if got := a.do(`mutation($c: String!) { totpVerify(code: $c) { verified } }`, vars{"c": factor.TOTPAt(secret, s.clock.Now())}).code(t); got != "verification_expired" {
		t.Fatalf("totpVerify of a setup started 10 minutes ago: got %s, want verification_expired", got)
	}

	u := s.browser()
	usid := u.mustSession(t, "pending@example.com")
	u.enrollPhoneMFA(t, "+15550700001")
	s.clock.Advance(10*time.Minute + time.Second)
	u.token(t, usid)
	const change = `mutation { passwordUpdate(current: "correct horse battery", new: "another good passphrase") }`
	if got := u.do(change, nil).code(t); got != "session_reverification_required" {
		t.Fatalf("passwordUpdate of a user with MFA on a stale session: got %s, want session_reverification_required", got)
	}
	u.reverify("sessionVerificationCreate", nil).data(t)
	u.reverify("sessionVerificationPrepareSecondFactor", vars{"strategy": "phone_code"}).data(t)
	u.reverify("sessionVerificationAttemptSecondFactor", vars{"strategy": "phone_code", "code": s.mail.code(t, "+15550700001")}).data(t)
	if r := u.do(change, nil); len(r.Errors) > 0 {
		t.Fatalf("passwordUpdate after the second factor: %v", r.Errors)
	}
}

// TestClientTrustCodeIsNotASecondFactor: the code of a new device proves
// the address, not a second factor of the user's. A session it created
// records none (fva[1] is -1), so once the user enrols MFA elsewhere that
// session verifies the new factor before it changes how the account signs
// in, although it signed in a minute ago.
func TestClientTrustCodeIsNotASecondFactor(t *testing.T) {
	s := mustStart(t, "sqlite://"+filepath.Join(t.TempDir(), "tg.db"), cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": true, "secondFactors": []string{"totp", "backup_code"}})
	s.newUser(t, vars{"emailAddress": "ct@example.com"})
	newDevice := func() (*browser, string) {
		d := s.browser()
		si := signInObj(t, d.signIn("ct@example.com", testPassword), "signInCreate")
		if si["status"] != "needs_client_trust" {
			t.Fatalf("a new device: status %v, want needs_client_trust", si["status"])
		}
		signInObj(t, d.prepareSecond(si["id"].(string), "email_code"), "signInPrepareSecondFactor")
		si = signInObj(t, d.attemptSecond(si["id"].(string), "email_code", s.mail.code(t, "ct@example.com")), "signInAttemptSecondFactor")
		sid := si["createdSessionId"].(string)
		d.token(t, sid)
		return d, sid
	}
	a, _ := newDevice()
	claims := strings.Split(a.bearer, ".")[1]
	payload, err := base64.RawURLEncoding.DecodeString(claims)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(payload), `"fva":[0,-1]`) {
		t.Errorf("token claims %s: want fva [0,-1] after a Client Trust code", payload)
	}
	s.clock.Advance(31 * time.Second)
	b, _ := newDevice()
	b.enrollTOTP(t)
	if got := a.do(`mutation { backupCodesCreate { codes } }`, nil).code(t); got != "session_reverification_required" {
		t.Errorf("backupCodesCreate from the Client Trust session after MFA was enrolled elsewhere: got %s, want session_reverification_required", got)
	}
}

// TestConcurrentReverificationSendsKeepTheCooldown: two prepares of a
// reverification's first code that overlap send one email. An interceptor
// runs the second prepare right after the first one read the
// reverification: both found no code sent yet, each drew a fresh
// verification, and the first attached its own over the second's, so two
// codes went out within the cooldown and the one of the prepare that
// answered first no longer worked.
func TestConcurrentReverificationSendsKeepTheCooldown(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "firstFactors": []string{"password", "email_code"}})
		const email = "reverify-race@example.com"
		s.newUser(t, vars{"emailAddress": email})
		d := s.browser()
		sid := d.mustSession(t, email)
		s.clock.Advance(10*time.Minute + time.Second)
		d.token(t, sid)
		v := d.startReverification(t, "needs_first_factor")
		in := factorInput(v["supportedFirstFactors"], "email_code")
		var armed atomic.Bool
		var inner result
		s.m.DB.Ent.SessionVerification.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
			return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
				v, err := next.Query(ctx, q)
				if armed.Swap(false) {
					inner = d.reverify("sessionVerificationPrepareFirstFactor", in)
				}
				return v, err
			})
		}))
		armed.Store(true)
		outer := d.reverify("sessionVerificationPrepareFirstFactor", in)
		if armed.Swap(false) {
			t.Fatal("the prepare read no reverification")
		}
		inner.data(t) // the prepare that ran inside the other's read
		if len(outer.Errors) > 0 {
			if got := outer.code(t); got != "verification_code_too_many_requests" && got != "client_state_invalid" {
				t.Fatalf("the overlapping prepare: got %s, want verification_code_too_many_requests or one code in all", got)
			}
		}
		if got := s.mail.countKind(email, "verification_code"); got != 1 {
			t.Fatalf("two overlapping prepares sent %d codes to the address, want 1", got)
		}
		done := d.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "email_code", "code": s.mail.code(t, email)})
		if got := done.data(t)["sessionVerificationAttemptFirstFactor"].(map[string]any)["status"]; got != "complete" {
			t.Fatalf("the code that went out: got status %v, want complete", got)
		}
	})
}

// TestSessionFirstFactorAgeCountsFromThePassword: a sign-in that waits at
// Client Trust or at its second factor passed its first factor when the
// password was right, not when the sign-in completed. The session's fva
// claim and its reverification window count from then: a password typed
// long before a late code is not a fresh first factor.
func TestSessionFirstFactorAgeCountsFromThePassword(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": true, "secondFactors": []string{"totp", "backup_code"}})
		s.newUser(t, vars{"emailAddress": "ct@example.com"})
		s.newUser(t, vars{"emailAddress": "mfa@example.com"})
		secret, _ := func() ([]byte, []string) {
			e := s.browser()
			done := e.passClientTrust(t, "mfa@example.com", testPassword, "email_code", "mfa@example.com")
			e.token(t, done["createdSessionId"].(string))
			return e.enrollTOTP(t)
		}()
		fva := func(d *browser) string {
			t.Helper()
			payload, err := base64.RawURLEncoding.DecodeString(strings.Split(d.bearer, ".")[1])
			if err != nil {
				t.Fatal(err)
			}
			var claims struct{ FVA []int }
			if err := json.Unmarshal(payload, &claims); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(claims.FVA)
		}
		complete := func(d *browser, si map[string]any, strategy, code string) string {
			t.Helper()
			si = signInObj(t, d.attemptSecond(si["id"].(string), strategy, code), "signInAttemptSecondFactor")
			sid := si["createdSessionId"].(string)
			d.token(t, sid)
			return sid
		}

		d := s.browser()
		si := signInObj(t, d.signIn("ct@example.com", testPassword), "signInCreate")
		if si["status"] != "needs_client_trust" {
			t.Fatalf("a new device: status %v, want needs_client_trust", si["status"])
		}
		s.clock.Advance(4 * time.Minute)
		signInObj(t, d.prepareSecond(si["id"].(string), "email_code"), "signInPrepareSecondFactor")
		sid := complete(d, si, "email_code", s.mail.code(t, "ct@example.com"))
		if got := fva(d); got != "[4 -1]" {
			t.Errorf("the password 4 minutes before the Client Trust code: fva %s, want [4 -1]", got)
		}
		// The first factor minutes old is past the reverification window for
		// changes to how the account signs in only once it is 10 minutes old.
		s.clock.Advance(6*time.Minute + time.Second)
		d.token(t, sid)
		if got := d.do(`mutation { totpCreate { id } }`, nil).code(t); got != "session_reverification_required" {
			t.Errorf("totpCreate 10 minutes after the password, 6 after the sign-in completed: %s, want session_reverification_required", got)
		}

		m := s.browser()
		si = signInObj(t, m.signIn("mfa@example.com", testPassword), "signInCreate")
		if si["status"] != "needs_second_factor" {
			t.Fatalf("a user with TOTP: status %v, want needs_second_factor", si["status"])
		}
		s.clock.Advance(3 * time.Minute)
		complete(m, si, "totp", totpNow(s, secret, 0))
		if got := fva(m); got != "[3 0]" {
			t.Errorf("the password 3 minutes before the TOTP: fva %s, want [3 0]", got)
		}

		// A sign-in that completes with its first factor counts from now.
		k := signInObj(t, d.signIn("ct@example.com", testPassword), "signInCreate")
		if k["status"] != "complete" {
			t.Fatalf("the trusted device again: status %v, want complete", k["status"])
		}
		d.token(t, k["createdSessionId"].(string))
		if got := fva(d); got != "[0 -1]" {
			t.Errorf("a sign-in completed by its password: fva %s, want [0 -1]", got)
		}
	})
}
