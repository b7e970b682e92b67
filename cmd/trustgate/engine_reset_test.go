package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustgate/trustgate/internal/delivery"
)

// resetPassword runs signInResetPassword with a SignInResetPasswordInput.
func (d *browser) resetPassword(id string, in vars) result {
	d.s.t.Helper()
	return d.do(`mutation($id: ID!, $in: SignInResetPasswordInput!) { signInResetPassword(id: $id, input: $in) { `+signInFields+` } }`,
		vars{"id": id, "in": in})
}

// startReset runs signInCreate with a reset strategy, which must send the
// code; it returns the sign-in.
func (d *browser) startReset(tb testing.TB, ident, strategy string) map[string]any {
	tb.Helper()
	si := signInObj(tb, d.create(vars{"identifier": ident, "strategy": strategy}), "signInCreate")
	v, _ := si["firstFactorVerification"].(map[string]any)
	if si["status"] != "needs_first_factor" || v == nil || v["strategy"] != strategy || v["status"] != "unverified" {
		tb.Fatalf("signInCreate(%s): got status %v, first factor verification %v; want needs_first_factor and an unverified %s",
			strategy, si["status"], v, strategy)
	}
	return si
}

// resetInOneStep runs the one-step reset of email on d: signInCreate with
// reset_password_email_code, then the code from the mailbox with password.
// It returns the sign-in's id and the attempt's sign-in.
func (d *browser) resetInOneStep(tb testing.TB, email, password string) (string, map[string]any) {
	tb.Helper()
	id := d.startReset(tb, email, "reset_password_email_code")["id"].(string)
	si := signInObj(tb, d.attemptFirstWith(id, vars{"strategy": "reset_password_email_code", "code": d.s.mail.code(tb, email), "password": password}), "signInAttemptFirstFactor")
	return id, si
}

// signedInElsewhere signs email in on a new browser with Client Trust off
// for the moment: the browser ends up trusted, with a session. It returns
// the browser and the session's id.
func signedInElsewhere(t *testing.T, s *server, email string) (*browser, string) {
	t.Helper()
	d := s.browser()
	s.setSettings(t, vars{"clientTrustEnabled": false})
	sid := d.mustSession(t, email)
	s.setSettings(t, vars{"clientTrustEnabled": true})
	return d, sid
}

// trustedDevice signs email in on a new device through Client Trust
// (ctChallenge, then the emailed code), so that the device ends up trusted
// with an active session; it returns the device and the session's id.
func trustedDevice(t *testing.T, s *server, email string) (*browser, string) {
	t.Helper()
	d, id, _ := ctChallenge(t, s, email)
	done := signInObj(t, d.attemptSecond(id, "email_code", s.mail.code(t, email)), "signInAttemptSecondFactor")
	if done["status"] != "complete" {
		t.Fatalf("Client Trust: got status %v, want complete", done["status"])
	}
	sid := done["createdSessionId"].(string)
	d.token(t, sid)
	return d, sid
}

