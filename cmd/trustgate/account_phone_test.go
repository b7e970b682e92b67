package main

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestReservingAnUnverifiedPhoneNumber: an unverified number cannot become a
// second factor, and the refusal carries Clerk's code for it
// (identification_create_second_factor_unverified), which a frontend ported
// from Clerk's setReservedForSecondFactor checks for.
func TestReservingAnUnverifiedPhoneNumber(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true})
		s.newUser(t, vars{"emailAddress": "unverified-phone@example.com"})
		d := s.browser()
		d.mustSession(t, "unverified-phone@example.com")
		p := d.do(`mutation { phoneNumberCreate(phoneNumber: "+15550710001") { id } }`, nil).data(t)["phoneNumberCreate"].(map[string]any)
		r := d.do(`mutation($id: ID!) { phoneNumberReserveForSecondFactor(id: $id, reserved: true) { id reservedForSecondFactor } }`,
			vars{"id": p["id"]})
		if got := r.code(t); got != "identification_create_second_factor_unverified" {
			t.Fatalf("reserving an unverified number: got %s, want identification_create_second_factor_unverified", got)
		}
		if ext := r.ext(t); ext["status"] != float64(400) || ext["paramName"] != "id" {
			t.Errorf("got extensions %v, want status 400 and paramName id", ext)
		}
		me := d.do(`{ me { twoFactorEnabled phoneNumbers { reservedForSecondFactor } } }`, nil).data(t)["me"].(map[string]any)
		if me["twoFactorEnabled"] != false || me["phoneNumbers"].([]any)[0].(map[string]any)["reservedForSecondFactor"] != false {
			t.Errorf("got %v, want the number not reserved and MFA off", me)
		}
	})
}

const phoneDelete = `mutation($id: ID!) { phoneNumberDelete(id: $id) }`

