// Package lockout owns the brute-force lockout of users, with Clerk's
// semantics: every failed password, code, TOTP or backup code counts; at the
// application's threshold the user is locked for its duration (or until an
// admin unlocks); a successful sign-in resets the count. The counter lives in
// the user's row and is incremented atomically, so replicas agree.
//
// With enumeration protection on, an identifier that names no account has a
// counter of its own (IdentifierLockout, keyed by a keyed hash of the
// identifier) that fails and locks in the same way, so that a lockout does
// not tell which identifiers have accounts.
package lockout

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/identifierlockout"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/settings"
)

// State is a lock as this package reads it: a user's, or the counter's of an
// identifier that names no account.
type State struct {
	// LockedAt is set while locked; ExpiresAt nil with LockedAt set means
	// locked until an admin unlocks.
	LockedAt, ExpiresAt *time.Time
}

// OfUser is u's lock.
func OfUser(u *ent.User) State { return State{LockedAt: u.LockedAt, ExpiresAt: u.LockoutExpiresAt} }

// OfIdentifier is the lock of an identifier's counter; the zero State (not
// locked) for nil, an identifier that has failed nothing yet.
func OfIdentifier(l *ent.IdentifierLockout) State {
	if l == nil {
		return State{}
	}
	return State{LockedAt: l.LockedAt, ExpiresAt: l.LockoutExpiresAt}
}

// Locked reports whether u is locked at now, and for how long (0: indefinitely).
func Locked(u State, now time.Time) (bool, time.Duration) {
	if u.LockedAt == nil {
		return false, 0
	}
	if u.ExpiresAt == nil {
		return true, 0
	}
	if now.Before(*u.ExpiresAt) {
		return true, u.ExpiresAt.Sub(now)
	}
	return false, 0
}

// ExpiresInSeconds is how many seconds, rounded up, until u's lockout ends
// at now: nil when u is not locked or is locked indefinitely (Clerk's
// lockoutExpiresInSeconds).
func ExpiresInSeconds(u State, now time.Time) *int {
	locked, left := Locked(u, now)
	if !locked || left == 0 {
		return nil
	}
	secs := ceilSeconds(left)
	return &secs
}

// Error is the user_locked error for u at now.
func Error(u State, now time.Time) *apierr.Error {
	locked, left := Locked(u, now)
	if !locked || left == 0 {
		return apierr.Newf(apierr.UserLocked, "Your account is locked. Please contact support to unlock it.").
			WithMeta("lockoutExpiresInSeconds", nil)
	}
	return apierr.Newf(apierr.UserLocked, "Your account is locked. You will be able to try again in %s.", humanize(left)).
		WithMeta("lockoutExpiresInSeconds", ceilSeconds(left))
}

func ceilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// humanize says d in minutes up to two hours, then in hours to the nearest:
// rounding hours up said "2 hours" for 61 minutes, and "1 hour" for 3600 s
// but "60 minutes" for 3578 s.
func humanize(d time.Duration) string {
	switch {
	case d >= 2*time.Hour:
		return plural(int(math.Round(d.Hours())), "hour")
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

// Free is the predicate that a user may act at now: neither banned nor
// locked. A conditional write on it waits for, and then sees, a ban or lock
// committing at the same time, where a read would not.
func Free(now time.Time) predicate.User {
	return user.And(user.Banned(false), user.Not(LockedAt(now)))
}

// Refusal is the error a user who may not act at now answers (user_banned,
// or user_locked with its meta), or nil when the user may.
func Refusal(banned bool, lock State, now time.Time) *apierr.Error {
	if banned {
		return apierr.New(apierr.UserBanned)
	}
	if locked, _ := Locked(lock, now); locked {
		return Error(lock, now)
	}
	return nil
}

// Shown is the error a failed attempt answers: user_locked when u (as the
// failure left it, locked by it or by a concurrent one) is locked at now,
// else shown.
func Shown(u State, now time.Time, shown *apierr.Error) *apierr.Error {
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
	if t := expiry(s, now); t != nil {
		upd.SetLockoutExpiresAt(*t)
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

// expiry is when a lock set at now ends under s: nil for locks an admin
// lifts (no lock on an identifier that names no account is lifted that way;
// it stays until the retention pass forgets the counter, which it does not
// while locked).
func expiry(s *settings.Settings, now time.Time) *time.Time {
	if d, bounded := s.LockoutDuration(); bounded {
		t := now.Add(d)
		return &t
	}
	return nil
}

// IdentifierKey is the key of the lockout counter of identifier (as
// normalised for sign-in) in the application appID: a keyed hash, so that
// the table holds no identifier.
func IdentifierKey(keys *keyring.Keyring, appID, identifier string) string {
	return hex.EncodeToString(keys.MAC(keyring.PurposeLockout, []byte(appID+"\x00"+identifier)))
}

// ReadIdentifier is the lock of the counter key.
func ReadIdentifier(ctx context.Context, c *ent.Client, key string) (State, error) {
	l, err := c.IdentifierLockout.Get(ctx, key)
	if ent.IsNotFound(err) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("lockout: reading an identifier's counter: %w", err)
	}
	return OfIdentifier(l), nil
}

// FailIdentifier is Fail for an identifier that names no account (with
// enumeration protection on): it counts one failed attempt on the counter
// key, whose lock was prior when the request read it, and locks it at the
// same threshold and for the same time as a user. The count is added in SQL
// (an upsert), so concurrent failures on any replica each count.
func FailIdentifier(ctx context.Context, tx *ent.Tx, key string, prior State, s *settings.Settings, now time.Time) (State, bool, error) {
	if prior.LockedAt != nil {
		_, err := tx.IdentifierLockout.Update().
			Where(identifierlockout.ID(key), identifierlockout.LockedAtNotNil(), identifierlockout.LockoutExpiresAtNotNil(), identifierlockout.LockoutExpiresAtLTE(now)).
			ClearLockedAt().ClearLockoutExpiresAt().SetFailedAttempts(0).
			Save(ctx)
		if err != nil {
			return State{}, false, fmt.Errorf("lockout: clearing an identifier's expired lock: %w", err)
		}
	}
	err := tx.IdentifierLockout.Create().SetID(key).SetFailedAttempts(1).SetUpdatedAt(now).
		OnConflictColumns(identifierlockout.FieldID).
		Update(func(u *ent.IdentifierLockoutUpsert) {
			u.AddFailedAttempts(1)
			u.SetUpdatedAt(now)
		}).
		Exec(ctx)
	if err != nil {
		return State{}, false, fmt.Errorf("lockout: counting an identifier's failure: %w", err)
	}
	l, err := tx.IdentifierLockout.Get(ctx, key)
	if err != nil {
		return State{}, false, fmt.Errorf("lockout: reading an identifier's counter: %w", err)
	}
	if l.FailedAttempts < s.LockoutMaxAttempts || l.LockedAt != nil {
		return OfIdentifier(l), false, nil
	}
	upd := tx.IdentifierLockout.UpdateOneID(key).SetLockedAt(now)
	if t := expiry(s, now); t != nil {
		upd.SetLockoutExpiresAt(*t)
	} else {
		upd.ClearLockoutExpiresAt()
	}
	l, err = upd.Save(ctx)
	if err != nil {
		return State{}, false, fmt.Errorf("lockout: locking an identifier: %w", err)
	}
	return OfIdentifier(l), true, nil
}
