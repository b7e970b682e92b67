package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustgate/trustgate/internal/factor"
)

// mfaSignIn signs in with the password on a fresh device; it must need a second factor.
func mfaSignIn(t *testing.T, s *server, ident string) (*browser, string) {
	t.Helper()
	d := s.browser()
	si := signInObj(t, d.signIn(ident, testPassword), "signInCreate")
	if si["status"] != "needs_second_factor" {
		t.Fatalf("got status %v, want needs_second_factor", si["status"])
	}
	return d, si["id"].(string)
}

func TestMFA(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		id := s.newUser(t, vars{"emailAddress": "totp@example.com"})
		owner := s.browser()
		owner.passClientTrust(t, "totp@example.com", testPassword, "email_code", "totp@example.com")
		ownerSID := owner.mustSession(t, "totp@example.com")

		var (
			secret []byte
			backup []string
		)
		t.Run("totpCreate gives a base32 secret, an otpauth URI and a QR code PNG", func(t *testing.T) {
			c := owner.do(`mutation { totpCreate { id secret uri qrCodePng verified } }`, nil).data(t)["totpCreate"].(map[string]any)
			if c["verified"] != false {
				t.Errorf("got verified %v, want false before totpVerify", c["verified"])
			}
			var err error
			if secret, err = factor.DecodeSecret(c["secret"].(string)); err != nil || len(secret) < 20 {
				t.Fatalf("secret %q: %v (%d bytes), want base32 of at least 160 bits", c["secret"], err, len(secret))
			}
			u, err := url.Parse(c["uri"].(string))
			if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
				t.Fatalf("got uri %v, want otpauth://totp/…", c["uri"])
			}
			q := u.Query()
			if q.Get("secret") != c["secret"] || q.Get("issuer") != "Test app" || q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
				t.Errorf("got uri parameters %v, want secret, issuer Test app, SHA1, 6 digits, 30 s", q)
			}
			if !strings.Contains(u.Path, "totp@example.com") {
				t.Errorf("got label %q, want the account's email", u.Path)
			}
			raw, err := base64.StdEncoding.DecodeString(c["qrCodePng"].(string))
			if err != nil {
				t.Fatalf("qrCodePng is not base64: %v", err)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("qrCodePng does not decode as PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() < 100 || b.Dx() != b.Dy() {
				t.Errorf("got a %v image, want a square QR code", b)
			}
		})
		t.Run("totpVerify refuses a wrong code", func(t *testing.T) {
			r := owner.do(`mutation($c: String!) { totpVerify(code: $c) { verified } }`, vars{"c": wrongCode(totpNow(s, secret, 0))})
			if got := r.code(t); got != "form_code_incorrect" {
				t.Fatalf("got %s, want form_code_incorrect", got)
			}
			me := owner.do(`{ me { twoFactorEnabled totpEnabled } }`, nil).data(t)["me"].(map[string]any)
			if me["twoFactorEnabled"] != false || me["totpEnabled"] != false {
				t.Fatalf("got %v, want MFA still off", me)
			}
		})
		t.Run("totpVerify enables MFA and shows 10 backup codes once", func(t *testing.T) {
			v := owner.do(`mutation($c: String!) { totpVerify(code: $c) { verified backupCodes } }`, vars{"c": totpNow(s, secret, 0)}).
				data(t)["totpVerify"].(map[string]any)
			for _, c := range v["backupCodes"].([]any) {
				backup = append(backup, c.(string))
			}
			if len(backup) != 10 || len(slices.Compact(slices.Sorted(slices.Values(backup)))) != 10 {
				t.Fatalf("got backup codes %v, want 10 distinct", backup)
			}
			me := owner.do(`{ me { twoFactorEnabled totpEnabled backupCodeEnabled } }`, nil).data(t)["me"].(map[string]any)
			if me["twoFactorEnabled"] != true || me["totpEnabled"] != true || me["backupCodeEnabled"] != true {
				t.Fatalf("got %v, want all three true", me)
			}
			r := owner.do(`mutation { totpCreate { id } }`, nil)
			if got := r.code(t); got != "totp_already_enabled" {
				t.Errorf("a second totpCreate: got %s, want totp_already_enabled", got)
			}
		})

		t.Run("MFA takes precedence over Client Trust on a new device", func(t *testing.T) {
			d, sid := mfaSignIn(t, s, "totp@example.com")
			si := signInObj(t, d.do(`{ client { signIn { `+signInFields+` } } }`, nil), "client")["signIn"].(map[string]any)
			if got := strategies(si["supportedSecondFactors"]); !slices.Equal(got, []string{"totp", "backup_code"}) {
				t.Errorf("got %v, want [totp backup_code]", got)
			}
			if si["clientTrustState"] != nil {
				t.Errorf("got clientTrustState %v, want none", si["clientTrustState"])
			}
			if got := d.prepareSecond(sid, "email_code").code(t); got != "strategy_for_user_invalid" {
				t.Errorf("preparing a Client Trust email code: got %s, want strategy_for_user_invalid", got)
			}
			if got := d.attemptSecond(sid, "email_code", "123456").code(t); got != "strategy_for_user_invalid" {
				t.Errorf("attempting an email code: got %s, want strategy_for_user_invalid", got)
			}
		})

		// The enrolment used the current step; move to a fresh one.
		s.clock.Advance(30 * time.Second)
		var code string
		t.Run("a TOTP code completes the sign-in", func(t *testing.T) {
			d, sid := mfaSignIn(t, s, "totp@example.com")
			code = totpNow(s, secret, 0)
			si := signInObj(t, d.attemptSecond(sid, "totp", code), "signInAttemptSecondFactor")
			if si["status"] != "complete" || si["createdSessionId"] == nil {
				t.Fatalf("got %v, want complete with a session", si)
			}
		})
		t.Run("the same TOTP code is refused a second time", func(t *testing.T) {
			d, sid := mfaSignIn(t, s, "totp@example.com")
			if got := d.attemptSecond(sid, "totp", code).code(t); got != "form_code_incorrect" {
				t.Fatalf("got %s, want form_code_incorrect", got)
			}
		})
		t.Run("two steps of skew are refused, one step either way accepted", func(t *testing.T) {
			s.clock.Advance(5 * time.Minute)
			d, sid := mfaSignIn(t, s, "totp@example.com")
			for _, steps := range []int{-2, 2} {
				if got := d.attemptSecond(sid, "totp", totpNow(s, secret, steps)).code(t); got != "form_code_incorrect" {
					t.Errorf("%+d steps: got %s, want form_code_incorrect", steps, got)
				}
			}
			for _, steps := range []int{-1, 1} {
				d, sid := mfaSignIn(t, s, "totp@example.com")
				si := signInObj(t, d.attemptSecond(sid, "totp", totpNow(s, secret, steps)), "signInAttemptSecondFactor")
				if si["status"] != "complete" {
					t.Errorf("%+d step: got %v, want complete", steps, si["status"])
				}
			}
		})

		t.Run("each backup code works once", func(t *testing.T) {
			d, sid := mfaSignIn(t, s, "totp@example.com")
			si := signInObj(t, d.attemptSecond(sid, "backup_code", backup[0]), "signInAttemptSecondFactor")
			if si["status"] != "complete" {
				t.Fatalf("got %v, want complete", si["status"])
			}
			d, sid = mfaSignIn(t, s, "totp@example.com")
			if got := d.attemptSecond(sid, "backup_code", backup[0]).code(t); got != "form_code_incorrect" {
				t.Fatalf("a used backup code: got %s, want form_code_incorrect", got)
			}
			si = signInObj(t, d.attemptSecond(sid, "backup_code", backup[1]), "signInAttemptSecondFactor")
			if si["status"] != "complete" {
				t.Fatalf("another backup code: got %v, want complete", si["status"])
			}
		})
		t.Run("regenerating backup codes replaces the set", func(t *testing.T) {
			owner.token(t, ownerSID) // the clock moved past the last token's expiry
			fresh := owner.do(`mutation { backupCodesCreate { codes } }`, nil).data(t)["backupCodesCreate"].(map[string]any)["codes"].([]any)
			if len(fresh) != 10 {
				t.Fatalf("got %d codes, want 10", len(fresh))
			}
			d, sid := mfaSignIn(t, s, "totp@example.com")
			if got := d.attemptSecond(sid, "backup_code", backup[2]).code(t); got != "form_code_incorrect" {
				t.Fatalf("an unused code of the old set: got %s, want form_code_incorrect", got)
			}
			si := signInObj(t, d.attemptSecond(sid, "backup_code", fresh[0].(string)), "signInAttemptSecondFactor")
			if si["status"] != "complete" {
				t.Fatalf("a code of the new set: got %v, want complete", si["status"])
			}
		})

		t.Run("backup codes are offered only alongside another factor", func(t *testing.T) {
			// With TOTP switched off for the application the user's backup codes stand alone: no MFA.
			s.setSettings(t, vars{"secondFactors": []string{"phone_code", "backup_code"}})
			if got := s.browser().signInStatus(t, "totp@example.com", testPassword); got != "needs_client_trust" {
				t.Errorf("TOTP disabled for the app: got %s, want needs_client_trust (no MFA left)", got)
			}
			s.setSettings(t, vars{"secondFactors": []string{"totp", "phone_code", "backup_code"}})
			owner.token(t, ownerSID)
			if r := owner.do(`mutation { totpDisable }`, nil).data(t); r["totpDisable"] != true {
				t.Fatalf("got %v, want true", r)
			}
			me := owner.do(`{ me { twoFactorEnabled backupCodeEnabled } }`, nil).data(t)["me"].(map[string]any)
			if me["twoFactorEnabled"] != false || me["backupCodeEnabled"] != false {
				t.Errorf("after totpDisable: got %v, want no MFA and no backup codes", me)
			}
			if got := owner.do(`mutation { backupCodesCreate { codes } }`, nil).code(t); got != "backup_codes_not_available" {
				t.Errorf("backupCodesCreate without MFA: got %s, want backup_codes_not_available", got)
			}
		})

		t.Run("an SMS second factor", func(t *testing.T) {
			owner.token(t, ownerSID)
			phoneID := owner.enrollPhoneMFA(t, "+15550400001")
			d, sid := mfaSignIn(t, s, "totp@example.com")
			si := signInObj(t, d.do(`{ client { signIn { `+signInFields+` } } }`, nil), "client")["signIn"].(map[string]any)
			if got := strategies(si["supportedSecondFactors"]); !slices.Equal(got, []string{"phone_code"}) {
				t.Fatalf("got %v, want [phone_code] (no backup codes without a set)", got)
			}
			p := signInObj(t, d.prepareSecondWith(sid, vars{"strategy": "phone_code", "phoneNumberId": phoneID}), "signInPrepareSecondFactor")
			if v := p["secondFactorVerification"].(map[string]any); v["status"] != "unverified" || v["strategy"] != "phone_code" {
				t.Errorf("got secondFactorVerification %v, want unverified phone_code", v)
			}
			if got := d.attemptSecond(sid, "phone_code", wrongCode(s.mail.code(t, "+15550400001"))).code(t); got != "form_code_incorrect" {
				t.Errorf("a wrong SMS code: got %s, want form_code_incorrect", got)
			}
			done := signInObj(t, d.attemptSecond(sid, "phone_code", s.mail.code(t, "+15550400001")), "signInAttemptSecondFactor")
			if done["status"] != "complete" {
				t.Fatalf("got %v, want complete", done["status"])
			}
			codes := owner.do(`mutation { backupCodesCreate { codes } }`, nil).data(t)["backupCodesCreate"].(map[string]any)["codes"].([]any)
			if len(codes) != 10 {
				t.Fatalf("got %d backup codes beside SMS, want 10", len(codes))
			}
			d, _ = mfaSignIn(t, s, "totp@example.com")
			si = signInObj(t, d.do(`{ client { signIn { `+signInFields+` } } }`, nil), "client")["signIn"].(map[string]any)
			if got := strategies(si["supportedSecondFactors"]); !slices.Equal(got, []string{"phone_code", "backup_code"}) {
				t.Fatalf("got %v, want [phone_code backup_code]", got)
			}
		})

		t.Run("totpVerify shows no backup codes when the app does not offer them", func(t *testing.T) {
			s.setSettings(t, vars{"secondFactors": []string{"totp", "phone_code"}})
			defer s.setSettings(t, vars{"secondFactors": []string{"totp", "phone_code", "backup_code"}})
			s.newUser(t, vars{"emailAddress": "nobackup@example.com"})
			d := s.browser()
			d.passClientTrust(t, "nobackup@example.com", testPassword, "email_code", "nobackup@example.com")
			d.mustSession(t, "nobackup@example.com")
			if _, codes := d.enrollTOTP(t); codes != nil {
				t.Fatalf("got backup codes %v, want none", codes)
			}
		})

		t.Run("resetUserMfa removes every second factor", func(t *testing.T) {
			s.admin(`mutation($id: ID!) { resetUserMfa(id: $id) { id } }`, vars{"id": id}).data(t)
			u := s.admin(`query($id: ID!) { user(id: $id) { twoFactorEnabled totpEnabled backupCodeEnabled factors { strategy } } }`,
				vars{"id": id}).data(t)["user"].(map[string]any)
			if u["twoFactorEnabled"] != false || u["totpEnabled"] != false || u["backupCodeEnabled"] != false || len(u["factors"].([]any)) != 0 {
				t.Fatalf("got %v, want no MFA", u)
			}
			if got := owner.signInStatus(t, "totp@example.com", testPassword); got != "complete" {
				t.Fatalf("a trusted device after the reset: got %s, want complete", got)
			}
		})
	})
}

