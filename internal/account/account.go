// Package account is a signed-in user's self-service: TOTP enrolment (QR code,
// sealed secret, verify-once), backup codes (shown once, keyed hashes), phone
// numbers for SMS second factors, password change, and the user's sessions and
// trusted clients. Every method acts on the user of the request's session.
package account

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/backupcode"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/phonenumber"
	entsession "github.com/trustgate/trustgate/ent/session"
	"github.com/trustgate/trustgate/ent/totp"
	"github.com/trustgate/trustgate/ent/trustedclient"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/clienttrust"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/ids"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/lockout"
	"github.com/trustgate/trustgate/internal/notice"
	"github.com/trustgate/trustgate/internal/ratelimit"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/session"
	"github.com/trustgate/trustgate/internal/settings"
	"github.com/trustgate/trustgate/internal/signin"
	"github.com/trustgate/trustgate/internal/users"
	"github.com/trustgate/trustgate/internal/verification"
)

// BackupCodeCount is how many backup codes a set has.
const BackupCodeCount = 10

// TOTP is an authenticator-app enrolment as the frontend sees it. Secret, URI
// and QRCodePNG are filled only when it is created.
type TOTP struct {
	ID          string
	Secret      *string
	URI         *string
	QRCodePNG   *string
	Verified    bool
	BackupCodes []string
}

// BackupCodes is a fresh set of backup codes, shown once.
type BackupCodes struct {
	Codes []string
}

// Service runs account self-service.
type Service struct {
	DB            *database.DB
	Hasher        *factor.Hasher
	Keys          *keyring.Keyring
	Codes         *verification.Codes
	Sender        delivery.Sender
	CheckPassword func(string) error
	// Events records failed checks (and the locks they cause) in the
	// sign-in history; nil records nothing.
	Events *audit.Recorder
	// Limiter bounds the codes a reverification sends to one address
	// (with sign-in's per-identifier budget); nil bounds nothing.
	Limiter *ratelimit.Limiter
	// Notices sends the security notices.
	Notices *notice.Notifier
	Rand    io.Reader
	Now     func() time.Time
	Log     *slog.Logger
}

// A guard lets the caller of a mutation through, or answers why not.
type guard func(context.Context, *ent.User, *ent.Session) error

// caller returns the signed-in user and session of the request, once each
// guard has let them through.
func (s *Service) caller(ctx context.Context, guards ...guard) (*ent.User, *ent.Session, error) {
	sess := request.From(ctx).Session
	if sess == nil {
		return nil, nil, apierr.New(apierr.AuthenticationInvalid)
	}
	u, err := s.DB.Ent.User.Get(ctx, sess.UserID)
	if err != nil {
		return nil, nil, apierr.New(apierr.AuthenticationInvalid).Wrap(err)
	}
	for _, guard := range guards {
		if err := guard(ctx, u, sess); err != nil {
			return nil, nil, err
		}
	}
	return u, sess, nil
}

// unlocked guards the mutations that check a code or the password of the
// signed-in user and count a failure toward lockout: a locked user gets
// user_locked before any check, as at sign-in, so that the lock bounds
// these guesses too.
func (s *Service) unlocked(_ context.Context, u *ent.User, _ *ent.Session) error {
	now := s.Now()
	if locked, _ := lockout.Locked(lockout.OfUser(u), now); locked {
		return lockout.Error(lockout.OfUser(u), now)
	}
	return nil
}

// updateUnrefused runs upd (an update of the users table, fields set or
// none) on user id only while the user is neither banned nor locked at now,
// and otherwise answers user_banned or user_locked with nothing written. A
// conditional write waits for, and then sees, a lock or ban committing at
// the same time, where a read would not: a check that took a hash's time
// (a password, a code) cannot outrun a lock its concurrent failures set.
func updateUnrefused(ctx context.Context, upd *ent.UserUpdate, tx *ent.Tx, id string, now time.Time) error {
	n, err := upd.Where(user.ID(id), lockout.Free(now)).Save(ctx)
	if err != nil || n == 1 {
		return err
	}
	fresh, err := tx.User.Get(ctx, id)
	if err != nil {
		return err
	}
	if refused := lockout.Refusal(fresh.Banned, lockout.OfUser(fresh), now); refused != nil {
		return refused
	}
	return lockout.Error(lockout.OfUser(fresh), now) // a lock that lapsed as the write ran: still refused
}

