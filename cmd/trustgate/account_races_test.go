package main

// Account and sign-in checks that must hold while other requests change
// the same user: concurrent regenerations and additions, and a lock, ban or
// factor change that commits while a factor is being checked.

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/backupcode"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/ent/phonenumber"
	"github.com/trustgate/trustgate/internal/factor"
)

// unusedBackupCodes counts a user's unused backup codes in the database.
func (s *server) unusedBackupCodes(tb testing.TB, userID string) int {
	tb.Helper()
	n, err := s.m.DB.Ent.BackupCode.Query().Where(backupcode.UserID(userID), backupcode.UsedAtIsNil()).Count(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestConcurrentBackupCodeRegenerationsLeaveOneSet: backupCodesCreate
// replaces any earlier set, also when regenerations race: each must delete
// what the other inserted, or on PostgreSQL (read committed) both sets stay
// valid. Ten rounds of eight at once leave exactly ten codes each time.
func TestConcurrentBackupCodeRegenerationsLeaveOneSet(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		id := s.newUser(t, vars{"emailAddress": "regen@example.com"})
		owner := s.browser()
		owner.mustSession(t, "regen@example.com")
		owner.enrollTOTP(t)
		const n = 8
		for round := 0; round < 10; round++ {
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]string, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r := owner.do(`mutation { backupCodesCreate { codes } }`, nil)
					if len(r.Errors) > 0 {
						errs[i], _ = r.Errors[0].Extensions["code"].(string)
					}
				}()
			}
			close(start)
			wg.Wait()
			if got := s.unusedBackupCodes(t, id); got != 10 {
				t.Fatalf("round %d: after %d concurrent backupCodesCreate (errors %v): got %d unused backup codes, want 10 (one set)", round, n, errs, got)
			}
		}
	})
}

// TestPasswordUpdateRespectsALockSetMeanwhile: passwordUpdate checks the
// current password for a hash's time; a lock that commits meanwhile
// (concurrent wrong guesses reaching the threshold, or an admin's lockUser)
// stands, as at sign-in and reverification: user_locked, the password
// unchanged. The lock is written, through a hook, in passwordUpdate's own
// transaction just before its password write (as
// TestCompletionRespectsBanAndLock does).
func TestPasswordUpdateRespectsALockSetMeanwhile(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		id := s.newUser(t, vars{"emailAddress": "pwlock@example.com"})
		d := s.browser()
		d.mustSession(t, "pwlock@example.com")
		before := s.userRow(t, id).PasswordHash

		armed := s.beforePasswordWrite(func(ctx context.Context, c *ent.Client) error {
			return c.User.UpdateOneID(id).SetLockedAt(s.clock.Now()).ClearLockoutExpiresAt().Exec(ctx)
		})
		r := d.do(`mutation($c: String!, $n: String!) { passwordUpdate(current: $c, new: $n) }`,
			vars{"c": testPassword, "n": "an entirely new passphrase"})
		if armed.Load() {
			t.Fatal("passwordUpdate never reached its password write")
		}
		// The lock, written in the refused transaction, rolled back with it.
		after := s.userRow(t, id)
		if len(r.Errors) == 0 || r.code(t) != "user_locked" || *after.PasswordHash != *before {
			t.Fatalf("passwordUpdate on an account locked meanwhile: got errors %v, password changed %v; want user_locked and the password unchanged",
				r.Errors, *after.PasswordHash != *before)
		}
	})
}

// stolenPhone is the set-up of the tests of a code to a number taken off
// two-step verification: email's owner, signed in on owner (sid), reserved
// stolen (stolenID) and kept for it; an attacker with the password signed
// in on d (sign-in siID), which stopped at needs_second_factor, and had
// code sent to stolen.
type stolenPhone struct {
	owner, d            *browser
	sid, stolenID, siID string
	code                string
}

func newStolenPhone(t *testing.T, s *server, email, stolen, kept string) stolenPhone {
	t.Helper()
	s.newUser(t, vars{"emailAddress": email})
	p := stolenPhone{owner: s.browser(), d: s.browser()}
	p.sid = p.owner.mustSession(t, email)
	p.stolenID = p.owner.enrollPhoneMFA(t, stolen)
	p.owner.enrollPhoneMFA(t, kept)
	si := signInObj(t, p.d.signIn(email, testPassword), "signInCreate")
	if si["status"] != "needs_second_factor" {
		t.Fatalf("got %v, want needs_second_factor", si["status"])
	}
	p.siID = si["id"].(string)
	signInObj(t, p.d.prepareSecondWith(p.siID, vars{"strategy": "phone_code", "phoneNumberId": p.stolenID}), "signInPrepareSecondFactor")
	p.code = s.mail.code(t, stolen)
	return p
}