// TestPhoneNumberDelete: a user can remove a phone number (Clerk's
// phoneNumber.destroy()). Without it a verified number stayed on the account
// for good, still a passwordless first factor (phone_code) and still held
// against every other account, after its owner lost it or the carrier gave
// it to someone else. Removing a number reserved for two-step verification
// is a second-factor change: it needs a recent second factor, tells the
// user, and takes the backup codes with the last second factor. A code
// already sent to the number signs nobody in, and the last way to sign in
// cannot be removed.
func TestPhoneNumberDelete(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
			"firstFactors": []string{"password", "email_code", "phone_code"}})
		uid := s.newUser(t, vars{"emailAddress": "phone-owner@example.com"})
		owner := s.browser()
		ownerSID := owner.mustSession(t, "phone-owner@example.com")
		const number = "+15550720001"
		phoneID := owner.enrollPhoneMFA(t, number)
		codes := owner.do(`mutation { backupCodesCreate { codes } }`, nil).data(t)["backupCodesCreate"].(map[string]any)["codes"].([]any)
		if len(codes) != 10 {
			t.Fatalf("got %d backup codes, want 10", len(codes))
		}

		// Someone holding the number asks for a passwordless code.
		thief := s.browser()
		si := signInObj(t, thief.create(vars{"identifier": number}), "signInCreate")
		in := factorInput(si["supportedFirstFactors"], "phone_code")
		if in == nil {
			t.Fatalf("first factors %v, want phone_code", strategies(si["supportedFirstFactors"]))
		}
		signInObj(t, thief.prepareFirstWith(si["id"].(string), in), "signInPrepareFirstFactor")
		code := s.mail.code(t, number)

		t.Run("another user's number is not found", func(t *testing.T) {
			s.newUser(t, vars{"emailAddress": "phone-other@example.com"})
			other := s.browser()
			other.mustSession(t, "phone-other@example.com")
			if got := other.do(phoneDelete, vars{"id": phoneID}).code(t); got != "resource_not_found" {
				t.Fatalf("got %s, want resource_not_found", got)
			}
			if got := owner.do(phoneDelete, vars{"id": "idn_nope"}).code(t); got != "resource_not_found" {
				t.Fatalf("an unknown id: got %s, want resource_not_found", got)
			}
		})

		t.Run("a second factor needs a recent second factor", func(t *testing.T) {
			stale := s.browser()
			si := signInObj(t, stale.signIn("phone-owner@example.com", testPassword), "signInCreate")
			signInObj(t, stale.prepareSecondWith(si["id"].(string), vars{"strategy": "phone_code", "phoneNumberId": phoneID}), "signInPrepareSecondFactor")
			done := signInObj(t, stale.attemptSecond(si["id"].(string), "phone_code", s.mail.code(t, number)), "signInAttemptSecondFactor")
			stale.token(t, done["createdSessionId"].(string))
			s.clock.Advance(11 * time.Minute)
			stale.token(t, done["createdSessionId"].(string))
			if got := stale.do(phoneDelete, vars{"id": phoneID}).code(t); got != "session_reverification_required" {
				t.Fatalf("got %s, want session_reverification_required", got)
			}
		})

		t.Run("removing the reserved number ends MFA and its backup codes", func(t *testing.T) {
			// The owner verifies a second factor again (the clock moved on).
			owner.token(t, ownerSID)
			owner.reverifySMS(t, phoneID, number)
			notices := s.mail.countKind("phone-owner@example.com", "security_notice")
			if r := owner.do(phoneDelete, vars{"id": phoneID}).data(t); r["phoneNumberDelete"] != true {
				t.Fatalf("got %v, want true", r)
			}
			me := owner.do(`{ me { phoneNumbers { id } twoFactorEnabled backupCodeEnabled } }`, nil).data(t)["me"].(map[string]any)
			if len(me["phoneNumbers"].([]any)) != 0 || me["twoFactorEnabled"] != false || me["backupCodeEnabled"] != false {
				t.Errorf("got %v, want no numbers, no MFA, no backup codes", me)
			}
			if got := s.mail.countKind("phone-owner@example.com", "security_notice"); got != notices+1 {
				t.Errorf("got %d security notices, want %d", got, notices+1)
			}
			if row := s.userRow(t, uid); row.PrimaryPhoneNumberID != nil {
				t.Errorf("primary phone number still %v", *row.PrimaryPhoneNumberID)
			}
		})

		t.Run("a code sent before the removal signs nobody in", func(t *testing.T) {
			n := s.sessionCount(t, uid)
			r := thief.attemptFirstWith(si["id"].(string), vars{"strategy": "phone_code", "code": code})
			if len(r.Errors) == 0 {
				t.Fatalf("got %v, want the code refused", r.Data)
			}
			if got := s.sessionCount(t, uid); got != n {
				t.Fatalf("got %d sessions, want %d", got, n)
			}
		})

		t.Run("the number is free for another account", func(t *testing.T) {
			s.newUser(t, vars{"emailAddress": "phone-next@example.com"})
			next := s.browser()
			next.mustSession(t, "phone-next@example.com")
			if r := next.do(`mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { id } }`, vars{"p": number}); len(r.Errors) > 0 {
				t.Fatalf("adding the removed number to another account: %v", r.Errors)
			}
		})

		t.Run("the last way to sign in stays", func(t *testing.T) {
			const only = "+15550720009"
			id := s.newUser(t, vars{"phoneNumber": only, "phoneVerified": true})
			d := s.browser()
			d.mustSession(t, only)
			pid := *s.userRow(t, id).PrimaryPhoneNumberID
			if got := d.do(phoneDelete, vars{"id": pid}).code(t); got != "resource_forbidden" {
				t.Fatalf("removing the only identifier: got %s, want resource_forbidden", got)
			}
			if got := len(d.do(`{ me { phoneNumbers { id } } }`, nil).data(t)["me"].(map[string]any)["phoneNumbers"].([]any)); got != 1 {
				t.Errorf("got %d numbers, want the one kept", got)
			}
		})
	})
}