// stillActive answers authentication_invalid, in tx, when sess has ended
// or expired since the request authenticated with it: a conditional write
// of the session row (its last activity), which waits for and then sees an
// end that commits at the same time, where a read would not.
func stillActive(ctx context.Context, tx *ent.Tx, sess *ent.Session, now time.Time) error {
	n, err := tx.Session.Update().
		Where(entsession.ID(sess.ID), entsession.StatusEQ(entsession.StatusActive), entsession.ExpireAtGT(now)).
		SetLastActiveAt(now).Save(ctx)
	if err != nil || n == 1 {
		return err
	}
	return session.ErrEnded()
}

// serialize makes the transaction's changes to the rows of user id wait for
// any other transaction's (the row lock of SELECT … FOR UPDATE on
// PostgreSQL; SQLite runs one writer at a time already), so that a check
// of how many rows the user holds, or a replacement of a set, reads what
// the previous one committed. Then it answers authentication_invalid when
// sess, the request's session, has ended since the request authenticated
// with it (stillActive): a change of how the account signs in made by a
// session revoked while the request ran (by the user elsewhere, an admin,
// a password change) does not stand. The user row first, then the session
// row, as passwordUpdate and a ban take them.
func (s *Service) serialize(ctx context.Context, tx *ent.Tx, id string, sess *ent.Session) error {
	if _, err := users.ForChange(tx, s.DB.IsPostgres(), id).OnlyID(ctx); err != nil {
		return err
	}
	return stillActive(ctx, tx, sess, s.Now())
}

// ReverifyWithin is how recently a session must have verified a factor for
// the mutations that change how the account signs in: a second factor
// enrolled or removed, backup codes regenerated, a phone number added or
// reserved for two-step verification, a first password set. Clerk asks the
// same (reverification within 10 minutes). Without it, whoever holds a
// session token for a minute could enrol a factor of their own and, since
// MFA takes precedence over Client Trust, sign in from any device later.
const ReverifyWithin = 10 * time.Minute

// recent guards those mutations at Clerk's "strict" level: a user with MFA
// must have verified a second factor within ReverifyWithin, any other user
// a first factor; else session_reverification_required, which a session
// reverification (StartVerification) answers in place. A password alone
// does not do for a user with MFA: it is what credential stuffing has.
func (s *Service) recent(ctx context.Context, u *ent.User, sess *ent.Session) error {
	_, err := s.recentMFA(ctx, u, sess)
	return err
}

// recentMFA is recent for the mutations that go on to use the user's
// second factors: it returns them.
func (s *Service) recentMFA(ctx context.Context, u *ent.User, sess *ent.Session) ([]*signin.Factor, error) {
	mfa, err := signin.MFAFactors(ctx, s.DB.Ent, u, s.settings(ctx))
	if err != nil {
		return nil, err
	}
	return mfa, s.recentWith(sess, len(mfa) > 0)
}

// recentWith is recent for a user who has MFA or not.
func (s *Service) recentWith(sess *ent.Session, mfa bool) error {
	at, level := sess.FirstFactorAt, "first_factor"
	if mfa {
		at, level = sess.SecondFactorAt, "second_factor"
	}
	if at == nil || s.Now().Sub(*at) > ReverifyWithin {
		return apierr.New(apierr.SessionReverificationRequired).
			WithMeta("reverifyWithinSeconds", int(ReverifyWithin.Seconds())).WithMeta("level", level)
	}
	return nil
}

// notify queues a security notice of change to the user's primary email
// address, or to `to` when given, as part of tx (notice.Notifier.Security).
// The function it returns is for after s.DB.Tx has returned: notice.Run.
func (s *Service) notify(ctx context.Context, tx *ent.Tx, userID string, change delivery.Change, to, detail string) (func(), error) {
	return s.Notices.Security(ctx, tx, s.settings(ctx), request.From(ctx).App, userID, change, to, detail, s.Now())
}

