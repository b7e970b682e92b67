package signin

import (
	"context"
	"errors"
	"slices"

	"github.com/trustgate/trustgate/ent"
	entsession "github.com/trustgate/trustgate/ent/session"
	entsignin "github.com/trustgate/trustgate/ent/signin"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/clienttrust"
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
// {password}. A new password ends the user's trust in every other client and,
// unless the caller says otherwise, every other session: a reset is how an
// account taken over is taken back. The client the reset happens on becomes
// trusted when the sign-in completes, as after any sign-in; a user with MFA
// still gives their second factor first. The reset strategies are not listed
// in supportedFirstFactors: an unknown identifier could not list them alike.

// ResetPasswordInput is signInResetPassword's input.
type ResetPasswordInput struct {
	Password string
	// SignOutOfOtherSessions ends the user's other sessions; nil means true.
	SignOutOfOtherSessions *bool
}

// isResetStrategy reports whether strategy is a password reset first factor.
func isResetStrategy(strategy string) bool {
	return strategy == settings.StrategyResetPasswordEmailCode || strategy == settings.StrategyResetPasswordPhoneCode
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
// identifier comes first, then the primary one.
func (s *Service) resetFactors(ctx context.Context, st *state, strategy string) ([]*Factor, error) {
	k := st.contactsOf()
	ident := deref(st.si.Identifier)
	type ranked struct {
		f    *Factor
		rank int
	}
	var all []ranked
	add := func(f *Factor, value string) {
		f.Strategy = strategy
		r := 2
		switch {
		case value == ident:
			r = 0
		case *f.Primary:
			r = 1
		}
		all = append(all, ranked{f, r})
	}
	if emailStrategy(strategy) {
		emails, err := k.verifiedEmails(ctx, s.DB.Ent)
		if err != nil {
			return nil, err
		}
		for _, e := range emails {
			add(emailFactor(e, st.user.PrimaryEmailAddressID != nil && *st.user.PrimaryEmailAddressID == e.ID), e.EmailAddress)
		}
	} else {
		phones, err := k.verifiedPhones(ctx, s.DB.Ent)
		if err != nil {
			return nil, err
		}
		for _, p := range phones {
			add(phoneFactor(p, st.user.PrimaryPhoneNumberID != nil && *st.user.PrimaryPhoneNumberID == p.ID), p.PhoneNumber)
		}
	}
	slices.SortStableFunc(all, func(a, b ranked) int { return a.rank - b.rank })
	out := make([]*Factor, len(all))
	for i, r := range all {
		out[i] = r.f
	}
	return out, nil
}

// decoy answers a code first factor for an identifier that names nobody
// (enumeration protection) as if a code had gone out to it: the sign-in gets
// a verification no code passes, with the cooldown and failure count of a
// real one.
func (s *Service) decoy(ctx context.Context, st *state, strategy string) error {
	var existing *ent.Verification
	if st.si.FirstFactorVerificationID != nil {
		existing, _ = s.DB.Ent.Verification.Get(ctx, *st.si.FirstFactorVerificationID)
	}
	rewind := st.checkpoint()
	return s.DB.Tx(ctx, func(tx *ent.Tx) error {
		rewind()
		v, err := s.Codes.Decoy(ctx, tx, existing, verification.Target{Strategy: strategy, Value: deref(st.si.Identifier)}, st.settings.CodeTTL())
		if err != nil {
			return err
		}
		st.remember(v)
		return saveSignIn(ctx, tx, st, signInUpdate(tx, st).SetFirstFactorVerificationID(v.ID))
	})
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
	if st.si.Status != entsignin.StatusNeedsNewPassword || st.user == nil {
		return nil, apierr.Newf(apierr.ClientStateInvalid, "This sign-in does not need a new password now.")
	}
	signOut := in.SignOutOfOtherSessions == nil || *in.SignOutOfOtherSessions
	if err := s.resetPassword(ctx, st, in.Password, signOut); err != nil {
		return nil, err
	}
	return s.view(ctx, st)
}

// resetPassword sets password as the user's, once the sign-in's reset code
// passed, and moves the sign-in on as after any passwordless first factor.
// A password the policy refuses, or a hash pool too busy to hash it, leaves
// the sign-in at needs_new_password, ready to try again.
func (s *Service) resetPassword(ctx context.Context, st *state, password string, signOutOthers bool) error {
	if st.si.FirstFactorVerificationID == nil {
		return apierr.New(apierr.VerificationMissing)
	}
	v, err := s.DB.Ent.Verification.Get(ctx, *st.si.FirstFactorVerificationID)
	if err != nil {
		return err
	}
	if err := s.guardUser(ctx, st, v.Strategy); err != nil {
		return err
	}
	if err := s.checkNewPassword(password); err != nil {
		return err
	}
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return err // too_many_requests from a full hash pool
	}
	now := s.Now()
	return s.commit(ctx, st, func(tx *ent.Tx) (*apierr.Error, error) {
		// Of two requests racing with one sign-in, one sets the password.
		n, err := tx.SignIn.Update().
			Where(entsignin.ID(st.si.ID), entsignin.StatusEQ(entsignin.StatusNeedsNewPassword)).
			SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return nil, err
		}
		if n != 1 {
			return apierr.Newf(apierr.ClientStateInvalid, "This sign-in does not need a new password now."), nil
		}
		if err := tx.User.Update().Where(user.ID(st.user.ID)).SetPasswordHash(hash).SetPasswordUpdatedAt(now).Exec(ctx); err != nil {
			return nil, err
		}
		// CONTRACT §3 rule 4: a new password ends the trust of other clients;
		// this one is trusted (again) when the sign-in completes.
		if _, err := clienttrust.RevokeOthers(ctx, tx, st.user.ID, st.client.ID); err != nil {
			return nil, err
		}
		reason := ""
		if signOutOthers {
			if _, err := session.End(ctx, tx, entsession.StatusRevoked, now, entsession.UserID(st.user.ID)); err != nil {
				return nil, err
			}
			reason = "other_sessions_ended"
		}
		s.record(st, audit.KindPasswordReset, v.Strategy, audit.Success, reason)
		return s.afterFirstFactor(ctx, tx, st, v, false)
	})
}
