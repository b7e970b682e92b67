package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/pgtest"
)

// TestCompletionRespectsBanAndLock: a ban or lock that commits after a
// sign-in step read the user (while its password was hashed) stands. The
// step answers user_banned or user_locked, creates no session, records the
// rejection, and is undone: a reset's code is not spent and its new password
// not staged, a backup code stays unused, so the user can retry once an
// admin lifts the ban or lock. The ban or lock is written, through a hook,
// in the step's own transaction just before the completing update of the
// user row (in the race it commits on its own; here it is rolled back with
// the step, which the checks below allow for).
func TestCompletionRespectsBanAndLock(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		var meanwhile atomic.Pointer[func(context.Context, *ent.Client) error]
		s.m.DB.Ent.User.Use(func(next ent.Mutator) ent.Mutator {
			return hook.UserFunc(func(ctx context.Context, m *ent.UserMutation) (ent.Value, error) {
				if _, completing := m.LastSignInAt(); completing {
					if f := meanwhile.Swap(nil); f != nil {
						if err := (*f)(ctx, m.Client()); err != nil {
							return nil, err
						}
					}
				}
				return next.Mutate(ctx, m)
			})
		})
		ban := func(id string) func(context.Context, *ent.Client) error {
			return func(ctx context.Context, c *ent.Client) error {
				return c.User.UpdateOneID(id).SetBanned(true).Exec(ctx)
			}
		}
		lock := func(id string) func(context.Context, *ent.Client) error {
			return func(ctx context.Context, c *ent.Client) error {
				return c.User.UpdateOneID(id).SetLockedAt(s.clock.Now()).ClearLockoutExpiresAt().Exec(ctx)
			}
		}
		// refused runs step with act armed and checks the answer, that no
		// session was made and that one rejection event was recorded.
		refused := func(t *testing.T, id string, act func(context.Context, *ent.Client) error, want, event string, step func() result) {
			t.Helper()
			sessions := s.sessionCount(t, id)
			meanwhile.Store(&act)
			r := step()
			if meanwhile.Load() != nil {
				t.Fatal("the step never reached its completing update")
			}
			if got := r.code(t); got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
			if n := s.sessionCount(t, id); n != sessions {
				t.Fatalf("%d sessions after the refusal, want %d (none made)", n, sessions)
			}
			if ev := s.events(t, vars{"kind": event, "userId": id}); len(ev) != 1 {
				t.Fatalf("%d %s events, want 1", len(ev), event)
			}
		}

		t.Run("a password sign-in, banned meanwhile", func(t *testing.T) {
			id := s.newUser(t, vars{"emailAddress": "banned-meanwhile@example.com"})
			refused(t, id, ban(id), "user_banned", "user.banned_rejected", func() result {
				return s.browser().signIn("banned-meanwhile@example.com", testPassword)
			})
		})

		t.Run("a password reset, locked meanwhile, keeps its code and stages nothing", func(t *testing.T) {
			const email = "reset-meanwhile@example.com"
			id := s.newUser(t, vars{"emailAddress": email})
			d := s.browser()
			sid := d.startReset(t, email, "reset_password_email_code")["id"].(string)
			code := s.mail.code(t, email)
			refused(t, id, lock(id), "user_locked", "user.locked_rejected", func() result {
				return d.attemptFirstWith(sid, vars{"strategy": "reset_password_email_code", "code": code, "password": "a brand new passphrase"})
			})
			si := s.m.DB.Ent.SignIn.GetX(context.Background(), sid)
			if si.NewPasswordHash != nil {
				t.Fatal("the refused reset left its new password staged on the sign-in")
			}
			if v := s.m.DB.Ent.Verification.GetX(context.Background(), *si.FirstFactorVerificationID); v.Status != "unverified" {
				t.Fatalf("the reset code is %s, want still unverified", v.Status)
			}
			done := signInObj(t, d.attemptFirstWith(sid, vars{"strategy": "reset_password_email_code", "code": code, "password": "a brand new passphrase"}), "signInAttemptFirstFactor")
			if done["status"] != "complete" {
				t.Fatalf("the retry: got %v, want complete", done["status"])
			}
		})

		t.Run("a backup code, locked meanwhile, stays unused", func(t *testing.T) {
			const email = "backup-meanwhile@example.com"
			id := s.newUser(t, vars{"emailAddress": email})
			setup := s.browser()
			setup.mustSession(t, email)
			_, codes := setup.enrollTOTP(t)
			d := s.browser()
			si := signInObj(t, d.signIn(email, testPassword), "signInCreate")
			if si["status"] != "needs_second_factor" {
				t.Fatalf("got %v, want needs_second_factor", si["status"])
			}
			sid := si["id"].(string)
			refused(t, id, lock(id), "user_locked", "user.locked_rejected", func() result {
				return d.attemptSecond(sid, "backup_code", codes[0])
			})
			done := signInObj(t, d.attemptSecond(sid, "backup_code", codes[0]), "signInAttemptSecondFactor")
			if done["status"] != "complete" {
				t.Fatalf("the same backup code again: got %v, want complete", done["status"])
			}
		})

		t.Run("a sign-in with nothing meanwhile completes", func(t *testing.T) {
			s.newUser(t, vars{"emailAddress": "calm@example.com"})
			if si := signInObj(t, s.browser().signIn("calm@example.com", testPassword), "signInCreate"); si["status"] != "complete" {
				t.Fatalf("got %v, want complete", si["status"])
			}
		})
	})
}

