package account

import (
	"context"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/phonenumber"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/notice"
	"github.com/trustgate/trustgate/internal/ratelimit"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/settings"
	"github.com/trustgate/trustgate/internal/signin"
	"github.com/trustgate/trustgate/internal/users"
	"github.com/trustgate/trustgate/internal/verification"
)

// A user's phone numbers and email addresses are added, sent a code and
// verified from the account by one set of flows (addContact, sendContactCode,
// verifyContact); a contactKind holds what the two differ in: their table,
// their format, their channel.

// MaxPhoneNumbers bounds the phone numbers of one account, verified or not.
const MaxPhoneNumbers = 10

// MaxEmailAddresses bounds the email addresses of one account, verified or not.
const MaxEmailAddresses = 10

// HoldRenewals is how many code lifetimes after an unverified row was added
// a code sent to it still renews its hold: however often its holder sends
// one, the hold lapses at most HoldRenewals+1 code lifetimes after the add,
// so an account cannot keep someone else's number or address from them by
// texting or mailing it now and then.
const HoldRenewals = 2

// MaxAdditionsPerDay bounds the phone numbers and email addresses one
// account may add in a day, kept or removed again.
const MaxAdditionsPerDay = 20

// contact is what the flows read of a row of either kind.
type contact struct {
	id, value      string
	verified       bool
	verificationID *string
	created        time.Time
}

// contactKind adapts the flows to phone_numbers (T *ent.PhoneNumber) or
// email_addresses (T *ent.EmailAddress).
type contactKind[T any] struct {
	param, plural string // "phoneNumber", "phone numbers"
	max           int    // rows of the kind one account holds at most
	email         bool   // the code goes by email, else by SMS
	strategy      string
	failed        failure
	enabled       func(*settings.Settings) bool
	normalize     func(raw string) (string, error)
	badFormat     string
	of            func(T) contact
	count         func(ctx context.Context, tx *ent.Tx, userID string) (int, error)
	releaseOwn    func(ctx context.Context, tx *ent.Tx, userID string, heldBefore time.Time) (int, error)
	release       func(ctx context.Context, tx *ent.Tx, appID, value, exceptUserID string, heldBefore time.Time) error
	create        func(ctx context.Context, tx *ent.Tx, u *ent.User, value string, now time.Time) (T, error)
	own           func(ctx context.Context, c *ent.Client, userID, id string) (T, error)
	// attach records the verification v sent to the row and renews its hold
	// to held, only while the row is unverified and still holds the
	// verification cur the send read (else not found).
	attach func(ctx context.Context, tx *ent.Tx, id string, cur *string, v string, held time.Time) (T, error)
	// verify marks the row verified and makes it the user's primary one of
	// its kind when the user has none, reporting whether it did.
	verify func(ctx context.Context, tx *ent.Tx, u *ent.User, id string, now time.Time) (T, bool, error)
	// primaryRevokesTrust: a new primary row of the kind ends every other
	// client's trust (rule 4, for the primary email address).
	primaryRevokesTrust bool
}