func (s *Service) settings(ctx context.Context) *settings.Settings {
	return &request.From(ctx).Settings
}

// CreateTOTP starts (or restarts, while unverified) an authenticator enrolment.
func (s *Service) CreateTOTP(ctx context.Context) (*TOTP, error) {
	u, _, err := s.caller(ctx, s.recent)
	if err != nil {
		return nil, err
	}
	if !s.settings(ctx).SecondFactorEnabled(settings.StrategyTOTP) {
		return nil, apierr.Newf(apierr.StrategyForUserInvalid, "Authenticator apps are not enabled for this application.")
	}
	existing, err := s.DB.Ent.Totp.Query().Where(totp.UserID(u.ID)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	if existing != nil && existing.Verified {
		return nil, apierr.New(apierr.TOTPAlreadyEnabled)
	}
	secret, err := factor.NewTOTPSecret(s.Rand)
	if err != nil {
		return nil, err
	}
	var row *ent.Totp
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		if existing != nil {
			// Only while still unverified: a totpVerify that committed
			// since the read above enabled it, and it stays.
			n, err := tx.Totp.Delete().Where(totp.ID(existing.ID), totp.Verified(false)).Exec(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				if on, err := signin.TOTPEnabled(ctx, tx.Client(), u.ID); err != nil || on {
					if err == nil {
						err = apierr.New(apierr.TOTPAlreadyEnabled)
					}
					return err
				}
			}
		}
		id := newID("totp")
		sealed, err := s.Keys.Seal(keyring.PurposeTOTPSecret, secret, []byte(id))
		if err != nil {
			return err
		}
		row, err = tx.Totp.Create().SetID(id).SetUserID(u.ID).SetSecretSealed(sealed).SetCreatedAt(s.Now()).Save(ctx)
		if ent.IsConstraintError(err) { // a concurrent totpCreate inserted first
			return apierr.Newf(apierr.ClientStateInvalid, "Another authenticator setup started at the same time. Try again.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	app, _ := request.From(ctx).Application()
	// The label an authenticator shows: the primary address (verified,
	// never one just added), else the username, else the id.
	account := u.ID
	if u.Username != nil {
		account = *u.Username
	}
	if u.PrimaryEmailAddressID != nil {
		if e, err := s.DB.Ent.EmailAddress.Query().Where(emailaddress.ID(*u.PrimaryEmailAddressID), emailaddress.Verified(true)).Only(ctx); err == nil {
			account = e.EmailAddress
		}
	}
	issuer := "trustgate"
	if app != nil {
		issuer = app.Name
	}
	uri := factor.TOTPURI(issuer, account, secret)
	png, err := factor.QRCodePNG(uri, 256)
	if err != nil {
		return nil, fmt.Errorf("account: rendering QR code: %w", err)
	}
	enc := factor.EncodeSecret(secret)
	qr := base64.StdEncoding.EncodeToString(png)
	return &TOTP{ID: row.ID, Secret: &enc, URI: &uri, QRCodePNG: &qr}, nil
}

// VerifyTOTP confirms the enrolment with a first code. When this enables MFA
// and the application offers backup codes, a first set is returned.
func (s *Service) VerifyTOTP(ctx context.Context, code string) (*TOTP, error) {
	u, sess, err := s.caller(ctx, s.unlocked)
	if err != nil {
		return nil, err
	}
	if code == "" {
		// A field left blank, not a wrong code: nothing is counted.
		return nil, apierr.Missing("code")
	}
	if !s.settings(ctx).SecondFactorEnabled(settings.StrategyTOTP) {
		// Turned off since totpCreate: no factor the application no longer
		// offers is enrolled (nor backup codes beside it).
		return nil, apierr.Newf(apierr.StrategyForUserInvalid, "Authenticator apps are not enabled for this application.")
	}
	row, err := s.DB.Ent.Totp.Query().Where(totp.UserID(u.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apierr.New(apierr.VerificationMissing)
	}
	if err != nil {
		return nil, err
	}
	if row.Verified {
		return nil, apierr.New(apierr.TOTPAlreadyEnabled)
	}
	// totpCreate was guarded by recent; finishing it is bounded the same
	// way, so a session that started an enrolment long ago cannot add a
	// factor later (when the user may have set up MFA of their own).
	if s.Now().Sub(row.CreatedAt) > ReverifyWithin {
		return nil, apierr.Newf(apierr.VerificationExpired, "This authenticator setup has expired. Start it again.")
	}
	secret, err := s.Keys.Open(keyring.PurposeTOTPSecret, row.SecretSealed, []byte(row.ID))
	if err != nil {
		return nil, err
	}
	step, ok := factor.ValidateTOTP(secret, code, s.Now(), row.LastUsedStep)
	if !ok {
		return nil, s.failAttempt(ctx, u, sess, failedTOTP, apierr.New(apierr.FormCodeIncorrect).WithParam("code"))
	}
	set := s.settings(ctx)
	out := &TOTP{ID: row.ID, Verified: true}
	var sent func()
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		// A lock or ban set while the code was checked stands, as at sign-in.
		if err := updateUnrefused(ctx, tx.User.Update(), tx, u.ID, s.Now()); err != nil {
			return err
		}
		// Whether this starts the user's MFA is read here, after the
		// user's other factor changes (phoneNumberReserveForSecondFactor,
		// backupCodesCreate in another session) that committed meanwhile:
		// read before the transaction, a factor and a set of backup codes
		// enrolled since would be taken for none, the set replaced and
		// this session counted as having verified a second factor. The
		// write above holds the user's row as serialize would; the session
		// must still be active.
		if err := stillActive(ctx, tx, sess, s.Now()); err != nil {
			return err
		}
		hadMFA, err := signin.MFAFactors(ctx, tx.Client(), u, set)
		if err != nil {
			return err
		}
		n, err := tx.Totp.Update().Where(totp.ID(row.ID), totp.Verified(false)).
			SetVerified(true).SetVerifiedAt(s.Now()).SetLastUsedStep(step).Save(ctx)
		if err != nil {
			return err
		}
		if n != 1 {
			// Verified by a concurrent attempt, or replaced by a restart.
			on, err := signin.TOTPEnabled(ctx, tx.Client(), u.ID)
			if err != nil {
				return err
			}
			if on {
				return apierr.New(apierr.TOTPAlreadyEnabled)
			}
			return apierr.New(apierr.VerificationMissing)
		}
		if sent, err = s.notify(ctx, tx, u.ID, delivery.ChangeTOTPAdded, "", ""); err != nil {
			return err
		}
		if len(hadMFA) > 0 {
			return nil
		}
		// MFA starts now, and the session passed recent without it (a
		// first factor): it counts as a second factor verified now, or the
		// guarded mutations would ask again at once. Not when the user had
		// MFA: a factor the session enrolled itself proves nothing about
		// who holds it.
		if err := stampSecondFactor(ctx, tx, sess, s.Now()); err != nil {
			return err
		}
		if set.SecondFactorEnabled(settings.StrategyBackupCode) {
			out.BackupCodes, err = s.replaceBackupCodes(ctx, tx, u.ID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	notice.Run(sent)
	return out, nil
}

// DisableTOTP removes the authenticator factor; backup codes go too when no
// other second factor remains.
func (s *Service) DisableTOTP(ctx context.Context) (bool, error) {
	u, sess, err := s.caller(ctx, s.recent)
	if err != nil {
		return false, err
	}
	var sent func()
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		// One removal at a time (dropOrphanBackupCodes): two at once, each
		// seeing the other's factor still there, would keep the codes.
		if err := s.serialize(ctx, tx, u.ID, sess); err != nil {
			return err
		}
		// Only an enrolled authenticator is news: not an enrolment never
		// finished, nor one another session removed first.
		enrolled, err := signin.TOTPEnabled(ctx, tx.Client(), u.ID)
		if err != nil {
			return err
		}
		if _, err := tx.Totp.Delete().Where(totp.UserID(u.ID)).Exec(ctx); err != nil {
			return err
		}
		sent = nil
		if enrolled {
			if sent, err = s.notify(ctx, tx, u.ID, delivery.ChangeTOTPRemoved, "", ""); err != nil {
				return err
			}
		}
		return dropOrphanBackupCodes(ctx, tx, u.ID)
	})
	if err == nil {
		notice.Run(sent)
	}
	return err == nil, err
}

// stampSecondFactor records on sess that a second factor counts as
// verified at now: when a mutation the session was allowed to make (recent,
// by a first factor) starts the user's MFA.
func stampSecondFactor(ctx context.Context, tx *ent.Tx, sess *ent.Session, now time.Time) error {
	return tx.Session.UpdateOneID(sess.ID).SetSecondFactorAt(now).Exec(ctx)
}

// dropOrphanBackupCodes deletes backup codes when the user has no other second factor.
func dropOrphanBackupCodes(ctx context.Context, tx *ent.Tx, userID string) error {
	hasTOTP, err := signin.TOTPEnabled(ctx, tx.Client(), userID)
	if err != nil {
		return err
	}
	hasPhone, err := tx.PhoneNumber.Query().Where(phonenumber.UserID(userID), phonenumber.ReservedForSecondFactor(true), phonenumber.Verified(true)).Exist(ctx)
	if err != nil {
		return err
	}
	if !hasTOTP && !hasPhone {
		_, err = tx.BackupCode.Delete().Where(backupcode.UserID(userID)).Exec(ctx)
	}
	return err
}

// CreateBackupCodes replaces the user's backup codes with a fresh set.
func (s *Service) CreateBackupCodes(ctx context.Context) (*BackupCodes, error) {
	u, sess, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	set := s.settings(ctx)
	mfa, err := s.recentMFA(ctx, u, sess)
	if err != nil {
		return nil, err
	}
	if !set.SecondFactorEnabled(settings.StrategyBackupCode) {
		return nil, apierr.Newf(apierr.BackupCodesNotAvailable, "Backup codes are not enabled for this application.")
	}
	if len(mfa) == 0 {
		return nil, apierr.New(apierr.BackupCodesNotAvailable)
	}
	out := &BackupCodes{}
	var sent func()
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		// Two regenerations at once leave one set: each deletes what the
		// other inserted only if they run one after the other.
		if err := s.serialize(ctx, tx, u.ID, sess); err != nil {
			return err
		}
		// The last other factor may have gone since recentMFA read them
		// (totpDisable in another tab): codes beside none would stay
		// behind, to count again with the next factor enrolled.
		if mfa, err := signin.MFAFactors(ctx, tx.Client(), u, set); err != nil {
			return err
		} else if len(mfa) == 0 {
			return apierr.New(apierr.BackupCodesNotAvailable)
		}
		if out.Codes, err = s.replaceBackupCodes(ctx, tx, u.ID); err != nil {
			return err
		}
		sent, err = s.notify(ctx, tx, u.ID, delivery.ChangeBackupCodes, "", "")
		return err
	})
	if err == nil {
		notice.Run(sent)
	}
	return out, err
}

func (s *Service) replaceBackupCodes(ctx context.Context, tx *ent.Tx, userID string) ([]string, error) {
	codes, err := factor.NewBackupCodes(s.Rand, BackupCodeCount)
	if err != nil {
		return nil, err
	}
	if _, err := tx.BackupCode.Delete().Where(backupcode.UserID(userID)).Exec(ctx); err != nil {
		return nil, err
	}
	bulk := make([]*ent.BackupCodeCreate, 0, len(codes))
	for _, c := range codes {
		h, err := factor.HashBackupCode(s.Keys, userID, c)
		if err != nil {
			return nil, err
		}
		bulk = append(bulk, tx.BackupCode.Create().SetUserID(userID).SetCodeHash(h))
	}
	if err := tx.BackupCode.CreateBulk(bulk...).Exec(ctx); err != nil {
		return nil, err
	}
	return codes, nil
}

// failure is a failed check of the signed-in user's: the sign-in event kind
// and strategy it is recorded under.
type failure struct{ kind, strategy string }

var (
	failedTOTP     = failure{audit.KindTOTPFailed, settings.StrategyTOTP}
	failedPassword = failure{audit.KindPasswordFailed, settings.StrategyPassword}

	failedBackupCode = failure{audit.KindBackupCodeFailed, settings.StrategyBackupCode}
)

// failAttempt counts a failed factor of the signed-in user toward lockout.
func (s *Service) failAttempt(ctx context.Context, u *ent.User, sess *ent.Session, f failure, shown *apierr.Error) error {
	var clientErr *apierr.Error
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		clientErr, err = s.failIn(ctx, tx, u, sess, f, shown)
		return err
	})
	if err != nil {
		return err
	}
	return clientErr
}

