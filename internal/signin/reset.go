package signin

import (
	"context"
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"
	"time"

	"github.com/trustgate/trustgate/ent"
	entsession "github.com/trustgate/trustgate/ent/session"
	entsignin "github.com/trustgate/trustgate/ent/signin"
	entverification "github.com/trustgate/trustgate/ent/verification"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/clienttrust"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/ids"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/session"
	"github.com/trustgate/trustgate/internal/settings"
	"github.com/trustgate/trustgate/internal/verification"
)

// The password reset flow, as Clerk's custom "forgot password" flow drives it:
//
//	signInCreate {identifier, strategy: reset_password_email_code}  → needs_first_factor, the code sent
//	signInAttemptFirstFactor {strategy, code, password}               → complete, or needs_second_factor
//
// or, with the code alone, needs_new_password and then signInResetPassword
// {password}. The new password waits on the sign-in (stageNewPassword) and
// becomes the user's only when the sign-in completes, so a user with MFA
// gives their second factor first. Then it ends the user's trust in every
// other client and, unless the caller says otherwise, every session, and it
// ends the sign-ins in flight that the old password started (completeUser):
// a reset is how an account taken over is taken back. The client the reset
// happens on becomes trusted as the sign-in completes. The reset strategies are not listed
// in supportedFirstFactors: an unknown identifier could not list them alike.

// ResetPasswordInput is signInResetPassword's input.
type ResetPasswordInput struct {
	Password string
	// SignOutOfOtherSessions ends the user's other sessions; nil means true.
	SignOutOfOtherSessions *bool
}

// codeStrategyOffered reports whether the application offers strategy, a
// first factor with a code: a reset needs passwords and the channel its
// code goes through; a passwordless factor needs to be enabled.
func codeStrategyOffered(set *settings.Settings, strategy string) bool {
	switch strategy {
	case settings.StrategyResetPasswordEmailCode:
		return set.PasswordEnabled && set.EmailEnabled
	case settings.StrategyResetPasswordPhoneCode:
		return set.PasswordEnabled && set.PhoneEnabled
	}
	return set.FirstFactorEnabled(strategy)
}

// emailStrategy reports whether strategy's code goes by email.
func emailStrategy(strategy string) bool {
	return strategy == settings.StrategyEmailCode || strategy == settings.StrategyResetPasswordEmailCode
}

// resetFactors lists where the user's reset code of strategy can go: their
// verified email addresses, or phone numbers. The one the user typed as the
// identifier comes first, else the primary one: pickFactor takes the first
// when the request names none.
func (s *Service) resetFactors(ctx context.Context, st *state, strategy string) ([]*Factor, error) {
	var (
		factors []*Factor
		values  []string
	)
	k := st.contactsOf()
	if emailStrategy(strategy) {
		emails, err := k.verifiedEmails(ctx, s.DB.Ent)
		if err != nil {
			return nil, err
		}
		factors = emailFactors(emails, st.user)
		for _, e := range emails {
			values = append(values, e.EmailAddress)
		}
	} else {
		phones, err := k.verifiedPhones(ctx, s.DB.Ent)
		if err != nil {
			return nil, err
		}
		factors = phoneFactors(phones, st.user)
		for _, p := range phones {
			values = append(values, p.PhoneNumber)
		}
	}
	for _, f := range factors {
		f.Strategy = strategy
	}
	first := slices.Index(values, st.identifier)
	if first < 0 {
		first = slices.IndexFunc(factors, func(f *Factor) bool { return *f.Primary })
	}
	if first > 0 {
		factors[0], factors[first] = factors[first], factors[0]
	}
	return factors, nil
}

