package main

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/internal/factor"
)

// A sign-in waiting at needs_second_factor whose user loses every second
// factor meanwhile (an admin's resetUserMfa, the user's totpDisable in
// another session) cannot go on: its next step abandons it and answers
// sign_in_expired, the client shows no sign-in in flight, and nothing
// completes without a second check: the device starts over and meets
// Client Trust.
func TestSecondFactorsRemovedDuringSignIn(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		id := s.newUser(t, vars{"emailAddress": "gone@example.com"})
		owner := s.browser()
		owner.passClientTrust(t, "gone@example.com", testPassword, "email_code", "gone@example.com")
		ownerSID := owner.mustSession(t, "gone@example.com")
		var backup []string

		steps := []struct {
			name string
			run  func(d *browser, sid string) result
		}{
			{"a backup code", func(d *browser, sid string) result { return d.attemptSecond(sid, "backup_code", backup[0]) }},
			{"a TOTP", func(d *browser, sid string) result { return d.attemptSecond(sid, "totp", "123456") }},
			{"an SMS prepare", func(d *browser, sid string) result { return d.prepareSecond(sid, "phone_code") }},
		}
		for _, step := range steps {
			t.Run(step.name, func(t *testing.T) {
				owner.token(t, ownerSID)
				if _, backup = owner.enrollTOTP(t); len(backup) == 0 {
					t.Fatal("totpVerify showed no backup codes")
				}
				d, sid := mfaSignIn(t, s, "gone@example.com")
				s.admin(`mutation($id: ID!) { resetUserMfa(id: $id) { id } }`, vars{"id": id}).data(t)

				cur := d.do(`{ client { signIn { id status } } }`, nil).data(t)["client"].(map[string]any)["signIn"]
				if cur != nil {
					t.Errorf("the client's sign-in after the reset: got %v, want none (it cannot go on)", cur)
				}
				if got := step.run(d, sid).code(t); got != "sign_in_expired" {
					t.Errorf("the step: got %s, want sign_in_expired", got)
				}
				if got := d.attemptSecond(sid, "totp", "123456").code(t); got != "sign_in_expired" {
					t.Errorf("a later step: got %s, want sign_in_expired", got)
				}
				if got := d.signInStatus(t, "gone@example.com", testPassword); got != "needs_client_trust" {
					t.Errorf("starting over on the device: got %s, want needs_client_trust", got)
				}
				if n := s.sessionCount(t, id); n == 0 {
					t.Fatal("the owner's session is gone")
				}
				var abandoned int
				for _, e := range s.events(t, vars{"kind": "sign_in.abandoned"}) {
					if e.SignInID == sid && e.Reason == "mfa_removed" {
						abandoned++
					}
				}
				if abandoned != 1 {
					t.Errorf("got %d sign_in.abandoned events with reason mfa_removed, want 1", abandoned)
				}
			})
		}
	})
}

// A Client Trust sign-in that completes has made its client trusted: its
// clientTrustState reads known, as a completed sign-in on a trusted client
// does, not pending (a code waiting to be entered).
func TestCompletedClientTrustSignInIsKnown(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.newUser(t, vars{"emailAddress": "known@example.com"})
		d := s.browser()
		done := d.passClientTrust(t, "known@example.com", testPassword, "email_code", "known@example.com")
		if done["clientTrustState"] != "known" {
			t.Errorf("the completed Client Trust sign-in: got clientTrustState %v, want known", done["clientTrustState"])
		}
		si := signInObj(t, d.signIn("known@example.com", testPassword), "signInCreate")
		if si["status"] != "complete" || si["clientTrustState"] != "known" {
			t.Errorf("the next sign-in on the device: got %v/%v, want complete/known", si["status"], si["clientTrustState"])
		}
	})
}

// A signInCreate that starts a password reset through a channel the account
// does not have (enumeration protection off) answers
// strategy_for_user_invalid as a password for an account without one does:
// no sign-in is created, and the one the client had in flight stays its
// current one.
func TestFailedResetCreateLeavesNoSignIn(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.newUser(t, vars{"emailAddress": "nophone@example.com"})
		d := s.browser()
		first := signInObj(t, d.create(vars{"identifier": "nophone@example.com"}), "signInCreate")
		created := func() int {
			n := 0
			for _, e := range s.events(t, vars{"kind": "sign_in.created", "clientId": d.clientID(t)}) {
				if e.SignInID != "" {
					n++
				}
			}
			return n
		}
		before := created()
		if got := d.create(vars{"identifier": "nophone@example.com", "strategy": "reset_password_phone_code"}).code(t); got != "strategy_for_user_invalid" {
			t.Fatalf("a reset by SMS for an account without a phone: got %s, want strategy_for_user_invalid", got)
		}
		cur := d.do(`{ client { signIn { id } } }`, nil).data(t)["client"].(map[string]any)["signIn"]
		if cur == nil || cur.(map[string]any)["id"] != first["id"] {
			t.Errorf("the client's sign-in after the failed create: got %v, want the one in flight (%v)", cur, first["id"])
		}
		if n := created(); n != before {
			t.Errorf("sign_in.created events of a sign-in: got %d, want %d (none for the failed create)", n, before)
		}
		if r := d.prepareFirstWith(first["id"].(string), vars{"strategy": "email_code"}); len(r.Errors) > 0 {
			t.Errorf("the sign-in in flight after the failed create: got %s, want it usable", r.code(t))
		}
	})
}

