package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/backupcode"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/ent/totp"
)

// TestTOTPAttemptRacingTOTPDisable: a sign-in's right TOTP whose
// authenticator is removed (totpDisable in another session, written here
// by a hook in the attempt's own transaction, just before the code's time
// step is claimed) proves nothing, but it is no wrong guess either: it
// answers as an attempt after the removal does (sign_in_expired when the
// user has no second factor left, strategy_for_user_invalid when another
// stays), and counts nothing toward the lockout or as totp.failed. So does
// a session reverification's (strategy_for_user_invalid).
func TestTOTPAttemptRacingTOTPDisable(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
			"secondFactors": []string{"totp", "phone_code", "backup_code"}})
		var armed atomic.Bool
		var disable func(ctx context.Context, c *ent.Client) error
		s.m.DB.Ent.Totp.Use(func(next ent.Mutator) ent.Mutator {
			return hook.TotpFunc(func(ctx context.Context, m *ent.TotpMutation) (ent.Value, error) {
				if _, claiming := m.LastUsedStep(); claiming && m.Op().Is(ent.OpUpdate) && armed.Swap(false) {
					if err := disable(ctx, m.Client()); err != nil {
						return nil, err
					}
				}
				return next.Mutate(ctx, m)
			})
		})
		noFailure := func(t *testing.T, id string) {
			t.Helper()
			if n := s.userRow(t, id).FailedAttempts; n != 0 {
				t.Errorf("the user's failed attempts: got %d, want 0 (a right code is no failure)", n)
			}
			if ev := s.events(t, vars{"userId": id, "kind": "totp.failed"}); len(ev) != 0 {
				t.Errorf("got %d totp.failed events, want none", len(ev))
			}
		}
		cases := []struct {
			name, email, phone, want string
		}{
			{"the only second factor", "totponly@example.com", "", "sign_in_expired"},
			{"beside an SMS second factor", "totpandsms@example.com", "+15550900001", "strategy_for_user_invalid"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := s.newUser(t, vars{"emailAddress": c.email})
				owner := s.browser()
				owner.mustSession(t, c.email)
				secret, _ := owner.enrollTOTP(t)
				if c.phone != "" {
					owner.enrollPhoneMFA(t, c.phone)
				}
				disable = func(ctx context.Context, cl *ent.Client) error {
					if _, err := cl.Totp.Delete().Where(totp.UserID(id)).Exec(ctx); err != nil {
						return err
					}
					if c.phone != "" {
						return nil
					}
					// The last second factor: its backup codes go too.
					_, err := cl.BackupCode.Delete().Where(backupcode.UserID(id)).Exec(ctx)
					return err
				}
				d, sid := mfaSignIn(t, s, c.email)
				s.clock.Advance(30 * time.Second) // the enrolment spent the current step
				armed.Store(true)
				r := d.attemptSecond(sid, "totp", totpNow(s, secret, 0))
				if armed.Load() {
					t.Fatal("the attempt claimed no TOTP step")
				}
				if len(r.Errors) == 0 {
					t.Fatalf("a TOTP of an authenticator removed during the attempt: got status %v, want %s",
						signInObj(t, r, "signInAttemptSecondFactor")["status"], c.want)
				}
				if got := r.code(t); got != c.want {
					t.Errorf("a right TOTP of an authenticator removed during the attempt: got %s, want %s", got, c.want)
				}
				noFailure(t, id)
			})
		}
		t.Run("a session reverification", func(t *testing.T) {
			id := s.newUser(t, vars{"emailAddress": "totpreverify@example.com"})
			d := s.browser()
			d.mustSession(t, "totpreverify@example.com")
			secret, _ := d.enrollTOTP(t)
			disable = func(ctx context.Context, cl *ent.Client) error {
				_, err := cl.Totp.Delete().Where(totp.UserID(id)).Exec(ctx)
				return err
			}
			d.startReverification(t, "needs_second_factor")
			s.clock.Advance(30 * time.Second)
			armed.Store(true)
			r := d.reverify("sessionVerificationAttemptSecondFactor", vars{"strategy": "totp", "code": totpNow(s, secret, 0)})
			if armed.Load() {
				t.Fatal("the attempt claimed no TOTP step")
			}
			if len(r.Errors) == 0 || r.code(t) != "strategy_for_user_invalid" {
				t.Errorf("a right TOTP of an authenticator removed during the reverification: got data %v errors %v, want strategy_for_user_invalid", r.Data, r.Errors)
			}
			noFailure(t, id)
		})
	})
}

