package account

import (
	"context"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/clienttrust"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/settings"
	"github.com/trustgate/trustgate/internal/users"
	"github.com/trustgate/trustgate/internal/verification"
)

// MaxEmailAddresses bounds the email addresses of one account, verified or not.
const MaxEmailAddresses = 10

var failedEmail = failure{audit.KindCodeFailed, settings.StrategyEmailCode}

// CreateEmailAddress adds an unverified email address to the user, as
// Clerk's user.createEmailAddress: it signs nobody in until its code is
// entered (AttemptEmailVerification). Like a phone number, an unverified
// address holds it against other accounts for a code's lifetime since it
// was added or last sent a code, and no longer; a sign-up, which proves the
// address, takes it whenever.
func (s *Service) CreateEmailAddress(ctx context.Context, raw string) (*ent.EmailAddress, error) {
	u, _, err := s.caller(ctx, s.recent)
	if err != nil {
		return nil, err
	}
	set := s.settings(ctx)
	if !set.EmailEnabled {
		return nil, apierr.Invalid("emailAddress", "email addresses are not enabled for this application")
	}
	addr, err := identifier.NormalizeEmail(raw)
	if err != nil {
		return nil, apierr.Invalid("emailAddress", "not a valid email address")
	}
	var row *ent.EmailAddress
	now := s.Now()
	heldBefore := now.Add(-set.CodeTTL())
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		if err := s.serialize(ctx, tx, u.ID); err != nil { // the count holds until this insert commits
			return err
		}
		n, err := tx.EmailAddress.Query().Where(emailaddress.UserID(u.ID)).Count(ctx)
		if err == nil && n >= MaxEmailAddresses {
			var released int
			released, err = users.ReleaseOwnEmailHolds(ctx, tx, u.ID, heldBefore)
			n -= released
		}
		if err != nil {
			return err
		}
		if n >= MaxEmailAddresses {
			return apierr.Newf(apierr.ResourceForbidden, "An account holds at most %d email addresses.", MaxEmailAddresses).WithParam("emailAddress")
		}
		if err := users.ReleaseEmail(ctx, tx, u.ApplicationID, addr, u.ID, heldBefore); err != nil {
			return err
		}
		row, err = tx.EmailAddress.Create().SetApplicationID(u.ApplicationID).SetUserID(u.ID).SetEmailAddress(addr).
			SetHeldAt(now).Save(ctx)
		return err
	})
	if ent.IsConstraintError(err) {
		return nil, apierr.New(apierr.FormIdentifierExists).WithParam("emailAddress")
	}
	if err != nil {
		return nil, err
	}
	return row.Unwrap(), nil
}

