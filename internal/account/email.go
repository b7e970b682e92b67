package account

import (
	"context"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/clienttrust"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/notice"
	"github.com/trustgate/trustgate/internal/request"
)

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
	e, err := findContact(s, ctx, emails, u, id)
	if err != nil {
		return nil, err
	}
	if !e.Verified {
		return nil, apierr.Newf(apierr.VerificationMissing, "Verify this email address before making it the primary one.").WithParam("id")
	}
	if u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == e.ID {
		return u, nil
	}
	now := s.Now()
	var sent func()
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		// One change of the user's addresses at a time, and the address as
		// it is now: a removal that committed since the read above wins.
		if err := s.serialize(ctx, tx, u.ID, sess); err != nil {
			return err
		}
		ok, err := tx.EmailAddress.Query().Where(emailaddress.ID(e.ID), emailaddress.UserID(u.ID), emailaddress.Verified(true)).Exist(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return apierr.New(apierr.ResourceNotFound).WithParam("id")
		}
		// The address the change moves away from, as it is now, is the one
		// to tell: whoever made the change can read the new one.
		var old *ent.EmailAddress
		if cur, err := tx.User.Query().Where(user.ID(u.ID)).Select(user.FieldPrimaryEmailAddressID).Only(ctx); err != nil {
			return err
		} else if id := cur.PrimaryEmailAddressID; id != nil && *id != e.ID {
			old, err = tx.EmailAddress.Query().Where(emailaddress.ID(*id), emailaddress.Verified(true)).Only(ctx)
			if err != nil && !ent.IsNotFound(err) {
				return err
			}
		}
		if err := updateUnrefused(ctx, tx.User.Update().SetPrimaryEmailAddressID(e.ID), tx, u.ID, now); err != nil {
			return err
		}
		sent = nil
		if old != nil {
			detail := "The new one is " + identifier.MaskEmail(e.EmailAddress) + "."
			if sent, err = s.notify(ctx, tx, u.ID, delivery.ChangePrimaryEmail, old.EmailAddress, detail); err != nil {
				return err
			}
		}
		return s.primaryEmailChanged(ctx, tx, u.ID, sess, now)
	})
	if err != nil {
		return nil, err
	}
	notice.Run(sent)
	return s.DB.Ent.User.Get(ctx, u.ID)
}

// DeleteEmailAddress removes one of the user's addresses, not the primary
// one (make another primary first). A code sent to it proves nothing after
// that: the sign-in no longer lists it as a factor.
func (s *Service) DeleteEmailAddress(ctx context.Context, id string) (bool, error) {
	u, sess, err := s.caller(ctx, s.recent)
	if err != nil {
		return false, err
	}
	e, err := findContact(s, ctx, emails, u, id)
	if err != nil {
		return false, err
	}
	if u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == e.ID {
		return false, errPrimaryNotRemovable()
	}
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		// Not the primary one at the time of the delete either: after the
		// lock, the delete sees a primary change that committed meanwhile.
		if err := s.serialize(ctx, tx, u.ID, sess); err != nil {
			return err
		}
		n, err := tx.EmailAddress.Delete().Where(emailaddress.ID(e.ID), emailaddress.UserID(u.ID),
			emailaddress.Not(emailaddress.HasUserWith(user.PrimaryEmailAddressID(e.ID)))).Exec(ctx)
		if err == nil && n == 0 {
			return errPrimaryNotRemovable()
		}
		if err != nil {
			return err
		}
		return dropPendingCode(ctx, tx, e.VerificationID)
	})
	return err == nil, err
}

// primaryEmailChanged applies Client Trust rule 4 inside tx when the user's
// primary email address changed (made primary, or the first one verified):
// every client stops being trusted but sess's, where the user just proved
// the session.
func (s *Service) primaryEmailChanged(ctx context.Context, tx *ent.Tx, userID string, sess *ent.Session, now time.Time) error {
	if _, err := clienttrust.RevokeAll(ctx, tx, userID); err != nil {
		return err
	}
	rq := request.From(ctx)
	return clienttrust.Grant(ctx, tx, userID, sess.ClientID, "primary_email_change", rq.IP, rq.UserAgent, now)
}

// errPrimaryNotRemovable answers a removal of the primary email address.
func errPrimaryNotRemovable() error {
	return apierr.Newf(apierr.ResourceForbidden, "The primary email address cannot be removed; make another address primary first.").WithParam("id")
}
