package account

import (
	"context"
	"io"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/ent/sessionverification"
	"github.com/trustgate/trustgate/ent/signinevent"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/device"
	"github.com/trustgate/trustgate/internal/gqlenum"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/settings"
	"github.com/trustgate/trustgate/internal/signin"
	"github.com/trustgate/trustgate/internal/verification"
)

// Level is how much a session reverification asks (Clerk's levels).
type Level string

// The levels. LevelSecondFactor, the default, is Clerk's "strict": a user
// with MFA verifies a second factor, any other user a first factor. It is
// what the guarded account mutations ask for (recent).
const (
	LevelFirstFactor  Level = "first_factor"
	LevelSecondFactor Level = "second_factor"
	LevelMultiFactor  Level = "multi_factor"
)

// MarshalGQL writes the level as a GraphQL enum value.
func (l Level) MarshalGQL(w io.Writer) { gqlenum.Marshal(w, string(l)) }

// UnmarshalGQL reads a level.
func (l *Level) UnmarshalGQL(v any) error {
	return gqlenum.Unmarshal((*string)(l), v, "SessionVerificationLevel",
		string(LevelFirstFactor), string(LevelSecondFactor), string(LevelMultiFactor))
}

// SessionVerification is what a frontend sees of a reverification of its
// session (Clerk's SessionVerification).
type SessionVerification struct {
	ID                       string
	Status                   signin.Status // needs_first_factor, needs_second_factor or complete
	Level                    Level
	SupportedFirstFactors    []*signin.Factor
	SupportedSecondFactors   []*signin.Factor
	FirstFactorVerification  *signin.Verification
	SecondFactorVerification *signin.Verification
	ExpireAt                 time.Time
}

// reverification is a session's verification in progress with what its
// steps need: the user, the session and the user's factors.
type reverification struct {
	row           *ent.SessionVerification
	user          *ent.User
	sess          *ent.Session
	first, second []*signin.Factor
}

// status is the step the reverification is at. The second factor is asked
// of users with MFA only; at LevelSecondFactor it then replaces the first.
func (r *reverification) status() signin.Status {
	mfa := len(r.second) > 0
	level := Level(r.row.Level)
	needsFirst := level != LevelSecondFactor || !mfa
	needsSecond := level != LevelFirstFactor && mfa
	switch {
	case needsFirst && r.row.FirstFactorAt == nil:
		return signin.StatusNeedsFirstFactor
	case needsSecond && r.row.SecondFactorAt == nil:
		return signin.StatusNeedsSecondFactor
	}
	return signin.StatusComplete
}

// Step names the step of a reverification a prepare or attempt answers.
type Step bool

// The steps.
const (
	FirstFactor  Step = false
	SecondFactor Step = true
)

func (st Step) status() signin.Status {
	if st == SecondFactor {
		return signin.StatusNeedsSecondFactor
	}
	return signin.StatusNeedsFirstFactor
}

// pending is the condition that step st has not passed.
func (st Step) pending() predicate.SessionVerification {
	if st == SecondFactor {
		return sessionverification.SecondFactorAtIsNil()
	}
	return sessionverification.FirstFactorAtIsNil()
}

// factors are the factors that answer step st.
func (r *reverification) factors(st Step) []*signin.Factor {
	if st == SecondFactor {
		return r.second
	}
	return r.first
}