// TestTOTPRestartKeepsAVerifiedEnrolment: a totpCreate that restarts an
// unverified enrolment while a totpVerify of it commits must not delete
// the now verified authenticator (which would turn MFA off unseen). The
// verify is written, through a hook, just before the restart's delete.
func TestTOTPRestartKeepsAVerifiedEnrolment(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		id := s.newUser(t, vars{"emailAddress": "racer@example.com"})
		d := s.browser()
		d.mustSession(t, "racer@example.com")
		const createQ = `mutation { totpCreate { id verified } }`
		first := d.do(createQ, nil).data(t)["totpCreate"].(map[string]any)
		var armed atomic.Bool
		armed.Store(true)
		s.m.DB.Ent.Totp.Use(func(next ent.Mutator) ent.Mutator {
			return hook.TotpFunc(func(ctx context.Context, m *ent.TotpMutation) (ent.Value, error) {
				if m.Op().Is(ent.OpDelete|ent.OpDeleteOne) && armed.Swap(false) {
					if err := m.Client().Totp.UpdateOneID(first["id"].(string)).SetVerified(true).SetVerifiedAt(s.clock.Now()).Exec(ctx); err != nil {
						return nil, err
					}
				}
				return next.Mutate(ctx, m)
			})
		})
		r := d.do(createQ, nil)
		if armed.Load() {
			t.Fatal("the restart never deleted the unverified enrolment")
		}
		if got := r.code(t); got != "totp_already_enabled" {
			t.Fatalf("got %s, want totp_already_enabled", got)
		}
		// The refused restart rolls back, the hook's verify with it (in the
		// race it committed on its own); what must hold is that the
		// enrolment was not replaced.
		if got := s.userRow(t, id).QueryTotp().OnlyX(context.Background()); got.ID != first["id"] {
			t.Fatalf("the enrolment %s was replaced by %s", first["id"], got.ID)
		}
	})
}