var phones = contactKind[*ent.PhoneNumber]{
	param: "phoneNumber", plural: "phone numbers", max: MaxPhoneNumbers, strategy: settings.StrategyPhoneCode,
	failed:    failure{audit.KindCodeFailed, settings.StrategyPhoneCode},
	enabled:   func(s *settings.Settings) bool { return s.PhoneEnabled },
	normalize: identifier.NormalizePhone,
	badFormat: "not a valid phone number in international format (+15551234567)",
	of: func(p *ent.PhoneNumber) contact {
		return contact{p.ID, p.PhoneNumber, p.Verified, p.VerificationID, p.CreatedAt}
	},
	count: func(ctx context.Context, tx *ent.Tx, userID string) (int, error) {
		return tx.PhoneNumber.Query().Where(phonenumber.UserID(userID)).Count(ctx)
	},
	releaseOwn: users.ReleaseOwnHolds,
	release:    users.ReleasePhone,
	create: func(ctx context.Context, tx *ent.Tx, u *ent.User, value string, now time.Time) (*ent.PhoneNumber, error) {
		return tx.PhoneNumber.Create().SetApplicationID(u.ApplicationID).SetUserID(u.ID).SetPhoneNumber(value).SetCreatedAt(now).SetHeldAt(now).Save(ctx)
	},
	own: func(ctx context.Context, c *ent.Client, userID, id string) (*ent.PhoneNumber, error) {
		return c.PhoneNumber.Query().Where(phonenumber.ID(id), phonenumber.UserID(userID)).Only(ctx)
	},
	attach: func(ctx context.Context, tx *ent.Tx, id string, cur *string, v string, held time.Time) (*ent.PhoneNumber, error) {
		return tx.PhoneNumber.UpdateOneID(id).Where(phonenumber.Verified(false),
			verification.Unchanged(cur, phonenumber.VerificationIDEQ, phonenumber.VerificationIDIsNil)).
			SetVerificationID(v).SetHeldAt(held).Save(ctx)
	},
	verify: func(ctx context.Context, tx *ent.Tx, u *ent.User, id string, now time.Time) (*ent.PhoneNumber, bool, error) {
		p, err := tx.PhoneNumber.UpdateOneID(id).SetVerified(true).SetVerifiedAt(now).ClearVerificationID().Save(ctx)
		if err != nil {
			return nil, false, err
		}
		n, err := tx.User.Update().Where(user.ID(u.ID), user.PrimaryPhoneNumberIDIsNil()).SetPrimaryPhoneNumberID(id).Save(ctx)
		return p, n == 1, err
	},
}

var emails = contactKind[*ent.EmailAddress]{
	param: "emailAddress", plural: "email addresses", max: MaxEmailAddresses, email: true, strategy: settings.StrategyEmailCode,
	failed:    failure{audit.KindCodeFailed, settings.StrategyEmailCode},
	enabled:   func(s *settings.Settings) bool { return s.EmailEnabled },
	normalize: identifier.NormalizeEmail,
	badFormat: "not a valid email address",
	of: func(e *ent.EmailAddress) contact {
		return contact{e.ID, e.EmailAddress, e.Verified, e.VerificationID, e.CreatedAt}
	},
	count: func(ctx context.Context, tx *ent.Tx, userID string) (int, error) {
		return tx.EmailAddress.Query().Where(emailaddress.UserID(userID)).Count(ctx)
	},
	releaseOwn: users.ReleaseOwnEmailHolds,
	release:    users.ReleaseEmail,
	create: func(ctx context.Context, tx *ent.Tx, u *ent.User, value string, now time.Time) (*ent.EmailAddress, error) {
		return tx.EmailAddress.Create().SetApplicationID(u.ApplicationID).SetUserID(u.ID).SetEmailAddress(value).SetCreatedAt(now).SetHeldAt(now).Save(ctx)
	},
	own: func(ctx context.Context, c *ent.Client, userID, id string) (*ent.EmailAddress, error) {
		return c.EmailAddress.Query().Where(emailaddress.ID(id), emailaddress.UserID(userID)).Only(ctx)
	},
	attach: func(ctx context.Context, tx *ent.Tx, id string, cur *string, v string, held time.Time) (*ent.EmailAddress, error) {
		return tx.EmailAddress.UpdateOneID(id).Where(emailaddress.Verified(false),
			verification.Unchanged(cur, emailaddress.VerificationIDEQ, emailaddress.VerificationIDIsNil)).
			SetVerificationID(v).SetHeldAt(held).Save(ctx)
	},
	verify: func(ctx context.Context, tx *ent.Tx, u *ent.User, id string, now time.Time) (*ent.EmailAddress, bool, error) {
		// Before the row is marked verified: a primary address that is not
		// a verified one (an admin's unverified address, this row
		// included) receives no code; codes go to the verified one from now
		// on, so it becomes the primary one.
		n, err := tx.User.Update().Where(user.ID(u.ID), noVerifiedPrimaryEmail()).SetPrimaryEmailAddressID(id).Save(ctx)
		if err != nil {
			return nil, false, err
		}
		e, err := tx.EmailAddress.UpdateOneID(id).SetVerified(true).SetVerifiedAt(now).ClearVerificationID().Save(ctx)
		return e, n == 1, err
	},
	primaryRevokesTrust: true,
}