// failIn counts a failed factor of u toward lockout inside tx, records it in
// the sign-in history (with user.locked when it locks u), and returns the
// error to show: shown, or user_locked once the count locks u.
func (s *Service) failIn(ctx context.Context, tx *ent.Tx, u *ent.User, sess *ent.Session, f failure, shown *apierr.Error) (*apierr.Error, error) {
	updated, lockedNow, err := lockout.Fail(ctx, tx, u, s.settings(ctx), s.Now())
	if err != nil {
		return nil, err
	}
	event := audit.SignInEvent{ApplicationID: u.ApplicationID, UserID: u.ID, ClientID: sess.ClientID,
		Kind: f.kind, Strategy: f.strategy, Outcome: audit.Failure, Reason: "account:" + string(shown.Code)}
	events := []audit.SignInEvent{event}
	if lockedNow {
		event.Kind, event.Reason = audit.KindUserLocked, "too_many_failed_attempts"
		events = append(events, event)
	}
	if s.Events != nil {
		if err := s.Events.RecordAll(ctx, tx, events); err != nil {
			return nil, err
		}
	}
	return lockout.Shown(lockout.OfUser(updated), s.Now(), shown), nil
}

func appName(app *ent.Application) string {
	if app == nil {
		return "trustgate"
	}
	return app.Name
}