// TestOneSignInCompletesOnce: the same password sent several times at once
// on one sign-in, or two backup codes at once, complete it once: one
// session, and each other request is refused (client_state_invalid when it
// raced the winner's write, resource_forbidden when it loaded the completed
// sign-in) with nothing it wrote kept (no second session, no backup code
// spent).
func TestOneSignInCompletesOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		uid := s.createUser(t, "ada@example.com", "", testPassword)
		race := func(n int, step func(i int) result) []string {
			codes := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					if r := step(i); len(r.Errors) > 0 {
						codes[i] = r.code(t)
					}
				})
			}
			wg.Wait()
			return codes
		}
		check := func(t *testing.T, codes []string, before int) {
			t.Helper()
			won := 0
			for _, c := range codes {
				switch c {
				case "":
					won++
				case "client_state_invalid", "resource_forbidden": // raced, or came after the winner committed
				default:
					t.Fatalf("a racing step answered %s", c)
				}
			}
			if won != 1 {
				t.Fatalf("%d of %d racing steps completed the sign-in, want 1 (answers %q)", won, len(codes), codes)
			}
			if got := s.sessionCount(t, uid) - before; got != 1 {
				t.Fatalf("%d sessions from one sign-in, want 1", got)
			}
		}
		t.Run("passwords", func(t *testing.T) {
			for range 10 {
				d := s.browser()
				id := signInObj(t, d.create(vars{"identifier": "ada@example.com"}), "signInCreate")["id"].(string)
				before := s.sessionCount(t, uid)
				check(t, race(3, func(int) result {
					return d.attemptFirstWith(id, vars{"strategy": "password", "password": testPassword})
				}), before)
			}
		})
		t.Run("backup codes", func(t *testing.T) {
			home := s.browser()
			home.mustSession(t, "ada@example.com")
			_, backup := home.enrollTOTP(t)
			for round := range 3 {
				d := s.browser()
				si := signInObj(t, d.signIn("ada@example.com", testPassword), "signInCreate")
				if si["status"] != "needs_second_factor" {
					t.Fatalf("status %v, want needs_second_factor", si["status"])
				}
				before := s.sessionCount(t, uid)
				pair := backup[2*round : 2*round+2]
				check(t, race(2, func(i int) result {
					return d.attemptSecond(si["id"].(string), "backup_code", pair[i])
				}), before)
			}
			// Each round spent one code of its pair: the other still signs in.
			d := s.browser()
			si := signInObj(t, d.signIn("ada@example.com", testPassword), "signInCreate")
			unspent := 0
			for _, c := range backup[:6] {
				r := d.attemptSecond(si["id"].(string), "backup_code", c)
				if len(r.Errors) == 0 {
					unspent++
					si = signInObj(t, d.signIn("ada@example.com", testPassword), "signInCreate")
				}
			}
			if unspent != 3 {
				t.Fatalf("%d of the 6 raced backup codes still work, want 3 (the losers' codes are not spent)", unspent)
			}
		})
	})
}

// TestConcurrentSendsKeepTheCooldown: prepares sent at once on one sign-in
// send one code, the first send and a resend alike; the others are refused
// (client_state_invalid or verification_code_too_many_requests) with their
// codes unsent. On PostgreSQL each had read the cooldown as clear and sent.
func TestConcurrentSendsKeepTheCooldown(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": true})
		s.createUser(t, "ada@example.com", "", testPassword)
		d := s.browser()
		si := signInObj(t, d.signIn("ada@example.com", testPassword), "signInCreate")
		if si["status"] != "needs_client_trust" {
			t.Fatalf("status %v, want needs_client_trust", si["status"])
		}
		id := si["id"].(string)
		for round := range 2 {
			before := s.mail.count("ada@example.com")
			answers := make([]string, 6)
			var wg sync.WaitGroup
			for i := range answers {
				wg.Go(func() {
					if r := d.prepareSecond(id, "email_code"); len(r.Errors) > 0 {
						answers[i] = r.code(t)
					}
				})
			}
			wg.Wait()
			sent := 0
			for _, a := range answers {
				switch a {
				case "":
					sent++
				case "client_state_invalid", "verification_code_too_many_requests":
				default:
					t.Fatalf("round %d: a racing prepare answered %s", round, a)
				}
			}
			if got := s.mail.count("ada@example.com") - before; sent != 1 || got != 1 {
				t.Fatalf("round %d: %d prepares succeeded and %d codes went out, want 1 (answers %q)", round, sent, got, answers)
			}
			s.clock.Advance(31 * time.Second)
		}
		done := signInObj(t, d.attemptSecond(id, "email_code", s.mail.code(t, "ada@example.com")), "signInAttemptSecondFactor")
		if done["status"] != "complete" {
			t.Fatalf("the last code sent: status %v, want complete", done["status"])
		}
	})
}

