// Package signup runs sign-ups: collect identifiers and a password, verify the
// email address (and phone number) with a one-time code, then create the user
// and a session on the client, which becomes trusted for the new user.
package signup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/phonenumber"
	entsignup "github.com/trustgate/trustgate/ent/signup"
	"github.com/trustgate/trustgate/ent/user"
	entverification "github.com/trustgate/trustgate/ent/verification"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/clienttrust"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/device"
	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/gqlenum"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/ratelimit"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/session"
	"github.com/trustgate/trustgate/internal/settings"
	"github.com/trustgate/trustgate/internal/users"
	"github.com/trustgate/trustgate/internal/verification"
)

// Status is a sign-up status (Clerk's wire strings).
type Status string

// The sign-up statuses.
const (
	StatusMissingRequirements Status = "missing_requirements"
	StatusComplete            Status = "complete"
	StatusAbandoned           Status = "abandoned"
)

// MarshalGQL writes the status as a GraphQL enum value.
func (s Status) MarshalGQL(w io.Writer) { gqlenum.Marshal(w, string(s)) }

// UnmarshalGQL reads a status.
func (s *Status) UnmarshalGQL(v any) error { return gqlenum.Unmarshal((*string)(s), v, "SignUpStatus") }

// SignUp is what a frontend sees of a sign-up.
type SignUp struct {
	ID               string
	Status           Status
	EmailAddress     *string
	PhoneNumber      *string
	Username         *string
	UnverifiedFields []string
	CreatedUserID    *string
	CreatedSessionID *string
}

// CreateInput starts a sign-up.
type CreateInput struct {
	EmailAddress *string
	PhoneNumber  *string
	Username     *string
	Password     *string
}

// PasswordChecker rejects passwords that break the policy (length, common passwords).
type PasswordChecker func(password string) error

// Service runs sign-ups.
type Service struct {
	DB     *database.DB
	Hasher *factor.Hasher
	Codes  *verification.Codes
	Sender delivery.Sender
	Events *audit.Recorder
	// Limiter spends the per-identifier budget of signUpCreate (nil: none).
	Limiter       *ratelimit.Limiter
	CheckPassword PasswordChecker
	// Floor is how long, with enumeration protection, a verification
	// prepare takes at the least (nil: no floor).
	Floor *verification.SendFloor
	Now   func() time.Time
	Log   *slog.Logger
}

