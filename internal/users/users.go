// Package users creates user records with their email addresses and phone
// numbers, for sign-up and for admin imports, and maps identifier clashes to
// form_identifier_exists.
package users

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/emailaddress"
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
		if n.EmailVerified {
			// An address proven by code (or vouched for by an admin) wins
			// over another account's unverified hold on it.
			if err := ReleaseEmail(ctx, tx, n.ApplicationID, *n.EmailAddress, u.ID, time.Time{}); err != nil {
				return nil, err
			}
		}
		ec := tx.EmailAddress.Create().SetApplicationID(n.ApplicationID).SetUserID(u.ID).
			SetEmailAddress(*n.EmailAddress).SetVerified(n.EmailVerified)
		if n.EmailVerified {
			ec.SetVerifiedAt(now)
		} else {
			ec.SetHeldAt(now)
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
	_, err := releaseHolds(ctx, tx, phoneHolds, heldBefore,
		sql.FieldEQ(phonenumber.FieldApplicationID, appID), sql.FieldEQ(phonenumber.FieldPhoneNumber, number),
		sql.FieldNEQ(phonenumber.FieldUserID, exceptUserID))
	return err
}

// ReleaseEmail is ReleasePhone for an email address (emailAddressCreate).
func ReleaseEmail(ctx context.Context, tx *ent.Tx, appID, address, exceptUserID string, heldBefore time.Time) error {
	_, err := releaseHolds(ctx, tx, emailHolds, heldBefore,
		sql.FieldEQ(emailaddress.FieldApplicationID, appID), sql.FieldEQ(emailaddress.FieldEmailAddress, address),
		sql.FieldNEQ(emailaddress.FieldUserID, exceptUserID))
	return err
}

// ReleaseOwnHolds deletes, inside tx, the user's own unverified numbers last
// claimed before heldBefore, and returns how many went.
func ReleaseOwnHolds(ctx context.Context, tx *ent.Tx, userID string, heldBefore time.Time) (int, error) {
	return releaseHolds(ctx, tx, phoneHolds, heldBefore, sql.FieldEQ(phonenumber.FieldUserID, userID))
}

// ReleaseOwnEmailHolds is ReleaseOwnHolds for email addresses.
func ReleaseOwnEmailHolds(ctx context.Context, tx *ent.Tx, userID string, heldBefore time.Time) (int, error) {
	return releaseHolds(ctx, tx, emailHolds, heldBefore, sql.FieldEQ(emailaddress.FieldUserID, userID))
}

// hold is an unverified contact row and the user who holds it.
type hold struct{ id, userID string }

// holdTable reads and deletes the rows of phone_numbers or of
// email_addresses, whose holds work alike (the same verified and held_at
// columns).
type holdTable struct {
	find   func(ctx context.Context, tx *ent.Tx, where []func(*sql.Selector)) ([]hold, error)
	delete func(ctx context.Context, tx *ent.Tx, where []func(*sql.Selector)) (int, error)
	// primary is the users column that points at a primary row of the table.
	primary string
}

// clearPrimary clears h's holder's primary pointer of t's kind if it names h.
func (t holdTable) clearPrimary(ctx context.Context, tx *ent.Tx, h hold) error {
	return tx.User.Update().Where(user.ID(h.userID), predicate.User(sql.FieldEQ(t.primary, h.id))).
		Modify(func(u *sql.UpdateBuilder) { u.SetNull(t.primary) }).Exec(ctx)
}

var phoneHolds = holdTable{
	find: func(ctx context.Context, tx *ent.Tx, where []func(*sql.Selector)) ([]hold, error) {
		rows, err := tx.PhoneNumber.Query().Where(predicate.PhoneNumber(sql.AndPredicates(where...))).All(ctx)
		out := make([]hold, len(rows))
		for i, r := range rows {
			out[i] = hold{r.ID, r.UserID}
		}
		return out, err
	},
	delete: func(ctx context.Context, tx *ent.Tx, where []func(*sql.Selector)) (int, error) {
		return tx.PhoneNumber.Delete().Where(predicate.PhoneNumber(sql.AndPredicates(where...))).Exec(ctx)
	},
	primary: user.FieldPrimaryPhoneNumberID,
}