// StartVerification starts a reverification of the request's session at
// level (LevelSecondFactor when nil), replacing any earlier one; it can be
// completed within ReverifyWithin.
func (s *Service) StartVerification(ctx context.Context, level *Level) (*SessionVerification, error) {
	u, sess, err := s.caller(ctx, s.unlocked)
	if err != nil {
		return nil, err
	}
	lvl := LevelSecondFactor
	if level != nil {
		lvl = *level
	}
	var row *ent.SessionVerification
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		// The last code sent stays with the new verification: its resend
		// cooldown and failure count hold across starts, or starting again
		// would send a fresh code at once with five fresh guesses. It
		// passes only a step that lists its address (AttemptVerification).
		var lastCode *string
		if old, err := tx.SessionVerification.Query().Where(sessionverification.SessionID(sess.ID)).Only(ctx); err == nil {
			lastCode = old.CodeVerificationID
		} else if !ent.IsNotFound(err) {
			return err
		}
		if _, err := tx.SessionVerification.Delete().Where(sessionverification.SessionID(sess.ID)).Exec(ctx); err != nil {
			return err
		}
		row, err = tx.SessionVerification.Create().SetSessionID(sess.ID).SetNillableCodeVerificationID(lastCode).
			SetLevel(sessionverification.Level(lvl)).SetExpireAt(s.Now().Add(ReverifyWithin)).Save(ctx)
		if ent.IsConstraintError(err) { // a concurrent start inserted first
			return apierr.Newf(apierr.ClientStateInvalid, "Another verification of this session started at the same time. Try again.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	r, err := s.factorsOf(ctx, &reverification{row: row, user: u, sess: sess})
	if err != nil {
		return nil, err
	}
	return s.viewOf(ctx, r)
}

// CurrentVerification returns the session's reverification, or nil when
// none was started or it expired.
func (s *Service) CurrentVerification(ctx context.Context) (*SessionVerification, error) {
	r, err := s.reverification(ctx)
	if e, ok := apierr.As(err); ok && (e.Code == apierr.VerificationMissing || e.Code == apierr.VerificationExpired) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.viewOf(ctx, r)
}

// reverification loads the session's open reverification, once each guard
// has let the caller through.
func (s *Service) reverification(ctx context.Context, guards ...guard) (*reverification, error) {
	u, sess, err := s.caller(ctx, guards...)
	if err != nil {
		return nil, err
	}
	row, err := s.DB.Ent.SessionVerification.Query().Where(sessionverification.SessionID(sess.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apierr.Newf(apierr.VerificationMissing, "Start a verification of this session first.")
	}
	if err != nil {
		return nil, err
	}
	if !s.Now().Before(row.ExpireAt) {
		return nil, apierr.Newf(apierr.VerificationExpired, "This verification has expired. Start a new one.")
	}
	return s.factorsOf(ctx, &reverification{row: row, user: u, sess: sess})
}

// factorsOf lists r's user's first and second factors.
func (s *Service) factorsOf(ctx context.Context, r *reverification) (*reverification, error) {
	set := s.settings(ctx)
	var err error
	if r.first, err = signin.AccountFirstFactors(ctx, s.DB.Ent, r.user, set); err != nil {
		return nil, err
	}
	if r.second, err = signin.MFAFactors(ctx, s.DB.Ent, r.user, set); err != nil {
		return nil, err
	}
	if r.second == nil {
		r.second = []*signin.Factor{}
	}
	return r, nil
}

// at checks that r is at step st and that strategy answers it.
func (r *reverification) at(st Step, strategy string) error {
	if got := r.status(); got != st.status() {
		return apierr.Newf(apierr.ClientStateInvalid, "This verification is at %s, not %s.", got, st.status())
	}
	if signin.PickFactor(r.factors(st), signin.PrepareInput{Strategy: strategy}) == nil {
		return apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
	}
	return nil
}

// PrepareVerification sends the code of an email_code or phone_code factor
// of step st (first or second factor) of the session's reverification.
func (s *Service) PrepareVerification(ctx context.Context, st Step, in signin.PrepareInput) (*SessionVerification, error) {
	r, err := s.reverification(ctx, s.unlocked)
	if err != nil {
		return nil, err
	}
	if err := r.at(st, in.Strategy); err != nil {
		return nil, err
	}
	f := signin.PickFactor(r.factors(st), in)
	if f == nil || (f.Strategy != settings.StrategyEmailCode && f.Strategy != settings.StrategyPhoneCode) {
		return nil, apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
	}
	// The address is read again, in case it changed since it was listed.
	target, err := signin.FactorTarget(ctx, s.DB.Ent, r.user.ID, f)
	if apierr.Is(err, apierr.FactorNotFound) {
		return nil, apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
	}
	if err != nil {
		return nil, err
	}
	var existing *ent.Verification
	if r.row.CodeVerificationID != nil {
		existing, _ = s.DB.Ent.Verification.Get(ctx, *r.row.CodeVerificationID)
	}
	// Each send spends the address's budget, shared with sign-in and
	// sign-up: the cooldown holds per code, and this bounds the messages
	// one address gets from however many starts, sessions and IPs. A send
	// the cooldown refuses spends none.
	set := s.settings(ctx)
	if err := s.Codes.Cooldown(existing, target); err != nil {
		return nil, err
	}
	if s.Limiter != nil {
		if err := s.Limiter.AllowIdentifier(ctx, set, audit.SignInEvent{ApplicationID: r.user.ApplicationID,
			UserID: r.user.ID, ClientID: r.sess.ClientID, Identifier: target.Value, Strategy: f.Strategy}); err != nil {
			return nil, err
		}
	}
	rq := request.From(ctx)
	app, _ := rq.Application()
	var kind string
	v, err := s.Codes.Deliver(ctx, s.DB, s.Sender, verification.Delivery{
		Existing: existing, Target: target, TTL: set.CodeTTL(),
		Attach: func(tx *ent.Tx, v *ent.Verification) error {
			// Only while the step is still to pass: a code attached after a
			// concurrent attempt passed it would stand for the next step.
			// And only while it holds the code read: of two prepares that
			// read it at once, the second is undone, its code unsent.
			live := []predicate.SessionVerification{sessionverification.ID(r.row.ID), sessionverification.ExpireAtGT(s.Now()), st.pending()}
			n, err := tx.SessionVerification.Update().
				Where(append(live, verification.Unchanged(r.row.CodeVerificationID,
					sessionverification.CodeVerificationIDEQ, sessionverification.CodeVerificationIDIsNil))...).
				SetCodeVerificationID(v.ID).Save(ctx)
			if err != nil || n == 1 {
				return err
			}
			if n, err = tx.SessionVerification.Query().Where(live...).Count(ctx); err == nil && n == 1 {
				// Another prepare sent a code meanwhile: that one stands.
				return apierr.New(apierr.VerificationCodeTooManyRequests).WithMeta("retryAfterSeconds", int(verification.ResendCooldown.Seconds()))
			}
			if err == nil { // replaced by a new start, or the step passed, meanwhile
				err = apierr.Newf(apierr.ClientStateInvalid, "This verification changed meanwhile. Start a new one.")
			}
			return err
		},
		Message: func(code string) (delivery.Message, error) {
			msg, err := delivery.RenderCode(f.Strategy == settings.StrategyEmailCode, delivery.CodeEmail{
				ApplicationID: r.user.ApplicationID, AppName: appName(app), To: target.Value, Code: code, TTL: set.CodeTTL(),
				Purpose: delivery.PurposeVerification, Device: device.Describe(rq.UserAgent), IP: rq.IP, At: s.Now(),
			})
			kind = msg.Kind
			return msg, err
		},
		Sent: func(ctx context.Context, tx *ent.Tx) error {
			return s.record(ctx, tx, r, audit.KindCodeSent, f.Strategy, audit.Info, "reverification:"+kind)
		},
		Failed: func(ctx context.Context, tx *ent.Tx) error {
			return s.record(ctx, tx, r, audit.KindCodeDeliveryFailed, f.Strategy, audit.Failure, "reverification:delivery_failed")
		},
		Log: s.Log.With("session_verification_id", r.row.ID),
	})
	if err != nil {
		return nil, err
	}
	r.row.CodeVerificationID = &v.ID // as Attach stored it
	return s.viewOf(ctx, r)
}

// AttemptVerification checks a factor of step st of the session's
// reverification: password, email_code or phone_code for the first Step;
// totp, phone_code or backup_code for the second. A failure counts toward
// the user's lockout, as at sign-in; a pass stamps the reverification and
// the session. It does not reset the lockout count: only a sign-in that
// completes does, or a pass of one factor would buy fresh guesses at
// another.
func (s *Service) AttemptVerification(ctx context.Context, st Step, in signin.AttemptInput) (*SessionVerification, error) {
	r, err := s.reverification(ctx, s.unlocked)
	if err != nil {
		return nil, err
	}
	if err := r.at(st, in.Strategy); err != nil {
		return nil, err
	}
	answer := in.Code
	param := "code"
	if in.Strategy == settings.StrategyPassword {
		answer, param = in.Password, "password"
	}
	if answer == nil || *answer == "" {
		return nil, apierr.New(apierr.FormParamMissing).WithParam(param)
	}
	now := s.Now()
	// check runs in the transaction that stamps a pass: it claims the
	// factor (a code, a TOTP step, a backup code) or returns the failure
	// to count.
	var check func(tx *ent.Tx) (*failure, *apierr.Error, error)
	switch in.Strategy {
	case settings.StrategyPassword:
		ok, _, err := s.Hasher.Verify(ctx, *r.user.PasswordHash, *answer)
		if err != nil {
			return nil, err
		}
		check = func(*ent.Tx) (*failure, *apierr.Error, error) {
			if !ok {
				return &failedPassword, apierr.New(apierr.FormPasswordIncorrect).WithParam("password"), nil
			}
			return nil, nil, nil
		}
	case settings.StrategyEmailCode, settings.StrategyPhoneCode:
		if r.row.CodeVerificationID == nil {
			return nil, apierr.Newf(apierr.VerificationMissing, "Send a code first.").WithParam("strategy")
		}
		v, err := verification.Load(ctx, s.DB.Ent, *r.row.CodeVerificationID)
		if err != nil {
			return nil, err
		}
		// The code must have gone to an address this step lists: one sent
		// for the other step (a first factor's number is not a second
		// factor) or before the factors changed proves nothing here.
		if v.Strategy != in.Strategy || !signin.ListsTarget(r.factors(st), v) {
			return nil, apierr.Newf(apierr.VerificationMissing, "Send a code for this step first.").WithParam("strategy")
		}
		check = func(tx *ent.Tx) (*failure, *apierr.Error, error) {
			if _, err := s.Codes.Check(ctx, tx, v, *answer); err != nil {
				e, ok := apierr.As(err)
				if !ok {
					return nil, nil, err
				}
				if verification.CountsTowardLockout(e) {
					return &failure{audit.KindCodeFailed, in.Strategy}, e, nil
				}
				return nil, e, nil
			}
			return nil, nil, nil
		}
	case settings.StrategyTOTP:
		totp, err := signin.CheckTOTP(ctx, s.DB.Ent, s.Keys, r.user.ID, *answer, now)
		if err != nil {
			return nil, err
		}
		check = func(tx *ent.Tx) (*failure, *apierr.Error, error) {
			ok, err := totp.Claim(ctx, tx)
			if err != nil || ok {
				return nil, nil, err
			}
			if gone, err := totp.Gone(ctx, tx); err != nil {
				return nil, nil, err
			} else if gone { // removed since the check: no factor of the user's, and no failure
				return nil, apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy"), nil
			}
			return &failedTOTP, apierr.New(apierr.FormCodeIncorrect).WithParam("code"), nil
		}
	case settings.StrategyBackupCode:
		check = func(tx *ent.Tx) (*failure, *apierr.Error, error) {
			ok, err := signin.UseBackupCode(ctx, tx, s.Keys, r.user.ID, *answer, now)
			if err != nil || ok {
				return nil, nil, err
			}
			if left, err := signin.BackupCodesLeft(ctx, tx, r.user.ID); err != nil {
				return nil, nil, err
			} else if !left { // removed since the check, as a TOTP's above
				return nil, apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy"), nil
			}
			return &failedBackupCode, apierr.New(apierr.FormCodeIncorrect).WithParam("code"), nil
		}
	default:
		return nil, apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
	}
	var clientErr *apierr.Error
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		f, shown, err := check(tx)
		switch {
		case err != nil:
			return err
		case f != nil:
			clientErr, err = s.failIn(ctx, tx, r.user, r.sess, *f, shown)
			return err
		case shown != nil: // expired, failed or already used: nothing to count
			clientErr = shown
			return nil
		}
		return s.pass(ctx, tx, r, st, in.Strategy, now)
	})
	if err != nil {
		return nil, err
	}
	if clientErr != nil {
		return nil, clientErr
	}
	return s.viewOf(ctx, r)
}

// pass stamps step st of r as passed with strategy, on the reverification
// and on the session (whose factor times the guarded mutations and the
// token's fva claim read), and records it in the sign-in history. A lock
// or ban that committed while the factor was checked stands: the pass is
// refused and the claimed factor stays unspent.
func (s *Service) pass(ctx context.Context, tx *ent.Tx, r *reverification, st Step, strategy string, now time.Time) error {
	if err := updateUnrefused(ctx, tx.User.Update(), tx, r.user.ID, now); err != nil {
		return err
	}
	upd := tx.SessionVerification.Update().Where(sessionverification.ID(r.row.ID), sessionverification.ExpireAtGT(now), st.pending()).
		ClearCodeVerificationID()
	sess := tx.Session.UpdateOneID(r.sess.ID)
	if st == SecondFactor {
		upd.SetSecondFactorAt(now).SetSecondFactorStrategy(strategy)
		sess.SetSecondFactorAt(now)
		r.row.SecondFactorAt, r.row.SecondFactorStrategy = &now, &strategy
	} else {
		upd.SetFirstFactorAt(now).SetFirstFactorStrategy(strategy)
		sess.SetFirstFactorAt(now)
		r.row.FirstFactorAt, r.row.FirstFactorStrategy = &now, &strategy
	}
	n, err := upd.Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 { // replaced, expired, or this step passed in a concurrent attempt
		return apierr.Newf(apierr.ClientStateInvalid, "This verification changed meanwhile. Start a new one.")
	}
	if spent := r.row.CodeVerificationID; spent != nil {
		// The code is spent (or, passed another way, moot): nothing points to
		// it any more, and it holds an address.
		if err := tx.Verification.DeleteOneID(*spent).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			return err
		}
	}
	r.row.CodeVerificationID = nil
	if err := sess.Exec(ctx); err != nil {
		return err
	}
	// A re-authentication: the device that made it gets a new client token.
	if err := device.RotatePresented(ctx, tx, r.sess.ClientID, now); err != nil {
		return err
	}
	return s.record(ctx, tx, r, passedKind[strategy], strategy, audit.Success, "reverification")
}