// Create validates the input, hashes the password and starts a sign-up.
func (s *Service) Create(ctx context.Context, in CreateInput) (*SignUp, error) {
	rq := request.From(ctx)
	app, err := rq.Application()
	if err != nil {
		return nil, err
	}
	client, err := rq.Client(ctx)
	if err != nil {
		return nil, err
	}
	if app.Dashboard {
		// Operators are created with `trustgate operators create`, never by sign-up.
		return nil, apierr.Newf(apierr.ResourceForbidden, "Sign-up is not available for the dashboard. Ask an owner to create your operator account.")
	}
	set := &rq.Settings
	if set.SingleSessionMode {
		if err := session.ErrIfSignedIn(ctx, s.DB.Ent, client.ID, s.Now()); err != nil {
			return nil, err
		}
	}
	// Every field at fault is answered at once, as Clerk answers a form:
	// the format of each identifier, the required ones, the password's
	// rules. The password is checked here, before anything is spent: a weak
	// password costs no identifier budget and says nothing about whether
	// the identifier is taken.
	n, problems := Identifiers(app.ID, set, in.EmailAddress, in.PhoneNumber, in.Username)
	if set.PasswordEnabled {
		if in.Password == nil || *in.Password == "" {
			problems = append(problems, apierr.Missing("password"))
		} else if err := s.CheckPassword(*in.Password); err != nil {
			e, ok := apierr.As(err)
			if !ok {
				return nil, err
			}
			problems = append(problems, e)
		}
	} else if in.Password != nil && *in.Password != "" {
		// Refused, as a disabled identifier is, rather than dropped: the
		// user would believe the account has it (createUser refuses it too).
		problems = append(problems, apierr.Invalid("password", "passwords are not enabled for this application"))
	}
	if err := apierr.Join(problems...); err != nil {
		return nil, err
	}
	// The identifier's budget is spent before the clash check, so it also
	// bounds how often one address can be probed through sign-up.
	if err := s.spendIdentifierBudget(ctx, client.ID, set, n); err != nil {
		return nil, err
	}
	if err := s.checkClashes(ctx, app.ID, n, set.EnumerationProtection); err != nil {
		return nil, err
	}
	var hash *string
	if set.PasswordEnabled {
		h, err := s.Hasher.Hash(ctx, *in.Password)
		if err != nil {
			return nil, fmt.Errorf("signup: hashing password: %w", err)
		}
		hash = &h
	}
	var su *ent.SignUp
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		su, err = tx.SignUp.Create().
			SetApplicationID(app.ID).SetClientID(client.ID).
			SetNillableEmailAddress(n.EmailAddress).SetNillablePhoneNumber(n.PhoneNumber).SetNillableUsername(n.Username).
			SetNillablePasswordHash(hash).
			SetExpireAt(s.Now().Add(set.SignInLifetime())).
			SetIPAddress(rq.IP).SetUserAgent(rq.UserAgent).
			Save(ctx)
		if err != nil {
			return err
		}
		if err := tx.Device.UpdateOneID(client.ID).SetSignUpID(su.ID).Exec(ctx); err != nil {
			return err
		}
		if n.EmailAddress == nil && n.PhoneNumber == nil {
			// A username and a password (an application without email or
			// phone): nothing to verify, so the sign-up completes now.
			done, err := s.finish(ctx, tx, su, app, settings.StrategyPassword)
			if err != nil {
				return err
			}
			su = done
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, su)
}

// Identifiers normalises the identifiers of a new user of the application
// appID, whose settings are set, and checks them against those settings: an
// identifier given must be enabled and well formed, and the ones the
// application requires must be given (an email address where email is on,
// or a phone number in its stead where phone is on too; a phone number
// where only phone is; a username where neither is). It lists every field
// at fault; an identifier at fault is left out of n. Sign-up and the admin
// API's createUser check here alike.
func Identifiers(appID string, set *settings.Settings, emailAddress, phoneNumber, username *string) (users.New, []*apierr.Error) {
	in := CreateInput{EmailAddress: emailAddress, PhoneNumber: phoneNumber, Username: username}
	n := users.New{ApplicationID: appID}
	var problems []*apierr.Error
	for _, f := range []struct {
		param     string
		value     *string
		enabled   bool
		kind      string
		normalize func(string) (string, error)
		format    string
		to        **string
	}{
		{"emailAddress", in.EmailAddress, set.EmailEnabled, "email addresses", identifier.NormalizeEmail,
			"not a valid email address", &n.EmailAddress},
		{"phoneNumber", in.PhoneNumber, set.PhoneEnabled, "phone numbers", identifier.NormalizePhone,
			"not a valid phone number in international format (+15551234567)", &n.PhoneNumber},
		{"username", in.Username, set.UsernameEnabled, "usernames", identifier.NormalizeUsername,
			"3 to 64 letters, digits, '.', '_' or '-'", &n.Username},
	} {
		switch {
		case f.value == nil || *f.value == "":
		case !f.enabled:
			problems = append(problems, apierr.Invalid(f.param, f.kind+" are not enabled for this application"))
		default:
			v, err := f.normalize(*f.value)
			if err != nil {
				problems = append(problems, apierr.Invalid(f.param, f.format))
				continue
			}
			*f.to = &v
		}
	}
	given := func(v *string) bool { return v != nil && *v != "" }
	switch {
	case set.EmailEnabled && !given(in.EmailAddress) && (!set.PhoneEnabled || !given(in.PhoneNumber)):
		problems = append(problems, apierr.Missing("emailAddress"))
	case !set.EmailEnabled && set.PhoneEnabled && !given(in.PhoneNumber):
		problems = append(problems, apierr.Missing("phoneNumber"))
	case !set.EmailEnabled && !set.PhoneEnabled && !given(in.Username):
		problems = append(problems, apierr.Missing("username"))
	}
	return n, problems
}

