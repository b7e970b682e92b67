package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// signInStatus signs in with testPassword on d and returns the status (or the error code).
func (d *browser) signInStatus(tb testing.TB, ident, password string) string {
	tb.Helper()
	r := d.signIn(ident, password)
	if len(r.Errors) > 0 {
		return r.code(tb)
	}
	return signInObj(tb, r, "signInCreate")["status"].(string)
}

// passClientTrust signs in with a password on d, answers the Client Trust
// challenge with the code sent to `to`, and returns the completed sign-in.
func (d *browser) passClientTrust(tb testing.TB, ident, password, strategy, to string) map[string]any {
	tb.Helper()
	si := signInObj(tb, d.signIn(ident, password), "signInCreate")
	if si["status"] != "needs_client_trust" {
		tb.Fatalf("got status %v, want needs_client_trust", si["status"])
	}
	id := si["id"].(string)
	in := factorInput(si["supportedSecondFactors"], strategy)
	if in == nil {
		tb.Fatalf("got second factors %v, want %s", strategies(si["supportedSecondFactors"]), strategy)
	}
	signInObj(tb, d.prepareSecondWith(id, in), "signInPrepareSecondFactor")
	done := signInObj(tb, d.attemptSecond(id, strategy, d.s.mail.code(tb, to)), "signInAttemptSecondFactor")
	if done["status"] != "complete" || done["createdSessionId"] == nil {
		tb.Fatalf("got %v, want complete with a session", done)
	}
	return done
}