// ReservePhoneForSecondFactor makes a verified phone number an SMS second factor (or not).
func (s *Service) ReservePhoneForSecondFactor(ctx context.Context, id string, reserved bool) (*ent.PhoneNumber, error) {
	u, sess, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	hadMFA, err := s.recentMFA(ctx, u, sess)
	if err != nil {
		return nil, err
	}
	p, err := findContact(s, ctx, phones, u, id)
	if err != nil {
		return nil, err
	}
	if reserved && !p.Verified {
		// Clerk's code for it, which a frontend ported from Clerk checks.
		return nil, apierr.Newf(apierr.SecondFactorUnverified, "Verify this phone number before using it for two-step verification.").WithParam("id")
	}
	if reserved && !s.settings(ctx).SecondFactorEnabled(settings.StrategyPhoneCode) {
		return nil, apierr.Newf(apierr.StrategyForUserInvalid, "SMS codes are not enabled as a second factor for this application.")
	}
	var sent func()
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		if err := s.serialize(ctx, tx, u.ID, sess); err != nil { // as DisableTOTP
			return err
		}
		if len(hadMFA) == 0 {
			// Read again under the user's row lock: a factor enrolled in
			// another session since recentMFA read none (totpVerify) makes
			// this a change of a user with MFA, which needs a recent
			// second factor, and this session must not be stamped as
			// having verified one.
			if hadMFA, err = signin.MFAFactors(ctx, tx.Client(), u, s.settings(ctx)); err != nil {
				return err
			}
			if len(hadMFA) > 0 {
				if err := s.recentWith(sess, true); err != nil {
					return err
				}
			}
		}
		// A change, not a repeat, is news: as the row is under the user's
		// lock, not as read before it.
		was, err := tx.PhoneNumber.Get(ctx, p.ID)
		if err != nil {
			return err
		}
		upd := tx.PhoneNumber.UpdateOneID(p.ID).SetReservedForSecondFactor(reserved)
		if !reserved {
			upd.SetDefaultSecondFactor(false) // chosen again only after reserving it again
		}
		if _, err := upd.Save(ctx); err != nil {
			return err
		}
		if p, err = userPhone(ctx, tx, u.ID, p.ID); err != nil {
			return err
		}
		sent = nil
		if was.ReservedForSecondFactor != reserved {
			change := delivery.ChangePhoneAdded
			if !reserved {
				change = delivery.ChangePhoneRemoved
			}
			if sent, err = s.notify(ctx, tx, u.ID, change, "", "The number is "+identifier.MaskPhone(p.PhoneNumber)+"."); err != nil {
				return err
			}
		}
		if !reserved {
			return dropOrphanBackupCodes(ctx, tx, u.ID)
		}
		if len(hadMFA) == 0 { // MFA starts now (see VerifyTOTP)
			return stampSecondFactor(ctx, tx, sess, s.Now())
		}
		return nil
	})
	if err == nil {
		notice.Run(sent)
	}
	return p, err
}