// spendIdentifierBudget counts a sign-up against the per-identifier budget
// that signInCreate spends too, once for each identifier given (email, phone,
// username), so that no identifier can be probed through sign-up's clash
// check more often than through sign-in.
func (s *Service) spendIdentifierBudget(ctx context.Context, clientID string, set *settings.Settings, n users.New) error {
	if s.Limiter == nil {
		return nil
	}
	for _, ident := range []*string{n.EmailAddress, n.PhoneNumber, n.Username} {
		if ident == nil {
			continue
		}
		e := audit.SignInEvent{ApplicationID: n.ApplicationID, ClientID: clientID, Identifier: *ident}
		if err := s.Limiter.AllowIdentifier(ctx, set, e); err != nil {
			return err
		}
	}
	return nil
}

// checkClashes answers form_identifier_exists early for taken identifiers;
// the unique indexes remain the final word when the user is created. Under
// enumeration protection (hideContacts) a taken email address or phone
// number is not told apart here: the sign-up goes on, and its verification
// sends the address's owner a notice instead of a code (PrepareVerification),
// so only the owner learns that the address has an account. A username,
// which users choose and see, is still refused at once.
func (s *Service) checkClashes(ctx context.Context, appID string, n users.New, hideContacts bool) error {
	var clashes []*apierr.Error
	for _, f := range []struct {
		field field
		value *string
	}{{fieldEmail, n.EmailAddress}, {fieldPhone, n.PhoneNumber}, {fieldUsername, n.Username}} {
		if f.value == nil || (hideContacts && f.field != fieldUsername) {
			continue
		}
		ok, err := s.taken(ctx, appID, f.field, *f.value)
		if err != nil {
			return err
		}
		if ok {
			clashes = append(clashes, apierr.New(apierr.FormIdentifierExists).WithParam(f.field.param()))
		}
	}
	return apierr.Join(clashes...)
}

// field is one of a sign-up's identifiers.
type field int

const (
	fieldEmail field = iota
	fieldPhone
	fieldUsername
)

// param is the field's input name, as errors name it.
func (f field) param() string {
	return [...]string{"emailAddress", "phoneNumber", "username"}[f]
}

// taken reports whether an identifier of the application belongs to a user:
// a verified email address or phone number, or a username.
func (s *Service) taken(ctx context.Context, appID string, f field, value string) (bool, error) {
	switch f {
	case fieldEmail:
		// As a phone number: an address nobody verified (added from an
		// account, or by an admin unverified) does not hold it against a
		// sign-up, which proves it by code (users.ReleaseEmail).
		return s.DB.Ent.EmailAddress.Query().Where(emailaddress.ApplicationID(appID), emailaddress.EmailAddress(value), emailaddress.Verified(true)).Exist(ctx)
	case fieldPhone:
		// A number nobody verified does not hold it against a sign-up,
		// which proves it by code (users.ReleasePhone).
		return s.DB.Ent.PhoneNumber.Query().Where(phonenumber.ApplicationID(appID), phonenumber.PhoneNumber(value), phonenumber.Verified(true)).Exist(ctx)
	case fieldUsername:
		return s.DB.Ent.User.Query().Where(user.ApplicationID(appID), user.Username(value)).Exist(ctx)
	}
	return false, fmt.Errorf("signup: unknown field %d", f)
}