// decoy answers a code first factor for an identifier that names nobody
// (enumeration protection) as if a code had gone out to it: the sign-in gets
// a verification no code passes, with the cooldown and failure count of a
// real one. The auditors' history gets a code.withheld event with why
// (reason): the attempt is not hidden from them, only from the caller.
func (s *Service) decoy(ctx context.Context, st *state, strategy, reason string) error {
	var existing *ent.Verification
	if st.si.FirstFactorVerificationID != nil {
		existing, _ = s.DB.Ent.Verification.Get(ctx, *st.si.FirstFactorVerificationID)
	}
	target := verification.Target{Strategy: strategy, Value: deref(st.si.Identifier)}
	if err := s.Codes.Spend(ctx, existing, target, ""); err != nil {
		return err
	}
	rewind := st.checkpoint()
	return s.DB.Tx(ctx, func(tx *ent.Tx) error {
		rewind()
		v, err := s.Codes.Decoy(ctx, tx, existing, target, st.settings.CodeTTL())
		if err != nil {
			return err
		}
		st.remember(v)
		if err := attachVerification(ctx, tx, st, v, true); err != nil {
			return err
		}
		return s.Events.Record(ctx, tx, s.event(st, audit.KindCodeWithheld, strategy, audit.Info, reason))
	})
}

// decoyFactor is the code factor an account of st's identifier, an email
// address or phone number that names nobody, would list: the same strategy
// and masked identifier, and an id derived from the application and the
// identifier under the server's key. The id is the same in every sign-in
// for that identifier, as a real address's is, and unguessable; its time
// part is a moment of the application's life (decoyMillis). Preparing it
// answers with a decoy verification (prepareFirst). Nil when the
// application does not offer the factor, or the identifier is a username.
func (s *Service) decoyFactor(st *state) *Factor {
	ident := deref(st.si.Identifier)
	kind := identifier.Classify(ident)
	if !addressCodeOffered(st.settings, kind) || s.Keys == nil {
		return nil
	}
	mac := s.Keys.MAC(keyring.PurposeDecoy, []byte(st.app.ID+"\x00"+ident))
	// As of the sign-in's start, so that the id stays put while it lasts.
	ms := decoyMillis(st.app.CreatedAt, st.si.CreatedAt, binary.BigEndian.Uint64(mac[0:8]))
	id := ids.Derived("idn", ms, [10]byte(mac[8:18]))
	if kind == identifier.Email {
		return emailFactor(&ent.EmailAddress{ID: id, EmailAddress: ident}, true)
	}
	return phoneFactor(&ent.PhoneNumber{ID: id, PhoneNumber: ident}, true)
}

// addressCodeOffered reports whether the application offers a code first
// factor to an identifier of kind: email_code to an email address,
// phone_code to a phone number, nothing to a username.
func addressCodeOffered(set *settings.Settings, kind identifier.Kind) bool {
	switch kind {
	case identifier.Email:
		return set.FirstFactorEnabled(settings.StrategyEmailCode)
	case identifier.Phone:
		return set.FirstFactorEnabled(settings.StrategyPhoneCode)
	}
	return false
}

// decoyMillis is the time part of a decoy address's id, in Unix
// milliseconds: a moment of the application's life picked by h, as a real
// address's is the moment it was added. It is uniform over the first span
// milliseconds after the application was created, span being the largest
// power of two not above the application's age, so it never lies in the
// future and stays the same until the age doubles (after a year, the next
// change comes a year later). A fixed window (say, the application's first
// hour) would be stable forever, but would set decoys apart from the
// addresses of an application's later users.
func decoyMillis(created, now time.Time, h uint64) uint64 {
	start := created.UnixMilli()
	age := now.UnixMilli() - start
	if age < 1 {
		return uint64(start)
	}
	span := uint64(1) << (bits.Len64(uint64(age)) - 1)
	return uint64(start) + h%span
}

// checkNewPassword applies the password policy to a new password.
func (s *Service) checkNewPassword(password string) error {
	if s.CheckPassword == nil {
		return errors.New("signin: no password policy configured")
	}
	if err := s.CheckPassword(password); err != nil {
		if e, ok := apierr.As(err); ok {
			return e.WithParam("password")
		}
		return err
	}
	return nil
}