// MakePhoneDefaultSecondFactor makes one of the user's numbers reserved for
// two-step verification the one a sign-in's second step texts unless told
// another (Clerk's phoneNumber.makeDefaultSecondFactor()). It weakens
// nothing (the user's second factors stay as they were), so it asks for no
// recent verification.
func (s *Service) MakePhoneDefaultSecondFactor(ctx context.Context, id string) (*ent.PhoneNumber, error) {
	u, sess, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := findContact(s, ctx, phones, u, id)
	if err != nil {
		return nil, err
	}
	if !s.settings(ctx).SecondFactorEnabled(settings.StrategyPhoneCode) {
		// As reserving: no sign-in would text the default.
		return nil, apierr.Newf(apierr.StrategyForUserInvalid, "SMS codes are not enabled as a second factor for this application.")
	}
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		if err := s.serialize(ctx, tx, u.ID, sess); err != nil {
			return err
		}
		if _, err := tx.PhoneNumber.Update().
			Where(phonenumber.UserID(u.ID), phonenumber.DefaultSecondFactor(true), phonenumber.IDNEQ(p.ID)).
			SetDefaultSecondFactor(false).Save(ctx); err != nil {
			return err
		}
		// Only a number still reserved as the row is written (under the
		// user's lock, and conditionally: an unreservation or removal since
		// findContact read it, or an admin's resetUserMfa, leaves nothing
		// to mark, and the transaction undoes the clearing above). A default
		// left on a freed number would come back when it is reserved again.
		n, err := tx.PhoneNumber.Update().Where(phonenumber.ID(p.ID), phonenumber.UserID(u.ID),
			phonenumber.Verified(true), phonenumber.ReservedForSecondFactor(true)).
			SetDefaultSecondFactor(true).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apierr.Newf(apierr.ResourceForbidden, "Use this phone number for two-step verification first.").WithParam("id")
		}
		p, err = userPhone(ctx, tx, u.ID, p.ID)
		return err
	})
	return p, err
}