// reverifySMS refreshes d's session's second factor with an SMS code to
// number (phoneID), by a session reverification.
func (d *browser) reverifySMS(tb testing.TB, phoneID, number string) {
	tb.Helper()
	d.do(`mutation { sessionVerificationCreate { id } }`, nil).data(tb)
	d.do(`mutation($in: PrepareFactorInput!) { sessionVerificationPrepareSecondFactor(input: $in) { id } }`,
		vars{"in": vars{"strategy": "phone_code", "phoneNumberId": phoneID}}).data(tb)
	v := d.do(`mutation($in: AttemptFactorInput!) { sessionVerificationAttemptSecondFactor(input: $in) { status } }`,
		vars{"in": vars{"strategy": "phone_code", "code": d.s.mail.code(tb, number)}}).data(tb)
	if st := v["sessionVerificationAttemptSecondFactor"].(map[string]any)["status"]; st != "complete" {
		tb.Fatalf("reverification: got status %v, want complete", st)
	}
}

// TestPhoneNumberDeleteAndClientTrust: where email is off, the primary
// phone number is where Client Trust codes go, so removing it (another
// verified number becoming primary) is rule 4's primary change: every other
// client stops being trusted. Where email is on, the number is no Client
// Trust channel, and its removal leaves trust alone.
func TestPhoneNumberDeleteAndClientTrust(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		for i, emailOn := range []bool{false, true} {
			t.Run(fmt.Sprintf("email enabled %v", emailOn), func(t *testing.T) {
				s.setSettings(t, vars{"clientTrustEnabled": true, "phoneEnabled": true, "emailEnabled": emailOn,
					"firstFactors": []string{"password", "phone_code"}})
				first, second := fmt.Sprintf("+1555073%04d", 2*i), fmt.Sprintf("+1555073%04d", 2*i+1)
				// Client Trust codes go to the primary number where email is
				// off, and to the primary address (which a phone-only user
				// lacks: client_trust_unavailable, rule 5) where it is on.
				who, strategy, to := first, "phone_code", first
				in := vars{"phoneNumber": first, "phoneVerified": true}
				if emailOn {
					who, strategy, to = fmt.Sprintf("phone-trust-%d@example.com", i), "email_code", fmt.Sprintf("phone-trust-%d@example.com", i)
					in["emailAddress"] = who
				}
				uid := s.newUser(t, in)
				trusted := s.browser()
				trusted.passClientTrust(t, who, testPassword, strategy, to)
				home := s.browser()
				home.token(t, home.passClientTrust(t, who, testPassword, strategy, to)["createdSessionId"].(string))
				id := home.do(`mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { id } }`, vars{"p": second}).
					data(t)["phoneNumberCreate"].(map[string]any)["id"].(string)
				home.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`, vars{"id": id}).data(t)
				home.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { id } }`,
					vars{"id": id, "c": s.mail.code(t, second)}).data(t)

				primary := *s.userRow(t, uid).PrimaryPhoneNumberID
				if r := home.do(phoneDelete, vars{"id": primary}).data(t); r["phoneNumberDelete"] != true {
					t.Fatalf("removing the primary number: %v", r)
				}
				if got := s.userRow(t, uid).PrimaryPhoneNumberID; got == nil || *got != id {
					t.Fatalf("primary number after the removal: %v, want the other verified one %s", got, id)
				}
				want := "complete"
				if !emailOn {
					want, who = "needs_client_trust", second
				}
				if si := signInObj(t, trusted.signIn(who, testPassword), "signInCreate"); si["status"] != want {
					t.Errorf("a device trusted before the removal: got %v, want %s", si["status"], want)
				}
				if si := signInObj(t, home.signIn(who, testPassword), "signInCreate"); si["status"] != "complete" {
					t.Errorf("the device that removed it: got %v, want complete", si["status"])
				}
			})
		}
	})
}

