package main

import (
	"strings"
	"testing"
)

// TestSecurityNotices: each change to how an account signs in emails the
// account's primary address one security notice naming it (ASVS 2.2.3;
// NIST 800-63B: a recovery notifies the subscriber): an authenticator app
// added and removed, new backup codes, an email address or phone number
// verified onto the account, a phone number added to and removed from
// two-step verification, a password changed, a password reset (one
// email, not a new-device notice besides), a primary address change, told
// to the address it moved from, and an administrator's reset of the second
// factors. A repeat that changes nothing sends
// none, nor does anything with notifySecurityChanges off.
func TestSecurityNotices(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		const home, work, phone = "sec@example.com", "sec.work@example.com", "+15550400001"
		s.newUser(t, vars{"emailAddress": home})
		d := s.browser()
		d.mustSession(t, home)

		const kind = "security_notice"
		want := func(to, subject string, more ...string) {
			t.Helper()
			m := s.mail.last(t, to)
			if m.Kind != kind || m.Subject != subject+" (Test app)" {
				t.Fatalf("the last message to %s: got %s %q, want the %s %q", to, m.Kind, m.Subject, kind, subject)
			}
			for _, w := range append(more, "reset your password") {
				if !strings.Contains(m.Text, w) {
					t.Errorf("%q: the text lacks %q:\n%s", subject, w, m.Text)
				}
			}
		}
		count := func(to string) int { return s.mail.countKind(to, kind) }

		d.enrollTOTP(t)
		want(home, "An authenticator app was added")
		d.do(`mutation { backupCodesCreate { codes } }`, nil).data(t)
		want(home, "New backup codes were created")

		n := count(home)
		phoneID := d.enrollPhoneMFA(t, phone)
		want(home, "A phone number was added for two-step verification", "The number is")
		if got := count(home); got != n+2 { // the number verified onto the account, then reserved
			t.Errorf("a phone number verified and reserved: got %d notices, want %d", got-n, 2)
		}
		reserve := func(on bool) {
			t.Helper()
			d.do(`mutation($id: ID!, $on: Boolean!) { phoneNumberReserveForSecondFactor(id: $id, reserved: $on) { id } }`,
				vars{"id": phoneID, "on": on}).data(t)
		}
		reserve(false)
		want(home, "A phone number was removed from two-step verification")
		n = count(home)
		reserve(false)
		if got := count(home); got != n {
			t.Errorf("a phone number already out of two-step verification: got %d notices, want still %d", got, n)
		}
		if got := s.mail.count(phone); got != 1 {
			t.Errorf("the phone number got %d messages, want its one code: notices are email only", got)
		}

		d.do(`mutation { totpDisable }`, nil).data(t)
		want(home, "Your authenticator app was removed")
		n = count(home)
		d.do(`mutation { totpDisable }`, nil).data(t)
		if got := count(home); got != n {
			t.Errorf("totpDisable without an authenticator: got %d notices, want still %d", got, n)
		}

		const next = "a brand new passphrase 42"
		d.do(`mutation($c: String!, $n: String!) { passwordUpdate(current: $c, new: $n) }`, vars{"c": testPassword, "n": next}).data(t)
		want(home, "Your password was changed")

		workID := d.addEmail(t, work)
		// Whoever holds a session could bind an address of theirs, then
		// reset the password through it: the primary address hears of it.
		want(home, "An email address was added to your account", "The address is s", "password reset")
		d.do(emailPrimary, vars{"id": workID}).data(t)
		want(home, "Your primary email address was changed", "The new one is s")
		if got := count(work); got != 0 {
			t.Errorf("the new primary address got %d notices, want none (its owner made the change)", got)
		}

		r := s.browser()
		r.resetInOneStep(t, work, testPassword)
		want(work, "Your password was reset")
		if got := s.mail.countKind(work, "new_device_sign_in"); got != 0 {
			t.Errorf("the reset on a new device also sent %d new-device notices, want one email in all", got)
		}

		// An administrator's reset of the second factors: told, without the
		// operator's device and IP; a reset with nothing to remove is not.
		uid := s.userIDByEmail(t, work)
		admin := s.browser()
		admin.mustSessionWith(t, work, testPassword)
		admin.enrollTOTP(t)
		want(work, "An authenticator app was added")
		resetMFA := func() {
			t.Helper()
			s.admin(`mutation($id: ID!) { resetUserMfa(id: $id) { id } }`, vars{"id": uid}).data(t)
		}
		resetMFA()
		want(work, "Two-step verification was turned off", "An administrator of Test app", "contact Test app")
		if m := s.mail.last(t, work); strings.Contains(m.Text, "IP address") {
			t.Errorf("the administrator's reset shows a request's IP address (the operator's):\n%s", m.Text)
		}
		n = count(work)
		resetMFA()
		if got := count(work); got != n {
			t.Errorf("a reset with no second factor to remove: got %d notices, want still %d", got, n)
		}

		s.setSettings(t, vars{"notifySecurityChanges": false})
		n = count(work)
		d2 := s.browser()
		d2.mustSessionWith(t, work, testPassword)
		d2.do(`mutation($c: String!, $n: String!) { passwordUpdate(current: $c, new: $n) }`, vars{"c": testPassword, "n": next}).data(t)
		d2.enrollTOTP(t)
		resetMFA()
		if got := count(work); got != n {
			t.Errorf("notifySecurityChanges off: got %d notices, want still %d", got, n)
		}
	})
}

