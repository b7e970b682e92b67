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
		}
		p, err := pc.Save(ctx)
		if err != nil {
			return nil, clash(err, "phoneNumber")
		}
		upd.SetPrimaryPhoneNumberID(p.ID)
	}
	return upd.Save(ctx)
}

// ReleasePhone deletes, inside tx, the unverified holds on a phone number of
// the application: rows of users other than exceptUserID that were added
// (phoneNumberCreate) but never verified, and last touched (added, or sent a
// code) before heldBefore, or whenever it is zero. Each holder's primary
// number is cleared if it was that row. Without this, anyone signed in could add someone else's number
// and keep its owner from signing up with it, or adding it, for good.
func ReleasePhone(ctx context.Context, tx *ent.Tx, appID, number, exceptUserID string, heldBefore time.Time) error {
	q := tx.PhoneNumber.Query().Where(
		phonenumber.ApplicationID(appID), phonenumber.PhoneNumber(number), phonenumber.Verified(false),
		phonenumber.UserIDNEQ(exceptUserID))
	if !heldBefore.IsZero() {
		q.Where(phonenumber.UpdatedAtLT(heldBefore))
	}
	held, err := q.All(ctx)
	if err != nil || len(held) == 0 {
		return err
	}
	for _, p := range held {
		if _, err := tx.PhoneNumber.Delete().Where(phonenumber.ID(p.ID), phonenumber.Verified(false)).Exec(ctx); err != nil {
			return fmt.Errorf("users: releasing a phone number: %w", err)
		}
		if err := tx.User.Update().Where(user.ID(p.UserID), user.PrimaryPhoneNumberID(p.ID)).ClearPrimaryPhoneNumberID().Exec(ctx); err != nil {
			return fmt.Errorf("users: releasing a phone number: %w", err)
		}
	}
	return nil
}

func clash(err error, param string) error {
	if ent.IsConstraintError(err) {
		return apierr.New(apierr.FormIdentifierExists).WithParam(param)
	}
	return fmt.Errorf("users: creating: %w", err)
}