// Backup codes exist only beside another second factor: when two tabs take
// off the last two at once (totpDisable and phoneNumberReserveForSecondFactor
// false), neither may leave the codes behind because it saw the other's
// factor still there. The unreserve runs, as its own request, after
// totpDisable deleted the TOTP and read the phone reservation, before it
// commits. PostgreSQL only: on SQLite one write transaction runs at a time.
func TestRemovingTheLastFactorsAtOnceDropsBackupCodes(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		if !strings.HasPrefix(dbURL, "postgres") {
			t.Skip("SQLite runs one write transaction at a time")
		}
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
			"secondFactors": []string{"totp", "phone_code", "backup_code"}})
		id := s.newUser(t, vars{"emailAddress": "twotabs@example.com"})
		tab1 := s.browser()
		tab1.mustSession(t, "twotabs@example.com")
		if _, codes := tab1.enrollTOTP(t); len(codes) == 0 {
			t.Fatal("totpVerify showed no backup codes")
		}
		phoneID := tab1.enrollPhoneMFA(t, "+15550700001")
		tab2 := s.browser()
		tab2.bearer = tab1.bearer

		var deleted, armed atomic.Bool
		armed.Store(true)
		unreserved := make(chan result, 1)
		s.m.DB.Ent.Totp.Use(func(next ent.Mutator) ent.Mutator {
			return hook.TotpFunc(func(ctx context.Context, m *ent.TotpMutation) (ent.Value, error) {
				v, err := next.Mutate(ctx, m)
				if m.Op().Is(ent.OpDelete) {
					deleted.Store(true)
				}
				return v, err
			})
		})
		s.m.DB.Ent.PhoneNumber.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
			return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
				v, err := next.Query(ctx, q)
				if deleted.Load() && armed.Swap(false) {
					go func() {
						unreserved <- tab2.do(`mutation($id: ID!) { phoneNumberReserveForSecondFactor(id: $id, reserved: false) { reservedForSecondFactor } }`,
							vars{"id": phoneID})
					}()
					// Give the unreserve the time to commit, unless it waits
					// for this transaction.
					select {
					case r := <-unreserved:
						unreserved <- r
					case <-time.After(2 * time.Second):
					}
				}
				return v, err
			})
		}))
		r := tab1.do(`mutation { totpDisable }`, nil)
		if armed.Load() {
			t.Fatal("totpDisable read no phone number after deleting the TOTP")
		}
		u := <-unreserved
		if len(r.Errors) > 0 || len(u.Errors) > 0 {
			t.Fatalf("totpDisable: %v; unreserve: %v; want both to succeed", r.Errors, u.Errors)
		}
		me := s.admin(`query($id: ID!) { user(id: $id) { twoFactorEnabled totpEnabled backupCodeEnabled } }`, vars{"id": id}).
			data(t)["user"].(map[string]any)
		if me["twoFactorEnabled"] != false || me["totpEnabled"] != false || me["backupCodeEnabled"] != false {
			t.Errorf("after both factors were removed at once: got %v, want no MFA and no backup codes", me)
		}
		if n := s.unusedBackupCodes(t, id); n != 0 {
			t.Errorf("got %d unused backup codes without a second factor, want 0", n)
		}
	})
}