// userPhone reads, in tx, the user's phone number id, with its
// DefaultSecondFactor as a sign-in reads it (signin.SecondFactorPhones):
// the other numbers decide whether it is the default.
func userPhone(ctx context.Context, tx *ent.Tx, userID, id string) (*ent.PhoneNumber, error) {
	all, err := tx.PhoneNumber.Query().Where(phonenumber.UserID(userID)).
		Order(ent.Asc(phonenumber.FieldCreatedAt), ent.Asc(phonenumber.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range signin.WithDefaultSecondFactor(all) {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, apierr.New(apierr.ResourceNotFound).WithParam("id")
}

// UpdatePassword changes the password after checking the current one; it
// revokes every trusted client and ends the user's other sessions.
func (s *Service) UpdatePassword(ctx context.Context, current, next string) (bool, error) {
	u, sess, err := s.caller(ctx, s.unlocked)
	if err != nil {
		return false, err
	}
	// A first password has no current one to check: the session must have
	// verified recently. A user with MFA needs that too (a recent second
	// factor), as at Clerk: the current password is what credential
	// stuffing has, and a change ends every other session.
	mfa, err := signin.MFAFactors(ctx, s.DB.Ent, u, s.settings(ctx))
	if err != nil {
		return false, err
	}
	if u.PasswordHash == nil || len(mfa) > 0 {
		if err := s.recentWith(sess, len(mfa) > 0); err != nil {
			return false, err
		}
	}
	if u.PasswordHash != nil {
		if current == "" {
			// A field left blank, not a wrong password: nothing is counted.
			return false, apierr.Missing("current")
		}
		ok, _, err := s.Hasher.Verify(ctx, *u.PasswordHash, current)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, s.failAttempt(ctx, u, sess, failedPassword, apierr.New(apierr.FormPasswordIncorrect).WithParam("current"))
		}
	}
	if err := s.CheckPassword(next); err != nil {
		if e, ok := apierr.As(err); ok {
			return false, e.WithParam("new")
		}
		return false, err
	}
	hash, err := s.Hasher.Hash(ctx, next)
	if err != nil {
		return false, err
	}
	now := s.Now()
	var sent func()
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		// A lock that concurrent wrong guesses (or an admin) set while the
		// current password was checked stands.
		if err := updateUnrefused(ctx, tx.User.Update().SetPasswordHash(hash).SetPasswordUpdatedAt(now), tx, u.ID, now); err != nil {
			return err
		}
		// So does an end of this session meanwhile (a password change on
		// another device, a revocation): after the user row's write, which
		// the other change also makes first, so of two changes on two
		// sessions the later one sees its session ended.
		if err := stillActive(ctx, tx, sess, now); err != nil {
			return err
		}
		if _, err := clienttrust.RevokeAll(ctx, tx, u.ID); err != nil {
			return err
		}
		// The current client stays trusted: the user just proved the password on it.
		if err := clienttrust.Grant(ctx, tx, u.ID, sess.ClientID, "password_update", request.From(ctx).IP, request.From(ctx).UserAgent, now); err != nil {
			return err
		}
		if _, err := session.End(ctx, tx, entsession.StatusRevoked, now, entsession.UserID(u.ID), entsession.IDNEQ(sess.ID)); err != nil {
			return err
		}
		sent, err = s.notify(ctx, tx, u.ID, delivery.ChangePassword, "", "")
		return err
	})
	if err == nil {
		notice.Run(sent)
	}
	return err == nil, err
}