// load fetches a sign-up of the request's client that is still in progress.
func (s *Service) load(ctx context.Context, id string) (*ent.SignUp, *ent.Application, error) {
	rq := request.From(ctx)
	app, err := rq.Application()
	if err != nil {
		return nil, nil, err
	}
	client, err := rq.Client(ctx)
	if err != nil {
		return nil, nil, err
	}
	su, err := s.DB.Ent.SignUp.Get(ctx, id)
	if ent.IsNotFound(err) || (err == nil && (su.ClientID != client.ID || su.ApplicationID != app.ID)) {
		return nil, nil, apierr.Newf(apierr.ResourceNotFound, "No sign-up was found with id %s on this client.", id).WithParam("id")
	}
	if err != nil {
		return nil, nil, err
	}
	if su.Status == entsignup.StatusComplete {
		return nil, nil, apierr.Newf(apierr.ResourceForbidden, "This sign-up is already complete.")
	}
	if su.Status == entsignup.StatusAbandoned || !s.Now().Before(su.ExpireAt) {
		if su.Status != entsignup.StatusAbandoned {
			// Only while still in progress: a right code may have completed
			// it since the read above (at the edge of its lifetime), and a
			// completed sign-up stays so.
			_ = s.DB.Tx(ctx, func(tx *ent.Tx) error {
				return tx.SignUp.Update().Where(entsignup.ID(su.ID), entsignup.StatusEQ(entsignup.StatusMissingRequirements)).
					SetStatus(entsignup.StatusAbandoned).Exec(ctx)
			})
		}
		return nil, nil, apierr.New(apierr.SignUpExpired)
	}
	return su, app, nil
}

// strategyTarget returns the field a strategy verifies, its pending value
// and its verification id.
func strategyTarget(su *ent.SignUp, strategy string) (f field, value, verificationID *string, err error) {
	switch strategy {
	case settings.StrategyEmailCode:
		if su.EmailAddress == nil {
			return 0, nil, nil, apierr.Invalid("strategy", "this sign-up has no email address")
		}
		return fieldEmail, su.EmailAddress, su.EmailVerificationID, nil
	case settings.StrategyPhoneCode:
		if su.PhoneNumber == nil {
			return 0, nil, nil, apierr.Invalid("strategy", "this sign-up has no phone number")
		}
		return fieldPhone, su.PhoneNumber, su.PhoneVerificationID, nil
	}
	return 0, nil, nil, apierr.Invalid("strategy", fmt.Sprintf("unknown verification strategy %q (email_code or phone_code)", strategy))
}