// noVerifiedPrimaryEmail holds a user whose primary email address is none,
// or a row that is not verified.
func noVerifiedPrimaryEmail() predicate.User {
	return func(s *sql.Selector) {
		e := sql.Table(emailaddress.Table)
		s.Where(sql.Not(sql.Exists(sql.Select(e.C(emailaddress.FieldID)).From(e).Where(sql.And(
			sql.ColumnsEQ(e.C(emailaddress.FieldID), s.C(user.FieldPrimaryEmailAddressID)),
			sql.EQ(e.C(emailaddress.FieldVerified), true),
		)))))
	}
}

// CreatePhoneNumber adds an unverified phone number to the user.
func (s *Service) CreatePhoneNumber(ctx context.Context, raw string) (*ent.PhoneNumber, error) {
	return addContact(s, ctx, phones, raw)
}

// CreateEmailAddress adds an unverified email address to the user, as
// Clerk's user.createEmailAddress: it signs nobody in until its code is
// entered (AttemptEmailVerification).
func (s *Service) CreateEmailAddress(ctx context.Context, raw string) (*ent.EmailAddress, error) {
	return addContact(s, ctx, emails, raw)
}

// PreparePhoneVerification texts a code to one of the user's phone numbers.
func (s *Service) PreparePhoneVerification(ctx context.Context, id string) (*ent.PhoneNumber, error) {
	return sendContactCode(s, ctx, phones, id)
}

// PrepareEmailVerification emails a code to one of the user's unverified
// addresses.
func (s *Service) PrepareEmailVerification(ctx context.Context, id string) (*ent.EmailAddress, error) {
	return sendContactCode(s, ctx, emails, id)
}

// DeletePhoneNumber removes one of the user's phone numbers (Clerk's
// phoneNumber.destroy()): a number its owner lost, or one the carrier gave to
// someone else, must not stay a first factor (phone_code) and a second
// factor of the account, nor held against every other account, for good. It
// needs a recent verification (a second factor when the user has MFA, as
// any change of the second factors); a number reserved for two-step
// verification goes with its notice, and backup codes with the last second
// factor. A removed primary number is replaced by another verified number
// of the user's, if any; where email is off, that is where Client Trust
// codes go, so the change ends the trust of every other client (rule 4, as a
// new primary email address). The last verified identifier the user signs in with
// stays (resource_forbidden). A code already sent to the number signs
// nobody in: attempts check that its number is still the user's.
func (s *Service) DeletePhoneNumber(ctx context.Context, id string) (bool, error) {
	u, sess, err := s.caller(ctx)
	if err != nil {
		return false, err
	}
	set := s.settings(ctx)
	hadMFA, err := s.recentMFA(ctx, u, sess)
	if err != nil {
		return false, err
	}
	if _, err := findContact(s, ctx, phones, u, id); err != nil {
		return false, err
	}
	var sent func()
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		if err := s.serialize(ctx, tx, u.ID, sess); err != nil {
			return err
		}
		if len(hadMFA) == 0 {
			// As ReservePhoneForSecondFactor: a factor enrolled meanwhile
			// makes this a change of a user with MFA.
			if hadMFA, err = signin.MFAFactors(ctx, tx.Client(), u, set); err != nil {
				return err
			}
			if len(hadMFA) > 0 {
				if err := s.recentWith(sess, true); err != nil {
					return err
				}
			}
		}
		// The row and the user as they are now, under the user's lock.
		p, err := tx.PhoneNumber.Query().Where(phonenumber.ID(id), phonenumber.UserID(u.ID)).Only(ctx)
		if ent.IsNotFound(err) {
			return apierr.New(apierr.ResourceNotFound).WithParam("id")
		}
		if err != nil {
			return err
		}
		cur, err := tx.User.Get(ctx, u.ID)
		if err != nil {
			return err
		}
		if p.Verified {
			if ok, err := signsInWithout(ctx, tx, cur, set, p.ID); err != nil {
				return err
			} else if !ok {
				return apierr.Newf(apierr.ResourceForbidden, "This phone number is the last way to sign in to this account; add another first.").WithParam("id")
			}
		}
		if err := tx.PhoneNumber.DeleteOneID(p.ID).Exec(ctx); err != nil {
			return err
		}
		if err := dropPendingCode(ctx, tx, p.VerificationID); err != nil {
			return err
		}
		if cur.PrimaryPhoneNumberID != nil && *cur.PrimaryPhoneNumberID == p.ID {
			upd := tx.User.UpdateOneID(u.ID)
			next, err := tx.PhoneNumber.Query().Where(phonenumber.UserID(u.ID), phonenumber.Verified(true)).
				Order(ent.Asc(phonenumber.FieldCreatedAt)).First(ctx)
			switch {
			case err == nil:
				upd.SetPrimaryPhoneNumberID(next.ID)
			case ent.IsNotFound(err):
				upd.ClearPrimaryPhoneNumberID()
			default:
				return err
			}
			if err := upd.Exec(ctx); err != nil {
				return err
			}
			// Where email is off, the primary number is where Client Trust
			// codes go: its change is rule 4's primary email change.
			if p.Verified && !set.EmailEnabled {
				if err := s.primaryEmailChanged(ctx, tx, u.ID, sess, s.Now()); err != nil {
					return err
				}
			}
		}
		sent = nil
		if !p.ReservedForSecondFactor {
			return nil
		}
		if sent, err = s.notify(ctx, tx, u.ID, delivery.ChangePhoneRemoved, "", "The number is "+identifier.MaskPhone(p.PhoneNumber)+"."); err != nil {
			return err
		}
		return dropOrphanBackupCodes(ctx, tx, u.ID)
	})
	if err != nil {
		return false, err
	}
	notice.Run(sent)
	return true, nil
}