// Sessions lists the user's active sessions, newest first.
func (s *Service) Sessions(ctx context.Context) ([]*ent.Session, error) {
	u, _, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.DB.Ent.Session.Query().
		Where(entsession.UserID(u.ID), entsession.StatusEQ(entsession.StatusActive), entsession.ExpireAtGT(s.Now())).
		Order(ent.Desc(entsession.FieldCreatedAt)).All(ctx)
}

// RevokeSession ends one of the user's sessions.
func (s *Service) RevokeSession(ctx context.Context, id string) (*ent.Session, error) {
	u, _, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Session
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		sess, err := tx.Session.Query().Where(entsession.ID(id), entsession.UserID(u.ID)).Only(ctx)
		if ent.IsNotFound(err) {
			return apierr.New(apierr.ResourceNotFound).WithParam("id")
		}
		if err != nil {
			return err
		}
		out, err = session.EndOne(ctx, tx, sess, entsession.StatusRevoked, s.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// TrustedClients lists the clients the user trusts.
func (s *Service) TrustedClients(ctx context.Context) ([]*ent.TrustedClient, error) {
	u, _, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.DB.Ent.TrustedClient.Query().Where(trustedclient.UserID(u.ID)).
		Order(ent.Desc(trustedclient.FieldCreatedAt)).All(ctx)
}

// RevokeTrustedClient ends the trust of one client; its next password sign-in needs a code.
func (s *Service) RevokeTrustedClient(ctx context.Context, id string) (bool, error) {
	u, _, err := s.caller(ctx)
	if err != nil {
		return false, err
	}
	var n int
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		n, err = tx.TrustedClient.Delete().Where(trustedclient.ID(id), trustedclient.UserID(u.ID)).Exec(ctx)
		return err
	})
	if err != nil {
		return false, err
	}
	if n == 0 {
		return false, apierr.New(apierr.ResourceNotFound).WithParam("id")
	}
	return true, nil
}

func newID(prefix string) string { return ids.New(prefix) }
