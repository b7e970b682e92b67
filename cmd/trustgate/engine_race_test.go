package main

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/hook"
)

// TestCompletionRespectsBanAndLock: an admin's ban or lock that commits
// after a sign-in step read the user (while its password was hashed) stands.
// The step answers user_banned or user_locked, creates no session and
// leaves the ban or lock in place, instead of completing and clearing the
// lock. The ban or lock is written, through a hook, in the step's own
// transaction just before the completing update of the user row, which is
// the order the race commits them in.
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

		for _, c := range []struct {
			name, email, want, event string
			act                      func(ctx context.Context, c *ent.Client, id string) error
			still                    func(u *ent.User) bool
		}{
			{"banned meanwhile", "banned-meanwhile@example.com", "user_banned", "user.banned_rejected",
				func(ctx context.Context, c *ent.Client, id string) error {
					return c.User.UpdateOneID(id).SetBanned(true).Exec(ctx)
				},
				func(u *ent.User) bool { return u.Banned }},
			{"locked meanwhile", "locked-meanwhile@example.com", "user_locked", "user.locked_rejected",
				func(ctx context.Context, c *ent.Client, id string) error {
					return c.User.UpdateOneID(id).SetLockedAt(s.clock.Now()).ClearLockoutExpiresAt().Exec(ctx)
				},
				func(u *ent.User) bool { return u.LockedAt != nil }},
		} {
			t.Run(c.name, func(t *testing.T) {
				id := s.newUser(t, vars{"emailAddress": c.email})
				f := func(ctx context.Context, cl *ent.Client) error { return c.act(ctx, cl, id) }
				meanwhile.Store(&f)
				r := s.browser().signIn(c.email, testPassword)
				if meanwhile.Load() != nil {
					t.Fatal("the sign-in never reached its completing update")
				}
				if got := r.code(t); got != c.want {
					t.Fatalf("got %s, want %s", got, c.want)
				}
				if n := s.sessionCount(t, id); n != 0 {
					t.Fatalf("%d sessions, want none", n)
				}
				if !c.still(s.userRow(t, id)) {
					t.Fatal("the sign-in undid the admin's action")
				}
				if ev := s.events(t, vars{"kind": c.event, "userId": id}); len(ev) != 1 {
					t.Fatalf("%d %s events, want 1", len(ev), c.event)
				}
			})
		}
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
				if m.Op().Is(ent.OpDelete) && armed.Swap(false) {
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