// TestSignUpCodesEnteredAtOnceComplete: a sign-up with an email address and
// a phone number whose two codes are attempted at the same time completes
// once. On PostgreSQL each attempt had seen only its own code verified, so
// neither finished it and the sign-up was stuck with nothing left to verify.
func TestSignUpCodesEnteredAtOnceComplete(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"phoneEnabled": true})
		const attempt = `mutation($id: ID!, $s: String!, $c: String!) { signUpAttemptVerification(id: $id, strategy: $s, code: $c) { status } }`
		for i := range 15 {
			d := s.browser()
			email, phone := fmt.Sprintf("u%d@example.com", i), fmt.Sprintf("+1555123%04d", i)
			id := d.do(`mutation($e: String!, $p: String!) { signUpCreate(input: {emailAddress: $e, phoneNumber: $p, password: "correct horse battery"}) { id } }`,
				vars{"e": email, "p": phone}).data(t)["signUpCreate"].(map[string]any)["id"].(string)
			for _, st := range []string{"email_code", "phone_code"} {
				d.do(`mutation($id: ID!, $s: String!) { signUpPrepareVerification(id: $id, strategy: $s) { id } }`, vars{"id": id, "s": st}).data(t)
			}
			codes := map[string]string{"email_code": s.mail.code(t, email), "phone_code": s.mail.code(t, phone)}
			var wg sync.WaitGroup
			for st, c := range codes {
				wg.Go(func() { d.do(attempt, vars{"id": id, "s": st, "c": c}).data(t) })
			}
			wg.Wait()
			cur := d.do(`{ client { signUp { status unverifiedFields createdSessionId } } }`, nil).data(t)["client"].(map[string]any)["signUp"].(map[string]any)
			if cur["status"] != "complete" || cur["createdSessionId"] == nil {
				t.Fatalf("round %d: sign-up %v with both codes verified, want complete", i, cur)
			}
		}
	})
}

// abortOnce aborts the first transaction it writes a message in, as
// PostgreSQL aborts one in a serialization failure (40001), which DB.Tx
// runs again; later messages go out after the commit.
type abortOnce struct{ aborted atomic.Bool }

func (a *abortOnce) Send(context.Context, delivery.Message) error { return nil }

func (a *abortOnce) SendTx(ctx context.Context, tx *ent.Tx, _ delivery.Message) (bool, error) {
	if a.aborted.Swap(true) {
		return false, nil
	}
	_, err := tx.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$`)
	return true, err
}

// TestCodePrepareSurvivesARetry: a code prepare whose transaction PostgreSQL
// aborts and DB.Tx runs again sends its code: the retry attaches its
// verification against the sign-in as the step read it, not as the aborted
// run left it in memory. A Client Trust prepare (whose send also marks the
// sign-in pending) likewise.
func TestCodePrepareSurvivesARetry(t *testing.T) {
	s := mustStart(t, pgtest.URL(t), cheapHashes)
	s.createUser(t, "ada@example.com", "", testPassword)
	s.mail.also = &abortOnce{}
	d := s.browser()
	si := signInObj(t, d.create(vars{"identifier": "ada@example.com"}), "signInCreate")
	if r := d.prepareFirstWith(si["id"].(string), factorInput(si["supportedFirstFactors"], "email_code")); len(r.Errors) != 0 {
		t.Fatalf("first-factor prepare after one aborted run: %s, want the code sent", r.code(t))
	}
	s.mail.also = &abortOnce{}
	ct := s.browser()
	si = signInObj(t, ct.signIn("ada@example.com", testPassword), "signInCreate")
	p := ct.prepareSecond(si["id"].(string), "email_code")
	if len(p.Errors) != 0 {
		t.Fatalf("Client Trust prepare after one aborted run: %s, want the code sent", p.code(t))
	}
	if got := p.data(t)["signInPrepareSecondFactor"].(map[string]any)["clientTrustState"]; got != "pending" {
		t.Fatalf("clientTrustState %v, want pending", got)
	}
}
