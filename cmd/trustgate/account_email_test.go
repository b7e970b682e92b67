package main

import (
	"fmt"
	"testing"
	"time"
)

const (
	emailCreate  = `mutation($e: String!) { emailAddressCreate(emailAddress: $e) { id emailAddress verified } }`
	emailPrepare = `mutation($id: ID!) { emailAddressPrepareVerification(id: $id) { id verified } }`
	emailAttempt = `mutation($id: ID!, $c: String!) { emailAddressAttemptVerification(id: $id, code: $c) { id verified } }`
	emailPrimary = `mutation($id: ID!) { emailAddressSetPrimary(id: $id) { id primaryEmailAddressId } }`
	emailDelete  = `mutation($id: ID!) { emailAddressDelete(id: $id) }`
)

// addEmail adds address to the signed-in user of d and verifies it with
// the emailed code; it returns the address's id.
func (d *browser) addEmail(tb testing.TB, address string) string {
	tb.Helper()
	id := d.do(emailCreate, vars{"e": address}).data(tb)["emailAddressCreate"].(map[string]any)["id"].(string)
	d.do(emailPrepare, vars{"id": id}).data(tb)
	v := d.do(emailAttempt, vars{"id": id, "c": d.s.mail.code(tb, address)}).data(tb)["emailAddressAttemptVerification"].(map[string]any)
	if v["verified"] != true {
		tb.Fatalf("%s after its code: %v, want verified", address, v)
	}
	return id
}

// TestEmailAddressLifecycle: an address added from the account signs
// nobody in until its code is entered; making it primary moves the Client
// Trust codes there and revokes every other client's trust (rule 4), the
// current client's excepted; the primary address cannot be removed, another
// can.
func TestEmailAddressLifecycle(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": true})
		uid := s.createUser(t, "ada@example.com", "", testPassword)
		home := s.browser()
		sid := home.passClientTrust(t, "ada@example.com", testPassword, "email_code", "ada@example.com")["createdSessionId"].(string)
		home.token(t, sid)
		laptop := s.browser()
		laptop.passClientTrust(t, "ada@example.com", testPassword, "email_code", "ada@example.com")

		// Unverified, it is no identifier and cannot be primary.
		id := home.do(emailCreate, vars{"e": "Ada.Work@Example.com"}).data(t)["emailAddressCreate"].(map[string]any)
		if id["emailAddress"] != "ada.work@example.com" || id["verified"] != false {
			t.Fatalf("emailAddressCreate: %v, want the normalised address, unverified", id)
		}
		workID := id["id"].(string)
		if got := s.browser().signInStatus(t, "ada.work@example.com", testPassword); got == "needs_client_trust" || got == "complete" {
			t.Fatalf("a password sign-in by an unverified address: %s", got)
		}
		if got := home.do(emailPrimary, vars{"id": workID}).code(t); got != "verification_missing" {
			t.Fatalf("an unverified address made primary: %s, want verification_missing", got)
		}
		if got := home.do(emailAttempt, vars{"id": workID, "c": "000000"}).code(t); got != "verification_missing" {
			t.Fatalf("an attempt before any code was sent: %s, want verification_missing", got)
		}
		home.do(emailPrepare, vars{"id": workID}).data(t)
		if got := home.do(emailAttempt, vars{"id": workID, "c": "000000"}).code(t); got != "form_code_incorrect" {
			t.Fatalf("a wrong code: %s, want form_code_incorrect", got)
		}
		home.do(emailAttempt, vars{"id": workID, "c": s.mail.code(t, "ada.work@example.com")}).data(t)
		if got := home.do(emailAttempt, vars{"id": workID, "c": "000000"}).code(t); got != "verification_already_verified" {
			t.Fatalf("an attempt on a verified address: %s", got)
		}

		// Primary: the other clients' trust goes, this one's stays.
		u := home.do(emailPrimary, vars{"id": workID}).data(t)["emailAddressSetPrimary"].(map[string]any)
		if u["primaryEmailAddressId"] != workID {
			t.Fatalf("emailAddressSetPrimary: %v", u)
		}
		if got := home.signInStatus(t, "ada@example.com", testPassword); got != "complete" {
			t.Fatalf("the client that changed the address: %s, want complete (still trusted)", got)
		}
		sid = signInObj(t, home.do(`{ client { sessions { id } } }`, nil), "client")["sessions"].([]any)[0].(map[string]any)["id"].(string)
		home.token(t, sid)
		laptop.passClientTrust(t, "ada.work@example.com", testPassword, "email_code", "ada.work@example.com")
		if ev := s.events(t, vars{"userId": uid, "kind": "client_trust.required"}); len(ev) != 3 {
			t.Fatalf("%d client_trust.required events, want 3 (two first sign-ins, the laptop again)", len(ev))
		}

		// The old address: not primary any more, so it may go; the primary may not.
		var oldID string
		for _, e := range home.do(`{ me { emailAddresses { id emailAddress } } }`, nil).data(t)["me"].(map[string]any)["emailAddresses"].([]any) {
			if e := e.(map[string]any); e["emailAddress"] == "ada@example.com" {
				oldID = e["id"].(string)
			}
		}
		if got := home.do(emailDelete, vars{"id": workID}).code(t); got != "resource_forbidden" {
			t.Fatalf("deleting the primary address: %s, want resource_forbidden", got)
		}
		if ok := home.do(emailDelete, vars{"id": oldID}).data(t)["emailAddressDelete"]; ok != true {
			t.Fatalf("deleting a secondary address: %v", ok)
		}
		if got := s.browser().signInStatus(t, "ada@example.com", testPassword); got == "needs_client_trust" || got == "complete" {
			t.Fatalf("a sign-in by the removed address: %s", got)
		}
	})
}