// PrepareVerification sends a code to the sign-up's email address or phone
// number, or, under enumeration protection, the notice that it already has
// an account.
func (s *Service) PrepareVerification(ctx context.Context, id, strategy string) (*SignUp, error) {
	rq := request.From(ctx)
	set := &rq.Settings
	if set.EnumerationProtection {
		defer s.Floor.Pad(ctx, s.Now())
	}
	su, app, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	f, value, vid, err := strategyTarget(su, strategy)
	if err != nil {
		return nil, err
	}
	var existing *ent.Verification
	if vid != nil {
		existing, _ = s.DB.Ent.Verification.Get(ctx, *vid)
	}
	if existing != nil && existing.Status == entverification.StatusVerified {
		// A new code would reopen a field the user has proved.
		return nil, apierr.New(apierr.VerificationAlreadyVerified).WithParam("strategy")
	}
	// Under enumeration protection an address that has an account gets a
	// notice where its code would go, and a verification no code passes.
	// The answers, the statements run and the time taken (the floor) are
	// alike either way; only the address's owner, and the mail server or
	// SMS gateway, see which message went out.
	email := f == fieldEmail
	taken := false
	if set.EnumerationProtection {
		if taken, err = s.taken(ctx, app.ID, f, *value); err != nil {
			return nil, err
		}
	}
	_, err = s.Codes.Deliver(ctx, s.DB, s.Sender, verification.Delivery{
		Existing: existing, TTL: set.CodeTTL(), Target: verification.Target{Strategy: strategy, Value: *value}, Decoy: taken,
		Attach: func(tx *ent.Tx, v *ent.Verification) error {
			// Only while the sign-up holds the verification read: of two
			// prepares racing, the second is undone, its code unsent.
			upd := tx.SignUp.UpdateOneID(su.ID)
			if email {
				upd.Where(verification.Unchanged(vid, entsignup.EmailVerificationID, entsignup.EmailVerificationIDIsNil)).SetEmailVerificationID(v.ID)
			} else {
				upd.Where(verification.Unchanged(vid, entsignup.PhoneVerificationID, entsignup.PhoneVerificationIDIsNil)).SetPhoneVerificationID(v.ID)
			}
			saved, err := upd.Save(ctx)
			if ent.IsNotFound(err) {
				return apierr.Raced("sign-up")
			}
			if err == nil {
				su = saved
			}
			return err
		},
		Message: func(code string) (delivery.Message, error) {
			switch {
			case taken && email:
				return delivery.RenderAccountExistsEmail(s.accountExists(rq, app, *value))
			case taken:
				return delivery.RenderAccountExistsSMS(s.accountExists(rq, app, *value))
			}
			return delivery.RenderCode(email, delivery.CodeEmail{ApplicationID: app.ID, AppName: app.Name, To: *value, Code: code, TTL: set.CodeTTL(), Purpose: delivery.PurposeVerification})
		},
		Log: s.Log.With("sign_up_id", su.ID),
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, su)
}

// accountExists is the notice for the owner of a taken address.
func (s *Service) accountExists(rq *request.Info, app *ent.Application, to string) delivery.AccountExists {
	return delivery.AccountExists{ApplicationID: app.ID, AppName: app.Name, To: to,
		Device: device.Describe(rq.UserAgent), IP: rq.IP, At: s.Now()}
}

// AttemptVerification checks a code; once every field is verified it creates
// the user and a session, and trusts the client for the new user.
func (s *Service) AttemptVerification(ctx context.Context, id, strategy, code string) (*SignUp, error) {
	su, app, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if code == "" {
		// A field left blank, not a wrong code: no attempt is spent.
		return nil, apierr.Missing("code")
	}
	_, _, vid, err := strategyTarget(su, strategy)
	if err != nil {
		return nil, err
	}
	if vid == nil {
		return nil, apierr.New(apierr.VerificationMissing)
	}
	v, err := verification.Load(ctx, s.DB.Ent, *vid)
	if err != nil {
		return nil, err
	}
	var clientErr error
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		// Attempts on one sign-up run one after the other: of an email and
		// a phone code entered at once, the second must see the first
		// verified, or neither finishes the sign-up (PostgreSQL's read
		// committed; SQLite's writers are serial already).
		q := tx.SignUp.Query().Where(entsignup.ID(su.ID))
		if s.DB.IsPostgres() {
			q.ForUpdate()
		}
		var err error
		if su, err = q.Only(ctx); err != nil {
			return err
		}
		if _, err := s.Codes.Check(ctx, tx, v, code); err != nil {
			if _, ok := apierr.As(err); ok {
				clientErr = err // commit the counted attempt, then report it
				return nil
			}
			return err
		}
		missing, err := unverified(ctx, tx.Client(), su)
		if err != nil || len(missing) > 0 {
			return err
		}
		done, err := s.finish(ctx, tx, su, app, strategy)
		if err != nil {
			return err // a PostgreSQL retry runs again from the su read above
		}
		su = done
		return nil
	})
	if err != nil {
		return nil, err
	}
	if clientErr != nil {
		return nil, clientErr
	}
	return s.view(ctx, su)
}