// backupCodesCreate checks that the user has another second factor; a
// totpDisable that commits between that check and the new set's insert
// (another tab) must not leave a set of codes beside no factor.
func TestBackupCodesCreateRacingTOTPDisable(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		id := s.newUser(t, vars{"emailAddress": "regenrace@example.com"})
		tab1 := s.browser()
		tab1.mustSession(t, "regenrace@example.com")
		tab1.enrollTOTP(t)
		tab2 := s.browser()
		tab2.bearer = tab1.bearer

		var armed atomic.Bool
		var disabled result
		s.m.DB.Ent.Totp.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
			return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
				v, err := next.Query(ctx, q)
				if armed.Swap(false) {
					disabled = tab2.do(`mutation { totpDisable }`, nil)
				}
				return v, err
			})
		}))
		armed.Store(true)
		r := tab1.do(`mutation { backupCodesCreate { codes } }`, nil)
		if armed.Load() {
			t.Fatal("backupCodesCreate read no TOTP")
		}
		if len(disabled.Errors) > 0 {
			t.Fatalf("totpDisable: %v", disabled.Errors)
		}
		if n := s.unusedBackupCodes(t, id); n != 0 {
			t.Errorf("backupCodesCreate (errors %v) after totpDisable committed: got %d unused backup codes beside no second factor, want 0",
				r.Errors, n)
		}
		if len(r.Errors) > 0 && r.code(t) != "backup_codes_not_available" {
			t.Errorf("backupCodesCreate: got %s, want codes or backup_codes_not_available", r.code(t))
		}
	})
}

// totpVerify decides whether it starts the user's MFA (and so shows a first
// set of backup codes and counts as the session's second factor): an SMS
// second factor and a set of backup codes that another session enrols
// between that decision and the enrolment's commit must stand, not be
// replaced by a set only the enrolling session was shown.
func TestTOTPVerifyRacingAnotherFactorKeepsItsBackupCodes(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true, "lockoutMaxAttempts": 100,
			"secondFactors": []string{"totp", "phone_code", "backup_code"}})
		s.newUser(t, vars{"emailAddress": "enrolrace@example.com"})
		tab1 := s.browser()
		tab1.mustSession(t, "enrolrace@example.com")
		created := tab1.do(`mutation { totpCreate { id secret } }`, nil).data(t)["totpCreate"].(map[string]any)
		secret, err := factor.DecodeSecret(created["secret"].(string))
		if err != nil {
			t.Fatal(err)
		}
		// Another device verifies a phone number, not yet a second factor.
		other := s.browser()
		other.mustSession(t, "enrolrace@example.com")
		const fields = `id verified reservedForSecondFactor`
		phoneID := other.do(`mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { `+fields+` } }`, vars{"p": "+15550700011"}).
			data(t)["phoneNumberCreate"].(map[string]any)["id"].(string)
		other.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { `+fields+` } }`, vars{"id": phoneID}).data(t)
		other.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { `+fields+` } }`,
			vars{"id": phoneID, "c": s.mail.code(t, "+15550700011")}).data(t)

		// As totpVerify reads the user's phone numbers, the other device
		// makes the phone a second factor and takes a set of backup codes.
		var armed atomic.Bool
		done := make(chan []string, 1)
		var reserved result
		s.m.DB.Ent.PhoneNumber.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
			return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
				v, err := next.Query(ctx, q)
				if armed.Swap(false) {
					go func() {
						// Ordered after the enrolment (it holds the user's
						// row), the reservation is a change of a user with
						// MFA now and needs a recent second factor.
						reserved = other.do(`mutation($id: ID!) { phoneNumberReserveForSecondFactor(id: $id, reserved: true) { `+fields+` } }`,
							vars{"id": phoneID})
						var codes []string
						if len(reserved.Errors) == 0 {
							r := other.do(`mutation { backupCodesCreate { codes } }`, nil)
							if len(r.Errors) == 0 {
								for _, c := range r.Data["backupCodesCreate"].(map[string]any)["codes"].([]any) {
									codes = append(codes, c.(string))
								}
							}
						}
						done <- codes
					}()
					// Give the other device the time to commit, unless it
					// waits for this transaction.
					select {
					case c := <-done:
						done <- c
					case <-time.After(2 * time.Second):
					}
				}
				return v, err
			})
		}))
		armed.Store(true)
		r := tab1.do(`mutation($c: String!) { totpVerify(code: $c) { verified backupCodes } }`, vars{"c": totpNow(s, secret, 0)})
		if armed.Load() {
			t.Fatal("totpVerify read no phone number")
		}
		if len(r.Errors) > 0 {
			t.Fatalf("totpVerify: %v", r.Errors)
		}
		codes := <-done
		if codes == nil {
			// The enrolment came first: the other device was shown no
			// codes, and the enrolment's own set stands.
			if len(reserved.Errors) == 0 || reserved.code(t) != "session_reverification_required" {
				t.Fatalf("the other device got no backup codes, and its reservation answered %v", reserved.Errors)
			}
			for _, c := range r.Data["totpVerify"].(map[string]any)["backupCodes"].([]any) {
				codes = append(codes, c.(string))
			}
		}

		// The codes the user was shown last sign in.
		d := s.browser()
		si := signInObj(t, d.signIn("enrolrace@example.com", testPassword), "signInCreate")
		if si["status"] != "needs_second_factor" {
			t.Fatalf("got status %v, want needs_second_factor", si["status"])
		}
		got := d.attemptSecond(si["id"].(string), "backup_code", codes[0])
		if len(got.Errors) > 0 {
			t.Fatalf("a backup code the other device was shown: got %s, want it to complete the sign-in (totpVerify answered %v)",
				got.code(t), r.Data["totpVerify"])
		}
	})
}

