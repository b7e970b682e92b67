package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/verification"
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
// ownerWithOldAddress starts a server (SQLite, Client Trust off) with
// ada@example.com signed in on owner, who added and verified
// old@example.com (its id is oldID): the set-up of the tests in which
// someone else holds a code to the old address when she removes it.
func ownerWithOldAddress(t *testing.T) (s *server, uid string, owner *browser, oldID string) {
	t.Helper()
	s = mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false})
	uid = s.createUser(t, "ada@example.com", "", testPassword)
	owner = s.browser()
	owner.mustSession(t, "ada@example.com")
	return s, uid, owner, owner.addEmail(t, "old@example.com")
}

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

		// An address removed while its code is pending takes the code,
		// which holds the address, with it.
		const pending = "ada.pending@example.com"
		pendingID := home.do(emailCreate, vars{"e": pending}).data(t)["emailAddressCreate"].(map[string]any)["id"].(string)
		home.do(emailPrepare, vars{"id": pendingID}).data(t)
		home.do(emailDelete, vars{"id": pendingID}).data(t)
		if n := s.m.DB.Ent.Verification.Query().Where(verification.Target(pending)).CountX(t.Context()); n != 0 {
			t.Fatalf("%d verifications of the removed address left, want none", n)
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
	s, uid, owner, oldID := ownerWithOldAddress(t)

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

// TestDecoyCodeAttemptsAnswerAlike: under enumeration protection, a wrong
// code for a factor an existing account does not list (a factor_not_listed
// decoy) answers as one for an identifier that names nobody (a no_account
// decoy): the check that a code's address is still the account's
// (targetGone) must not tell them apart.
func TestDecoyCodeAttemptsAnswerAlike(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"enumerationProtection": true, "lockoutMaxAttempts": 1000,
		"phoneEnabled": true, "firstFactors": []string{"password", "email_code", "phone_code"}})
	s.createUser(t, "known@example.com", "", testPassword)
	answer := func(ident string) string {
		d := s.browser()
		si := signInObj(t, d.create(vars{"identifier": ident}), "signInCreate")
		id := si["id"].(string)
		// The account has no phone number: the prepare is a decoy either way.
		signInObj(t, d.prepareFirstWith(id, vars{"strategy": "phone_code"}), "signInPrepareFirstFactor")
		return d.attemptFirstWith(id, vars{"strategy": "phone_code", "code": "000000"}).code(t)
	}
	known, nobody := answer("known@example.com"), answer("nobody@example.com")
	if known != nobody {
		t.Fatalf("a wrong code after a decoy prepare: account %q, nobody %q; want the same answer", known, nobody)
	}
}

// TestPrimaryNeverPointsAtADeletedAddress: a removal of an address that
// commits between emailAddressSetPrimary's read and its write (two tabs)
// wins: the primary stays where it was, never a row that no longer exists.
// The delete runs as its own request right after SetPrimary's first read.
func TestPrimaryNeverPointsAtADeletedAddress(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		uid := s.createUser(t, "ada@example.com", "", testPassword)
		tab1 := s.browser()
		sid := tab1.mustSession(t, "ada@example.com")
		workID := tab1.addEmail(t, "ada.work@example.com")
		tab2 := s.browser()
		tab2.bearer = tab1.bearer
		tab2.header = tab1.header
		_ = sid

		var deleted result
		fired := afterNextRead(s.m.DB.Ent.EmailAddress, func() { deleted = tab2.do(emailDelete, vars{"id": workID}) })
		r := tab1.do(emailPrimary, vars{"id": workID})
		if !fired() {
			t.Fatal("emailAddressSetPrimary read no email address")
		}
		u := s.userRow(t, uid)
		exists, err := s.m.DB.Ent.EmailAddress.Query().Where(emailaddress.ID(workID)).Exist(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == workID && !exists {
			t.Fatalf("setPrimary errors %v, delete %v/%v: the user's primary email address is %s, a row that no longer exists",
				r.Errors, deleted.Data, deleted.Errors, workID)
		}
	})
}