var emailHolds = holdTable{
	find: func(ctx context.Context, tx *ent.Tx, where []func(*sql.Selector)) ([]hold, error) {
		rows, err := tx.EmailAddress.Query().Where(predicate.EmailAddress(sql.AndPredicates(where...))).All(ctx)
		out := make([]hold, len(rows))
		for i, r := range rows {
			out[i] = hold{r.ID, r.UserID}
		}
		return out, err
	},
	delete: func(ctx context.Context, tx *ent.Tx, where []func(*sql.Selector)) (int, error) {
		return tx.EmailAddress.Delete().Where(predicate.EmailAddress(sql.AndPredicates(where...))).Exec(ctx)
	},
	primary: user.FieldPrimaryEmailAddressID,
}

// releaseHolds deletes the unverified rows of t matching where that were
// last claimed before heldBefore (a row never claimed counts as stale),
// but not a row that is its holder's primary one (an admin's unverified
// address, a sign-up's): only a proof of the value takes that, which
// heldBefore zero means (a sign-up that verified it by code, an admin's
// verified import), releasing any unverified row whenever claimed. It
// clears a holder's primary pointer to a deleted row. Each delete repeats
// the conditions, so a hold renewed since the read stays.
func releaseHolds(ctx context.Context, tx *ent.Tx, t holdTable, heldBefore time.Time, where ...func(*sql.Selector)) (int, error) {
	const verified, heldAt = "verified", "held_at" // the same columns in both tables
	stale := []func(*sql.Selector){sql.FieldEQ(verified, false)}
	if !heldBefore.IsZero() {
		stale = append(stale, sql.OrPredicates(sql.FieldIsNull(heldAt), sql.FieldLT(heldAt, heldBefore)), notPrimary(t.primary))
	}
	held, err := t.find(ctx, tx, append(where, stale...))
	if err != nil {
		return 0, fmt.Errorf("users: reading holds: %w", err)
	}
	released := 0
	for _, h := range held {
		n, err := t.delete(ctx, tx, append([]func(*sql.Selector){sql.FieldEQ("id", h.id)}, stale...))
		if err != nil {
			return 0, fmt.Errorf("users: releasing a hold: %w", err)
		}
		if n == 0 {
			continue
		}
		released++
		if err := t.clearPrimary(ctx, tx, h); err != nil {
			return 0, fmt.Errorf("users: releasing a hold: %w", err)
		}
	}
	return released, nil
}

// notPrimary holds a row to not being pointed at by its users column
// primary.
func notPrimary(primary string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		u := sql.Table(user.Table)
		s.Where(sql.Not(sql.Exists(sql.Select(u.C(user.FieldID)).From(u).Where(sql.ColumnsEQ(u.C(primary), s.C("id"))))))
	}
}

func clash(err error, param string) error {
	if ent.IsConstraintError(err) {
		return apierr.New(apierr.FormIdentifierExists).WithParam(param)
	}
	return fmt.Errorf("users: creating: %w", err)
}

// ForChange is the query of user id that a change to the user's account
// (its factors, identifiers, lock) reads first: on PostgreSQL it locks the
// user's row, so that changes to one user by the user (account mutations)
// and by an administrator (resetUserMfa, lockUser, …) run one after the
// other, each seeing the other's result, instead of crossing on the locks
// of the rows they change (a deadlock, or a check against rows the other
// has just rewritten). SQLite runs one write transaction at a time already.
func ForChange(tx *ent.Tx, postgres bool, id string) *ent.UserQuery {
	q := tx.User.Query().Where(user.ID(id))
	if postgres {
		q.ForUpdate()
	}
	return q
}