// TestPhoneNumberDeleteKeepsAFirstFactor: the last way to sign in is an
// identifier together with a first factor that signs it in, not an
// identifier alone. A user without a password (created so by an admin, or
// signed up before passwords were on), where email_code is no first factor,
// signs in only with the number's SMS code: a verified email address or a
// username left behind names the account but proves nothing, and removing
// the number would lock the user out for good.
func TestPhoneNumberDeleteKeepsAFirstFactor(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true, "emailEnabled": true, "usernameEnabled": true,
			"firstFactors": []string{"password", "phone_code"}})
		for i, in := range []vars{
			{"emailAddress": "no-password-phone@example.com", "emailVerified": true},
			{"username": "nopasswordphone"},
		} {
			number := fmt.Sprintf("+1555074%04d", i)
			in["phoneNumber"], in["phoneVerified"], in["password"] = number, true, nil
			uid := s.newUser(t, in)
			d := s.browser()
			r := d.codeSignIn(t, number, "phone_code", number)
			d.token(t, signInObj(t, r, "signInAttemptFirstFactor")["createdSessionId"].(string))
			pid := *s.userRow(t, uid).PrimaryPhoneNumberID
			if got := d.do(phoneDelete, vars{"id": pid}).code(t); got != "resource_forbidden" {
				t.Errorf("%v: removing the only number that signs in: got %s, want resource_forbidden", in, got)
			}
		}
		// With a password, the address or the username signs in.
		uid := s.newUser(t, vars{"emailAddress": "password-phone@example.com", "emailVerified": true,
			"phoneNumber": "+15550749999", "phoneVerified": true})
		d := s.browser()
		d.mustSession(t, "password-phone@example.com")
		if r := d.do(phoneDelete, vars{"id": *s.userRow(t, uid).PrimaryPhoneNumberID}).data(t); r["phoneNumberDelete"] != true {
			t.Fatalf("removing a number beside a password and an address: %v", r)
		}
	})
}

// TestClientTrustCodeToANumberRemovedDuringTheAttemptIsRefused: where email
// is off, Client Trust codes go to the primary phone number. A code sent
// there, entered while the user removes the number (lost, or given to
// someone else by the carrier), proves nothing about the account: as a
// first-factor code (targetGone) and an MFA code (its reservation read
// again), the attempt checks inside its transaction that the number is
// still the user's, not only in the factors it read before.
func TestClientTrustCodeToANumberRemovedDuringTheAttemptIsRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": true, "phoneEnabled": true, "emailEnabled": false,
			"firstFactors": []string{"password", "phone_code"}})
		const lost, kept = "+15550750001", "+15550750002"
		uid := s.newUser(t, vars{"phoneNumber": lost, "phoneVerified": true})
		owner := s.browser()
		owner.token(t, owner.passClientTrust(t, lost, testPassword, "phone_code", lost)["createdSessionId"].(string))
		owner.addPhone(t, kept)
		primary := *s.userRow(t, uid).PrimaryPhoneNumberID

		// Whoever holds the lost number (and the password) starts a sign-in
		// on a new device; its Client Trust code goes to the number.
		thief := s.browser()
		si := signInObj(t, thief.signIn(lost, testPassword), "signInCreate")
		if si["status"] != "needs_client_trust" {
			t.Fatalf("got status %v, want needs_client_trust", si["status"])
		}
		id := si["id"].(string)
		signInObj(t, thief.prepareSecondWith(id, factorInput(si["supportedSecondFactors"], "phone_code")), "signInPrepareSecondFactor")
		code := s.mail.code(t, lost)

		// The owner removes the number once the attempt has read it.
		var removed result
		fired := afterNextRead(s.m.DB.Ent.PhoneNumber, func() { removed = owner.do(phoneDelete, vars{"id": primary}) })
		res := thief.attemptSecond(id, "phone_code", code)
		if !fired() {
			t.Fatal("the attempt read no phone number")
		}
		if len(removed.Errors) > 0 {
			t.Fatalf("phoneNumberDelete: %v", removed.Errors)
		}
		if len(res.Errors) == 0 {
			t.Fatalf("a Client Trust code to a number removed during the attempt: got %v, want an error (no session)",
				res.Data["signInAttemptSecondFactor"])
		}
		if got := res.code(t); got != "verification_missing" {
			t.Fatalf("got %s, want verification_missing", got)
		}
	})
}