// TestSecondFactorFailureNotice: a sign-in that passed the password and
// then failed its second factor tells the user once (OWASP: the password
// was right but MFA failed; an authenticator app would tell nobody
// otherwise). Further failures of the same sign-in send nothing more; a new
// sign-in's first failure does. A wrong Client Trust code does not (the
// code's own email already told of the sign-in), nor a wrong second factor
// with notifySecurityChanges off.
func TestSecondFactorFailureNotice(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		const email, kind = "mfa-fail@example.com", "security_notice"
		s.newUser(t, vars{"emailAddress": email})
		owner := s.browser()
		owner.passClientTrust(t, email, testPassword, "email_code", email)
		owner.mustSession(t, email)
		owner.enrollTOTP(t)
		base := s.mail.countKind(email, kind) // the enrolment's own notice

		attacker := s.browser()
		si := signInObj(t, attacker.signIn(email, testPassword), "signInCreate")
		if si["status"] != "needs_second_factor" {
			t.Fatalf("a password sign-in of a TOTP user: got %v, want needs_second_factor", si["status"])
		}
		id := si["id"].(string)
		wrong := func(id string) {
			t.Helper()
			if got := attacker.attemptSecond(id, "totp", "000000").code(t); got != "form_code_incorrect" {
				t.Fatalf("a wrong TOTP: got %s, want form_code_incorrect", got)
			}
		}
		wrong(id)
		if got := s.mail.countKind(email, kind); got != base+1 {
			t.Fatalf("after a wrong second factor: got %d notices, want %d", got-base, 1)
		}
		m := s.mail.last(t, email)
		if m.Subject != "A sign-in to your account was stopped at two-step verification (Test app)" || !strings.Contains(m.Text, "IP address") {
			t.Errorf("the notice: %q\n%s", m.Subject, m.Text)
		}
		wrong(id)
		wrong(id)
		if got := s.mail.countKind(email, kind); got != base+1 {
			t.Errorf("more wrong codes on the same sign-in: got %d notices, want still 1", got-base)
		}
		id2 := signInObj(t, attacker.signIn(email, testPassword), "signInCreate")["id"].(string)
		wrong(id2)
		if got := s.mail.countKind(email, kind); got != base+2 {
			t.Errorf("a new sign-in's first wrong code: got %d notices, want 2", got-base)
		}

		// A wrong Client Trust code: its own email told of the sign-in.
		const plain = "no-mfa@example.com"
		s.newUser(t, vars{"emailAddress": plain})
		ct := s.browser()
		ctID := signInObj(t, ct.signIn(plain, testPassword), "signInCreate")["id"].(string)
		ct.prepareSecond(ctID, "email_code").data(t)
		if got := ct.attemptSecond(ctID, "email_code", "000000").code(t); got != "form_code_incorrect" {
			t.Fatalf("a wrong Client Trust code: got %s, want form_code_incorrect", got)
		}
		if got := s.mail.countKind(plain, kind); got != 0 {
			t.Errorf("a wrong Client Trust code: got %d security notices, want none", got)
		}

		s.setSettings(t, vars{"notifySecurityChanges": false})
		id3 := signInObj(t, attacker.signIn(email, testPassword), "signInCreate")["id"].(string)
		wrong(id3)
		if got := s.mail.countKind(email, kind); got != base+2 {
			t.Errorf("notifySecurityChanges off: got %d notices, want still 2", got-base)
		}
	})
}