// TestAdminUnverifiedAddressIsNotTakenByAStranger: an address an admin
// created unverified is its user's primary one; another account adding it
// later, after its hold went stale, does not take it (only a proof, a
// sign-up that verifies it, would).
func TestAdminUnverifiedAddressIsNotTakenByAStranger(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false, "usernameEnabled": true})
	imported := s.newUser(t, vars{"emailAddress": "imported@example.com", "emailVerified": false, "username": "imported_user"})
	s.createUser(t, "mallory@example.com", "", testPassword)
	s.clock.Advance(11 * time.Minute)
	m := s.browser()
	m.mustSession(t, "mallory@example.com")
	r := m.do(emailCreate, vars{"e": "imported@example.com"})
	u := s.userRow(t, imported)
	if len(r.Errors) == 0 || u.PrimaryEmailAddressID == nil {
		t.Fatalf("a stranger added an admin-created user's address (errors %v); the user's primary email is now %v", r.Errors, u.PrimaryEmailAddressID)
	}
}

// TestContactAdditionsAreBoundedPerDay: an account adds at most 20 email
// addresses and phone numbers a day, removed again or not: each addition
// tells whether a value is taken, so this keeps that a slow oracle.
func TestContactAdditionsAreBoundedPerDay(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false})
	s.createUser(t, "mallory@example.com", "", testPassword)
	m := s.browser()
	m.mustSession(t, "mallory@example.com")
	for i := range 20 {
		id := m.do(emailCreate, vars{"e": fmt.Sprintf("probe%d@example.com", i)}).data(t)["emailAddressCreate"].(map[string]any)["id"]
		m.do(emailDelete, vars{"id": id}).data(t)
	}
	r := m.do(emailCreate, vars{"e": "probe20@example.com"})
	if got := r.code(t); got != "too_many_requests" {
		t.Fatalf("a 21st addition in a day: %s, want too_many_requests", got)
	}
	if n := len(s.events(t, vars{"kind": "rate_limited"})); n != 1 {
		t.Errorf("%d rate_limited events, want 1", n)
	}
	s.clock.Advance(24 * time.Hour)
	m.mustSession(t, "mallory@example.com")
	m.do(emailCreate, vars{"e": "probe20@example.com"}).data(t)
}

// TestFirstVerifiedAddressRevokesTrust: an account with no email address
// whose first one is verified gets a primary address where there was none,
// a change of primary address under rule 4: the other clients' trust ends.
func TestFirstVerifiedAddressRevokesTrust(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false, "usernameEnabled": true})
	// A phone number stands in for the email address email-enabled
	// applications require of a new user (sign-up's rule).
	s.newUser(t, vars{"username": "ada_lovelace", "phoneNumber": "+15550100077"})
	laptop, home := s.browser(), s.browser()
	laptop.mustSession(t, "ada_lovelace")
	home.mustSession(t, "ada_lovelace")
	home.addEmail(t, "ada@example.com")
	s.setSettings(t, vars{"clientTrustEnabled": true})
	if got := home.signInStatus(t, "ada_lovelace", testPassword); got != "complete" {
		t.Fatalf("the client that added the address: %s, want complete", got)
	}
	if got := laptop.signInStatus(t, "ada_lovelace", testPassword); got != "needs_client_trust" {
		t.Fatalf("another client after the first address was verified: %s, want needs_client_trust", got)
	}
}

// TestVerifiedAddressReplacesAnUnverifiedPrimary: an account whose primary
// address is one an admin created unverified sends its Client Trust codes to
// none of it; the first address it verifies is where they go from then on,
// so it becomes the primary one, and, as any change of primary address
// (rule 4), the other clients' trust ends.
func TestVerifiedAddressReplacesAnUnverifiedPrimary(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "usernameEnabled": true})
		id := s.newUser(t, vars{"username": "ada_lovelace", "emailAddress": "old@example.com", "emailVerified": false})
		laptop, home := s.browser(), s.browser()
		laptop.mustSession(t, "ada_lovelace")
		home.mustSession(t, "ada_lovelace")
		added := home.addEmail(t, "ada@example.com")
		if u := s.userRow(t, id); u.PrimaryEmailAddressID == nil || *u.PrimaryEmailAddressID != added {
			t.Errorf("primary address %v, want the verified one %s", u.PrimaryEmailAddressID, added)
		}
		s.setSettings(t, vars{"clientTrustEnabled": true})
		if got := home.signInStatus(t, "ada_lovelace", testPassword); got != "complete" {
			t.Fatalf("the client that verified the address: %s, want complete", got)
		}
		if got := laptop.signInStatus(t, "ada_lovelace", testPassword); got != "needs_client_trust" {
			t.Fatalf("another client once codes go to the new address: %s, want needs_client_trust", got)
		}
	})
}