// unreserve takes the stolen number off two-step verification, as its owner.
func (p stolenPhone) unreserve() result {
	return p.owner.do(`mutation($id: ID!) { phoneNumberReserveForSecondFactor(id: $id, reserved: false) { reservedForSecondFactor } }`,
		vars{"id": p.stolenID})
}

// TestSMSCodeToAnUnreservedNumberIsRefused: a code sent to a number the
// user has since taken off two-step verification (a lost or stolen phone)
// completes no sign-in, while another number stays reserved; session
// reverification refuses the same (signin.ListsTarget).
func TestSMSCodeToAnUnreservedNumberIsRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
			"secondFactors": []string{"totp", "phone_code", "backup_code"}})
		// The attacker has the password and the stolen phone.
		p := newStolenPhone(t, s, "twophones@example.com", "+15550600001", "+15550600002")

		// The owner takes the stolen number off two-step verification.
		s.clock.Advance(time.Second)
		p.owner.token(t, p.sid)
		r := p.unreserve().data(t)["phoneNumberReserveForSecondFactor"].(map[string]any)
		if r["reservedForSecondFactor"] != false {
			t.Fatalf("setup: got %v, want unreserved", r)
		}

		res := p.d.attemptSecond(p.siID, "phone_code", p.code)
		if len(res.Errors) == 0 {
			t.Fatalf("a code sent to a number no longer reserved for two-step verification: got status %v, want an error (no session)",
				res.Data["signInAttemptSecondFactor"].(map[string]any)["status"])
		}
		if got := res.code(t); got != "verification_missing" {
			t.Fatalf("got %s, want verification_missing", got)
		}
	})
}

// TestSMSCodeToANumberUnreservedDuringTheAttemptIsRefused: as
// TestSMSCodeToAnUnreservedNumberIsRefused, when the owner takes the number
// off two-step verification after the attempt read the user's second
// factors but before it checks the code (forced by an interceptor on the
// attempt's read of the phone numbers): the code completes no sign-in.
func TestSMSCodeToANumberUnreservedDuringTheAttemptIsRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
			"secondFactors": []string{"totp", "phone_code", "backup_code"}})
		p := newStolenPhone(t, s, "racephones@example.com", "+15550600011", "+15550600012")
		s.clock.Advance(time.Second)
		p.owner.token(t, p.sid)

		var unreserved result
		fired := afterNextRead(s.m.DB.Ent.PhoneNumber, func() { unreserved = p.unreserve() })
		res := p.d.attemptSecond(p.siID, "phone_code", p.code)
		if !fired() {
			t.Fatal("the attempt read no phone number")
		}
		if len(unreserved.Errors) > 0 {
			t.Fatalf("unreserve: %v", unreserved.Errors)
		}
		if len(res.Errors) == 0 {
			t.Fatalf("a code to a number taken off two-step verification during the attempt: got status %v, want an error (no session)",
				res.Data["signInAttemptSecondFactor"].(map[string]any)["status"])
		}
		if got := res.code(t); got != "verification_missing" {
			t.Fatalf("got %s, want verification_missing", got)
		}
	})
}

// TestPasswordPassedWhileLockedIsNotRevealed: when the account locks while
// a password is being hashed (the other guesses of a parallel burst reaching
// the threshold), the right password answers user_locked, not
// needs_client_trust: the lockout bounds the guesses in flight too, and does
// not tell which one was right. The lock is written, through a hook, in the
// step's own transaction.
func TestPasswordPassedWhileLockedIsNotRevealed(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		id := s.newUser(t, vars{"emailAddress": "oracle@example.com"})
		var armed atomic.Bool
		armed.Store(true)
		s.m.DB.Ent.Verification.Use(func(next ent.Mutator) ent.Mutator {
			return hook.VerificationFunc(func(ctx context.Context, m *ent.VerificationMutation) (ent.Value, error) {
				if st, _ := m.Strategy(); m.Op().Is(ent.OpCreate) && st == "password" && armed.Swap(false) {
					if err := m.Client().User.UpdateOneID(id).SetLockedAt(s.clock.Now()).ClearLockoutExpiresAt().Exec(ctx); err != nil {
						return nil, err
					}
				}
				return next.Mutate(ctx, m)
			})
		})
		r := s.browser().signIn("oracle@example.com", testPassword)
		if armed.Load() {
			t.Fatal("the sign-in never recorded its password verification")
		}
		if len(r.Errors) == 0 {
			t.Fatalf("a right password on an account locked during the hash: got status %v, want user_locked",
				r.Data["signInCreate"].(map[string]any)["status"])
		}
		if got := r.code(t); got != "user_locked" {
			t.Fatalf("got %s, want user_locked", got)
		}
	})
}

