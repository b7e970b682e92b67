// Package lockout owns the brute-force lockout of users, with Clerk's
// semantics: every failed password, code, TOTP or backup code counts; at the
// application's threshold the user is locked for its duration (or until an
// admin unlocks); a successful sign-in resets the count. The counter lives in
// the user's row and is incremented atomically, so replicas agree.
package lockout

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/settings"
)

// Locked reports whether u is locked at now, and for how long (0: indefinitely).
func Locked(u *ent.User, now time.Time) (bool, time.Duration) {
	if u.LockedAt == nil {
		return false, 0
	}
	if u.LockoutExpiresAt == nil {
		return true, 0
	}
	if now.Before(*u.LockoutExpiresAt) {
		return true, u.LockoutExpiresAt.Sub(now)
	}
	return false, 0
}

// ExpiresInSeconds is how many seconds, rounded up, until u's lockout ends
// at now: nil when u is not locked or is locked indefinitely (Clerk's
// lockoutExpiresInSeconds).
func ExpiresInSeconds(u *ent.User, now time.Time) *int {
	locked, left := Locked(u, now)
	if !locked || left == 0 {
		return nil
	}
	secs := ceilSeconds(left)
	return &secs
}

// Error is the user_locked error for u at now.
func Error(u *ent.User, now time.Time) *apierr.Error {
	locked, left := Locked(u, now)
	if !locked || left == 0 {
		return apierr.Newf(apierr.UserLocked, "Your account is locked. Please contact support to unlock it.").
			WithMeta("lockoutExpiresInSeconds", nil)
	}
	return apierr.Newf(apierr.UserLocked, "Your account is locked. You will be able to try again in %s.", humanize(left)).
		WithMeta("lockoutExpiresInSeconds", ceilSeconds(left))
}

func ceilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

func humanize(d time.Duration) string {
	switch {
	case d >= time.Hour:
		h := int(math.Ceil(d.Hours()))
		return plural(h, "hour")
	case d >= time.Minute:
		return plural(int(math.Ceil(d.Minutes())), "minute")
	default:
		return plural(int(math.Ceil(d.Seconds())), "second")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// LockedAt is Locked as a query: users locked at now.
func LockedAt(now time.Time) predicate.User {
	return user.And(user.LockedAtNotNil(), user.Or(user.LockoutExpiresAtIsNil(), user.LockoutExpiresAtGT(now)))
}

// Shown is the error a failed attempt answers: user_locked when u (as the
// failure left it, locked by it or by a concurrent one) is locked at now,
// else shown.
func Shown(u *ent.User, now time.Time, shown *apierr.Error) *apierr.Error {
	if locked, _ := Locked(u, now); locked {
		return Error(u, now)
	}
	return shown
}

// Fail counts one failed attempt of u inside tx and locks u when the count
// reaches the threshold. It returns the updated user and whether this failure
// locked it; the updated user may also be locked by a concurrent failure,
// which Locked tells.
func Fail(ctx context.Context, tx *ent.Tx, u *ent.User, s *settings.Settings, now time.Time) (*ent.User, bool, error) {
	// An expired lock is cleared before counting anew. The condition is on the
	// row, not on u, so that of concurrent failures only the first clears it
	// and the others add to its count instead of starting over.
	if u.LockedAt != nil {
		_, err := tx.User.Update().
			Where(user.ID(u.ID), user.LockedAtNotNil(), user.LockoutExpiresAtNotNil(), user.LockoutExpiresAtLTE(now)).
			ClearLockedAt().ClearLockoutExpiresAt().SetFailedAttempts(0).
			Save(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("lockout: clearing an expired lock: %w", err)
		}
	}
	updated, err := tx.User.UpdateOneID(u.ID).AddFailedAttempts(1).Save(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lockout: counting failure: %w", err)
	}
	if updated.FailedAttempts < s.LockoutMaxAttempts || updated.LockedAt != nil {
		return updated, false, nil
	}
	upd := tx.User.UpdateOneID(u.ID).SetLockedAt(now)
	if d, bounded := s.LockoutDuration(); bounded {
		upd.SetLockoutExpiresAt(now.Add(d))
	} else {
		upd.ClearLockoutExpiresAt()
	}
	updated, err = upd.Save(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lockout: locking: %w", err)
	}
	return updated, true, nil
}

// Reset adds to upd, an update of a user's row, the clearing of the failure
// count and any lock: a successful sign-in's. It goes by the row, not by a
// user read before the step, so failures counted since (by concurrent
// requests) are cleared too.
func Reset(upd *ent.UserUpdate) *ent.UserUpdate {
	return upd.SetFailedAttempts(0).ClearLockedAt().ClearLockoutExpiresAt()
}