// signsInWithout reports whether user u can still sign in to the
// application once its phone number except goes: an identifier left
// together with a first factor that signs it in. A password (when the
// application takes passwords and u has one) signs in a username, a verified
// email address or another verified phone number; an email or SMS code (when
// a first factor) signs in the verified address or number it goes to. An
// identifier alone is no way in: a user without a password, where email_code
// is no first factor, signs in with the number's SMS code only.
func signsInWithout(ctx context.Context, tx *ent.Tx, u *ent.User, set *settings.Settings, except string) (bool, error) {
	password := set.PasswordEnabled && u.PasswordHash != nil
	if !set.PhoneEnabled || !password && !set.FirstFactorEnabled(settings.StrategyPhoneCode) {
		return true, nil // the number signs nobody in anyway
	}
	if password && set.UsernameEnabled && u.Username != nil {
		return true, nil
	}
	if set.EmailEnabled && (password || set.FirstFactorEnabled(settings.StrategyEmailCode)) {
		ok, err := tx.EmailAddress.Query().Where(emailaddress.UserID(u.ID), emailaddress.Verified(true)).Exist(ctx)
		if err != nil || ok {
			return ok, err
		}
	}
	return tx.PhoneNumber.Query().Where(phonenumber.UserID(u.ID), phonenumber.Verified(true), phonenumber.IDNEQ(except)).Exist(ctx)
}

// AttemptPhoneVerification checks the code texted to a phone number.
func (s *Service) AttemptPhoneVerification(ctx context.Context, id, code string) (*ent.PhoneNumber, error) {
	return verifyContact(s, ctx, phones, id, code)
}

// AttemptEmailVerification checks the code emailed to an address.
func (s *Service) AttemptEmailVerification(ctx context.Context, id, code string) (*ent.EmailAddress, error) {
	return verifyContact(s, ctx, emails, id, code)
}