// ResetPassword sets the new password of a sign-in whose reset code passed
// (status needs_new_password); the sign-in then completes or asks for the
// user's second factor.
func (s *Service) ResetPassword(ctx context.Context, id string, in ResetPasswordInput) (*SignIn, error) {
	st, err := s.load(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if st.si.Status != entsignin.StatusNeedsNewPassword || st.user == nil || st.si.FirstFactorVerificationID == nil {
		return nil, errNoNewPasswordNow()
	}
	v, err := st.verification(ctx, s.DB.Ent, *st.si.FirstFactorVerificationID)
	if err != nil {
		return nil, err
	}
	if v == nil || v.Status != entverification.StatusVerified || !settings.ResetStrategy(v.Strategy) {
		return nil, errNoNewPasswordNow()
	}
	if !codeStrategyOffered(st.settings, v.Strategy) {
		return nil, apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
	}
	if err := s.guardUser(ctx, st, v.Strategy); err != nil {
		return nil, err
	}
	hash, err := s.newPasswordHash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	signOut := in.SignOutOfOtherSessions == nil || *in.SignOutOfOtherSessions
	err = s.commit(ctx, st, func(tx *ent.Tx) (*apierr.Error, error) {
		// The code proved an address when it passed; one the user removed
		// since (emailAddressDelete) proves nothing any more, as a code
		// attempted after the removal would not (AttemptFirstFactor).
		if gone, err := s.targetGone(ctx, tx, st, v); err != nil || gone != nil {
			return gone, err
		}
		staged, err := stageNewPassword(ctx, tx, st, entsignin.StatusNeedsNewPassword, hash, signOut)
		if err != nil {
			return nil, err
		}
		if !staged { // another request set it first
			return errNoNewPasswordNow(), nil
		}
		return s.afterFirstFactor(ctx, tx, st, v, false)
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, st)
}

// errNoFirstFactorNow answers a first-factor step on a sign-in that is not
// (or no longer) at needs_first_factor.
func errNoFirstFactorNow() *apierr.Error {
	return apierr.Newf(apierr.ClientStateInvalid, "This sign-in does not need a first factor now.")
}

// errNoNewPasswordNow answers signInResetPassword on a sign-in that is not
// (or no longer) at needs_new_password.
func errNoNewPasswordNow() *apierr.Error {
	return apierr.Newf(apierr.ClientStateInvalid, "This sign-in does not need a new password now.")
}

// newPasswordHash applies the password policy to a new password and hashes
// it. Both come before the step's transaction, and before a code is spent:
// a refused password, or a hash pool too busy (too_many_requests), leaves
// the sign-in as it was, ready to try again.
func (s *Service) newPasswordHash(ctx context.Context, password string) (string, error) {
	if err := s.checkNewPassword(password); err != nil {
		return "", err
	}
	return s.Hasher.Hash(ctx, password)
}

// stageNewPassword keeps hash on the sign-in until it completes: a user with
// MFA gives the second factor before the new password becomes theirs. It
// writes only while the sign-in is at status from, so that of two requests
// racing with one sign-in one stages its password, and reports whether it did.
func stageNewPassword(ctx context.Context, tx *ent.Tx, st *state, from entsignin.Status, hash string, signOut bool) (bool, error) {
	n, err := tx.SignIn.Update().
		Where(entsignin.ID(st.si.ID), entsignin.StatusEQ(from)).
		SetNewPasswordHash(hash).SetSignOutOtherSessions(signOut).Save(ctx)
	if err != nil || n != 1 {
		return false, err
	}
	si := *st.si
	si.NewPasswordHash, si.SignOutOtherSessions = &hash, signOut
	st.si = &si
	return true, nil
}

// applyNewPassword does, in the completing transaction, what a new password
// does besides replacing the hash (completeUser): CONTRACT §3 rule 4 ends
// the trust of every other client (this one is trusted again as the sign-in
// completes), and unless the caller said otherwise every session of the
// user ends. The password.reset event records it.
func (s *Service) applyNewPassword(ctx context.Context, tx *ent.Tx, st *state, now time.Time) error {
	if _, err := clienttrust.RevokeOthers(ctx, tx, st.user.ID, st.client.ID); err != nil {
		return err
	}
	reason := ""
	if st.si.SignOutOtherSessions {
		if _, err := session.End(ctx, tx, entsession.StatusRevoked, now, entsession.UserID(st.user.ID)); err != nil {
			return err
		}
		reason = "other_sessions_ended"
	}
	strategy := ""
	if id := st.si.FirstFactorVerificationID; id != nil {
		v, err := st.verification(ctx, tx.Client(), *id)
		if err != nil {
			return err
		}
		if v != nil {
			strategy = v.Strategy
		}
	}
	s.record(st, audit.KindPasswordReset, strategy, audit.Success, reason)
	return nil
}