// wrongCode returns a six-digit code that differs from code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestMFASingleUseUnderConcurrency(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		// Losing attempts count as failures; keep them from locking the user midway.
		s.setSettings(t, vars{"clientTrustEnabled": false, "lockoutMaxAttempts": 100})
		id := s.newUser(t, vars{"emailAddress": "race@example.com"})
		owner := s.browser()
		owner.mustSession(t, "race@example.com")
		secret, backup := owner.enrollTOTP(t)
		s.clock.Advance(30 * time.Second)

		// race answers n sign-ins, each on its own device, with the same code at once.
		race := func(t *testing.T, strategy, code string) {
			t.Helper()
			const n = 6
			devices := make([]*browser, n)
			sids := make([]string, n)
			for i := range n {
				devices[i], sids[i] = mfaSignIn(t, s, "race@example.com")
			}
			before := s.sessionCount(t, id)
			statuses := make([]string, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r := devices[i].attemptSecond(sids[i], strategy, code)
					if len(r.Errors) > 0 {
						statuses[i], _ = r.Errors[0].Extensions["code"].(string)
						return
					}
					statuses[i] = r.Data["signInAttemptSecondFactor"].(map[string]any)["status"].(string)
				}()
			}
			close(start)
			wg.Wait()
			completed := 0
			for _, st := range statuses {
				switch st {
				case "complete":
					completed++
				case "form_code_incorrect":
				default:
					t.Errorf("got %q from a concurrent attempt, want complete or form_code_incorrect", st)
				}
			}
			if completed != 1 {
				t.Errorf("got %d completed sign-ins (%v), want exactly 1", completed, statuses)
			}
			if got := s.sessionCount(t, id) - before; got != 1 {
				t.Errorf("got %d new sessions, want exactly 1", got)
			}
		}
		t.Run("one TOTP code, six sign-ins at once", func(t *testing.T) { race(t, "totp", totpNow(s, secret, 0)) })
		t.Run("one backup code, six sign-ins at once", func(t *testing.T) { race(t, "backup_code", backup[0]) })
	})
}