func TestClientTrustRules(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)

		t.Run("phone_code only when email is disabled: the SMS flow", func(t *testing.T) {
			s.newUser(t, vars{"emailAddress": "sms@example.com", "phoneNumber": "+15550300001"})
			si := signInObj(t, s.browser().signIn("sms@example.com", testPassword), "signInCreate")
			if got := strategies(si["supportedSecondFactors"]); si["status"] != "needs_client_trust" || !slices.Equal(got, []string{"email_code"}) {
				t.Fatalf("email enabled: got %v %v, want needs_client_trust [email_code]", si["status"], got)
			}

			s.setSettings(t, vars{"emailEnabled": false, "firstFactors": []string{"password", "phone_code"}})
			defer s.setSettings(t, vars{"emailEnabled": true, "firstFactors": []string{"password", "email_code", "phone_code"}})
			d := s.browser()
			si = signInObj(t, d.signIn("+1 555 030 0001", testPassword), "signInCreate")
			if got := strategies(si["supportedSecondFactors"]); si["status"] != "needs_client_trust" || !slices.Equal(got, []string{"phone_code"}) {
				t.Fatalf("email disabled: got %v %v, want needs_client_trust [phone_code]", si["status"], got)
			}
			f := si["supportedSecondFactors"].([]any)[0].(map[string]any)
			if f["safeIdentifier"] == "+15550300001" || f["safeIdentifier"] == nil {
				t.Errorf("got safeIdentifier %v, want the number masked", f["safeIdentifier"])
			}
			before := s.mail.count("sms@example.com")
			p := signInObj(t, d.prepareSecondWith(si["id"].(string), factorInput(si["supportedSecondFactors"], "phone_code")), "signInPrepareSecondFactor")
			if p["clientTrustState"] != "pending" {
				t.Errorf("got clientTrustState %v after prepare, want pending", p["clientTrustState"])
			}
			if m := s.mail.last(t, "+15550300001"); m.Kind != "client_trust_code" {
				t.Errorf("got SMS kind %q, want client_trust_code", m.Kind)
			}
			if s.mail.count("sms@example.com") != before {
				t.Error("an email went out although email is disabled")
			}
			done := signInObj(t, d.attemptSecond(si["id"].(string), "phone_code", s.mail.code(t, "+15550300001")), "signInAttemptSecondFactor")
			if done["status"] != "complete" || done["createdSessionId"] == nil {
				t.Fatalf("got %v, want complete with a session", done)
			}
			if got := d.signInStatus(t, "+15550300001", testPassword); got != "complete" {
				t.Errorf("the device that passed by SMS: got %s, want complete", got)
			}
		})

		t.Run("a passwordless email_code sign-in never triggers it and trusts the device", func(t *testing.T) {
			s.newUser(t, vars{"emailAddress": "otp@example.com"})
			d := s.browser()
			si := signInObj(t, d.codeSignIn(t, "otp@example.com", "email_code", "otp@example.com"), "signInAttemptFirstFactor")
			if si["status"] != "complete" || si["clientTrustState"] != nil {
				t.Fatalf("got status %v clientTrustState %v, want complete and none", si["status"], si["clientTrustState"])
			}
			si = signInObj(t, d.signIn("otp@example.com", testPassword), "signInCreate")
			if si["status"] != "complete" || si["clientTrustState"] != "known" {
				t.Fatalf("password on the same device: got %v/%v, want complete/known", si["status"], si["clientTrustState"])
			}
		})

		t.Run("a passwordless phone_code sign-in never triggers it", func(t *testing.T) {
			s.newUser(t, vars{"phoneNumber": "+15550300002"})
			si := signInObj(t, s.browser().codeSignIn(t, "+15550300002", "phone_code", "+15550300002"), "signInAttemptFirstFactor")
			if si["status"] != "complete" {
				t.Fatalf("got status %v, want complete", si["status"])
			}
		})

		t.Run("a completed sign-up trusts its device", func(t *testing.T) {
			d := s.browser()
			su := d.do(`mutation { signUpCreate(input: {emailAddress: "new@example.com", password: "correct horse battery"}) { id } }`, nil).
				data(t)["signUpCreate"].(map[string]any)
			d.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { id } }`, vars{"id": su["id"]}).data(t)
			d.do(`mutation($id: ID!, $c: String!) { signUpAttemptVerification(id: $id, strategy: "email_code", code: $c) { status } }`,
				vars{"id": su["id"], "c": s.mail.code(t, "new@example.com")}).data(t)
			if got := d.signInStatus(t, "new@example.com", testPassword); got != "complete" {
				t.Fatalf("got %s, want complete", got)
			}
			if got := s.browser().signInStatus(t, "new@example.com", testPassword); got != "needs_client_trust" {
				t.Fatalf("another device: got %s, want needs_client_trust", got)
			}
		})

		t.Run("a completed MFA sign-in trusts its device for after MFA is reset", func(t *testing.T) {
			id := s.newUser(t, vars{"emailAddress": "mfa-trust@example.com"})
			setup := s.browser()
			setup.passClientTrust(t, "mfa-trust@example.com", testPassword, "email_code", "mfa-trust@example.com")
			setup.mustSession(t, "mfa-trust@example.com")
			secret, _ := setup.enrollTOTP(t)
			s.clock.Advance(30e9)
			d := s.browser()
			si := signInObj(t, d.signIn("mfa-trust@example.com", testPassword), "signInCreate")
			done := signInObj(t, d.attemptSecond(si["id"].(string), "totp", totpNow(s, secret, 0)), "signInAttemptSecondFactor")
			if done["status"] != "complete" {
				t.Fatalf("got %v, want complete", done["status"])
			}
			s.admin(`mutation($id: ID!) { resetUserMfa(id: $id) { id } }`, vars{"id": id}).data(t)
			if got := d.signInStatus(t, "mfa-trust@example.com", testPassword); got != "complete" {
				t.Fatalf("the device that passed MFA: got %s, want complete", got)
			}
			if got := s.browser().signInStatus(t, "mfa-trust@example.com", testPassword); got != "needs_client_trust" {
				t.Fatalf("a new device: got %s, want needs_client_trust", got)
			}
		})

		t.Run("a challenge answers only on its device and only to the user's address", func(t *testing.T) {
			s.newUser(t, vars{"emailAddress": "owner@example.com"})
			otherID := s.newUser(t, vars{"emailAddress": "elsewhere@example.com"})
			other := s.admin(`query($id: ID!) { user(id: $id) { emailAddresses { id } } }`, vars{"id": otherID}).
				data(t)["user"].(map[string]any)["emailAddresses"].([]any)[0].(map[string]any)["id"]
			d := s.browser()
			si := signInObj(t, d.signIn("owner@example.com", testPassword), "signInCreate")
			id := si["id"].(string)
			wantError(t, d.prepareSecondWith(id, vars{"strategy": "email_code", "emailAddressId": other}), "strategy_for_user_invalid", "strategy")
			if n := s.mail.count("elsewhere@example.com"); n != 0 {
				t.Fatalf("got %d messages to another user's address, want 0", n)
			}
			signInObj(t, d.prepareSecondWith(id, factorInput(si["supportedSecondFactors"], "email_code")), "signInPrepareSecondFactor")
			code := s.mail.code(t, "owner@example.com")
			wantError(t, s.browser().attemptSecond(id, "email_code", code), "resource_not_found", "id")
			if done := signInObj(t, d.attemptSecond(id, "email_code", code), "signInAttemptSecondFactor"); done["status"] != "complete" {
				t.Fatalf("on its own device: got %v, want complete", done["status"])
			}
		})

		t.Run("trust belongs to the (user, client) pair", func(t *testing.T) {
			s.newUser(t, vars{"emailAddress": "pair-a@example.com"})
			s.newUser(t, vars{"emailAddress": "pair-b@example.com"})
			shared := s.browser()
			shared.passClientTrust(t, "pair-a@example.com", testPassword, "email_code", "pair-a@example.com")
			if got := shared.signInStatus(t, "pair-b@example.com", testPassword); got != "needs_client_trust" {
				t.Fatalf("another user on a device trusted for the first: got %s, want needs_client_trust", got)
			}
			if got := shared.signInStatus(t, "pair-a@example.com", testPassword); got != "complete" {
				t.Fatalf("the first user again: got %s, want complete", got)
			}
		})

		t.Run("a sign-in completed on a new device sends one new-device email", func(t *testing.T) {
			s.newUser(t, vars{"emailAddress": "notify@example.com", "phoneNumber": "+15550300003"})
			const kind = "new_device_sign_in"
			d := s.browser()
			d.passClientTrust(t, "notify@example.com", testPassword, "email_code", "notify@example.com")
			if got := s.mail.countKind("notify@example.com", kind); got != 1 {
				t.Fatalf("after the first sign-in on the device: got %d notices, want 1", got)
			}
			if m := s.mail.last(t, "notify@example.com"); m.Kind != kind || !strings.Contains(m.Text, "Test app") {
				t.Errorf("got the last message %q %q, want the notice naming the application", m.Kind, m.Text)
			}
			d.mustSession(t, "notify@example.com")
			if got := s.mail.countKind("notify@example.com", kind); got != 1 {
				t.Errorf("a known device: got %d notices, want still 1", got)
			}
			s.setSettings(t, vars{"notifyNewDevice": false})
			s.browser().codeSignIn(t, "notify@example.com", "email_code", "notify@example.com")
			s.setSettings(t, vars{"notifyNewDevice": true})
			if got := s.mail.countKind("notify@example.com", kind); got != 1 {
				t.Errorf("notifyNewDevice off: got %d notices, want still 1", got)
			}
			s.setSettings(t, vars{"emailEnabled": false, "firstFactors": []string{"password", "phone_code"}})
			s.browser().codeSignIn(t, "+15550300003", "phone_code", "+15550300003")
			s.setSettings(t, vars{"emailEnabled": true, "firstFactors": []string{"password", "email_code", "phone_code"}})
			if got := s.mail.countKind("notify@example.com", kind); got != 1 {
				t.Errorf("email disabled for the application: got %d notices, want still 1", got)
			}
		})

		// Three devices of one user, all trusted.
		s.newUser(t, vars{"emailAddress": "rev@example.com"})
		a, b, c := s.browser(), s.browser(), s.browser()
		for _, d := range []*browser{a, b, c} {
			d.passClientTrust(t, "rev@example.com", testPassword, "email_code", "rev@example.com")
		}
		password := testPassword

		t.Run("passwordUpdate revokes trust on other devices, not the current one", func(t *testing.T) {
			a.mustSession(t, "rev@example.com")
			const next = "a brand new passphrase 42"
			ok := a.do(`mutation($c: String!, $n: String!) { passwordUpdate(current: $c, new: $n) }`, vars{"c": password, "n": next}).data(t)
			if ok["passwordUpdate"] != true {
				t.Fatalf("got %v, want true", ok)
			}
			password = next
			if got := b.signInStatus(t, "rev@example.com", password); got != "needs_client_trust" {
				t.Errorf("another device: got %s, want needs_client_trust", got)
			}
			if got := a.signInStatus(t, "rev@example.com", password); got != "complete" {
				t.Errorf("the device that changed the password: got %s, want complete", got)
			}
		})

		t.Run("trustedClientRevoke ends the trust of one device", func(t *testing.T) {
			// The password change revoked c's trust: earn it again.
			c.passClientTrust(t, "rev@example.com", password, "email_code", "rev@example.com")
			a.mustSessionWith(t, "rev@example.com", password)
			cID := c.clientID(t)
			list := a.do(`{ trustedClients { id clientId current } }`, nil).data(t)["trustedClients"].([]any)
			var target string
			for _, tc := range list {
				m := tc.(map[string]any)
				if m["clientId"] == cID {
					target = m["id"].(string)
				}
				if m["clientId"] == a.clientID(t) && m["current"] != true {
					t.Errorf("got current %v for the calling device, want true", m["current"])
				}
			}
			if target == "" {
				t.Fatalf("device c is not among the trusted clients %v", list)
			}
			a.do(`mutation($id: ID!) { trustedClientRevoke(id: $id) }`, vars{"id": target}).data(t)
			if got := c.signInStatus(t, "rev@example.com", password); got != "needs_client_trust" {
				t.Errorf("the revoked device: got %s, want needs_client_trust", got)
			}
			if got := a.signInStatus(t, "rev@example.com", password); got != "complete" {
				t.Errorf("a device still trusted: got %s, want complete", got)
			}
			r := s.browser().do(`mutation($id: ID!) { trustedClientRevoke(id: $id) }`, vars{"id": target})
			if got := r.code(t); got != "authentication_invalid" {
				t.Errorf("revoking without a session: got %s, want authentication_invalid", got)
			}
		})

		t.Run("sessionRevoke ends another session of the user", func(t *testing.T) {
			// Device c lost its trust above: it earns it again with a code.
			done := c.passClientTrust(t, "rev@example.com", password, "email_code", "rev@example.com")
			c.token(t, done["createdSessionId"].(string))
			a.mustSessionWith(t, "rev@example.com", password)
			target, listed := done["createdSessionId"].(string), false
			for _, x := range a.do(`{ sessions { id clientId status } }`, nil).data(t)["sessions"].([]any) {
				if m := x.(map[string]any); m["id"] == target && m["clientId"] == c.clientID(t) {
					listed = true
				}
			}
			if !listed {
				t.Fatal("device c's session is not among the user's sessions")
			}
			r := a.do(`mutation($id: ID!) { sessionRevoke(id: $id) { id status } }`, vars{"id": target}).data(t)["sessionRevoke"].(map[string]any)
			if r["status"] == "active" {
				t.Fatalf("got %v, want the session ended", r)
			}
			again := a.do(`mutation($id: ID!) { sessionRevoke(id: $id) { id status } }`, vars{"id": target}).data(t)["sessionRevoke"].(map[string]any)
			if again["status"] != r["status"] {
				t.Errorf("revoking it again: got %v, want it as it ended (%v)", again, r["status"])
			}
			if got := a.do(`mutation { sessionRevoke(id: "sess_nope") { id } }`, nil).code(t); got != "resource_not_found" {
				t.Errorf("an unknown session: code = %s, want resource_not_found", got)
			}
			if me := c.do(`{ me { id } }`, nil).data(t)["me"]; me != nil {
				t.Errorf("me on the revoked session: got %v, want null", me)
			}
			if me := a.do(`{ me { id } }`, nil).data(t)["me"]; me == nil {
				t.Error("me on the current session: got null, want the user")
			}
		})

		t.Run("an admin's revokeTrustedClients ends the trust of every device", func(t *testing.T) {
			id := s.userIDByEmail(t, "rev@example.com")
			s.admin(`mutation($id: ID!) { revokeTrustedClients(userId: $id) { id } }`, vars{"id": id}).data(t)
			if got := a.signInStatus(t, "rev@example.com", password); got != "needs_client_trust" {
				t.Errorf("got %s, want needs_client_trust", got)
			}
		})

		t.Run("client_trust_unavailable without a verified email or phone, and no session", func(t *testing.T) {
			s.setSettings(t, vars{"usernameEnabled": true})
			id := s.newUser(t, vars{"emailAddress": "unverified@example.com", "emailVerified": false, "username": "nocontact"})
			d := s.browser()
			r := d.signIn("nocontact", testPassword)
			if got := r.code(t); got != "client_trust_unavailable" {
				t.Fatalf("got %s, want client_trust_unavailable", got)
			}
			if n := s.sessionCount(t, id); n != 0 {
				t.Errorf("got %d sessions, want 0", n)
			}
			ev := s.events(t, vars{"userId": id, "kind": "client_trust.unavailable"})
			if len(ev) != 1 {
				t.Errorf("got %d client_trust.unavailable events, want 1", len(ev))
			}
			cl := d.do(`{ client { signIn { status createdSessionId } sessions { id } } }`, nil).data(t)["client"].(map[string]any)
			if si, _ := cl["signIn"].(map[string]any); si != nil && (si["status"] == "complete" || si["createdSessionId"] != nil) {
				t.Errorf("got client sign-in %v, want it not complete", si)
			}
			if n := len(cl["sessions"].([]any)); n != 0 {
				t.Errorf("got %d sessions on the client, want 0", n)
			}
		})
	})
}

// TestClientCurrentSignIn checks what client.signIn answers as sign-ins start
// and finish on one client: the sign-in in progress, and none once a sign-in
// completed, including one that completed in signInCreate itself while an
// older sign-in was still in progress.
func TestClientCurrentSignIn(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		s.createUser(t, "current@example.com", "", testPassword)
		d := s.browser()
		current := func() any {
			t.Helper()
			return d.do(`{ client { signIn { id status } } }`, nil).data(t)["client"].(map[string]any)["signIn"]
		}
		wantCurrent := func(id string) {
			t.Helper()
			si, _ := current().(map[string]any)
			if id == "" && si != nil {
				t.Fatalf("client.signIn = %v, want null", si)
			}
			if id != "" && (si == nil || si["id"] != id) {
				t.Fatalf("client.signIn = %v, want sign-in %s", si, id)
			}
		}
		wantCurrent("")

		// A new device stops at Client Trust: that sign-in is current until the code completes it.
		first := signInObj(t, d.signIn("current@example.com", testPassword), "signInCreate")
		if first["status"] != "needs_client_trust" {
			t.Fatalf("status %v, want needs_client_trust", first["status"])
		}
		id := first["id"].(string)
		wantCurrent(id)
		d.prepareSecond(id, "email_code").data(t)
		d.attemptSecond(id, "email_code", s.mail.code(t, "current@example.com")).data(t)
		wantCurrent("")

		// On the now trusted device: a sign-in left at its identifier is current...
		open := d.do(`mutation($i: String!) { signInCreate(input: {identifier: $i}) { id status } }`, vars{"i": "current@example.com"})
		openID := signInObj(t, open, "signInCreate")["id"].(string)
		wantCurrent(openID)
		// ...until a password sign-in completes at once, twice in a row. The
		// client then points at no sign-in at all (not at the completed one),
		// so that the next such sign-in has nothing to write on it.
		for range 2 {
			if st := signInObj(t, d.signIn("current@example.com", testPassword), "signInCreate")["status"]; st != "complete" {
				t.Fatalf("status %v, want complete", st)
			}
			wantCurrent("")
			row, err := s.m.DB.Ent.Device.Get(context.Background(), d.clientID(t))
			if err != nil {
				t.Fatal(err)
			}
			if row.SignInID != nil {
				t.Fatalf("the client's sign_in_id is %s, want none", *row.SignInID)
			}
		}
	})
}

// TestMFAEnrolledMidSignInTakesPrecedence: rule 2 holds for a sign-in
// already waiting at needs_client_trust when its user enables MFA elsewhere.
// Its next step finds it at needs_second_factor with the user's factors; the
// Client Trust code sent before no longer completes it, the authenticator
// does.
func TestMFAEnrolledMidSignInTakesPrecedence(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": true})
		uid := s.createUser(t, "ada@example.com", "", testPassword)
		home := s.browser()
		sid := home.passClientTrust(t, "ada@example.com", testPassword, "email_code", "ada@example.com")["createdSessionId"].(string)
		s.clock.Advance(31 * time.Second)
		home.token(t, sid)

		d := s.browser()
		si := signInObj(t, d.signIn("ada@example.com", testPassword), "signInCreate")
		if si["status"] != "needs_client_trust" {
			t.Fatalf("status %v, want needs_client_trust", si["status"])
		}
		id := si["id"].(string)
		signInObj(t, d.prepareSecond(id, "email_code"), "signInPrepareSecondFactor")
		code := s.mail.code(t, "ada@example.com")
		secret, _ := home.enrollTOTP(t)
		sessions := s.sessionCount(t, uid)

		if got := d.attemptSecond(id, "email_code", code).code(t); got != "strategy_for_user_invalid" {
			t.Fatalf("the Client Trust code after MFA was enabled: %s, want strategy_for_user_invalid", got)
		}
		cur := d.do(`{ client { signIn { status clientTrustState supportedSecondFactors { strategy } } } }`, nil).data(t)["client"].(map[string]any)["signIn"].(map[string]any)
		if cur["status"] != "needs_second_factor" || cur["clientTrustState"] != nil || !slices.Contains(strategies(cur["supportedSecondFactors"]), "totp") {
			t.Fatalf("sign-in after MFA was enabled: %v, want needs_second_factor listing totp", cur)
		}
		if n := s.sessionCount(t, uid); n != sessions {
			t.Fatalf("%d sessions, want %d", n, sessions)
		}
		s.clock.Advance(30 * time.Second) // past the enrolment's own code
		done := signInObj(t, d.attemptSecond(id, "totp", totpNow(s, secret, 0)), "signInAttemptSecondFactor")
		if done["status"] != "complete" {
			t.Fatalf("the authenticator: status %v, want complete", done["status"])
		}
		kinds := kindsOf(s.events(t, vars{"userId": uid}))
		if !slices.Contains(kinds, "second_factor.required") {
			t.Errorf("events %v: want second_factor.required for the move", kinds)
		}
	})
}

// TestLockedUserSignInStaysPut: a step of a locked user is refused before
// anything moves, MFA's precedence included: the sign-in waits at
// needs_client_trust, with no second_factor.required recorded, until the
// user is unlocked, and only then moves to the user's own second factor.
func TestLockedUserSignInStaysPut(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": true})
	uid := s.createUser(t, "ada@example.com", "", testPassword)
	home := s.browser()
	sid := home.passClientTrust(t, "ada@example.com", testPassword, "email_code", "ada@example.com")["createdSessionId"].(string)
	s.clock.Advance(31 * time.Second)
	home.token(t, sid)

	d := s.browser()
	id := signInObj(t, d.signIn("ada@example.com", testPassword), "signInCreate")["id"].(string)
	home.enrollTOTP(t)
	s.admin(`mutation($id: ID!) { lockUser(id: $id) { id } }`, vars{"id": uid}).data(t)

	if got := d.attemptSecond(id, "email_code", "000000").code(t); got != "user_locked" {
		t.Fatalf("a locked user's step: %s, want user_locked", got)
	}
	status := func() any {
		return d.do(`{ client { signIn { status } } }`, nil).data(t)["client"].(map[string]any)["signIn"].(map[string]any)["status"]
	}
	if got := status(); got != "needs_client_trust" {
		t.Fatalf("status after the refusal %v, want needs_client_trust", got)
	}
	if kinds := kindsOf(s.events(t, vars{"userId": uid})); slices.Contains(kinds, "second_factor.required") {
		t.Fatalf("events %v: a refused step recorded second_factor.required", kinds)
	}

	s.admin(`mutation($id: ID!) { unlockUser(id: $id) { id } }`, vars{"id": uid}).data(t)
	if got := d.attemptSecond(id, "email_code", "000000").code(t); got != "strategy_for_user_invalid" {
		t.Fatalf("after the unlock: %s, want strategy_for_user_invalid", got)
	}
	if got := status(); got != "needs_second_factor" {
		t.Fatalf("status after the unlock %v, want needs_second_factor", got)
	}
}

// TestOlderSignInsAreReadOnly: a newer signInCreate on a client replaces its
// sign-in in flight, as at Clerk: a step on the older one answers
// resource_forbidden, so a client holds one set of open codes, and the code
// it was sent completes nothing.
func TestOlderSignInsAreReadOnly(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": true})
	uid := s.createUser(t, "ada@example.com", "", testPassword)
	d := s.browser()
	old := signInObj(t, d.signIn("ada@example.com", testPassword), "signInCreate")["id"].(string)
	signInObj(t, d.prepareSecond(old, "email_code"), "signInPrepareSecondFactor")
	code := s.mail.code(t, "ada@example.com")
	newer := signInObj(t, d.create(vars{"identifier": "ada@example.com"}), "signInCreate")["id"].(string)
	for _, step := range []result{d.attemptSecond(old, "email_code", code), d.prepareSecond(old, "email_code")} {
		if got := step.code(t); got != "resource_forbidden" {
			t.Fatalf("a step on the older sign-in: %s, want resource_forbidden", got)
		}
	}
	if n := s.sessionCount(t, uid); n != 0 {
		t.Fatalf("%d sessions, want none", n)
	}
	cur := d.do(`{ client { signIn { id } } }`, nil).data(t)["client"].(map[string]any)["signIn"].(map[string]any)
	if cur["id"] != newer {
		t.Fatalf("client.signIn %v, want the newer %s", cur["id"], newer)
	}
	signInObj(t, d.attemptFirstWith(newer, vars{"strategy": "password", "password": testPassword}), "signInAttemptFirstFactor")
}

// TestSingleSessionMode: with singleSessionMode on, a client that holds a
// signed-in session answers session_exists to signInCreate and
// signUpCreate, as Clerk's single-session mode does; once it signs out it
// may sign in again. Off (the default), a client may hold several sessions.
func TestSingleSessionMode(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		uid := s.createUser(t, "ada@example.com", "", testPassword)
		s.createUser(t, "bob@example.com", "", testPassword)
		d := s.browser()
		d.mustSession(t, "ada@example.com")
		d.mustSession(t, "bob@example.com") // multi-session: a second account on the client

		s.setSettings(t, vars{"singleSessionMode": true})
		if got := d.signIn("ada@example.com", testPassword).code(t); got != "session_exists" {
			t.Fatalf("signInCreate on a signed-in client: %s, want session_exists", got)
		}
		r := d.do(`mutation { signUpCreate(input: {emailAddress: "new@example.com", password: "correct horse battery"}) { id } }`, nil)
		if got := r.code(t); got != "session_exists" {
			t.Fatalf("signUpCreate on a signed-in client: %s, want session_exists", got)
		}
		if n := s.sessionCount(t, uid); n != 1 {
			t.Fatalf("%d sessions of ada, want 1", n)
		}
		d.do(`mutation { signOut }`, nil).data(t)
		if si := signInObj(t, d.signIn("ada@example.com", testPassword), "signInCreate"); si["status"] != "complete" {
			t.Fatalf("after signing out: status %v, want complete", si["status"])
		}
		if r := s.browser().signIn("ada@example.com", testPassword); len(r.Errors) > 0 {
			t.Fatalf("another client: %s, want signed in", r.code(t))
		}
	})
}

// TestSingleSessionModeSignUpCompletion: in single-session mode a sign-up
// started on a client that signed in meanwhile does not complete with a
// second session there: its last code answers session_exists, unspent, and
// completes the sign-up once the client signed out.
func TestSingleSessionModeSignUpCompletion(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "singleSessionMode": true})
		s.createUser(t, "ada@example.com", "", testPassword)
		d := s.browser()
		id := d.do(`mutation { signUpCreate(input: {emailAddress: "new@example.com", password: "correct horse battery"}) { id } }`, nil).
			data(t)["signUpCreate"].(map[string]any)["id"].(string)
		d.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { id } }`, vars{"id": id}).data(t)
		d.mustSession(t, "ada@example.com")
		const attempt = `mutation($id: ID!, $c: String!) { signUpAttemptVerification(id: $id, strategy: "email_code", code: $c) { status createdSessionId } }`
		code := s.mail.code(t, "new@example.com")
		if got := d.do(attempt, vars{"id": id, "c": code}).code(t); got != "session_exists" {
			t.Fatalf("completing a sign-up on a signed-in client: %s, want session_exists", got)
		}
		d.do(`mutation { signOut }`, nil).data(t)
		done := d.do(attempt, vars{"id": id, "c": code}).data(t)["signUpAttemptVerification"].(map[string]any)
		if done["status"] != "complete" || done["createdSessionId"] == nil {
			t.Fatalf("after signing out: %v, want complete with a session", done)
		}
	})
}