// passedKind is the sign-in event kind of a factor that passed.
var passedKind = map[string]string{
	settings.StrategyPassword:   audit.KindPasswordPassed,
	settings.StrategyEmailCode:  audit.KindCodePassed,
	settings.StrategyPhoneCode:  audit.KindCodePassed,
	settings.StrategyTOTP:       audit.KindTOTPPassed,
	settings.StrategyBackupCode: audit.KindBackupCodeUsed,
}

// record writes a sign-in event of r's user and session's client.
func (s *Service) record(ctx context.Context, tx *ent.Tx, r *reverification, kind, strategy string, outcome signinevent.Outcome, reason string) error {
	if s.Events == nil {
		return nil
	}
	return s.Events.Record(ctx, tx, audit.SignInEvent{ApplicationID: r.user.ApplicationID, UserID: r.user.ID,
		ClientID: r.sess.ClientID, Kind: kind, Strategy: strategy, Outcome: outcome, Reason: reason})
}

// viewOf is what the frontend sees of r: each passed step as a verified
// verification, and the code of the step in progress, if one was sent.
func (s *Service) viewOf(ctx context.Context, r *reverification) (*SessionVerification, error) {
	out := &SessionVerification{
		ID: r.row.ID, Status: r.status(), Level: Level(r.row.Level), ExpireAt: r.row.ExpireAt,
		SupportedFirstFactors: r.first, SupportedSecondFactors: r.second,
	}
	passed := func(strategy *string, at *time.Time) *signin.Verification {
		if at == nil {
			return nil
		}
		return &signin.Verification{Status: signin.VerificationVerified, Strategy: strategy}
	}
	out.FirstFactorVerification = passed(r.row.FirstFactorStrategy, r.row.FirstFactorAt)
	out.SecondFactorVerification = passed(r.row.SecondFactorStrategy, r.row.SecondFactorAt)
	if r.row.CodeVerificationID != nil && out.Status != signin.StatusComplete {
		v, err := s.DB.Ent.Verification.Get(ctx, *r.row.CodeVerificationID)
		if err != nil && !ent.IsNotFound(err) {
			return nil, err
		}
		if v != nil {
			if out.Status == signin.StatusNeedsSecondFactor {
				out.SecondFactorVerification = signin.VerificationOf(v, s.Now())
			} else {
				out.FirstFactorVerification = signin.VerificationOf(v, s.Now())
			}
		}
	}
	return out, nil
}