func (s *Service) ownEmail(ctx context.Context, u *ent.User, id string) (*ent.EmailAddress, error) {
	e, err := s.DB.Ent.EmailAddress.Query().Where(emailaddress.ID(id), emailaddress.UserID(u.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apierr.New(apierr.ResourceNotFound).WithParam("id")
	}
	return e, err
}

// PrepareEmailVerification emails a code to one of the user's unverified
// addresses.
func (s *Service) PrepareEmailVerification(ctx context.Context, id string) (*ent.EmailAddress, error) {
	u, _, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.ownEmail(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if e.Verified {
		return nil, apierr.New(apierr.VerificationAlreadyVerified)
	}
	var existing *ent.Verification
	if e.VerificationID != nil {
		existing, _ = s.DB.Ent.Verification.Get(ctx, *e.VerificationID)
	}
	set := s.settings(ctx)
	app, _ := request.From(ctx).Application()
	_, err = s.Codes.Deliver(ctx, s.DB, s.Sender, verification.Delivery{
		Existing: existing, TTL: set.CodeTTL(),
		Target: verification.Target{Strategy: settings.StrategyEmailCode, ID: e.ID, Value: e.EmailAddress},
		Attach: func(tx *ent.Tx, v *ent.Verification) error {
			// The send renews the address's hold (users.ReleaseEmail).
			saved, err := tx.EmailAddress.UpdateOneID(e.ID).SetVerificationID(v.ID).SetHeldAt(s.Now()).Save(ctx)
			if ent.IsNotFound(err) { // released to another account meanwhile
				return apierr.New(apierr.ResourceNotFound).WithParam("id")
			}
			if err == nil {
				e = saved
			}
			return err
		},
		Message: func(code string) (delivery.Message, error) {
			return delivery.RenderCodeEmail(delivery.CodeEmail{ApplicationID: u.ApplicationID, AppName: appName(app), To: e.EmailAddress, Code: code, TTL: set.CodeTTL()})
		},
		Log: s.Log.With("email_address_id", e.ID),
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// AttemptEmailVerification checks the code emailed to an address; a wrong
// one counts toward the verification's attempts and the user's lockout. The
// first verified address becomes the primary one.
func (s *Service) AttemptEmailVerification(ctx context.Context, id, code string) (*ent.EmailAddress, error) {
	u, sess, err := s.caller(ctx, s.unlocked)
	if err != nil {
		return nil, err
	}
	e, err := s.ownEmail(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if e.Verified {
		return nil, apierr.New(apierr.VerificationAlreadyVerified)
	}
	if e.VerificationID == nil {
		return nil, apierr.New(apierr.VerificationMissing)
	}
	v, err := verification.Load(ctx, s.DB.Ent, *e.VerificationID)
	if err != nil {
		return nil, err
	}
	var clientErr error
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		if _, err := s.Codes.Check(ctx, tx, v, code); err != nil {
			if ce, ok := apierr.As(err); ok {
				clientErr = ce
				if verification.CountsTowardLockout(ce) {
					shown, err := s.failIn(ctx, tx, u, sess, failedEmail, ce)
					if err != nil {
						return err
					}
					clientErr = shown
				}
				return nil
			}
			return err
		}
		now := s.Now()
		// Another account's unverified hold on the address cannot exist
		// (the unique index); this one's verification wins over the hold's
		// expiry, as a sign-up's does.
		e, err = tx.EmailAddress.UpdateOneID(e.ID).SetVerified(true).SetVerifiedAt(now).ClearVerificationID().Save(ctx)
		if ent.IsNotFound(err) { // released to another account meanwhile
			return apierr.New(apierr.ResourceNotFound).WithParam("id")
		}
		if err != nil {
			return err
		}
		return tx.User.Update().Where(user.ID(u.ID), user.PrimaryEmailAddressIDIsNil()).SetPrimaryEmailAddressID(e.ID).Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	if clientErr != nil {
		return nil, clientErr
	}
	return e, nil
}

// SetPrimaryEmailAddress makes a verified address the user's primary one:
// where Client Trust codes, resets and notices go, and the address shown.
// Rule 4 of CONTRACT §3: the change revokes the trust of every client but
// this one (where the user just verified the session), so that a session
// stolen for a minute cannot move the account's codes to an attacker's
// address and keep its other devices trusted. It needs a recent
// verification, as every change of how the account signs in does.
func (s *Service) SetPrimaryEmailAddress(ctx context.Context, id string) (*ent.User, error) {
	u, sess, err := s.caller(ctx, s.recent)
	if err != nil {
		return nil, err
	}
	e, err := s.ownEmail(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if !e.Verified {
		return nil, apierr.Newf(apierr.VerificationMissing, "Verify this email address before making it the primary one.").WithParam("id")
	}
	if u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == e.ID {
		return u, nil
	}
	rq := request.From(ctx)
	now := s.Now()
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		if err := updateUnrefused(ctx, tx.User.Update().SetPrimaryEmailAddressID(e.ID), tx, u.ID, now); err != nil {
			return err
		}
		if _, err := clienttrust.RevokeAll(ctx, tx, u.ID); err != nil {
			return err
		}
		return clienttrust.Grant(ctx, tx, u.ID, sess.ClientID, "primary_email_change", rq.IP, rq.UserAgent, now)
	})
	if err != nil {
		return nil, err
	}
	return s.DB.Ent.User.Get(ctx, u.ID)
}

// DeleteEmailAddress removes one of the user's addresses, not the primary
// one (make another primary first). A code sent to it proves nothing after
// that: the sign-in no longer lists it as a factor.
func (s *Service) DeleteEmailAddress(ctx context.Context, id string) (bool, error) {
	u, _, err := s.caller(ctx, s.recent)
	if err != nil {
		return false, err
	}
	e, err := s.ownEmail(ctx, u, id)
	if err != nil {
		return false, err
	}
	if u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == e.ID {
		return false, apierr.Newf(apierr.ResourceForbidden, "The primary email address cannot be removed; make another address primary first.").WithParam("id")
	}
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		// Not the primary one at the time of the delete either.
		n, err := tx.EmailAddress.Delete().Where(emailaddress.ID(e.ID), emailaddress.UserID(u.ID),
			emailaddress.Not(emailaddress.HasUserWith(user.PrimaryEmailAddressID(e.ID)))).Exec(ctx)
		if err == nil && n == 0 {
			return apierr.Newf(apierr.ResourceForbidden, "The primary email address cannot be removed; make another address primary first.").WithParam("id")
		}
		return err
	})
	return err == nil, err
}