// The admin users filter twoFactorEnabled follows the same rule as the users'
// twoFactorEnabled field: the second factors the application offers.
func TestUsersFilterTwoFactorEnabled(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.newUser(t, vars{"emailAddress": "plain@example.com"})
		id := s.newUser(t, vars{"emailAddress": "mfa@example.com"})
		d := s.browser()
		d.passClientTrust(t, "mfa@example.com", testPassword, "email_code", "mfa@example.com")
		d.mustSession(t, "mfa@example.com")
		d.enrollTOTP(t)
		filtered := func(on bool) []string {
			r := s.admin(`query($app: ID!, $on: Boolean) { users(applicationId: $app, first: 10, where: {twoFactorEnabled: $on}) { edges { node { id twoFactorEnabled } } } }`,
				vars{"app": s.appID, "on": on}).data(t)
			var out []string
			for _, e := range r["users"].(map[string]any)["edges"].([]any) {
				n := e.(map[string]any)["node"].(map[string]any)
				if n["twoFactorEnabled"] != on {
					t.Errorf("filter twoFactorEnabled=%v returned %v with the field %v", on, n["id"], n["twoFactorEnabled"])
				}
				out = append(out, n["id"].(string))
			}
			return out
		}
		if got := filtered(true); len(got) != 1 || got[0] != id {
			t.Errorf("with TOTP offered: got %v, want only %s", got, id)
		}
		s.setSettings(t, vars{"secondFactors": []string{"phone_code"}})
		if got := filtered(true); len(got) != 0 {
			t.Errorf("with TOTP no longer offered: got %v, want nobody", got)
		}
		if got := filtered(false); !slices.Contains(got, id) {
			t.Errorf("with TOTP no longer offered: %s missing from twoFactorEnabled=false (got %v)", id, got)
		}
	})
}