// TestBackupCodeSignInNotice: a sign-in whose second factor is a backup
// code is a recovery, which tells the user (NIST 800-63B), with how many
// codes are left, in one email: no new-device notice besides. The last code
// says to make new ones.
func TestBackupCodeSignInNotice(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		const email = "backup-notice@example.com"
		s.newUser(t, vars{"emailAddress": email})
		owner := s.browser()
		owner.mustSession(t, email)
		_, codes := owner.enrollTOTP(t)
		if len(codes) != 10 {
			t.Fatalf("enrolment gave %d backup codes, want 10", len(codes))
		}
		signInWith := func(code string) {
			t.Helper()
			d := s.browser()
			id := signInObj(t, d.signIn(email, testPassword), "signInCreate")["id"].(string)
			if si := signInObj(t, d.attemptSecond(id, "backup_code", code), "signInAttemptSecondFactor"); si["status"] != "complete" {
				t.Fatalf("a backup code: got status %v, want complete", si["status"])
			}
		}
		newDevice := s.mail.countKind(email, "new_device_sign_in")
		signInWith(codes[0])
		m := s.mail.last(t, email)
		if m.Kind != "security_notice" || m.Subject != "A backup code was used to sign in (Test app)" || !strings.Contains(m.Text, "9 unused backup codes are left.") {
			t.Fatalf("after a backup code: got %s %q\n%s", m.Kind, m.Subject, m.Text)
		}
		if got := s.mail.countKind(email, "new_device_sign_in"); got != newDevice {
			t.Errorf("a backup code on a new device also sent %d new-device notices, want one email in all", got-newDevice)
		}
		for _, c := range codes[1:9] {
			signInWith(c)
		}
		if m := s.mail.last(t, email); !strings.Contains(m.Text, "1 unused backup code is left.") {
			t.Errorf("with one code left: %s", m.Text)
		}
		signInWith(codes[9])
		if m := s.mail.last(t, email); !strings.Contains(m.Text, "It was the last one") {
			t.Errorf("the last code: %s", m.Text)
		}
	})
}

// TestSecondFactorFailureNoticeAfterAFirstFactorSlip: the once-per-sign-in
// rule counts the failures of the second factor only. A code mistyped at the
// first factor (an email code, here) is no second factor failed: the wrong
// authenticator code that follows it is the sign-in's first, and tells the
// user, as it would have without the slip.
func TestSecondFactorFailureNoticeAfterAFirstFactorSlip(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		const email, kind = "mfa-slip@example.com", "security_notice"
		s.newUser(t, vars{"emailAddress": email})
		owner := s.browser()
		owner.passClientTrust(t, email, testPassword, "email_code", email)
		owner.mustSession(t, email)
		owner.enrollTOTP(t)
		base := s.mail.countKind(email, kind)

		d := s.browser()
		si := signInObj(t, d.create(vars{"identifier": email}), "signInCreate")
		id := si["id"].(string)
		in := factorInput(si["supportedFirstFactors"], "email_code")
		if in == nil {
			t.Fatalf("first factors %v: got no email_code", strategies(si["supportedFirstFactors"]))
		}
		signInObj(t, d.prepareFirstWith(id, in), "signInPrepareFirstFactor")
		code := s.mail.code(t, email)
		if got := d.attemptFirstWith(id, vars{"strategy": "email_code", "code": wrongCode(code)}).code(t); got != "form_code_incorrect" {
			t.Fatalf("a wrong first-factor code: got %s, want form_code_incorrect", got)
		}
		si = signInObj(t, d.attemptFirstWith(id, vars{"strategy": "email_code", "code": code}), "signInAttemptFirstFactor")
		if si["status"] != "needs_second_factor" {
			t.Fatalf("the right code: got status %v, want needs_second_factor", si["status"])
		}
		if got := s.mail.countKind(email, kind); got != base {
			t.Fatalf("before any second factor: got %d notices, want none", got-base)
		}
		if got := d.attemptSecond(id, "totp", "000000").code(t); got != "form_code_incorrect" {
			t.Fatalf("a wrong TOTP: got %s, want form_code_incorrect", got)
		}
		if got := s.mail.countKind(email, kind); got != base+1 {
			t.Errorf("the sign-in's first wrong second factor, after a first-factor code was mistyped: got %d notices, want 1", got-base)
		}
	})
}

// TestAdminMFAResetOfAnUnfinishedEnrolment: resetUserMfa of a user whose
// only "factor" is an authenticator enrolment never verified removes no
// second factor (the password alone signed them in before, as after), so it
// tells nothing, as totpDisable of such an enrolment does not.
func TestAdminMFAResetOfAnUnfinishedEnrolment(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		const email, kind = "unfinished@example.com", "security_notice"
		uid := s.newUser(t, vars{"emailAddress": email})
		d := s.browser()
		d.mustSession(t, email)
		d.do(`mutation { totpCreate { id } }`, nil).data(t)
		s.admin(`mutation($id: ID!) { resetUserMfa(id: $id) { id } }`, vars{"id": uid}).data(t)
		if got := s.mail.countKind(email, kind); got != 0 {
			t.Errorf("resetUserMfa of a user without a second factor (an unfinished enrolment): got %d notices, want none", got)
		}
	})
}
