// Package users creates user records with their email addresses and phone
// numbers, for sign-up and for admin imports, and maps identifier clashes to
// form_identifier_exists.
package users

import (
	"context"
	"fmt"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/phonenumber"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/apierr"
)

// New describes a user to create; identifiers are already normalised.
type New struct {
	ApplicationID string
	EmailAddress  *string
	EmailVerified bool
	PhoneNumber   *string
	PhoneVerified bool
	Username      *string
	// PasswordHash is a PHC string (argon2id, or an imported bcrypt hash).
	PasswordHash *string
}

// Create inserts the user, its email address and phone number inside tx; the
// first of each becomes primary.
func Create(ctx context.Context, tx *ent.Tx, now time.Time, n New) (*ent.User, error) {
	c := tx.User.Create().SetApplicationID(n.ApplicationID).SetNillableUsername(n.Username)
	if n.PasswordHash != nil {
		c.SetPasswordHash(*n.PasswordHash).SetPasswordUpdatedAt(now)
	}
	u, err := c.Save(ctx)
	if err != nil {
		return nil, clash(err, "username")
	}
	upd := tx.User.UpdateOne(u)
	if n.EmailAddress != nil {
		ec := tx.EmailAddress.Create().SetApplicationID(n.ApplicationID).SetUserID(u.ID).
			SetEmailAddress(*n.EmailAddress).SetVerified(n.EmailVerified)
		if n.EmailVerified {
			ec.SetVerifiedAt(now)
		}
		e, err := ec.Save(ctx)
		if err != nil {
			return nil, clash(err, "emailAddress")
		}
		upd.SetPrimaryEmailAddressID(e.ID)
	}
	if n.PhoneNumber != nil {
		if n.PhoneVerified {
			// A number proven by code (or vouched for by an admin) wins
			// over any hold another user never verified.
			if err := ReleasePhone(ctx, tx, n.ApplicationID, *n.PhoneNumber, u.ID, time.Time{}); err != nil {
				return nil, err
			}
		}
		pc := tx.PhoneNumber.Create().SetApplicationID(n.ApplicationID).SetUserID(u.ID).
			SetPhoneNumber(*n.PhoneNumber).SetVerified(n.PhoneVerified)
		if n.PhoneVerified {
			pc.SetVerifiedAt(now)
		} else {
			pc.SetHeldAt(now)
		}
		p, err := pc.Save(ctx)
		if err != nil {
			return nil, clash(err, "phoneNumber")
		}
		upd.SetPrimaryPhoneNumberID(p.ID)
	}
	return upd.Save(ctx)
}

// ReleasePhone deletes, inside tx, the stale holds on a phone number of the
// application: rows of users other than exceptUserID that were added
// (phoneNumberCreate) but never verified, and last claimed (held_at: added,
// or sent a code) before heldBefore, or whenever it is zero. Each holder's
// primary number is cleared if it was that row. Without this, anyone signed
// in could add someone else's number and keep its owner from signing up with
// it, or adding it, for good.
func ReleasePhone(ctx context.Context, tx *ent.Tx, appID, number, exceptUserID string, heldBefore time.Time) error {
	_, err := releaseHolds(ctx, tx, heldBefore,
		phonenumber.ApplicationID(appID), phonenumber.PhoneNumber(number), phonenumber.UserIDNEQ(exceptUserID))
	return err
}

// ReleaseOwnHolds deletes, inside tx, the user's own unverified numbers last
// claimed before heldBefore, and returns how many went.
func ReleaseOwnHolds(ctx context.Context, tx *ent.Tx, userID string, heldBefore time.Time) (int, error) {
	return releaseHolds(ctx, tx, heldBefore, phonenumber.UserID(userID))
}

// releaseHolds deletes the unverified numbers matching where that were last
// claimed before heldBefore (any, when it is zero; a row never claimed
// counts as stale), clearing a holder's primary pointer to a deleted row.
// Each delete repeats the conditions, so a hold renewed since the read stays.
func releaseHolds(ctx context.Context, tx *ent.Tx, heldBefore time.Time, where ...predicate.PhoneNumber) (int, error) {
	stale := []predicate.PhoneNumber{phonenumber.Verified(false)}
	if !heldBefore.IsZero() {
		stale = append(stale, phonenumber.Or(phonenumber.HeldAtIsNil(), phonenumber.HeldAtLT(heldBefore)))
	}
	held, err := tx.PhoneNumber.Query().Where(append(where, stale...)...).All(ctx)
	if err != nil {
		return 0, fmt.Errorf("users: reading phone number holds: %w", err)
	}
	released := 0
	for _, p := range held {
		n, err := tx.PhoneNumber.Delete().Where(append([]predicate.PhoneNumber{phonenumber.ID(p.ID)}, stale...)...).Exec(ctx)
		if err != nil {
			return 0, fmt.Errorf("users: releasing a phone number: %w", err)
		}
		if n == 0 {
			continue
		}
		released++
		if err := tx.User.Update().Where(user.ID(p.UserID), user.PrimaryPhoneNumberID(p.ID)).ClearPrimaryPhoneNumberID().Exec(ctx); err != nil {
			return 0, fmt.Errorf("users: releasing a phone number: %w", err)
		}
	}
	return released, nil
}

func clash(err error, param string) error {
	if ent.IsConstraintError(err) {
		return apierr.New(apierr.FormIdentifierExists).WithParam(param)
	}
	return fmt.Errorf("users: creating: %w", err)
}
