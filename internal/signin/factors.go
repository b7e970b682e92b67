package signin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/backupcode"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/phonenumber"
	entsignin "github.com/trustgate/trustgate/ent/signin"
	"github.com/trustgate/trustgate/ent/totp"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/device"
	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/settings"
	"github.com/trustgate/trustgate/internal/verification"
)

// PrepareFirstFactor sends the code of a first factor: an email or SMS code
// of a passwordless sign-in, or a password reset code.
func (s *Service) PrepareFirstFactor(ctx context.Context, id string, in PrepareInput) (*SignIn, error) {
	st, err := s.load(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if err := s.prepareFirst(ctx, st, in); err != nil {
		return nil, err
	}
	return s.view(ctx, st)
}

// prepareFirst sends the code of in's first factor, for PrepareFirstFactor
// and for a signInCreate that starts a password reset.
func (s *Service) prepareFirst(ctx context.Context, st *state, in PrepareInput) error {
	if st.si.Status != entsignin.StatusNeedsFirstFactor {
		return errNoFirstFactorNow()
	}
	reset := settings.ResetStrategy(in.Strategy)
	switch {
	case reset, in.Strategy == settings.StrategyEmailCode, in.Strategy == settings.StrategyPhoneCode:
	case in.Strategy == settings.StrategyPassword:
		return apierr.Invalid("strategy", "password needs no prepare step; attempt it directly")
	default:
		return apierr.Invalid("strategy", fmt.Sprintf("unknown first factor strategy %q", in.Strategy))
	}
	if !codeStrategyOffered(st.settings, in.Strategy) {
		return apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
	}
	if st.settings.EnumerationProtection {
		defer s.Floor.Pad(ctx, s.Now())
	}
	if err := s.guardUser(ctx, st, in.Strategy); err != nil {
		return err
	}
	if st.user == nil {
		// Enumeration protection: answer as if a code went out.
		return s.decoy(ctx, st, in.Strategy, "no_account")
	}
	var (
		factors []*Factor
		err     error
		purpose = delivery.PurposeVerification
	)
	if reset {
		factors, err = s.resetFactors(ctx, st, in.Strategy)
		purpose = delivery.PurposeResetPassword
		if st.settings.EnumerationProtection {
			if f := s.decoyFactor(st); f != nil && sameAddress(f, in) {
				// The id firstFactors listed for the typed address,
				// which resetFactors lists first.
				in.EmailAddressID, in.PhoneNumberID = nil, nil
			}
		}
	} else {
		factors, err = s.firstFactors(ctx, st)
	}
	if err != nil {
		return err
	}
	f := PickFactor(factors, in)
	if f == nil {
		if st.settings.EnumerationProtection {
			// An account without such an address answers like no account.
			return s.decoy(ctx, st, in.Strategy, "factor_not_listed")
		}
		return apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
	}
	var existing *ent.Verification
	if st.si.FirstFactorVerificationID != nil {
		existing, _ = s.DB.Ent.Verification.Get(ctx, *st.si.FirstFactorVerificationID)
	}
	err = s.sendCode(ctx, st, f, existing, purpose, func(tx *ent.Tx, v *ent.Verification) error {
		return attachVerification(ctx, tx, st, v, true)
	}, nil)
	if e, ok := apierr.As(err); ok && e.Code == apierr.FactorNotFound && f.typed {
		// The address typed was removed or unverified since the sign-in
		// began: answer as for an address that names nobody.
		return s.decoy(ctx, st, in.Strategy, "address_unavailable")
	}
	return err
}

// AttemptFirstFactor checks a password or a code first factor.
func (s *Service) AttemptFirstFactor(ctx context.Context, id string, in AttemptInput) (*SignIn, error) {
	st, err := s.load(ctx, id, true)
	if err != nil {
		return nil, err
	}
	switch in.Strategy {
	case settings.StrategyPassword:
		if in.Password == nil || *in.Password == "" {
			return nil, apierr.Missing("password")
		}
		if !st.settings.PasswordEnabled {
			return nil, apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
		}
		if err := s.attemptPassword(ctx, st, *in.Password); err != nil {
			return nil, err
		}
		return s.view(ctx, st)
	case settings.StrategyEmailCode, settings.StrategyPhoneCode,
		settings.StrategyResetPasswordEmailCode, settings.StrategyResetPasswordPhoneCode:
	default:
		return nil, apierr.Invalid("strategy", fmt.Sprintf("unknown first factor strategy %q", in.Strategy))
	}
	reset := settings.ResetStrategy(in.Strategy)
	if in.Code == nil || *in.Code == "" {
		// A code field left blank: no attempt spent, nothing counted.
		return nil, apierr.Missing("code")
	}
	if in.Password != nil && !reset {
		return nil, apierr.Invalid("password", "a password goes with the password strategy")
	}
	if st.si.Status != entsignin.StatusNeedsFirstFactor {
		return nil, errNoFirstFactorNow()
	}
	if !codeStrategyOffered(st.settings, in.Strategy) {
		return nil, apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
	}
	if err := s.guardUser(ctx, st, in.Strategy); err != nil {
		return nil, err
	}
	if st.si.FirstFactorVerificationID == nil {
		return nil, apierr.New(apierr.VerificationMissing)
	}
	v, err := verification.Load(ctx, s.DB.Ent, *st.si.FirstFactorVerificationID)
	if err != nil {
		return nil, err
	}
	if v.Strategy != in.Strategy {
		return nil, apierr.New(apierr.VerificationMissing).WithParam("strategy")
	}
	// A new password is checked and hashed before the code is spent: a
	// refused one, or a busy hash pool, leaves the code for another try.
	// Not for a verification no code can pass any more (Check says why).
	var newHash string
	if in.Password != nil && verification.Open(v, s.Now()) {
		if newHash, err = s.newPasswordHash(ctx, *in.Password); err != nil {
			return nil, err
		}
	}
	err = s.commit(ctx, st, func(tx *ent.Tx) (*apierr.Error, error) {
		if gone, err := s.targetGone(ctx, tx, st, v); err != nil || gone != nil {
			return gone, err
		}
		passed, err := s.Codes.Check(ctx, tx, v, *in.Code)
		if err != nil {
			if e, ok := apierr.As(err); ok {
				return s.codeFailed(ctx, tx, st, in.Strategy, e)
			}
			return nil, err
		}
		if st.user == nil {
			// A decoy's digest is no code's: this cannot happen.
			return nil, errors.New("signin: a decoy verification passed")
		}
		st.remember(passed)
		s.record(st, audit.KindCodePassed, in.Strategy, audit.Success, "first_factor")
		if reset && in.Password == nil {
			upd := signInUpdate(tx, st).SetFirstFactorVerificationID(passed.ID).SetStatus(entsignin.StatusNeedsNewPassword)
			seePassword(st, upd)
			return nil, saveSignIn(ctx, tx, st, upd)
		}
		if reset {
			if newHash == "" { // Open said no code could pass
				return nil, errors.New("signin: a reset code passed a closed verification")
			}
			staged, err := stageNewPassword(ctx, tx, st, entsignin.StatusNeedsFirstFactor, newHash, true)
			if err != nil {
				return nil, err
			}
			if !staged { // another request moved the sign-in on first
				return errNoFirstFactorNow(), nil
			}
		}
		// Passwordless first factors never trigger Client Trust.
		return s.afterFirstFactor(ctx, tx, st, passed, false)
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, st)
}

// codeFailed records a failed code; it counts toward lockout when
// verification.CountsTowardLockout says so (the rule phone verification
// follows too): a wrong code, or a code sent to a failed verification.
func (s *Service) codeFailed(ctx context.Context, tx *ent.Tx, st *state, strategy string, e *apierr.Error) (*apierr.Error, error) {
	if verification.CountsTowardLockout(e) {
		return s.fail(ctx, tx, st, audit.KindCodeFailed, strategy, string(e.Code), e)
	}
	s.record(st, audit.KindCodeFailed, strategy, audit.Failure, string(e.Code))
	return e, nil
}

// PrepareSecondFactor sends the email or SMS code of a Client Trust challenge
// or of an SMS second factor.
func (s *Service) PrepareSecondFactor(ctx context.Context, id string, in PrepareInput) (*SignIn, error) {
	st, err := s.load(ctx, id, true)
	if err != nil {
		return nil, err
	}
	factors, err := s.secondFactors(ctx, st)
	if err != nil {
		return nil, err
	}
	if len(factors) == 0 {
		return nil, apierr.Newf(apierr.ClientStateInvalid, "This sign-in does not need a second factor now.")
	}
	switch in.Strategy {
	case settings.StrategyEmailCode, settings.StrategyPhoneCode:
	case settings.StrategyTOTP, settings.StrategyBackupCode:
		return nil, apierr.Invalid("strategy", in.Strategy+" needs no prepare step; attempt it directly")
	default:
		return nil, apierr.Invalid("strategy", fmt.Sprintf("unknown second factor strategy %q", in.Strategy))
	}
	f := PickFactor(factors, in)
	if f == nil {
		return nil, errNoSecondFactor(in.Strategy)
	}
	if err := s.guardUser(ctx, st, in.Strategy); err != nil {
		return nil, err
	}
	var existing *ent.Verification
	if st.si.SecondFactorVerificationID != nil {
		existing, _ = s.DB.Ent.Verification.Get(ctx, *st.si.SecondFactorVerificationID)
	}
	purpose := delivery.PurposeVerification
	if st.si.Status == entsignin.StatusNeedsClientTrust {
		purpose = delivery.PurposeClientTrust
	}
	attach := func(tx *ent.Tx, v *ent.Verification) error {
		return attachVerification(ctx, tx, st, v, false)
	}
	var sent func(ctx context.Context, tx *ent.Tx) error
	if st.si.Status == entsignin.StatusNeedsClientTrust {
		// pending means a code went out: not before the delivery succeeded.
		sent = func(ctx context.Context, tx *ent.Tx) error {
			return saveSignIn(ctx, tx, st, signInUpdate(tx, st).SetClientTrustState(entsignin.ClientTrustStatePending))
		}
	}
	if err := s.sendCode(ctx, st, f, existing, purpose, attach, sent); err != nil {
		return nil, err
	}
	return s.view(ctx, st)
}

// AttemptSecondFactor checks a Client Trust code or an MFA factor (totp,
// phone_code, backup_code) and completes the sign-in.
func (s *Service) AttemptSecondFactor(ctx context.Context, id string, in AttemptInput) (*SignIn, error) {
	st, err := s.load(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if in.Code == nil || *in.Code == "" {
		// A code field left blank: no attempt spent, nothing counted.
		return nil, apierr.Missing("code")
	}
	factors, err := s.secondFactors(ctx, st)
	if err != nil {
		return nil, err
	}
	if len(factors) == 0 {
		return nil, apierr.Newf(apierr.ClientStateInvalid, "This sign-in does not need a second factor now.")
	}
	if PickFactor(factors, PrepareInput{Strategy: in.Strategy}) == nil {
		if !isSecondFactorStrategy(in.Strategy) {
			return nil, apierr.Invalid("strategy", fmt.Sprintf("unknown second factor strategy %q", in.Strategy))
		}
		return nil, errNoSecondFactor(in.Strategy)
	}
	if err := s.guardUser(ctx, st, in.Strategy); err != nil {
		return nil, err
	}
	switch in.Strategy {
	case settings.StrategyTOTP:
		err = s.attemptTOTP(ctx, st, *in.Code)
	case settings.StrategyBackupCode:
		err = s.attemptBackupCode(ctx, st, *in.Code)
	default:
		err = s.attemptSecondFactorCode(ctx, st, factors, in.Strategy, *in.Code)
	}
	if err != nil {
		return nil, err
	}
	return s.view(ctx, st)
}

func isSecondFactorStrategy(s string) bool {
	switch s {
	case settings.StrategyEmailCode, settings.StrategyPhoneCode, settings.StrategyTOTP, settings.StrategyBackupCode:
		return true
	}
	return false
}

// errNoSecondFactor is the answer to a second-factor step of a strategy
// that is none of the sign-in's second factors (now).
func errNoSecondFactor(strategy string) *apierr.Error {
	return apierr.Newf(apierr.StrategyForUserInvalid, "No second factors were found for strategy %s.", strategy).WithParam("strategy")
}

// errTargetNotAFactor is the answer to a second-factor code sent to a
// number or address that is no longer a factor of the sign-in.
func errTargetNotAFactor() *apierr.Error {
	return apierr.Newf(apierr.VerificationMissing, "The code was sent to a number or address that is no longer a factor of this sign-in. Send a new code.").WithParam("strategy")
}

// attemptSecondFactorCode checks a code sent to one of factors: a code
// sent to a number or address the sign-in no longer lists (a phone taken
// off two-step verification since, say because it was lost) proves
// nothing, and answers verification_missing with nothing counted.
func (s *Service) attemptSecondFactorCode(ctx context.Context, st *state, factors []*Factor, strategy, code string) error {
	if st.si.SecondFactorVerificationID == nil {
		return apierr.New(apierr.VerificationMissing)
	}
	v, err := verification.Load(ctx, s.DB.Ent, *st.si.SecondFactorVerificationID)
	if err != nil {
		return err
	}
	if v.Strategy != strategy {
		return apierr.New(apierr.VerificationMissing).WithParam("strategy")
	}
	if !ListsTarget(factors, v) {
		return errTargetNotAFactor()
	}
	return s.commit(ctx, st, func(tx *ent.Tx) (*apierr.Error, error) {
		if st.si.Status == entsignin.StatusNeedsSecondFactor && v.Strategy == settings.StrategyPhoneCode {
			// Again inside the transaction: the factors were read before
			// it, and the number may have been taken off two-step
			// verification since.
			reserved, err := tx.PhoneNumber.Query().Where(phonenumber.ID(*v.TargetID), phonenumber.UserID(st.user.ID),
				phonenumber.Verified(true), phonenumber.ReservedForSecondFactor(true)).Exist(ctx)
			if err != nil {
				return nil, err
			}
			if !reserved {
				return errTargetNotAFactor(), nil
			}
		}
		if st.si.Status == entsignin.StatusNeedsClientTrust {
			// As targetGone at the first factor: the address or number
			// (the primary phone number where email is off) may have been
			// removed since the factors were read, and a code sent to it
			// proves nothing about the account then.
			held, err := targetHeld(ctx, tx.Client(), st.user.ID, v)
			if err != nil {
				return nil, err
			}
			if !held {
				return errTargetNotAFactor(), nil
			}
		}
		passed, err := s.Codes.Check(ctx, tx, v, code)
		if err != nil {
			if e, ok := apierr.As(err); ok {
				return s.codeFailed(ctx, tx, st, strategy, e)
			}
			return nil, err
		}
		st.remember(passed)
		reason, mfa := "second_factor", true
		var upd *ent.SignInUpdate
		if st.si.Status == entsignin.StatusNeedsClientTrust {
			// A Client Trust code proves the address, not a second factor of
			// the user's: the session records no second factor (fva[1] -1),
			// so a user who enrols MFA later verifies it before changing
			// factors from this session (account.Service.recent).
			reason, mfa = "client_trust", false
			// The client is trusted now: known, as a sign-in on a trusted
			// client reads, no longer pending (a code to enter).
			upd = signInUpdate(tx, st).SetClientTrustState(entsignin.ClientTrustStateKnown)
		}
		s.record(st, audit.KindCodePassed, strategy, audit.Success, reason)
		return s.complete(ctx, tx, st, upd, strategy, mfa)
	})
}

// TOTPCheck is a code checked against a user's verified authenticator
// enrolment; Claim spends it.
type TOTPCheck struct {
	id   string
	step int64
	ok   bool
}

// CheckTOTP checks code against the verified TOTP of the user (outside any
// transaction: the secret is opened and the code computed without holding
// a lock). Without a verified TOTP it answers strategy_for_user_invalid.
func CheckTOTP(ctx context.Context, c *ent.Client, keys *keyring.Keyring, userID, code string, now time.Time) (TOTPCheck, error) {
	t, err := c.Totp.Query().Where(totp.UserID(userID), totp.Verified(true)).Only(ctx)
	if err != nil {
		return TOTPCheck{}, apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
	}
	secret, err := keys.Open(keyring.PurposeTOTPSecret, t.SecretSealed, []byte(t.ID))
	if err != nil {
		return TOTPCheck{}, fmt.Errorf("signin: opening TOTP secret: %w", err)
	}
	step, ok := factor.ValidateTOTP(secret, code, now, t.LastUsedStep)
	return TOTPCheck{id: t.ID, step: step, ok: ok}, nil
}

// Claim reports whether the code passed, spending its time step in tx so
// that it passes once: a concurrent use of the same code loses.
func (c TOTPCheck) Claim(ctx context.Context, tx *ent.Tx) (bool, error) {
	if !c.ok {
		return false, nil
	}
	n, err := tx.Totp.Update().Where(totp.ID(c.id), totp.LastUsedStepLT(c.step)).SetLastUsedStep(c.step).Save(ctx)
	return n == 1, err
}

// Gone reports, in tx after a Claim that did not pass, whether the
// enrolment the code was checked against is no longer the user's verified
// one (totpDisable or resetUserMfa committed since the check): the code,
// right or wrong, then answers as an attempt after the removal does, and
// is no failure to count.
func (c TOTPCheck) Gone(ctx context.Context, tx *ent.Tx) (bool, error) {
	held, err := tx.Totp.Query().Where(totp.ID(c.id), totp.Verified(true)).Exist(ctx)
	return !held, err
}

// UseBackupCode spends one of the user's unused backup codes in tx and
// reports whether code was one.
func UseBackupCode(ctx context.Context, tx *ent.Tx, keys *keyring.Keyring, userID, code string, now time.Time) (bool, error) {
	hash, err := factor.HashBackupCode(keys, userID, code)
	if err != nil {
		return false, nil // not the shape of a backup code
	}
	// Single use: the conditional update wins once.
	n, err := tx.BackupCode.Update().
		Where(backupcode.UserID(userID), backupcode.CodeHash(hash), backupcode.UsedAtIsNil()).
		SetUsedAt(now).Save(ctx)
	return n == 1, err
}

// BackupCodesLeft reports, in tx after a UseBackupCode that did not pass,
// whether the user still holds an unused backup code. None left means the
// set went with the last second factor (or another attempt spent the last
// code) since the step loaded: the code, right or wrong, answers as an
// attempt after that does, and is no failure to count.
func BackupCodesLeft(ctx context.Context, tx *ent.Tx, userID string) (bool, error) {
	return tx.BackupCode.Query().Where(backupcode.UserID(userID), backupcode.UsedAtIsNil()).Exist(ctx)
}

func (s *Service) attemptTOTP(ctx context.Context, st *state, code string) error {
	check, err := CheckTOTP(ctx, s.DB.Ent, s.Keys, st.user.ID, code, s.Now())
	if err != nil {
		return err
	}
	return s.commit(ctx, st, func(tx *ent.Tx) (*apierr.Error, error) {
		ok, err := check.Claim(ctx, tx)
		if err != nil {
			return nil, err
		}
		if !ok {
			gone, err := check.Gone(ctx, tx)
			if err != nil {
				return nil, err
			}
			if gone {
				return s.secondFactorGone(ctx, tx, st, settings.StrategyTOTP)
			}
			return s.fail(ctx, tx, st, audit.KindTOTPFailed, settings.StrategyTOTP, "code_incorrect", apierr.New(apierr.FormCodeIncorrect).WithParam("code"))
		}
		s.record(st, audit.KindTOTPPassed, settings.StrategyTOTP, audit.Success, "")
		return s.complete(ctx, tx, st, nil, settings.StrategyTOTP, true)
	})
}

// secondFactorGone answers a step whose factor of strategy was removed
// while it ran, as the step would have answered after the removal: the
// sign-in ends when the user has no second factor left (load), else the
// strategy is none of its factors now. Nothing is counted.
func (s *Service) secondFactorGone(ctx context.Context, tx *ent.Tx, st *state, strategy string) (*apierr.Error, error) {
	left, err := mfaFactors(ctx, tx.Client(), st.user, st.settings, &contacts{userID: st.user.ID})
	if err != nil {
		return nil, err
	}
	if len(left) == 0 {
		return s.endForMFARemoved(ctx, tx, st)
	}
	return errNoSecondFactor(strategy), nil
}

func (s *Service) attemptBackupCode(ctx context.Context, st *state, code string) error {
	return s.commit(ctx, st, func(tx *ent.Tx) (*apierr.Error, error) {
		used, err := UseBackupCode(ctx, tx, s.Keys, st.user.ID, code, s.Now())
		if err != nil {
			return nil, err
		}
		if !used {
			// No unused code left: the last second factor and its codes were
			// removed since the step loaded (or another attempt spent the
			// last code). As attemptTOTP, no wrong guess to count.
			left, err := BackupCodesLeft(ctx, tx, st.user.ID)
			if err != nil {
				return nil, err
			}
			if !left {
				return s.secondFactorGone(ctx, tx, st, settings.StrategyBackupCode)
			}
			return s.fail(ctx, tx, st, audit.KindBackupCodeFailed, settings.StrategyBackupCode, "code_incorrect", apierr.New(apierr.FormCodeIncorrect).WithParam("code"))
		}
		s.record(st, audit.KindBackupCodeUsed, settings.StrategyBackupCode, audit.Success, "")
		return s.complete(ctx, tx, st, nil, settings.StrategyBackupCode, true)
	})
}

// sendCode issues a code for f (replacing the one in existing when it is for
// the same target), stores it through attach, then delivers it and, once
// delivered, runs sent (if any) beside the code.sent event. A delivery failure
// is logged and returned; the sign-in stays resumable.
func (s *Service) sendCode(ctx context.Context, st *state, f *Factor, existing *ent.Verification, purpose delivery.Purpose, attach func(*ent.Tx, *ent.Verification) error, sent func(context.Context, *ent.Tx) error) error {
	target, err := s.factorTarget(ctx, st, f)
	if err != nil {
		return err
	}
	rq := request.From(ctx)
	var kind string
	// A PostgreSQL retry of the issuing transaction starts from the sign-in
	// the step read, not from what the aborted run's attach made of it.
	rewind := st.checkpoint()
	// Under enumeration protection a first factor's code counts against the
	// identifier typed, as a decoy's does: a reset typed as a username goes
	// to the account's email, and a refusal counted there would tell which
	// username is that address's.
	recipient := ""
	if st.settings.EnumerationProtection && st.si.Status == entsignin.StatusNeedsFirstFactor {
		recipient = st.identifier
	}
	v, err := s.Codes.Deliver(ctx, s.DB, s.Sender, verification.Delivery{
		Existing: existing, Target: target, Recipient: recipient, TTL: st.settings.CodeTTL(),
		Attach: func(tx *ent.Tx, v *ent.Verification) error {
			rewind()
			return attach(tx, v)
		},
		Message: func(code string) (delivery.Message, error) {
			msg, err := delivery.RenderCode(emailStrategy(f.Strategy), delivery.CodeEmail{
				ApplicationID: st.app.ID, AppName: st.app.Name, To: target.Value, Code: code, TTL: st.settings.CodeTTL(),
				Purpose: purpose, Device: device.Describe(rq.UserAgent), IP: rq.IP, At: s.Now(),
			})
			kind = msg.Kind
			return msg, err
		},
		Sent: func(ctx context.Context, tx *ent.Tx) error {
			if sent != nil {
				if err := sent(ctx, tx); err != nil {
					return err
				}
			}
			return s.Events.Record(ctx, tx, s.event(st, audit.KindCodeSent, f.Strategy, audit.Info, kind))
		},
		Failed: func(ctx context.Context, tx *ent.Tx) error {
			return s.Events.Record(ctx, tx, s.event(st, audit.KindCodeDeliveryFailed, f.Strategy, audit.Failure, "delivery_failed"))
		},
		Log: s.Log.With("sign_in_id", st.si.ID),
	})
	if err != nil {
		return err
	}
	st.remember(v)
	return nil
}

// factorTarget resolves the email address or phone number a factor names,
// from the user's verified contacts the step has read (or reads now). A
// typed factor names the address by the identifier (its listed id is
// derived, see firstFactors); any other by its row's id.
func (s *Service) factorTarget(ctx context.Context, st *state, f *Factor) (verification.Target, error) {
	names := byID(f)
	if f.typed {
		names = func(_, value string) bool { return value == st.identifier }
	}
	t, ok, err := st.contactsOf().target(ctx, s.DB.Ent, f.Strategy, names)
	if err == nil && !ok {
		err = apierr.New(apierr.FactorNotFound)
	}
	return t, err
}

// FactorTarget resolves the verified email address or phone number of the
// user's that factor f (as listed) names; factor_not_found when it is gone
// or no longer verified. A session reverification sends its codes there.
func FactorTarget(ctx context.Context, c *ent.Client, userID string, f *Factor) (verification.Target, error) {
	t, ok, err := (&contacts{userID: userID}).target(ctx, c, f.Strategy, byID(f))
	if err == nil && !ok {
		err = apierr.New(apierr.FactorNotFound)
	}
	return t, err
}

// byID matches the contact whose row id factor f lists.
func byID(f *Factor) func(id, value string) bool {
	return func(id, _ string) bool {
		return (f.EmailAddressID != nil && *f.EmailAddressID == id) || (f.PhoneNumberID != nil && *f.PhoneNumberID == id)
	}
}

// sameAddress reports whether in names f's email address or phone number.
func sameAddress(f *Factor, in PrepareInput) bool {
	same := func(a, b *string) bool { return a != nil && b != nil && *a == *b }
	return same(f.EmailAddressID, in.EmailAddressID) || same(f.PhoneNumberID, in.PhoneNumberID)
}

// PickFactor finds the factor of in's strategy (and id, when given).
func PickFactor(factors []*Factor, in PrepareInput) *Factor {
	for _, f := range factors {
		if f.Strategy != in.Strategy {
			continue
		}
		if in.EmailAddressID != nil && (f.EmailAddressID == nil || *f.EmailAddressID != *in.EmailAddressID) {
			continue
		}
		if in.PhoneNumberID != nil && (f.PhoneNumberID == nil || *f.PhoneNumberID != *in.PhoneNumberID) {
			continue
		}
		return f
	}
	return nil
}

// firstFactors lists the first factors the user can use in this application.
//
// Under enumeration protection an identifier lists the same factors whether
// or not it names an account: password when the application offers it
// (whether or not the account has one), and for an email address or phone
// number decoyFactor — the code factor of the address typed, under an id
// derived from the identifier, marked primary. An account's other addresses
// or phone number, its missing password, which address is primary or the
// address's own id (whose time part is when it was added) would each tell
// it apart. For an account the factor is typed: preparing it sends the code
// to the address typed.
func (s *Service) firstFactors(ctx context.Context, st *state) ([]*Factor, error) {
	set := st.settings
	if st.user == nil || s.listsAsUnknown(st) {
		out := []*Factor{}
		if st.si.Identifier == nil {
			return out, nil
		}
		if set.PasswordEnabled {
			out = append(out, &Factor{Strategy: settings.StrategyPassword})
		}
		if f := s.decoyFactor(st); f != nil {
			f.typed = st.user != nil
			out = append(out, f)
		}
		return out, nil
	}
	out, err := accountFirstFactors(ctx, s.DB.Ent, st.user, set, st.contactsOf())
	if err != nil {
		return nil, err
	}
	return s.typedFirst(ctx, st, out)
}

// typedFirst moves the code factor of the address or number the sign-in's
// identifier names to the front of its kind: a prepare that names no
// address sends there (PickFactor takes the first), and so does a frontend
// that takes the first email_code factor, as Clerk's custom flows do. A
// code should reach the address the user typed, not another of theirs.
func (s *Service) typedFirst(ctx context.Context, st *state, factors []*Factor) ([]*Factor, error) {
	kind := identifier.Classify(st.identifier)
	strategy := map[identifier.Kind]string{identifier.Email: settings.StrategyEmailCode, identifier.Phone: settings.StrategyPhoneCode}[kind]
	n := 0
	for _, f := range factors {
		if f.Strategy == strategy {
			n++
		}
	}
	if n < 2 {
		return factors, nil // nothing to choose between, and nothing more to read
	}
	t, ok, err := st.contactsOf().target(ctx, s.DB.Ent, strategy, func(_, value string) bool { return value == st.identifier })
	if err != nil || !ok {
		return factors, err
	}
	typed := slices.IndexFunc(factors, func(f *Factor) bool { return f.Strategy == strategy && byID(f)(t.ID, "") })
	if typed < 0 {
		return factors, nil
	}
	f := factors[typed]
	first := slices.IndexFunc(factors, func(g *Factor) bool { return g.Strategy == f.Strategy })
	copy(factors[first+1:typed+1], factors[first:typed])
	factors[first] = f
	return factors, nil
}

// AccountFirstFactors lists the first factors of u that the application
// offers: password (when u has one), and an email_code or phone_code factor
// for each verified address, the primary one marked. A session
// reverification offers these.
func AccountFirstFactors(ctx context.Context, c *ent.Client, u *ent.User, set *settings.Settings) ([]*Factor, error) {
	return accountFirstFactors(ctx, c, u, set, &contacts{userID: u.ID})
}

func accountFirstFactors(ctx context.Context, c *ent.Client, u *ent.User, set *settings.Settings, k *contacts) ([]*Factor, error) {
	out := []*Factor{}
	if set.PasswordEnabled && u.PasswordHash != nil {
		out = append(out, &Factor{Strategy: settings.StrategyPassword})
	}
	if set.FirstFactorEnabled(settings.StrategyEmailCode) {
		emails, err := k.verifiedEmails(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, emailFactors(emails, u)...)
	}
	if set.FirstFactorEnabled(settings.StrategyPhoneCode) {
		phones, err := k.verifiedPhones(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, phoneFactors(phones, u)...)
	}
	return out, nil
}

// listsAsUnknown reports whether an account's sign-in lists the factors an
// unknown identifier would: under enumeration protection, except for a
// username where the application offers no password (settings.Validate
// refuses that now; an application saved before keeps listing the
// account's code factors, or its usernames could not sign in).
func (s *Service) listsAsUnknown(st *state) bool {
	if !st.settings.EnumerationProtection || s.Keys == nil {
		return false
	}
	kind := identifier.Classify(st.identifier)
	return kind == identifier.Email || kind == identifier.Phone || st.settings.PasswordEnabled
}

// secondFactors lists the factors that answer the sign-in's current challenge.
func (s *Service) secondFactors(ctx context.Context, st *state) ([]*Factor, error) {
	switch st.si.Status {
	case entsignin.StatusNeedsSecondFactor:
		return st.mfaFactors(ctx, s.DB.Ent)
	case entsignin.StatusNeedsClientTrust:
		f, err := clientTrustFactor(ctx, s.DB.Ent, st.user, st.settings, st.contactsOf())
		if err != nil || f == nil {
			return nil, err
		}
		return []*Factor{f}, nil
	}
	return nil, nil
}

// notifyNewDevice emails the user that a sign-in completed on a new device,
// as part of tx, the completing transaction (notice.Notifier: the notice
// spends the address's message budget, so sign-ins from fresh clients — a
// leaked password where Client Trust is off — cannot flood the inbox, and
// whatever befalls its delivery, the sign-in completes).
func (s *Service) notifyNewDevice(ctx context.Context, tx *ent.Tx, st *state, at time.Time) error {
	u := st.user
	// Through tx: on SQLite a read from the pool while this transaction
	// holds a connection could wait for one forever (one, in memory).
	emails, err := st.contactsOf().verifiedEmails(ctx, tx.Client())
	if err != nil {
		s.Log.WarnContext(ctx, "new device notification not sent", "user_id", u.ID, "error", err)
		return nil
	}
	if len(emails) == 0 {
		return nil
	}
	to := pickPrimary(emails, u.PrimaryEmailAddressID, func(e *ent.EmailAddress) string { return e.ID })
	rq := request.From(ctx)
	msg, err := delivery.RenderNewDeviceEmail(delivery.NewDeviceEmail{
		ApplicationID: st.app.ID, AppName: st.app.Name, To: to.EmailAddress,
		Device: device.Describe(rq.UserAgent), IP: rq.IP, At: at,
	})
	if err != nil {
		s.Log.WarnContext(ctx, "new device notification not sent", "user_id", u.ID, "error", err)
		return nil
	}
	after, err := s.Notices.Send(ctx, tx, msg, "new device notification", u.ID)
	st.sendAfterCommit(after)
	return err
}

// sendAfterCommit runs after, when not nil, once the step's transaction has
// committed (notice.Notifier.Send).
func (st *state) sendAfterCommit(after func()) {
	if after != nil {
		st.afterCommit = append(st.afterCommit, after)
	}
}

// ListsTarget reports whether one of factors is of v's strategy and names
// the address or number v's code went to.
func ListsTarget(factors []*Factor, v *ent.Verification) bool {
	if v.TargetID == nil {
		return false
	}
	for _, f := range factors {
		id := f.EmailAddressID
		if f.PhoneNumberID != nil {
			id = f.PhoneNumberID
		}
		if f.Strategy == v.Strategy && id != nil && *id == *v.TargetID {
			return true
		}
	}
	return false
}

// targetGone answers verification_missing, before the code is checked or
// spent, when the address or number v's code went to is no longer a
// verified one of the user's (removed since the code was sent). Inside the
// step's transaction, so that a removal committed before it is seen. A
// decoy (no account, or a factor the account does not list) names no
// target: it runs the same read, finding nothing, and goes on to fail its
// check as any wrong code does, so that it answers and costs as an
// account's would.
func (s *Service) targetGone(ctx context.Context, tx *ent.Tx, st *state, v *ent.Verification) (*apierr.Error, error) {
	owner := st.si.ID // no user has a sign-in's id
	if st.user != nil {
		owner = st.user.ID
	}
	held, err := targetHeld(ctx, tx.Client(), owner, v)
	if err != nil || held || st.user == nil || v.TargetID == nil {
		return nil, err
	}
	s.record(st, audit.KindCodeFailed, v.Strategy, audit.Failure, "target_removed")
	return apierr.Newf(apierr.VerificationMissing, "The code was sent to an address or number that is no longer this account's. Choose another way to sign in.").WithParam("strategy"), nil
}

// targetHeld reports whether the email address or phone number v's code
// went to is still a verified one of user userID's: a code sent to an
// address removed since (emailAddressDelete) proves nothing about the
// account.
func targetHeld(ctx context.Context, c *ent.Client, userID string, v *ent.Verification) (bool, error) {
	target := "" // a decoy's names nothing; the read runs all the same
	if v.TargetID != nil {
		target = *v.TargetID
	}
	switch v.Strategy {
	case settings.StrategyEmailCode, settings.StrategyResetPasswordEmailCode:
		return c.EmailAddress.Query().Where(emailaddress.ID(target), emailaddress.UserID(userID), emailaddress.Verified(true)).Exist(ctx)
	default:
		return c.PhoneNumber.Query().Where(phonenumber.ID(target), phonenumber.UserID(userID), phonenumber.Verified(true)).Exist(ctx)
	}
}