// addContact adds an unverified row of kind k (a recent verification
// needed): at most 10 of a kind per account. An unverified row holds its
// value against other accounts for a code's lifetime since it was added or
// last sent a code (but no longer than HoldRenewals+1 code lifetimes after
// it was added), long enough to verify it; after that it yields to
// another account, and stops counting toward its own (users.ReleasePhone);
// a sign-up, which proves the value, takes it whenever.
func addContact[T any](s *Service, ctx context.Context, k contactKind[T], raw string) (T, error) {
	var row T
	u, sess, err := s.caller(ctx, s.recent)
	if err != nil {
		return row, err
	}
	set := s.settings(ctx)
	if !k.enabled(set) {
		return row, apierr.Invalid(k.param, k.plural+" are not enabled for this application")
	}
	value, err := k.normalize(raw)
	if err != nil {
		return row, apierr.Invalid(k.param, k.badFormat)
	}
	if s.Limiter != nil {
		// A taken value answers form_identifier_exists, so each addition
		// tells whether a value has an account: a few a day per account keep
		// that a slow oracle, however the rows are removed again.
		rule := ratelimit.Rule{Name: "contact_additions", Limit: MaxAdditionsPerDay, Window: 24 * time.Hour}
		if err := s.Limiter.Allow(ctx, ratelimit.Spend{Rule: rule, Subject: u.ApplicationID + ":adds:" + u.ID,
			Event: audit.SignInEvent{ApplicationID: u.ApplicationID, UserID: u.ID, Identifier: value, Strategy: k.strategy}}); err != nil {
			return row, err
		}
	}
	now := s.Now()
	heldBefore := now.Add(-set.CodeTTL())
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		if err := s.serialize(ctx, tx, u.ID, sess); err != nil { // the count holds until this insert commits
			return err
		}
		n, err := k.count(ctx, tx, u.ID)
		if err == nil && n >= k.max {
			var released int
			released, err = k.releaseOwn(ctx, tx, u.ID, heldBefore)
			n -= released
		}
		if err != nil {
			return err
		}
		if n >= k.max {
			return apierr.Newf(apierr.ResourceForbidden, "An account holds at most %d %s.", k.max, k.plural).WithParam(k.param)
		}
		if err := k.release(ctx, tx, u.ApplicationID, value, u.ID, heldBefore); err != nil {
			return err
		}
		row, err = k.create(ctx, tx, u, value, now)
		return err
	})
	if ent.IsConstraintError(err) {
		return row, apierr.New(apierr.FormIdentifierExists).WithParam(k.param)
	}
	return row, err
}

// findContact finds a row of kind k of u's, or resource_not_found.
func findContact[T any](s *Service, ctx context.Context, k contactKind[T], u *ent.User, id string) (T, error) {
	row, err := k.own(ctx, s.DB.Ent, u.ID, id)
	if ent.IsNotFound(err) {
		return row, apierr.New(apierr.ResourceNotFound).WithParam("id")
	}
	return row, err
}

// ownContact finds an unverified row of kind k of u's (a verified one
// answers verification_already_verified).
func ownContact[T any](s *Service, ctx context.Context, k contactKind[T], u *ent.User, id string) (T, contact, error) {
	row, err := findContact(s, ctx, k, u, id)
	if err != nil {
		return row, contact{}, err
	}
	c := k.of(row)
	if c.verified {
		return row, c, apierr.New(apierr.VerificationAlreadyVerified)
	}
	return row, c, nil
}

// sendContactCode sends a code to one of the user's unverified rows of kind
// k; the send renews the row's hold, up to HoldRenewals code lifetimes after
// the row was added.
func sendContactCode[T any](s *Service, ctx context.Context, k contactKind[T], id string) (T, error) {
	u, _, err := s.caller(ctx)
	if err != nil {
		var none T
		return none, err
	}
	row, c, err := ownContact(s, ctx, k, u, id)
	if err != nil {
		return row, err
	}
	var existing *ent.Verification
	if c.verificationID != nil {
		existing, _ = s.DB.Ent.Verification.Get(ctx, *c.verificationID)
	}
	set := s.settings(ctx)
	app, _ := request.From(ctx).Application()
	_, err = s.Codes.Deliver(ctx, s.DB, s.Sender, verification.Delivery{
		Existing: existing, TTL: set.CodeTTL(),
		Target: verification.Target{Strategy: k.strategy, ID: c.id, Value: c.value},
		Attach: func(tx *ent.Tx, v *ent.Verification) error {
			held := s.Now()
			if limit := c.created.Add(HoldRenewals * set.CodeTTL()); held.After(limit) {
				held = limit
			}
			saved, err := k.attach(ctx, tx, c.id, c.verificationID, v.ID, held)
			if ent.IsNotFound(err) {
				// Verified meanwhile (a code entered while this one was
				// drawn: the new code could verify nothing), released to
				// another account, or sent a code by a prepare that read
				// the row as this one did: that code stands, and this one
				// is not sent, as a resend within the cooldown.
				now, err := k.own(ctx, tx.Client(), u.ID, c.id)
				switch {
				case err == nil && k.of(now).verified:
					return apierr.New(apierr.VerificationAlreadyVerified)
				case err == nil:
					return apierr.New(apierr.VerificationCodeTooManyRequests).WithMeta("retryAfterSeconds", int(verification.ResendCooldown.Seconds()))
				}
				return apierr.New(apierr.ResourceNotFound).WithParam("id")
			}
			if err == nil {
				row = saved
			}
			return err
		},
		Message: func(code string) (delivery.Message, error) {
			return delivery.RenderCode(k.email, delivery.CodeEmail{ApplicationID: u.ApplicationID, AppName: appName(app), To: c.value, Code: code, TTL: set.CodeTTL()})
		},
		Log: s.Log.With(k.param+"_id", c.id),
	})
	return row, err
}