// TestPhoneNumberMakeDefaultSecondFactor: among the numbers reserved for
// two-step verification, the default (Clerk's defaultSecondFactor) is the
// oldest until the user picks another (phoneNumberMakeDefaultSecondFactor).
// It is the first phone_code second factor a sign-in lists, the one marked
// primary, and the one a prepare naming no number texts. Unreserving it
// gives the default back to the oldest, and reserving it again does not
// make it the default again. A number not reserved cannot be the default,
// nor any where SMS is no second factor; another user's is not found.
func TestPhoneNumberMakeDefaultSecondFactor(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true})
		s.newUser(t, vars{"emailAddress": "two-phones@example.com"})
		owner := s.browser()
		owner.mustSession(t, "two-phones@example.com")
		const older, newer = "+15550730001", "+15550730002"
		olderID := owner.enrollPhoneMFA(t, older)
		s.clock.Advance(time.Second)
		newerID := owner.enrollPhoneMFA(t, newer)

		defaults := func(t *testing.T) map[string]bool {
			t.Helper()
			out := map[string]bool{}
			me := owner.do(`{ me { phoneNumbers { id defaultSecondFactor } } }`, nil).data(t)["me"].(map[string]any)
			for _, p := range me["phoneNumbers"].([]any) {
				m := p.(map[string]any)
				out[m["id"].(string)] = m["defaultSecondFactor"].(bool)
			}
			return out
		}
		// signInTexts signs in on a new device, checks that the first
		// phone_code second factor is want's and the only one marked
		// primary, and prepares phone_code naming no number: the code must
		// go to wantNumber.
		signInTexts := func(t *testing.T, want, wantNumber string) {
			t.Helper()
			d := s.browser()
			si := signInObj(t, d.signIn("two-phones@example.com", testPassword), "signInCreate")
			if si["status"] != "needs_second_factor" {
				t.Fatalf("sign-in status %v, want needs_second_factor", si["status"])
			}
			var phones []map[string]any
			for _, f := range si["supportedSecondFactors"].([]any) {
				if m := f.(map[string]any); m["strategy"] == "phone_code" {
					phones = append(phones, m)
				}
			}
			if len(phones) != 2 || phones[0]["phoneNumberId"] != want || phones[0]["primary"] != true || phones[1]["primary"] != false {
				t.Fatalf("phone_code second factors %v, want %s first and alone marked primary", phones, want)
			}
			before := s.mail.count(wantNumber)
			signInObj(t, d.prepareSecondWith(si["id"].(string), vars{"strategy": "phone_code"}), "signInPrepareSecondFactor")
			if got := s.mail.count(wantNumber); got != before+1 {
				t.Fatalf("a prepare naming no number sent %d messages to %s, want 1", got-before, wantNumber)
			}
		}
		const makeDefault = `mutation($id: ID!) { phoneNumberMakeDefaultSecondFactor(id: $id) { id defaultSecondFactor } }`

		if got := defaults(t); !got[olderID] || got[newerID] {
			t.Fatalf("defaults %v, want the older number's", got)
		}
		signInTexts(t, olderID, older)

		p := owner.do(makeDefault, vars{"id": newerID}).data(t)["phoneNumberMakeDefaultSecondFactor"].(map[string]any)
		if p["id"] != newerID || p["defaultSecondFactor"] != true {
			t.Fatalf("phoneNumberMakeDefaultSecondFactor: %v, want the newer number, default", p)
		}
		if got := defaults(t); got[olderID] || !got[newerID] {
			t.Fatalf("defaults %v, want the newer number's alone", got)
		}
		signInTexts(t, newerID, newer)

		r := owner.do(`mutation($id: ID!) { phoneNumberReserveForSecondFactor(id: $id, reserved: false) { defaultSecondFactor } }`, vars{"id": newerID}).
			data(t)["phoneNumberReserveForSecondFactor"].(map[string]any)
		if r["defaultSecondFactor"] != false {
			t.Fatalf("an unreserved number reads defaultSecondFactor %v", r["defaultSecondFactor"])
		}
		if got := defaults(t); !got[olderID] || got[newerID] {
			t.Fatalf("after unreserving the default: %v, want the older number's again", got)
		}
		if got := owner.do(makeDefault, vars{"id": newerID}).code(t); got != "resource_forbidden" {
			t.Fatalf("making an unreserved number the default: got %q, want resource_forbidden", got)
		}
		r = owner.do(`mutation($id: ID!) { phoneNumberReserveForSecondFactor(id: $id, reserved: true) { defaultSecondFactor } }`, vars{"id": newerID}).
			data(t)["phoneNumberReserveForSecondFactor"].(map[string]any)
		if r["defaultSecondFactor"] != false {
			t.Fatal("reserving the number again made it the default again")
		}
		signInTexts(t, olderID, older)

		s.setSettings(t, vars{"secondFactors": []string{"totp", "backup_code"}})
		if got := owner.do(makeDefault, vars{"id": newerID}).code(t); got != "strategy_for_user_invalid" {
			t.Fatalf("a default number where SMS is no second factor: got %q, want strategy_for_user_invalid", got)
		}
		s.setSettings(t, vars{"secondFactors": []string{"totp", "phone_code", "backup_code"}})

		s.newUser(t, vars{"emailAddress": "not-the-owner@example.com"})
		other := s.browser()
		other.mustSession(t, "not-the-owner@example.com")
		if got := other.do(makeDefault, vars{"id": olderID}).code(t); got != "resource_not_found" {
			t.Fatalf("another user's number: got %q, want resource_not_found", got)
		}
	})
}