// TestUsersPageFactors: the admin users list loads addresses, phones and
// TOTPs for the whole page at once; each user's twoFactorEnabled and
// addresses must still be their own.
func TestUsersPageFactors(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		s.createUser(t, "plain@example.com", "", testPassword)
		s.createUser(t, "totp@example.com", "", testPassword)
		s.createUser(t, "pending@example.com", "", testPassword)
		s.createUser(t, "phone@example.com", "", testPassword)
		totp := s.browser()
		totp.mustSession(t, "totp@example.com")
		totp.enrollTOTP(t)
		pending := s.browser()
		pending.mustSession(t, "pending@example.com")
		pending.do(`mutation { totpCreate { id } }`, nil).data(t) // never verified
		phone := s.browser()
		phone.mustSession(t, "phone@example.com")
		phone.enrollPhoneMFA(t, "+15550100777")

		r := s.admin(`query($app: ID!) { users(applicationId: $app, first: 50) { edges { node {
		  twoFactorEnabled emailAddresses { emailAddress } phoneNumbers { phoneNumber reservedForSecondFactor } } } } }`,
			vars{"app": s.appID}).data(t)
		got := map[string]bool{}
		for _, e := range r["users"].(map[string]any)["edges"].([]any) {
			n := e.(map[string]any)["node"].(map[string]any)
			emails := n["emailAddresses"].([]any)
			if len(emails) != 1 {
				t.Fatalf("a user lists %d email addresses, want 1: %v", len(emails), n)
			}
			email := emails[0].(map[string]any)["emailAddress"].(string)
			got[email] = n["twoFactorEnabled"].(bool)
			if phones := n["phoneNumbers"].([]any); (email == "phone@example.com") != (len(phones) == 1) {
				t.Errorf("%s lists phones %v", email, phones)
			}
		}
		want := map[string]bool{"plain@example.com": false, "totp@example.com": true, "pending@example.com": false, "phone@example.com": true}
		for email, w := range want {
			if g, ok := got[email]; !ok || g != w {
				t.Errorf("%s: twoFactorEnabled = %v (listed %v), want %v", email, g, ok, w)
			}
		}
	})
}