// finish creates the user of a sign-up with nothing left to verify, a
// session on its client and the client's trust for the user, and marks the
// sign-up complete, inside tx.
func (s *Service) finish(ctx context.Context, tx *ent.Tx, su *ent.SignUp, app *ent.Application, strategy string) (*ent.SignUp, error) {
	rq := request.From(ctx)
	now := s.Now()
	if rq.Settings.SingleSessionMode {
		// signUpCreate checked it, but a sign-in on the client may have
		// signed it in since: the step is undone, as signUpCreate refuses.
		if err := session.ErrIfSignedInTx(ctx, tx, su.ClientID, now, s.DB.IsPostgres()); err != nil {
			return nil, err
		}
	}
	u, err := users.Create(ctx, tx, now, users.New{
		ApplicationID: app.ID, EmailAddress: su.EmailAddress, EmailVerified: su.EmailAddress != nil,
		PhoneNumber: su.PhoneNumber, PhoneVerified: su.PhoneNumber != nil, Username: su.Username, PasswordHash: su.PasswordHash,
	})
	if err != nil {
		return nil, err
	}
	sess, err := session.Create(ctx, tx, now, session.NewParams{
		ApplicationID: app.ID, UserID: u.ID, ClientID: su.ClientID, Lifetime: rq.Settings.SessionLifetime(), InactivityTimeout: rq.Settings.SessionInactivityTimeout(),
		IP: rq.IP, UserAgent: rq.UserAgent,
	})
	if err != nil {
		return nil, err
	}
	if err := clienttrust.Grant(ctx, tx, u.ID, su.ClientID, "sign_up", rq.IP, rq.UserAgent, now); err != nil {
		return nil, err
	}
	client, err := rq.Client(ctx) // the sign-up's: load checked it
	if err != nil {
		return nil, err
	}
	if err := device.Rotate(ctx, tx, client, now, false); err != nil {
		return nil, err
	}
	if err := tx.User.UpdateOneID(u.ID).SetLastSignInAt(now).SetLastActiveAt(now).Exec(ctx); err != nil {
		return nil, err
	}
	su, err = tx.SignUp.UpdateOneID(su.ID).SetStatus(entsignup.StatusComplete).
		SetCreatedUserID(u.ID).SetCreatedSessionID(sess.ID).ClearPasswordHash().Save(ctx)
	if err != nil {
		return nil, err
	}
	ident := ""
	switch {
	case su.EmailAddress != nil:
		ident = *su.EmailAddress
	case su.PhoneNumber != nil:
		ident = *su.PhoneNumber
	case su.Username != nil:
		ident = *su.Username
	}
	return su, s.Events.Record(ctx, tx, audit.SignInEvent{
		ApplicationID: app.ID, UserID: u.ID, ClientID: su.ClientID, Identifier: ident,
		Kind: audit.KindSignUpCompleted, Strategy: strategy, Outcome: audit.Success,
	})
}

// unverified lists the sign-up's fields still waiting for a code.
func unverified(ctx context.Context, c *ent.Client, su *ent.SignUp) ([]string, error) {
	out := []string{}
	check := func(value, vid *string, field string) error {
		if value == nil {
			return nil
		}
		if vid == nil {
			out = append(out, field)
			return nil
		}
		v, err := c.Verification.Get(ctx, *vid)
		if ent.IsNotFound(err) {
			// A code the retention pass deleted was never verified.
			out = append(out, field)
			return nil
		}
		if err != nil {
			return err
		}
		if v.Status != "verified" {
			out = append(out, field)
		}
		return nil
	}
	if err := check(su.EmailAddress, su.EmailVerificationID, "email_address"); err != nil {
		return nil, err
	}
	if err := check(su.PhoneNumber, su.PhoneVerificationID, "phone_number"); err != nil {
		return nil, err
	}
	return out, nil
}

// Current returns the client's sign-up in progress, or nil.
func (s *Service) Current(ctx context.Context, client *ent.Device) (*SignUp, error) {
	if client.SignUpID == nil {
		return nil, nil
	}
	su, err := s.DB.Ent.SignUp.Get(ctx, *client.SignUpID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if su.Status == entsignup.StatusMissingRequirements && !s.Now().Before(su.ExpireAt) {
		// Expired: every step answers sign_up_expired and marks it
		// abandoned (load); it reads so before a step touches it too.
		c := *su
		c.Status = entsignup.StatusAbandoned
		su = &c
	}
	return s.view(ctx, su)
}

func (s *Service) view(ctx context.Context, su *ent.SignUp) (*SignUp, error) {
	missing, err := unverified(ctx, s.DB.Ent, su)
	if err != nil {
		return nil, err
	}
	out := &SignUp{
		ID: su.ID, Status: Status(su.Status), EmailAddress: su.EmailAddress, PhoneNumber: su.PhoneNumber,
		Username: su.Username, UnverifiedFields: missing, CreatedUserID: su.CreatedUserID, CreatedSessionID: su.CreatedSessionID,
	}
	if out.Status == StatusComplete {
		out.UnverifiedFields = []string{}
	}
	return out, nil
}