// TestPhoneNumberCapHoldsUnderConcurrency: an account holds at most
// account.MaxPhoneNumbers (10) phone numbers, also when 30 phoneNumberCreate
// calls race (on PostgreSQL each would otherwise count the rows before the
// others' inserts commit).
func TestPhoneNumberCapHoldsUnderConcurrency(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true})
		id := s.newUser(t, vars{"emailAddress": "manyphones@example.com"})
		d := s.browser()
		d.mustSession(t, "manyphones@example.com")
		const n = 30
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				d.do(`mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { id } }`, vars{"p": "+1555070" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "00"})
			}()
		}
		close(start)
		wg.Wait()
		got, err := s.m.DB.Ent.PhoneNumber.Query().Where(phonenumber.UserID(id)).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got > 10 {
			t.Fatalf("after %d concurrent phoneNumberCreate: the account holds %d phone numbers, want at most 10", n, got)
		}
	})
}

// TestVerificationsRespectALockSetMeanwhile: an authenticator's enrolment
// code and an added address's code, checked while a lock commits (written
// here, through a hook, in the step's own transaction), answer user_locked
// and verify nothing, as a sign-in or reverification would.
func TestVerificationsRespectALockSetMeanwhile(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false})
	id := s.newUser(t, vars{"emailAddress": "lockme@example.com"})
	d := s.browser()
	d.mustSession(t, "lockme@example.com")
	var armed atomic.Bool
	lockFirst := func(ctx context.Context, c *ent.Client) error {
		if armed.Swap(false) {
			return c.User.UpdateOneID(id).SetLockedAt(s.clock.Now()).ClearLockoutExpiresAt().Exec(ctx)
		}
		return nil
	}
	s.m.DB.Ent.User.Use(func(next ent.Mutator) ent.Mutator {
		return hook.UserFunc(func(ctx context.Context, m *ent.UserMutation) (ent.Value, error) {
			if err := lockFirst(ctx, m.Client()); err != nil {
				return nil, err
			}
			return next.Mutate(ctx, m)
		})
	})

	secret, err := factor.DecodeSecret(d.do(`mutation { totpCreate { secret } }`, nil).data(t)["totpCreate"].(map[string]any)["secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	if got := d.do(`mutation($c: String!) { totpVerify(code: $c) { verified } }`, vars{"c": totpNow(s, secret, 0)}).code(t); got != "user_locked" {
		t.Fatalf("totpVerify as the account locks: %s, want user_locked", got)
	}
	if on := d.do(`{ me { totpEnabled } }`, nil).data(t)["me"].(map[string]any)["totpEnabled"]; on != false {
		t.Fatal("the authenticator was enabled although the account locked")
	}

	eid := d.do(emailCreate, vars{"e": "second@example.com"}).data(t)["emailAddressCreate"].(map[string]any)["id"].(string)
	d.do(emailPrepare, vars{"id": eid}).data(t)
	armed.Store(true)
	if got := d.do(emailAttempt, vars{"id": eid, "c": s.mail.code(t, "second@example.com")}).code(t); got != "user_locked" {
		t.Fatalf("emailAddressAttemptVerification as the account locks: %s, want user_locked", got)
	}
	for _, e := range d.do(`{ me { emailAddresses { emailAddress verified } } }`, nil).data(t)["me"].(map[string]any)["emailAddresses"].([]any) {
		if e := e.(map[string]any); e["emailAddress"] == "second@example.com" && e["verified"] == true {
			t.Fatal("the address was verified although the account locked")
		}
	}
}