// TestFactorEnrolledDuringTheHash checks that a second factor verified while
// a password sign-in waits for its hash still decides the sign-in: the user
// is read before the hash, but the step reads the user's factors again in
// its transaction. The hash pool has one slot, held by a slow hash, so the
// sign-in is known to be waiting when the TOTP is stored.
func TestFactorEnrolledDuringTheHash(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, func(c *Config) { c.HashWorkers = 1 })
		id := s.createUser(t, "racer@example.com", "", testPassword)
		ctx := context.Background()

		slowHasher, err := factor.NewHasher(factor.HasherConfig{Params: factor.Params{Memory: 19456, Time: 20, Threads: 1, SaltLen: 16, KeyLen: 32}})
		if err != nil {
			t.Fatal(err)
		}
		slow, err := slowHasher.Hash(ctx, "something else")
		if err != nil {
			t.Fatal(err)
		}
		held := make(chan struct{})
		go func() {
			defer close(held)
			s.m.Hasher.Verify(ctx, slow, "something else") // holds the one slot for a few hundred ms
		}()
		waitFor(t, func() bool { return s.m.Hasher.Stats().Running == 1 })

		d := s.browser()
		signedIn := make(chan result, 1)
		go func() { signedIn <- d.signIn("racer@example.com", testPassword) }()
		waitFor(t, func() bool { return s.m.Hasher.Stats().Queued == 1 })
		// The sign-in has read the user (no second factor) and waits for the slot.
		if err := s.m.DB.Ent.Totp.Create().SetUserID(id).SetSecretSealed([]byte("sealed")).SetVerified(true).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		<-held
		if got := signInObj(t, <-signedIn, "signInCreate")["status"]; got != "needs_second_factor" {
			t.Fatalf("status %v, want needs_second_factor (a TOTP verified during the hash)", got)
		}
	})
}

// waitFor polls cond every millisecond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
	}
}