// TestEmailAddressChangesNeedARecentVerification: adding, making primary
// and removing an address change how the account signs in.
func TestEmailAddressChangesNeedARecentVerification(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false})
	s.createUser(t, "ada@example.com", "", testPassword)
	d := s.browser()
	sid := d.mustSession(t, "ada@example.com")
	workID := d.addEmail(t, "ada.work@example.com")
	s.clock.Advance(11 * time.Minute)
	d.token(t, sid)
	for name, r := range map[string]result{
		"create":  d.do(emailCreate, vars{"e": "ada.home@example.com"}),
		"primary": d.do(emailPrimary, vars{"id": workID}),
		"delete":  d.do(emailDelete, vars{"id": workID}),
	} {
		if got := r.code(t); got != "session_reverification_required" {
			t.Errorf("%s 11 minutes after signing in: %s, want session_reverification_required", name, got)
		}
	}
}

// TestEmailAddressHolds: an unverified address holds it against other
// accounts for a code's lifetime, no longer, and never against a sign-up,
// which proves it; a verified one is taken. An account holds at most 10.
func TestEmailAddressHolds(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		s.createUser(t, "ada@example.com", "", testPassword)
		s.createUser(t, "bob@example.com", "", testPassword)
		ada, bob := s.browser(), s.browser()
		ada.mustSession(t, "ada@example.com")
		bob.mustSession(t, "bob@example.com")

		bob.do(emailCreate, vars{"e": "shared@example.com"}).data(t)
		if got := ada.do(emailCreate, vars{"e": "shared@example.com"}).code(t); got != "form_identifier_exists" {
			t.Fatalf("an address another account holds unverified: %s, want form_identifier_exists", got)
		}
		s.clock.Advance(11 * time.Minute) // past the code's lifetime
		ada.mustSession(t, "ada@example.com")
		ada.addEmail(t, "shared@example.com")
		bob.mustSession(t, "bob@example.com")
		if got := bob.do(emailCreate, vars{"e": "shared@example.com"}).code(t); got != "form_identifier_exists" {
			t.Fatalf("an address another account verified: %s, want form_identifier_exists", got)
		}

		// A sign-up proves the address it takes from an unverified hold.
		bob.do(emailCreate, vars{"e": "carol@example.com"}).data(t)
		carol := s.browser()
		su := carol.do(`mutation { signUpCreate(input: {emailAddress: "carol@example.com", password: "`+testPassword+`"}) { id status } }`, nil).
			data(t)["signUpCreate"].(map[string]any)
		carol.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { id } }`, vars{"id": su["id"]}).data(t)
		done := carol.do(`mutation($id: ID!, $c: String!) { signUpAttemptVerification(id: $id, strategy: "email_code", code: $c) { status } }`,
			vars{"id": su["id"], "c": s.mail.code(t, "carol@example.com")}).data(t)["signUpAttemptVerification"].(map[string]any)
		if done["status"] != "complete" {
			t.Fatalf("a sign-up with an address another account holds unverified: %v", done)
		}
		for _, e := range bob.do(`{ me { emailAddresses { emailAddress } } }`, nil).data(t)["me"].(map[string]any)["emailAddresses"].([]any) {
			if e.(map[string]any)["emailAddress"] == "carol@example.com" {
				t.Fatal("bob still holds the address carol signed up with")
			}
		}

		// At most 10 per account, the primary one included.
		for i := 3; i <= 10; i++ { // ada@ and shared@ are the first two
			ada.do(emailCreate, vars{"e": fmt.Sprintf("ada%d@example.com", i)}).data(t)
		}
		if got := ada.do(emailCreate, vars{"e": "ada11@example.com"}).code(t); got != "resource_forbidden" {
			t.Fatalf("an 11th address: %s, want resource_forbidden", got)
		}
	})
}

// TestCodeToARemovedAddressSignsNobodyIn: a first-factor code sent to an
// address the user removed since answers verification_missing.
func TestCodeToARemovedAddressSignsNobodyIn(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false})
	uid := s.createUser(t, "ada@example.com", "", testPassword)
	owner := s.browser()
	owner.mustSession(t, "ada@example.com")
	oldID := owner.addEmail(t, "old@example.com")

	thief := s.browser()
	si := signInObj(t, thief.create(vars{"identifier": "old@example.com"}), "signInCreate")
	in := factorInput(si["supportedFirstFactors"], "email_code")
	if in == nil || in["emailAddressId"] != oldID {
		t.Fatalf("first factors %v, want an email_code for the old address", si["supportedFirstFactors"])
	}
	signInObj(t, thief.prepareFirstWith(si["id"].(string), in), "signInPrepareFirstFactor")
	code := s.mail.code(t, "old@example.com")
	owner.do(emailDelete, vars{"id": oldID}).data(t)
	r := thief.attemptFirstWith(si["id"].(string), vars{"strategy": "email_code", "code": code})
	if got := r.code(t); got != "verification_missing" {
		t.Fatalf("the code sent to the removed address: %s, want verification_missing", got)
	}
	if n := s.sessionCount(t, uid); n != 1 {
		t.Fatalf("%d sessions, want the owner's only", n)
	}
}