// TestUsersPageDefaultSecondFactorNoRace: a users page loads each user's
// phone numbers once and shares the rows between the User field resolvers,
// which gqlgen runs concurrently (phoneNumbers, twoFactorEnabled, factors).
// None of them may write to those rows: run with -race.
func TestUsersPageDefaultSecondFactorNoRace(t *testing.T) {
	s := mustStart(t, "sqlite://"+filepath.Join(t.TempDir(), "trustgate.db"), cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true})
	s.newUser(t, vars{"emailAddress": "page-two-phones@example.com"})
	owner := s.browser()
	owner.mustSession(t, "page-two-phones@example.com")
	older := owner.enrollPhoneMFA(t, "+15550740001")
	s.clock.Advance(time.Second)
	newer := owner.enrollPhoneMFA(t, "+15550740002")
	owner.do(`mutation($id: ID!) { phoneNumberMakeDefaultSecondFactor(id: $id) { id } }`, vars{"id": newer}).data(t)
	q := `query($app: ID!) { users(applicationId: $app, first: 10) { edges { node {
	  phoneNumbers { id defaultSecondFactor } twoFactorEnabled factors { strategy phoneNumberId primary } } } } }`
	for range 20 {
		for _, e := range s.admin(q, vars{"app": s.appID}).data(t)["users"].(map[string]any)["edges"].([]any) {
			for _, p := range e.(map[string]any)["node"].(map[string]any)["phoneNumbers"].([]any) {
				m := p.(map[string]any)
				if want := m["id"] == newer; m["defaultSecondFactor"] != want {
					t.Fatalf("%v (older %s): defaultSecondFactor %v, want %v", m, older, m["defaultSecondFactor"], want)
				}
			}
		}
	}
}