// verifyContact checks the code sent to one of the user's rows of kind k: a
// wrong one counts toward the verification's attempts and the user's
// lockout. The first verified row of a kind becomes the primary one.
func verifyContact[T any](s *Service, ctx context.Context, k contactKind[T], id, code string) (T, error) {
	u, sess, err := s.caller(ctx, s.unlocked)
	if err != nil {
		var none T
		return none, err
	}
	if code == "" {
		// A field left blank, not a wrong code: nothing is counted.
		var none T
		return none, apierr.Missing("code")
	}
	row, c, err := ownContact(s, ctx, k, u, id)
	if err != nil {
		return row, err
	}
	if c.verificationID == nil {
		return row, apierr.New(apierr.VerificationMissing)
	}
	v, err := verification.Load(ctx, s.DB.Ent, *c.verificationID)
	if err != nil {
		return row, err
	}
	var (
		clientErr error
		sent      func()
	)
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		sent = nil
		// A conditional write of the user row first: it orders this check
		// after any change of the user's rows committing meanwhile (a
		// removal, another primary), and a lock or ban that committed while
		// the request ran stands, the code unspent.
		if err := updateUnrefused(ctx, tx.User.Update(), tx, u.ID, s.Now()); err != nil {
			return err
		}
		// A session ended meanwhile verifies nothing, nor spends the code.
		// (The write above holds the user's row already: no serialize.)
		if err := stillActive(ctx, tx, sess, s.Now()); err != nil {
			return err
		}
		if _, err := s.Codes.Check(ctx, tx, v, code); err != nil {
			if e, ok := apierr.As(err); ok {
				clientErr = e
				if verification.CountsTowardLockout(e) {
					shown, err := s.failIn(ctx, tx, u, sess, k.failed, e)
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
		verified, primary, err := k.verify(ctx, tx, u, c.id, now)
		if ent.IsNotFound(err) { // released to another account, or removed, meanwhile
			return apierr.New(apierr.ResourceNotFound).WithParam("id")
		}
		if err != nil {
			return err
		}
		row = verified
		// The code is spent and nothing points to it any more (verify cleared
		// the row's pointer): it goes, with the address or number it holds.
		if err := tx.Verification.DeleteOneID(v.ID).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			return err
		}
		if primary && k.primaryRevokesTrust {
			// The account had no primary address: codes and notices now go
			// to this one, a change of primary address as rule 4 means it.
			// There is no earlier address to tell.
			return s.primaryEmailChanged(ctx, tx, u.ID, sess, now)
		}
		// The account's primary address hears of it: whoever holds a
		// session could otherwise bind an address or number of theirs,
		// then reset the password through it (OWASP: notify when an
		// authenticator is bound).
		change, masked := delivery.ChangeNumberAdded, "The number is "+identifier.MaskPhone(c.value)+"."
		if k.email {
			change, masked = delivery.ChangeEmailAdded, "The address is "+identifier.MaskEmail(c.value)+"."
		}
		sent, err = s.notify(ctx, tx, u.ID, change, "", masked)
		return err
	})
	if err == nil {
		notice.Run(sent)
		err = clientErr
	}
	return row, err
}

// dropPendingCode deletes the code pending for an address or number being
// removed, if any: the verification holds the address or number, which
// must go with it rather than a day after the code expired.
func dropPendingCode(ctx context.Context, tx *ent.Tx, verificationID *string) error {
	if verificationID == nil {
		return nil
	}
	if err := tx.Verification.DeleteOneID(*verificationID).Exec(ctx); err != nil && !ent.IsNotFound(err) {
		return err
	}
	return nil
}