// mintsTokens reports whether d can mint a token for session sid: whether
// the session is still active.
func (d *browser) mintsTokens(tb testing.TB, sid string) bool {
	tb.Helper()
	return len(d.do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt } }`, vars{"s": sid}).Errors) == 0
}

func TestPasswordReset(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": true, "enumerationProtection": false, "lockoutMaxAttempts": 100})
		const newPassword = "a brand new passphrase"
		seq := 0
		user := func() string {
			seq++
			email := fmt.Sprintf("reset%d@example.com", seq)
			s.newUser(t, vars{"emailAddress": email})
			return email
		}

		t.Run("code and new password in one step: complete, other sessions and trust ended", func(t *testing.T) {
			email := user()
			other, otherSession := trustedDevice(t, s, email)
			d := s.browser()
			si := d.startReset(t, email, "reset_password_email_code")
			m := s.mail.last(t, email)
			if m.Kind != delivery.KindResetPasswordCode || !strings.Contains(m.Subject, "Reset your") {
				t.Fatalf("the code's message: got kind %q subject %q, want a %s", m.Kind, m.Subject, delivery.KindResetPasswordCode)
			}
			id := si["id"].(string)
			done := signInObj(t, d.attemptFirstWith(id, vars{"strategy": "reset_password_email_code", "code": s.mail.code(t, email), "password": newPassword}), "signInAttemptFirstFactor")
			if done["status"] != "complete" || done["createdSessionId"] == nil {
				t.Fatalf("got status %v, session %v; want complete with a session", done["status"], done["createdSessionId"])
			}
			d.token(t, done["createdSessionId"].(string))

			// The other device lost its session and its trust.
			if other.mintsTokens(t, otherSession) {
				t.Error("the other device's session still mints tokens")
			}
			if got := signInObj(t, other.signIn(email, newPassword), "signInCreate")["status"]; got != "needs_client_trust" {
				t.Errorf("the other device with the new password: got %v, want needs_client_trust (its trust ended)", got)
			}
			// This device is trusted now; the old password is gone.
			if got := signInObj(t, d.signIn(email, newPassword), "signInCreate")["status"]; got != "complete" {
				t.Errorf("this device with the new password: got %v, want complete (trusted)", got)
			}
			if got := d.signIn(email, testPassword).code(t); got != "form_password_incorrect" {
				t.Errorf("the old password: got %q, want form_password_incorrect", got)
			}
			var kinds []string
			for _, e := range s.events(t, vars{"clientId": d.clientID(t)}) {
				if e.SignInID == id {
					kinds = append(kinds, e.Kind)
				}
			}
			for _, k := range []string{"sign_in.created", "code.sent", "code.passed", "password.reset", "sign_in.completed"} {
				if !slices.Contains(kinds, k) {
					t.Errorf("events of the reset: %v, want %s among them", kinds, k)
				}
			}
		})

		t.Run("code first, then signInResetPassword; other sessions kept when asked", func(t *testing.T) {
			email := user()
			other, otherSession := signedInElsewhere(t, s, email)
			d := s.browser()
			id := d.startReset(t, email, "reset_password_email_code")["id"].(string)
			mid := signInObj(t, d.attemptFirstWith(id, vars{"strategy": "reset_password_email_code", "code": s.mail.code(t, email)}), "signInAttemptFirstFactor")
			if mid["status"] != "needs_new_password" || mid["createdSessionId"] != nil {
				t.Fatalf("after the code: got status %v, session %v; want needs_new_password and no session", mid["status"], mid["createdSessionId"])
			}
			if got := d.resetPassword(id, vars{"password": "short"}).code(t); got != "form_password_length_too_short" {
				t.Fatalf("a too short password: got %q, want form_password_length_too_short", got)
			}
			done := signInObj(t, d.resetPassword(id, vars{"password": newPassword, "signOutOfOtherSessions": false}), "signInResetPassword")
			if done["status"] != "complete" {
				t.Fatalf("signInResetPassword: got status %v, want complete", done["status"])
			}
			if !other.mintsTokens(t, otherSession) {
				t.Error("signOutOfOtherSessions false: the other session ended, want it kept")
			}
			if got := d.resetPassword(id, vars{"password": newPassword}).code(t); got == "" {
				t.Error("signInResetPassword on a complete sign-in: got no error")
			}
		})

		t.Run("a refused new password does not spend the code", func(t *testing.T) {
			email := user()
			d := s.browser()
			id := d.startReset(t, email, "reset_password_email_code")["id"].(string)
			code := s.mail.code(t, email)
			r := d.attemptFirstWith(id, vars{"strategy": "reset_password_email_code", "code": code, "password": "short"})
			if r.code(t) != "form_password_length_too_short" || r.ext(t)["paramName"] != "password" {
				t.Fatalf("got %q (param %v), want form_password_length_too_short on password", r.code(t), r.ext(t)["paramName"])
			}
			done := signInObj(t, d.attemptFirstWith(id, vars{"strategy": "reset_password_email_code", "code": code, "password": newPassword}), "signInAttemptFirstFactor")
			if done["status"] != "complete" {
				t.Fatalf("the same code with a good password: got %v, want complete", done["status"])
			}
		})

		t.Run("a user with MFA gives the second factor after the reset", func(t *testing.T) {
			email := user()
			owner, ownerSession := signedInElsewhere(t, s, email)
			secret, _ := owner.enrollTOTP(t)
			s.clock.Advance(31e9) // the next TOTP step, so its code is new
			uid := s.userIDByEmail(t, email)
			oldHash := *s.userRow(t, uid).PasswordHash
			d := s.browser()
			id, mid := d.resetInOneStep(t, email, newPassword)
			if mid["status"] != "needs_second_factor" || !slices.Contains(strategies(mid["supportedSecondFactors"]), "totp") {
				t.Fatalf("got status %v, second factors %v; want needs_second_factor with totp", mid["status"], strategies(mid["supportedSecondFactors"]))
			}
			// The mailbox alone changes nothing: not the password, not the sessions.
			if h := *s.userRow(t, uid).PasswordHash; h != oldHash {
				t.Error("the password changed before the second factor")
			}
			if !owner.mintsTokens(t, ownerSession) {
				t.Error("the owner's session ended before the second factor")
			}
			done := signInObj(t, d.attemptSecond(id, "totp", totpNow(s, secret, 0)), "signInAttemptSecondFactor")
			if done["status"] != "complete" {
				t.Fatalf("TOTP: got %v, want complete", done["status"])
			}
			if h := *s.userRow(t, uid).PasswordHash; h == oldHash {
				t.Error("the password is unchanged after the second factor")
			}
			if owner.mintsTokens(t, ownerSession) {
				t.Error("the owner's other session survived the completed reset")
			}
			if row, err := s.m.DB.Ent.SignIn.Get(context.Background(), id); err != nil || row.NewPasswordHash != nil {
				t.Errorf("the completed sign-in still holds the staged password (err %v)", err)
			}
		})

		t.Run("a reset ends the sign-ins the old password started", func(t *testing.T) {
			email := user()
			x := s.browser()
			xi := signInObj(t, x.signIn(email, testPassword), "signInCreate")
			if xi["status"] != "needs_client_trust" {
				t.Fatalf("got %v, want needs_client_trust", xi["status"])
			}
			xid := xi["id"].(string)
			signInObj(t, x.prepareSecond(xid, "email_code"), "signInPrepareSecondFactor")
			xcode := s.mail.code(t, email)
			s.clock.Advance(time.Second)
			d := s.browser()
			d.resetInOneStep(t, email, newPassword)
			uid := s.userIDByEmail(t, email)
			sessions := s.sessionCount(t, uid)
			if got := x.attemptSecond(xid, "email_code", xcode).code(t); got != "sign_in_expired" {
				t.Errorf("completing the old password's sign-in after the reset: got %q, want sign_in_expired", got)
			}
			if n := s.sessionCount(t, uid); n != sessions {
				t.Errorf("sessions: got %d, want %d (none for the old password)", n, sessions)
			}
		})

		t.Run("a sign-in begun before a reset goes on with the new password", func(t *testing.T) {
			email := user()
			x := s.browser()
			xid := signInObj(t, x.create(vars{"identifier": email}), "signInCreate")["id"].(string)
			s.clock.Advance(time.Second)
			d := s.browser()
			d.resetInOneStep(t, email, newPassword)
			s.clock.Advance(time.Second)
			mid := signInObj(t, x.attemptFirstWith(xid, vars{"strategy": "password", "password": newPassword}), "signInAttemptFirstFactor")
			if mid["status"] != "needs_client_trust" {
				t.Fatalf("the new password on the earlier sign-in: got %v, want needs_client_trust", mid["status"])
			}
			signInObj(t, x.prepareSecond(xid, "email_code"), "signInPrepareSecondFactor")
			done := signInObj(t, x.attemptSecond(xid, "email_code", s.mail.code(t, email)), "signInAttemptSecondFactor")
			if done["status"] != "complete" {
				t.Errorf("got %v, want complete: the password it passed with is the current one", done["status"])
			}
		})

		t.Run("a password change in the account ends the sign-ins the old password started", func(t *testing.T) {
			email := user()
			owner, _ := signedInElsewhere(t, s, email)
			x := s.browser()
			xid := signInObj(t, x.signIn(email, testPassword), "signInCreate")["id"].(string)
			s.clock.Advance(time.Second)
			owner.do(`mutation($c: String!, $n: String!) { passwordUpdate(current: $c, new: $n) }`, vars{"c": testPassword, "n": newPassword}).data(t)
			if cur := x.do(`{ client { signIn { id } } }`, nil).data(t)["client"].(map[string]any)["signIn"]; cur != nil {
				t.Errorf("client.signIn after passwordUpdate: got %v, want none (the sign-in is over)", cur)
			}
			if got := x.prepareSecond(xid, "email_code").code(t); got != "sign_in_expired" {
				t.Errorf("the old password's sign-in after passwordUpdate: got %q, want sign_in_expired", got)
			}
		})

		t.Run("signInResetPassword ends the other sessions by default", func(t *testing.T) {
			email := user()
			other, otherSession := signedInElsewhere(t, s, email)
			d := s.browser()
			id := d.startReset(t, email, "reset_password_email_code")["id"].(string)
			signInObj(t, d.attemptFirstWith(id, vars{"strategy": "reset_password_email_code", "code": s.mail.code(t, email)}), "signInAttemptFirstFactor")
			if got := signInObj(t, d.resetPassword(id, vars{"password": newPassword}), "signInResetPassword")["status"]; got != "complete" {
				t.Fatalf("got %v, want complete", got)
			}
			if other.mintsTokens(t, otherSession) {
				t.Error("the other session survived")
			}
		})

		t.Run("a locked account cannot start a reset", func(t *testing.T) {
			email := user()
			s.admin(`mutation($id: ID!) { lockUser(id: $id) { id } }`, vars{"id": s.userIDByEmail(t, email)}).data(t)
			if got := s.browser().create(vars{"identifier": email, "strategy": "reset_password_email_code"}).code(t); got != "user_locked" {
				t.Errorf("got %q, want user_locked", got)
			}
		})

		t.Run("a reset code is no sign-in code, and wrong codes count toward lockout", func(t *testing.T) {
			email := user()
			d := s.browser()
			id := d.startReset(t, email, "reset_password_email_code")["id"].(string)
			if got := d.attemptFirstWith(id, vars{"strategy": "email_code", "code": s.mail.code(t, email)}).code(t); got != "verification_missing" {
				t.Errorf("the reset code as an email_code: got %q, want verification_missing", got)
			}
			uid := s.userIDByEmail(t, email)
			before := s.userRow(t, uid).FailedAttempts
			if got := d.attemptFirstWith(id, vars{"strategy": "reset_password_email_code", "code": wrongCode(s.mail.code(t, email))}).code(t); got != "form_code_incorrect" {
				t.Fatalf("a wrong code: got %q, want form_code_incorrect", got)
			}
			if after := s.userRow(t, uid).FailedAttempts; after != before+1 {
				t.Errorf("failed attempts: got %d, want %d", after, before+1)
			}
			if got := d.resetPassword(id, vars{"password": newPassword}).code(t); got != "client_state_invalid" {
				t.Errorf("signInResetPassword before the code passed: got %q, want client_state_invalid", got)
			}
		})

		t.Run("under enumeration protection, an account without the channel answers like no account", func(t *testing.T) {
			email := user() // no phone
			s.setSettings(t, vars{"enumerationProtection": true})
			defer s.setSettings(t, vars{"enumerationProtection": false})
			for _, ident := range []string{email, "phantom@example.com"} {
				si := s.browser().startReset(t, ident, "reset_password_phone_code")
				if si["status"] != "needs_first_factor" {
					t.Errorf("%s: got %v", ident, si["status"])
				}
			}
		})

		t.Run("an unknown identifier looks like a known one under enumeration protection", func(t *testing.T) {
			if got := s.browser().create(vars{"identifier": "nobody@example.com", "strategy": "reset_password_email_code"}).code(t); got != "form_identifier_not_found" {
				t.Errorf("without enumeration protection: got %q, want form_identifier_not_found", got)
			}
			s.setSettings(t, vars{"enumerationProtection": true})
			defer s.setSettings(t, vars{"enumerationProtection": false})
			sent := s.mail.count("ghost@example.com")
			d := s.browser()
			si := d.startReset(t, "ghost@example.com", "reset_password_email_code")
			if n := s.mail.count("ghost@example.com"); n != sent {
				t.Errorf("messages to an unknown address: got %d, want %d", n, sent)
			}
			id := si["id"].(string)
			if got := d.prepareFirstWith(id, vars{"strategy": "reset_password_email_code"}).code(t); got != "verification_code_too_many_requests" {
				t.Errorf("a resend within the cooldown: got %q, want verification_code_too_many_requests as for a real code", got)
			}
			for i := 1; i <= 5; i++ {
				want := "form_code_incorrect"
				if i == 5 {
					want = "verification_failed"
				}
				if got := d.attemptFirstWith(id, vars{"strategy": "reset_password_email_code", "code": fmt.Sprintf("%06d", i)}).code(t); got != want {
					t.Fatalf("attempt %d: got %q, want %s", i, got, want)
				}
			}
		})

		t.Run("by SMS", func(t *testing.T) {
			const phone = "+15555550199"
			s.newUser(t, vars{"phoneNumber": phone})
			d := s.browser()
			id := d.startReset(t, phone, "reset_password_phone_code")["id"].(string)
			m := s.mail.last(t, phone)
			if m.Channel != delivery.ChannelSMS || m.Kind != delivery.KindResetPasswordCode || !strings.Contains(m.Text, "password reset code") {
				t.Fatalf("the SMS: got %+v", m)
			}
			done := signInObj(t, d.attemptFirstWith(id, vars{"strategy": "reset_password_phone_code", "code": s.mail.code(t, phone), "password": newPassword}), "signInAttemptFirstFactor")
			if done["status"] != "complete" {
				t.Fatalf("got %v, want complete", done["status"])
			}
		})

		t.Run("a reset's signInCreate spends the code-sending budget of the IP", func(t *testing.T) {
			t.Cleanup(func() {
				s.clock.Advance(11 * time.Second)
				s.setSettings(t, vars{"rateLimitCodeSendsPerIp": 100000})
			})
			s.clock.Advance(11 * time.Second) // a fresh window
			s.setSettings(t, vars{"rateLimitCodeSendsPerIp": 2})
			email := user()
			for range 2 {
				s.browser().startReset(t, email, "reset_password_email_code")
			}
			if got := s.browser().create(vars{"identifier": email, "strategy": "reset_password_email_code"}).code(t); got != "too_many_requests" {
				t.Fatalf("the third reset from one IP: got %q, want too_many_requests", got)
			}
			if r := s.browser().create(vars{"identifier": email}); len(r.Errors) > 0 {
				t.Errorf("a sign-in that sends nothing: got %q, want no error from the code-sending budget", r.code(t))
			}
		})

		t.Run("of two concurrent resets of one sign-in, one sets the password", func(t *testing.T) {
			email := user()
			d := s.browser()
			id := d.startReset(t, email, "reset_password_email_code")["id"].(string)
			signInObj(t, d.attemptFirstWith(id, vars{"strategy": "reset_password_email_code", "code": s.mail.code(t, email)}), "signInAttemptFirstFactor")
			uid := s.userIDByEmail(t, email)
			sessions := s.sessionCount(t, uid)
			var wg sync.WaitGroup
			results := make([]result, 2)
			for i := range results {
				wg.Go(func() { results[i] = d.resetPassword(id, vars{"password": fmt.Sprintf("%s %d", newPassword, i)}) })
			}
			wg.Wait()
			ok := 0
			for _, r := range results {
				if len(r.Errors) == 0 {
					ok++
				}
			}
			if ok != 1 {
				t.Errorf("successful resets: got %d, want 1 (%+v)", ok, results)
			}
			if n := s.sessionCount(t, uid); n != sessions+1 {
				t.Errorf("sessions: got %d, want %d", n, sessions+1)
			}
		})
	})
}

// TestResetCodeToARemovedAddressSetsNoPassword: a reset code that passed
// (needs_new_password) proved an address; once the owner removes that
// address, signInResetPassword sets no password, as a code attempted after
// the removal signs nobody in (TestCodeToARemovedAddressSignsNobodyIn).
// Otherwise whoever read the old mailbox keeps the account's takeover open
// for the sign-in's whole lifetime after the owner dropped the address.
func TestResetCodeToARemovedAddressSetsNoPassword(t *testing.T) {
	s, uid, owner, oldID := ownerWithOldAddress(t)

	thief := s.browser()
	id := thief.startReset(t, "old@example.com", "reset_password_email_code")["id"].(string)
	mid := signInObj(t, thief.attemptFirstWith(id, vars{"strategy": "reset_password_email_code", "code": s.mail.code(t, "old@example.com")}), "signInAttemptFirstFactor")
	if mid["status"] != "needs_new_password" {
		t.Fatalf("after the code: got %v, want needs_new_password", mid["status"])
	}
	oldHash := *s.userRow(t, uid).PasswordHash
	owner.do(emailDelete, vars{"id": oldID}).data(t)

	if got := thief.resetPassword(id, vars{"password": "a brand new passphrase"}).code(t); got != "verification_missing" {
		t.Errorf("signInResetPassword after the address was removed: got %q, want verification_missing", got)
	}
	if h := *s.userRow(t, uid).PasswordHash; h != oldHash {
		t.Error("the password changed after the address the code went to was removed")
	}
	if n := s.sessionCount(t, uid); n != 1 {
		t.Errorf("%d sessions, want the owner's only", n)
	}
}