// TestBackupCodeAttemptRacingTheLastFactorsRemoval: a sign-in's backup code
// whose set was deleted meanwhile (the last second factor removed in
// another session, which takes the codes with it; written here by a hook in
// the attempt's own transaction, just before the code is spent) answers as
// an attempt after the removal does (sign_in_expired: no second factor
// left) and counts nothing. A wrong code while codes remain still counts.
// So does a session reverification's (strategy_for_user_invalid).
func TestBackupCodeAttemptRacingTheLastFactorsRemoval(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		id := s.newUser(t, vars{"emailAddress": "lastcodes@example.com"})
		owner := s.browser()
		owner.mustSession(t, "lastcodes@example.com")
		_, codes := owner.enrollTOTP(t)
		if len(codes) == 0 {
			t.Fatal("no backup codes with the authenticator")
		}
		var armed atomic.Bool
		var victim atomic.Value
		victim.Store(id)
		s.m.DB.Ent.BackupCode.Use(func(next ent.Mutator) ent.Mutator {
			return hook.BackupCodeFunc(func(ctx context.Context, m *ent.BackupCodeMutation) (ent.Value, error) {
				if _, spending := m.UsedAt(); spending && m.Op().Is(ent.OpUpdate) && armed.Swap(false) {
					id := victim.Load().(string)
					if _, err := m.Client().Totp.Delete().Where(totp.UserID(id)).Exec(ctx); err != nil {
						return nil, err
					}
					if _, err := m.Client().BackupCode.Delete().Where(backupcode.UserID(id)).Exec(ctx); err != nil {
						return nil, err
					}
				}
				return next.Mutate(ctx, m)
			})
		})
		d, sid := mfaSignIn(t, s, "lastcodes@example.com")
		if got := d.attemptSecond(sid, "backup_code", "zzzz-zzzz").code(t); got != "form_code_incorrect" {
			t.Fatalf("a wrong backup code: got %s, want form_code_incorrect", got)
		}
		if n := s.userRow(t, id).FailedAttempts; n != 1 {
			t.Fatalf("failed attempts after a wrong code: got %d, want 1", n)
		}
		armed.Store(true)
		r := d.attemptSecond(sid, "backup_code", codes[0])
		if armed.Load() {
			t.Fatal("the attempt spent no backup code")
		}
		if len(r.Errors) == 0 || r.code(t) != "sign_in_expired" {
			t.Fatalf("a backup code of a set removed during the attempt: got data %v errors %v, want sign_in_expired", r.Data, r.Errors)
		}
		if n := s.userRow(t, id).FailedAttempts; n != 1 {
			t.Errorf("failed attempts: got %d, want still 1 (a removed set is no wrong guess)", n)
		}
		if ev := s.events(t, vars{"userId": id, "kind": "backup_code.failed"}); len(ev) != 1 {
			t.Errorf("got %d backup_code.failed events, want the wrong code's one", len(ev))
		}

		t.Run("a session reverification", func(t *testing.T) {
			id := s.newUser(t, vars{"emailAddress": "lastcodesreverify@example.com"})
			d := s.browser()
			d.mustSession(t, "lastcodesreverify@example.com")
			_, codes := d.enrollTOTP(t)
			victim.Store(id)
			d.startReverification(t, "needs_second_factor")
			armed.Store(true)
			r := d.reverify("sessionVerificationAttemptSecondFactor", vars{"strategy": "backup_code", "code": codes[0]})
			if armed.Load() {
				t.Fatal("the reverification spent no backup code")
			}
			if len(r.Errors) == 0 || r.code(t) != "strategy_for_user_invalid" {
				t.Errorf("a backup code of a set removed during the reverification: got data %v errors %v, want strategy_for_user_invalid", r.Data, r.Errors)
			}
			if n := s.userRow(t, id).FailedAttempts; n != 0 {
				t.Errorf("failed attempts: got %d, want 0", n)
			}
		})
	})
}