// TestResendRacingASuccessfulAttempt: a resend that read its verification
// before a right code passed it, and sends after, neither reopens the
// verified field nor sends a code nothing can use. An interceptor runs the
// attempt right after the resend's read of the verification.
func TestResendRacingASuccessfulAttempt(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true})
		var armed atomic.Bool
		var during func()
		s.m.DB.Ent.Verification.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
			return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
				v, err := next.Query(ctx, q)
				if armed.Swap(false) {
					during()
				}
				return v, err
			})
		}))
		// resend runs send with during run right after its read of the
		// verification.
		resend := func(t *testing.T, send func() result, attempt func()) result {
			t.Helper()
			during = attempt
			armed.Store(true)
			r := send()
			if armed.Swap(false) {
				t.Fatal("the resend read no verification")
			}
			return r
		}

		t.Run("a sign-up's verified email address stays verified", func(t *testing.T) {
			const email, phone = "racesignup@example.com", "+15550600021"
			d := s.browser()
			su := d.do(`mutation($e: String!, $p: String!) { signUpCreate(input: {emailAddress: $e, phoneNumber: $p, password: "another good passphrase"}) { id } }`,
				vars{"e": email, "p": phone}).data(t)["signUpCreate"].(map[string]any)
			const prepare = `mutation($id: ID!, $s: String!) { signUpPrepareVerification(id: $id, strategy: $s) { unverifiedFields } }`
			const attempt = `mutation($id: ID!, $s: String!, $c: String!) { signUpAttemptVerification(id: $id, strategy: $s, code: $c) { status unverifiedFields } }`
			d.do(prepare, vars{"id": su["id"], "s": "email_code"}).data(t)
			code := s.mail.code(t, email)
			s.clock.Advance(31 * time.Second)
			var passed result
			r := resend(t, func() result { return d.do(prepare, vars{"id": su["id"], "s": "email_code"}) }, func() {
				passed = d.do(attempt, vars{"id": su["id"], "s": "email_code", "c": code})
			})
			passed.data(t)
			if len(r.Errors) == 0 {
				t.Errorf("a resend after the code passed: got %v, want verification_already_verified", r.Data)
			} else if got := r.code(t); got != "verification_already_verified" {
				t.Errorf("a resend after the code passed: got %s, want verification_already_verified", got)
			}
			d.do(prepare, vars{"id": su["id"], "s": "phone_code"}).data(t)
			done := d.do(attempt, vars{"id": su["id"], "s": "phone_code", "c": s.mail.code(t, phone)}).data(t)["signUpAttemptVerification"].(map[string]any)
			if done["status"] != "complete" {
				t.Fatalf("the phone code after the email's: got %v, want complete", done)
			}
		})

		t.Run("an account's verified number gets no code it cannot use", func(t *testing.T) {
			const phone = "+15550600022"
			s.newUser(t, vars{"emailAddress": "raceresend@example.com"})
			d := s.browser()
			d.mustSession(t, "raceresend@example.com")
			id := d.do(`mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { id } }`, vars{"p": phone}).
				data(t)["phoneNumberCreate"].(map[string]any)["id"]
			const prepare = `mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id verified } }`
			d.do(prepare, vars{"id": id}).data(t)
			code := s.mail.code(t, phone)
			s.clock.Advance(31 * time.Second)
			var passed result
			r := resend(t, func() result { return d.do(prepare, vars{"id": id}) }, func() {
				passed = d.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { verified } }`, vars{"id": id, "c": code})
			})
			passed.data(t)
			if n := s.mail.count(phone); n != 1 {
				t.Errorf("the number got %d messages, want 1 (no code after it was verified)", n)
			}
			if len(r.Errors) == 0 {
				t.Errorf("a resend after the code passed: got %v, want verification_already_verified", r.Data)
			} else if got := r.code(t); got != "verification_already_verified" {
				t.Errorf("a resend after the code passed: got %s, want verification_already_verified", got)
			}
			row := s.m.DB.Ent.PhoneNumber.GetX(context.Background(), id.(string))
			if !row.Verified || row.VerificationID != nil {
				t.Errorf("the number after the race: verified %v, verification %v; want verified and no pending verification", row.Verified, row.VerificationID)
			}
		})
	})
}

// TestConcurrentContactSendsKeepTheCooldown: two prepares of one phone
// number's first code that overlap send one text, as the sign-in's do
// (TestConcurrentSendsKeepTheCooldown). An interceptor runs the second
// prepare right after the first one read the number: both found no code
// sent yet, each drew a fresh verification, and the first attached its own
// over the second's, so two codes went out within the cooldown and the one
// of the prepare that answered first no longer worked.
func TestConcurrentContactSendsKeepTheCooldown(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true})
		const phone = "+15550600031"
		s.newUser(t, vars{"emailAddress": "racesend@example.com"})
		d := s.browser()
		d.mustSession(t, "racesend@example.com")
		id := d.do(`mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { id } }`, vars{"p": phone}).
			data(t)["phoneNumberCreate"].(map[string]any)["id"]
		const prepare = `mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`
		var inner result
		fired := afterNextRead(s.m.DB.Ent.PhoneNumber, func() { inner = d.do(prepare, vars{"id": id}) })
		outer := d.do(prepare, vars{"id": id})
		if !fired() {
			t.Fatal("the prepare read no phone number")
		}
		inner.data(t) // the prepare that ran inside the other's read
		if len(outer.Errors) > 0 {
			if got := outer.code(t); got != "verification_code_too_many_requests" {
				t.Fatalf("the overlapping prepare: got %s, want verification_code_too_many_requests or one code in all", got)
			}
		}
		if got := s.mail.count(phone); got != 1 {
			t.Fatalf("two overlapping prepares sent %d codes to the number, want 1 (cooldown %s)", got, 30*time.Second)
		}
		r := d.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { verified } }`,
			vars{"id": id, "c": s.mail.code(t, phone)})
		if v := r.data(t)["phoneNumberAttemptVerification"].(map[string]any); v["verified"] != true {
			t.Fatalf("the code that went out: got %v, want the number verified", v)
		}
	})
}
