// Package users creates user records with their email addresses and phone
// numbers, for sign-up and for admin imports, and maps identifier clashes to
// form_identifier_exists.
package users

import (
	"context"
	"fmt"
	"time"

	"github.com/trustgate/trustgate/ent"
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

func clash(err error, param string) error {
	if ent.IsConstraintError(err) {
		return apierr.New(apierr.FormIdentifierExists).WithParam(param)
	}
	return fmt.Errorf("users: creating: %w", err)
}