// A session whose first factor is recent reserves a phone for two-step
// verification while another session of the user enrols an authenticator
// app: once the app is enrolled, the user has MFA, and the reservation
// needs a recent second factor (session_reverification_required) instead
// of going through and counting this session as having verified one.
func TestReservePhoneRacingTOTPEnrolmentNeedsASecondFactor(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
			"secondFactors": []string{"totp", "phone_code", "backup_code"}})
		s.newUser(t, vars{"emailAddress": "reserverace@example.com"})
		tab1 := s.browser()
		tab1.mustSession(t, "reserverace@example.com")
		const fields = `id verified reservedForSecondFactor`
		phoneID := tab1.do(`mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { `+fields+` } }`, vars{"p": "+15550700022"}).
			data(t)["phoneNumberCreate"].(map[string]any)["id"].(string)
		tab1.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { `+fields+` } }`, vars{"id": phoneID}).data(t)
		tab1.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { `+fields+` } }`,
			vars{"id": phoneID, "c": s.mail.code(t, "+15550700022")}).data(t)

		// As the reservation reads whether the user has an authenticator
		// app (none yet), another device enrols one.
		other := s.browser()
		other.mustSession(t, "reserverace@example.com")
		created := other.do(`mutation { totpCreate { id secret } }`, nil).data(t)["totpCreate"].(map[string]any)
		secret, err := factor.DecodeSecret(created["secret"].(string))
		if err != nil {
			t.Fatal(err)
		}
		var armed atomic.Bool
		done := make(chan struct{})
		s.m.DB.Ent.Totp.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
			return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
				v, err := next.Query(ctx, q)
				if armed.Swap(false) {
					go func() {
						defer close(done)
						other.do(`mutation($c: String!) { totpVerify(code: $c) { verified } }`, vars{"c": totpNow(s, secret, 0)}).data(t)
					}()
					select {
					case <-done:
					case <-time.After(2 * time.Second):
					}
				}
				return v, err
			})
		}))
		armed.Store(true)
		r := tab1.do(`mutation($id: ID!) { phoneNumberReserveForSecondFactor(id: $id, reserved: true) { `+fields+` } }`, vars{"id": phoneID})
		if armed.Load() {
			t.Fatal("the reservation read no authenticator app")
		}
		<-done
		if got := r.code(t); got != "session_reverification_required" || r.ext(t)["meta"].(map[string]any)["level"] != "second_factor" {
			t.Fatalf("reserving a phone after an app was enrolled meanwhile: got %s %v, want session_reverification_required at second_factor",
				got, r.ext(t)["meta"])
		}
	})
}

// An authenticator enrolment started before the application stopped
// offering TOTP cannot be finished afterwards: totpVerify answers
// strategy_for_user_invalid, and the user has no app and no backup codes.
func TestTOTPVerifyAfterTOTPTurnedOff(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false, "secondFactors": []string{"totp", "backup_code"}})
	s.newUser(t, vars{"emailAddress": "offlate@example.com"})
	d := s.browser()
	d.mustSession(t, "offlate@example.com")
	secret, err := factor.DecodeSecret(d.do(`mutation { totpCreate { secret } }`, nil).data(t)["totpCreate"].(map[string]any)["secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	s.setSettings(t, vars{"secondFactors": []string{}})
	s.clock.Advance(2 * time.Second) // past the server's cache of applications
	r := d.do(`mutation($c: String!) { totpVerify(code: $c) { verified backupCodes } }`, vars{"c": totpNow(s, secret, 0)})
	if len(r.Errors) == 0 || r.code(t) != "strategy_for_user_invalid" {
		t.Fatalf("totpVerify after TOTP was turned off: got %v (data %v), want strategy_for_user_invalid", r.Errors, r.Data)
	}
	me := d.do(`query { me { totpEnabled backupCodeEnabled } }`, nil).data(t)["me"].(map[string]any)
	if me["totpEnabled"] != false || me["backupCodeEnabled"] != false {
		t.Fatalf("after the refused verify: %v, want no app and no backup codes", me)
	}
}
