package signin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/backupcode"
	"github.com/trustgate/trustgate/ent/device"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/phonenumber"
	"github.com/trustgate/trustgate/ent/predicate"
	entsignin "github.com/trustgate/trustgate/ent/signin"
	"github.com/trustgate/trustgate/ent/signinevent"
	"github.com/trustgate/trustgate/ent/totp"
	"github.com/trustgate/trustgate/ent/user"
	entverification "github.com/trustgate/trustgate/ent/verification"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/clienttrust"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/delivery"
	clients "github.com/trustgate/trustgate/internal/device"
	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/lockout"
	"github.com/trustgate/trustgate/internal/notice"
	"github.com/trustgate/trustgate/internal/ratelimit"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/session"
	"github.com/trustgate/trustgate/internal/settings"
	"github.com/trustgate/trustgate/internal/verification"
)

// Service runs sign-ins.
type Service struct {
	DB     *database.DB
	Hasher *factor.Hasher
	Keys   *keyring.Keyring
	Codes  *verification.Codes
	Sender delivery.Sender
	Events *audit.Recorder
	// Limiter spends the per-identifier budget of signInCreate (nil: none).
	Limiter *ratelimit.Limiter
	// Notices sends the new-device and security notices.
	Notices *notice.Notifier
	// CheckPassword applies the password policy to a new password (reset).
	CheckPassword func(string) error
	// Floor is how long, with enumeration protection, a code prepare
	// takes at the least (nil: no floor).
	Floor *verification.SendFloor
	Now   func() time.Time
	Log   *slog.Logger
}

// CreateInput starts a sign-in (Clerk's signIn.create / signIn.password).
type CreateInput struct {
	Identifier *string
	Password   *string
	Strategy   *string
}

// PrepareInput asks for a code to be sent.
type PrepareInput struct {
	Strategy       string
	EmailAddressID *string
	PhoneNumberID  *string
}

// AttemptInput answers a factor.
type AttemptInput struct {
	Strategy string
	Code     *string
	Password *string
}

// state is everything a step needs about one sign-in.
type state struct {
	app      *ent.Application
	settings *settings.Settings
	client   *ent.Device
	si       *ent.SignIn
	user     *ent.User // nil for an unknown identifier (enumeration protection)
	// identifier is the sign-in's normalised identifier ("" for none), also
	// while st.create has not inserted the sign-in yet.
	identifier string
	// afterCommit runs once the step's transaction has committed (notifications).
	afterCommit []func()
	// trusted is whether the user trusts the client, read with the user
	// (readUser) and again in the transaction that decides after a first
	// factor (refreshFacts): the rate limit, hash priority, Client Trust and
	// the new-device notice all ask.
	trusted bool
	// create, when set, inserts the sign-in: signInCreate with a password
	// writes it in the same transaction as the password's outcome, once the
	// hash is done, instead of in a transaction of its own before it.
	create func(tx *ent.Tx) error
	// contacts caches the user's verified emails and phones for the step.
	contacts *contacts
	// mfa caches the user's second factors for the step (nil: not read yet):
	// the step decides with them and its answer lists them.
	mfa *[]*Factor
	// verifications caches the verifications the step wrote, for the view.
	verifications map[string]*ent.Verification
	// events are the step's sign-in events, written by commit at the end of
	// its transaction (audit.Recorder.RecordAll).
	events []audit.SignInEvent
	// unknownLock is the lockout counter of an identifier that names no
	// account, as guardUser read it (enumeration protection on); nil
	// otherwise.
	unknownLock *identifierLock
}

// identifierLock is the lockout counter of an identifier that names no
// account: its key and its lock when the step read it.
type identifierLock struct {
	key   string
	prior lockout.State
}

// checkpoint returns a function that puts back what a transaction's callback
// may change in st. On PostgreSQL, DB.Tx runs the callback again after a
// serialization failure or deadlock; nothing the aborted run read through
// its transaction (trust, factors, contacts), wrote into st (the sign-in,
// the user) or queued (notifications) may carry over into the next run.
func (st *state) checkpoint() func() {
	si, u, trusted, mfa, verifications := st.si, st.user, st.trusted, st.mfa, maps.Clone(st.verifications)
	var k *contacts
	if st.contacts != nil {
		c := *st.contacts
		k = &c
	}
	return func() {
		st.si, st.user, st.trusted, st.mfa = si, u, trusted, mfa
		st.verifications = maps.Clone(verifications)
		st.contacts = nil
		if k != nil {
			c := *k
			st.contacts = &c
		}
		st.afterCommit = nil
		st.events = nil
	}
}

// remember keeps v for the view the step ends with.
func (st *state) remember(v *ent.Verification) {
	if st.verifications == nil {
		st.verifications = map[string]*ent.Verification{}
	}
	st.verifications[v.ID] = v
}

// verification returns the verification id names as the step saw it
// (remember), or reads and remembers it through c; nil when it is gone.
func (st *state) verification(ctx context.Context, c *ent.Client, id string) (*ent.Verification, error) {
	if v, ok := st.verifications[id]; ok {
		return v, nil
	}
	v, err := c.Verification.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st.remember(v)
	return v, nil
}

// firstFactorAt is when the sign-in's first factor passed (its
// verification's verified_at; upd may set it in this step), or the zero
// time when it passed in this step or is unknown. A sign-in that waited at
// its second factor or at Client Trust passed its first factor then, and
// the session's fva claim and reverification window count from there, not
// from its completion. The verification is remembered for the view, which
// shows it anyway.
func (st *state) firstFactorAt(ctx context.Context, c *ent.Client, upd *ent.SignInUpdate) (time.Time, error) {
	id := st.si.FirstFactorVerificationID
	if v, ok := upd.Mutation().FirstFactorVerificationID(); ok {
		id = &v
	}
	if id == nil {
		return time.Time{}, nil
	}
	v, err := st.verification(ctx, c, *id)
	if err != nil || v == nil || v.Status != entverification.StatusVerified || v.VerifiedAt == nil {
		return time.Time{}, err
	}
	return *v.VerifiedAt, nil
}

// mfaFactors lists the user's second factors (MFAFactors), asking the
// database (through c) once per step.
func (st *state) mfaFactors(ctx context.Context, c *ent.Client) ([]*Factor, error) {
	if st.mfa == nil {
		f, err := mfaFactors(ctx, c, st.user, st.settings, st.contactsOf())
		if err != nil {
			return nil, err
		}
		st.mfa = &f
	}
	return *st.mfa, nil
}

// Create starts a sign-in on the request's client. With an identifier and a
// password it verifies the password in the same call.
func (s *Service) Create(ctx context.Context, in CreateInput) (*SignIn, error) {
	rq := request.From(ctx)
	app, err := rq.Application()
	if err != nil {
		return nil, err
	}
	client, err := rq.Client(ctx)
	if err != nil {
		return nil, err
	}
	set := &rq.Settings
	if set.SingleSessionMode {
		if err := session.ErrIfSignedIn(ctx, s.DB.Ent, client.ID, s.Now()); err != nil {
			return nil, err
		}
	}
	strategy := deref(in.Strategy)
	reset := settings.ResetStrategy(strategy)
	if strategy != "" && !reset && !slices.Contains([]string{settings.StrategyPassword, settings.StrategyEmailCode, settings.StrategyPhoneCode}, strategy) {
		return nil, apierr.Invalid("strategy", fmt.Sprintf("unknown strategy %q", strategy))
	}
	if in.Password != nil && strategy == "" {
		strategy = settings.StrategyPassword
	}
	if strategy != "" && strategy != settings.StrategyPassword && in.Password != nil {
		return nil, apierr.Invalid("password", "a password goes with the password strategy")
	}
	if strategy == settings.StrategyPassword && !set.PasswordEnabled {
		return nil, apierr.Invalid("strategy", "passwords are not enabled for this application")
	}
	if strategy == settings.StrategyPassword && (in.Password == nil || *in.Password == "") {
		// An empty password is a field left blank, not a wrong guess: it
		// is neither hashed nor counted toward the lockout.
		return nil, apierr.Missing("password")
	}
	if reset && (in.Identifier == nil || *in.Identifier == "") {
		return nil, apierr.Missing("identifier")
	}
	if reset && !codeStrategyOffered(set, strategy) {
		return nil, apierr.Invalid("strategy", fmt.Sprintf("this application does not offer %s", strategy))
	}
	now := s.Now()
	st := &state{app: app, settings: set, client: client}
	var ident string
	if in.Identifier != nil && *in.Identifier != "" {
		ident, err = normalizeIdentifier(*in.Identifier, set)
		if err != nil {
			return nil, err
		}
		if err := s.findUser(ctx, st, ident); err != nil {
			return nil, err
		}
		if err := s.spendIdentifierBudget(ctx, st, ident, strategy); err != nil {
			return nil, err
		}
		if st.user == nil && !set.EnumerationProtection && in.Password == nil {
			return nil, s.identifierNotFound(ctx, st, ident)
		}
	} else if in.Password != nil {
		return nil, apierr.Missing("identifier")
	}

	st.identifier = ident
	if reset && st.user != nil && !set.EnumerationProtection && !s.refusesUser(st) {
		// An account without an address of the reset's channel: as for a
		// password to an account without one (attemptPassword), the
		// strategy is not one of its factors and no sign-in is created
		// (one would replace the client's sign-in in flight). A refused
		// user goes on, to be refused with the sign-in as a password is.
		factors, err := s.resetFactors(ctx, st, strategy)
		if err != nil {
			return nil, err
		}
		if len(factors) == 0 {
			return nil, apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
		}
	}
	status := entsignin.StatusNeedsIdentifier
	if ident != "" {
		status = entsignin.StatusNeedsFirstFactor
	}
	st.create = func(tx *ent.Tx) error {
		c := tx.SignIn.Create().
			SetApplicationID(app.ID).
			SetClientID(client.ID).
			SetStatus(status).
			SetExpireAt(now.Add(set.SignInLifetime())).
			SetIPAddress(rq.IP).
			SetUserAgent(rq.UserAgent)
		if ident != "" {
			c.SetIdentifier(ident)
		}
		if st.user != nil {
			c.SetUserID(st.user.ID)
		}
		si, err := c.Save(ctx)
		if err != nil {
			return err
		}
		st.si = si
		s.record(st, audit.KindSignInCreated, strategy, audit.Info, "")
		return nil
	}
	if in.Password != nil {
		// attemptPassword's transaction runs st.create first.
		if err := s.attemptPassword(ctx, st, *in.Password); err != nil {
			return nil, err
		}
	} else if err := s.commit(ctx, st, func(*ent.Tx) (*apierr.Error, error) { return nil, nil }); err != nil {
		return nil, err
	}
	if reset {
		// Clerk's signIn.create({strategy: "reset_password_email_code"}) sends the code.
		if err := s.prepareFirst(ctx, st, PrepareInput{Strategy: strategy}); err != nil {
			return nil, err
		}
	}
	return s.view(ctx, st)
}

// Current returns the client's current sign-in, or nil. An abandoned or
// expired sign-in is no longer current: showing it would invite the frontend
// to resume a sign-in every step of which answers sign_in_expired. A
// completed one became a session; like Clerk's client, show none.
func (s *Service) Current(ctx context.Context, client *ent.Device) (*SignIn, error) {
	if client.SignInID == nil {
		return nil, nil
	}
	st, err := s.load(ctx, *client.SignInID, false)
	if apierr.Is(err, apierr.ResourceNotFound) || (err == nil && st == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.view(ctx, st)
}

// load fetches a sign-in of the request's client and its user. With
// forUpdate the sign-in must be in progress (a step is about to run);
// without, a finished or expired sign-in loads as nil, before its user is read.
func (s *Service) load(ctx context.Context, id string, forUpdate bool) (*state, error) {
	rq := request.From(ctx)
	app, err := rq.Application()
	if err != nil {
		return nil, err
	}
	client, err := rq.Client(ctx)
	if err != nil {
		return nil, err
	}
	si, err := s.DB.Ent.SignIn.Get(ctx, id)
	if ent.IsNotFound(err) || (err == nil && (si.ClientID != client.ID || si.ApplicationID != app.ID)) {
		return nil, apierr.Newf(apierr.ResourceNotFound, "No sign-in was found with id %s on this client.", id).WithParam("id")
	}
	if err != nil {
		return nil, err
	}
	st := &state{app: app, settings: &rq.Settings, client: client, si: si, identifier: deref(si.Identifier)}
	expired := si.Status == entsignin.StatusAbandoned || !s.Now().Before(si.ExpireAt)
	switch {
	case !forUpdate && (expired || si.Status == entsignin.StatusComplete):
		return nil, nil
	case si.Status == entsignin.StatusComplete:
		return nil, apierr.Newf(apierr.ResourceForbidden, "This sign-in is already complete.")
	case expired:
		if si.Status != entsignin.StatusAbandoned {
			_ = s.DB.Tx(ctx, func(tx *ent.Tx) error {
				if ok, err := abandon(ctx, tx, si); err != nil || !ok {
					return err
				}
				return s.Events.Record(ctx, tx, s.event(st, audit.KindSignInAbandoned, "", audit.Failure, "expired"))
			})
		}
		return nil, apierr.New(apierr.SignInExpired)
	case forUpdate && (client.SignInID == nil || *client.SignInID != si.ID):
		// A newer signInCreate on this client replaced it, as at Clerk: one
		// sign-in in flight per client, so one set of open codes.
		return nil, apierr.Newf(apierr.ResourceForbidden, "Update operations are not allowed on older sign-ins; this client has started a newer one.")
	}
	switch {
	case si.UserID != nil:
		if err := s.readUser(ctx, st, s.DB.Ent.User.Query().Where(user.ID(*si.UserID))); err != nil {
			return nil, err
		}
	case si.Identifier != nil && st.settings.EnumerationProtection:
		// A sign-in of an identifier that names nobody runs the same read,
		// finding nobody (no user has a sign-in's id), so that its steps
		// run the statements an account's do.
		if err := s.readUser(ctx, st, s.DB.Ent.User.Query().Where(user.ID(si.ID))); err != nil {
			return nil, err
		}
	}
	if st.user != nil && passwordChanged(si, st.user) {
		if !forUpdate {
			return nil, nil // no longer current: its next step ends it
		}
		// Before any factor is checked or spent; completeUser stays the
		// backstop for a change that commits after this read.
		return nil, s.commit(ctx, st, func(tx *ent.Tx) (*apierr.Error, error) {
			return s.endForPasswordChange(ctx, tx, st, "")
		})
	}
	if si.Status == entsignin.StatusNeedsSecondFactor && st.user != nil {
		// The user lost every second factor since the first factor passed
		// (resetUserMfa, totpDisable in another session): no factor can
		// answer the challenge, and completing without one would skip it.
		// Like a password change, this ends the sign-in; starting over
		// decides afresh (Client Trust included).
		mfa, err := st.mfaFactors(ctx, s.DB.Ent)
		if err != nil {
			return nil, err
		}
		if len(mfa) == 0 {
			if !forUpdate {
				return nil, nil // no longer current: its next step ends it
			}
			return nil, s.commit(ctx, st, func(tx *ent.Tx) (*apierr.Error, error) {
				return s.endForMFARemoved(ctx, tx, st)
			})
		}
	}
	if forUpdate && si.Status == entsignin.StatusNeedsClientTrust && st.user != nil && !s.refusesUser(st) {
		if err := s.mfaTakesOver(ctx, st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// refusesUser reports whether the step's guardUser will refuse st's user
// (banned, or locked now): a refused step changes nothing, so the sign-in
// stays where it was until the user may go on.
func (s *Service) refusesUser(st *state) bool {
	return rejection(st.user.Banned, lockout.OfUser(st.user), "", s.Now()) != nil
}

// mfaTakesOver moves a sign-in waiting at needs_client_trust to
// needs_second_factor when its user has enabled MFA since the password
// passed (rule 2: MFA takes precedence): the Client Trust code, which proves
// only an address, no longer completes it. The step then goes on at the new
// status, where an email code is no factor of the user's.
func (s *Service) mfaTakesOver(ctx context.Context, st *state) error {
	mfa, err := st.mfaFactors(ctx, s.DB.Ent)
	if err != nil || len(mfa) == 0 {
		return err
	}
	return s.commit(ctx, st, func(tx *ent.Tx) (*apierr.Error, error) {
		upd := signInUpdate(tx, st).SetStatus(entsignin.StatusNeedsSecondFactor).
			ClearClientTrustState().ClearSecondFactorVerificationID()
		if err := saveSignIn(ctx, tx, st, upd); err != nil {
			return nil, err
		}
		s.record(st, audit.KindSecondFactorRequired, "", audit.Challenge, "mfa_enabled")
		return nil, nil
	})
}

// abandon ends si inside tx, forgetting a staged new password; only from
// the status read, so that a request that moved it on meanwhile (its own
// reset, completed between a load's reads) wins. It reports whether it did.
func abandon(ctx context.Context, tx *ent.Tx, si *ent.SignIn) (bool, error) {
	n, err := tx.SignIn.Update().Where(entsignin.ID(si.ID), entsignin.StatusEQ(si.Status)).
		SetStatus(entsignin.StatusAbandoned).ClearNewPasswordHash().Save(ctx)
	return n == 1, err
}

// endForPasswordChange abandons the step's sign-in because the user's
// password changed since its first factor passed (load finds it before a
// factor is checked, completeUser as it completes), and returns the error to
// show.
func (s *Service) endForPasswordChange(ctx context.Context, tx *ent.Tx, st *state, strategy string) (*apierr.Error, error) {
	ok, err := abandon(ctx, tx, st.si)
	if err != nil {
		return nil, err
	}
	if !ok {
		return apierr.Newf(apierr.ClientStateInvalid, "This sign-in moved on; load it again."), nil
	}
	s.record(st, audit.KindSignInAbandoned, strategy, audit.Failure, "password_changed")
	return apierr.Newf(apierr.SignInExpired, "The account's password changed during this sign-in. Please start again."), nil
}

// endForMFARemoved abandons the step's sign-in, waiting at
// needs_second_factor, because its user has no second factor left (load),
// and returns the error to show.
func (s *Service) endForMFARemoved(ctx context.Context, tx *ent.Tx, st *state) (*apierr.Error, error) {
	ok, err := abandon(ctx, tx, st.si)
	if err != nil {
		return nil, err
	}
	if !ok {
		return apierr.Newf(apierr.ClientStateInvalid, "This sign-in moved on; load it again."), nil
	}
	s.record(st, audit.KindSignInAbandoned, "", audit.Failure, "mfa_removed")
	return apierr.Newf(apierr.SignInExpired, "The account's two-step verification changed during this sign-in. Please start again."), nil
}

// findUser sets st.user to the user an identifier names: a verified email
// address or phone number, or a username; nil when there is none. One
// statement (readUser's) whether or not the identifier exists keeps the two
// cases alike in time (ASVS 6.3.8).
func (s *Service) findUser(ctx context.Context, st *state, ident string) error {
	appID := st.app.ID
	var q *ent.UserQuery
	switch identifier.Classify(ident) {
	case identifier.Email:
		q = s.DB.Ent.EmailAddress.Query().
			Where(emailaddress.ApplicationID(appID), emailaddress.EmailAddress(ident), emailaddress.Verified(true)).
			QueryUser()
	case identifier.Phone:
		q = s.DB.Ent.PhoneNumber.Query().
			Where(phonenumber.ApplicationID(appID), phonenumber.PhoneNumber(ident), phonenumber.Verified(true)).
			QueryUser()
	default:
		q = s.DB.Ent.User.Query().Where(user.ApplicationID(appID), user.Username(ident))
	}
	return s.readUser(ctx, st, q)
}

// hidden reports whether, with enumeration protection on, u is signed in to
// as an identifier that names no account: decoy factors, a dummy hash, the
// identifier's own lockout counter, and the same answers. That is a banned
// user, and one an administrator locked until unlocked where the
// application's lockout has a duration (a lock no failures make, so none an
// identifier without an account could show): their refusals, user_banned or
// a user_locked that never expires, answered at once and without a hash,
// would tell anyone who typed the identifier that it has an account. Not
// told they are banned, such users read that the password (or code) is
// wrong, as enumeration protection has it; the sign-in history keeps their
// attempts under the identifier.
func hidden(set *settings.Settings, u *ent.User) bool {
	if !set.EnumerationProtection {
		return false
	}
	_, bounded := set.LockoutDuration()
	return u.Banned || (bounded && u.LockedAt != nil && u.LockoutExpiresAt == nil)
}

// readUser sets st.user to the one user q finds, if any. The same statement
// answers what a step asks about the user before its transaction: whether
// the user trusts the request's client (st.trusted), and whether the user
// has a verified TOTP or a verified phone number at all (so that a user with
// neither costs no second-factor reads).
func (s *Service) readUser(ctx context.Context, st *state, q *ent.UserQuery) error {
	u, f, err := queryFacts(ctx, q, st.client.ID)
	if err != nil || u == nil {
		return err
	}
	if hidden(st.settings, u) && (st.si == nil || st.si.Status == entsignin.StatusNeedsFirstFactor) {
		// Up to its first factor a sign-in of such a user is one of an
		// identifier that names no account, also when it was created
		// before the ban or lock: its next step would otherwise answer the
		// refusal that signInCreate hides.
		return nil
	}
	st.user = u
	st.setFacts(f)
	return nil
}

// refreshFacts reads the facts of readUser again through c, the step's
// transaction, and forgets the second factors listed from the old ones: a
// factor enrolled, or a trust revoked, while the password was hashed must
// count when the step decides what comes next.
func refreshFacts(ctx context.Context, c *ent.Client, st *state) error {
	// The user's id and the facts only: the user's columns were read before the hash.
	q := c.User.Query().Where(user.ID(st.user.ID)).Modify(func(s *entsql.Selector) { s.Select(s.C(user.FieldID)) })
	u, f, err := queryFacts(ctx, q.UserQuery, st.client.ID)
	if err != nil || u == nil {
		return err
	}
	st.setFacts(f)
	st.mfa = nil
	return nil
}

// facts is what selectSignInFacts adds to a user.
type facts struct{ trusted, totp, phones bool }

// setFacts caches f in st for the step.
func (st *state) setFacts(f facts) {
	st.trusted = f.trusted
	k := st.contactsOf()
	k.totp = ptr(f.totp)
	switch {
	case !f.phones:
		k.phones.set(nil)
	case k.phones.loaded && len(k.phones.items) == 0:
		k.phones = lazy[*ent.PhoneNumber]{} // one was verified since: read them
	}
}

// queryFacts runs q, which finds at most one user, with selectSignInFacts;
// a nil user when there is none.
func queryFacts(ctx context.Context, q *ent.UserQuery, clientID string) (*ent.User, facts, error) {
	q.Modify(selectSignInFacts(clientID))
	u, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, facts{}, nil
	}
	if err != nil {
		return nil, facts{}, fmt.Errorf("signin: reading the user: %w", err)
	}
	var f facts
	for _, c := range []struct {
		name string
		dst  *bool
	}{{factTrusted, &f.trusted}, {factTOTP, &f.totp}, {factPhone, &f.phones}} {
		v, err := u.Value(c.name)
		if err != nil {
			return nil, facts{}, fmt.Errorf("signin: reading the user: %w", err)
		}
		switch v := v.(type) {
		case bool: // PostgreSQL
			*c.dst = v
		case int64: // SQLite
			*c.dst = v != 0
		default:
			return nil, facts{}, fmt.Errorf("signin: reading the user: %s is a %T", c.name, v)
		}
	}
	return u, f, nil
}

// The facts selectSignInFacts adds to a user's columns.
const (
	factTrusted = "signin_trusted"
	factTOTP    = "signin_has_totp"
	factPhone   = "signin_has_phone"
)

// selectSignInFacts adds to a user query, as boolean columns: whether the
// user trusts the client clientID, and whether the user has a verified TOTP
// and a verified phone number.
func selectSignInFacts(clientID string) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		id := s.C(user.FieldID)
		s.AppendSelectExprAs(clienttrust.TrustedExpr(id, clientID), factTrusted)
		s.AppendSelectExprAs(hasVerifiedTOTP(id), factTOTP)
		p := entsql.Table(phonenumber.Table)
		s.AppendSelectExprAs(entsql.Exists(entsql.Select(p.C(phonenumber.FieldUserID)).From(p).Where(entsql.And(
			entsql.ColumnsEQ(p.C(phonenumber.FieldUserID), id),
			entsql.EQ(p.C(phonenumber.FieldVerified), true),
		))), factPhone)
	}
}

// hasVerifiedTOTP is the SQL condition, over users, that the user whose id
// is in the column userIDColumn has a verified TOTP: what MFAEnabled and
// selectSignInFacts both ask.
func hasVerifiedTOTP(userIDColumn string) *entsql.Predicate {
	t := entsql.Table(totp.Table)
	return entsql.Exists(entsql.Select(t.C(totp.FieldUserID)).From(t).Where(entsql.And(
		entsql.ColumnsEQ(t.C(totp.FieldUserID), userIDColumn),
		entsql.EQ(t.C(totp.FieldVerified), true),
	)))
}

// spendIdentifierBudget counts a sign-in for ident against the application's
// per-identifier budget, which stops many IPs guessing one account. A client
// the account already trusts (st.trusted, set by findUser) spends a budget
// of its own (Limiter.AllowTrustedIdentifier): otherwise an attacker could
// exhaust a victim's budget and lock the owner out of their own device
// (ASVS 6.1.1: no malicious lockout by design), and without one an account's
// trusted devices could fill the hash pool's priority lane (hashPriority).
func (s *Service) spendIdentifierBudget(ctx context.Context, st *state, ident, strategy string) error {
	if s.Limiter == nil {
		return nil
	}
	e := audit.SignInEvent{ApplicationID: st.app.ID, ClientID: st.client.ID, Identifier: ident, Strategy: strategy}
	if st.user != nil {
		e.UserID = st.user.ID
	}
	if st.trusted {
		return s.Limiter.AllowTrustedIdentifier(ctx, st.settings, e)
	}
	return s.Limiter.AllowIdentifier(ctx, st.settings, e)
}

// normalizeIdentifier validates an identifier against the application's enabled kinds.
func normalizeIdentifier(raw string, set *settings.Settings) (string, error) {
	switch identifier.Classify(raw) {
	case identifier.Email:
		if !set.EmailEnabled {
			return "", apierr.Invalid("identifier", "email addresses are not enabled for this application")
		}
		v, err := identifier.NormalizeEmail(raw)
		if err != nil {
			return "", apierr.Invalid("identifier", "not a valid email address")
		}
		return v, nil
	case identifier.Phone:
		if !set.PhoneEnabled {
			return "", apierr.Invalid("identifier", "phone numbers are not enabled for this application")
		}
		v, err := identifier.NormalizePhone(raw)
		if err != nil {
			return "", apierr.Invalid("identifier", "not a valid phone number in international format (+15551234567)")
		}
		return v, nil
	default:
		if !set.UsernameEnabled {
			return "", apierr.Invalid("identifier", "enter an email address or a phone number in international format")
		}
		v, err := identifier.NormalizeUsername(raw)
		if err != nil {
			return "", apierr.Invalid("identifier", "not a valid username")
		}
		return v, nil
	}
}

// identifierNotFound records and returns form_identifier_not_found (enumeration protection off).
func (s *Service) identifierNotFound(ctx context.Context, st *state, ident string) error {
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		return s.Events.Record(ctx, tx, audit.SignInEvent{
			ApplicationID: st.app.ID, ClientID: st.client.ID, Identifier: ident,
			Kind: audit.KindSignInCreated, Outcome: audit.Failure, Reason: "identifier_not_found",
		})
	})
	if err != nil {
		return err
	}
	return apierr.New(apierr.FormIdentifierNotFound).WithParam("identifier")
}

// saveSignIn writes upd (an update of st.si, built with signInUpdate) and,
// once it succeeded, makes st.si the row it wrote. ent's UpdateOne reads the
// row back after writing it; instead the fields a step changes are applied
// to a copy, which saves a statement (a round trip on PostgreSQL) per step.
// An update of any other field is read back.
func saveSignIn(ctx context.Context, tx *ent.Tx, st *state, upd *ent.SignInUpdate) error {
	m := upd.Mutation()
	n, err := upd.Save(ctx)
	if err != nil {
		return err
	}
	if n != 1 {
		return errStepRaced
	}
	if !onlyStepFields(m) {
		fresh, err := tx.SignIn.Get(ctx, st.si.ID)
		if err == nil {
			st.si = fresh
		}
		return err
	}
	si := *st.si
	if v, ok := m.Status(); ok {
		si.Status = v
	}
	if v, ok := m.ClientTrustState(); ok {
		si.ClientTrustState = &v
	}
	if v, ok := m.FirstFactorVerificationID(); ok {
		si.FirstFactorVerificationID = &v
	}
	if v, ok := m.SecondFactorVerificationID(); ok {
		si.SecondFactorVerificationID = &v
	}
	if v, ok := m.CreatedSessionID(); ok {
		si.CreatedSessionID = &v
	}
	if v, ok := m.UpdatedAt(); ok {
		si.UpdatedAt = v
	}
	if m.NewPasswordHashCleared() {
		si.NewPasswordHash = nil
	}
	if v, ok := m.UserPasswordUpdatedAt(); ok {
		si.UserPasswordUpdatedAt = &v
	}
	if m.UserPasswordUpdatedAtCleared() {
		si.UserPasswordUpdatedAt = nil
	}
	st.si = &si
	return nil
}

// onlyStepFields reports whether m sets no fields but those saveSignIn
// applies to its copy, and clears none but those too.
func onlyStepFields(m *ent.SignInMutation) bool {
	for _, f := range m.Fields() {
		switch f {
		case entsignin.FieldStatus, entsignin.FieldClientTrustState, entsignin.FieldFirstFactorVerificationID,
			entsignin.FieldSecondFactorVerificationID, entsignin.FieldCreatedSessionID, entsignin.FieldUpdatedAt,
			entsignin.FieldUserPasswordUpdatedAt:
		default:
			return false
		}
	}
	for _, f := range m.ClearedFields() {
		if f != entsignin.FieldNewPasswordHash && f != entsignin.FieldUserPasswordUpdatedAt {
			return false
		}
	}
	return true
}

// signInUpdate starts an update of the step's sign-in, for saveSignIn. It
// holds only while the row is at the status the step read: of two steps
// racing on one sign-in (the same password sent twice at once, two backup
// codes), the one that writes second finds the status moved and is undone
// with everything it wrote (errStepRaced), so one sign-in never creates two
// sessions.
func signInUpdate(tx *ent.Tx, st *state) *ent.SignInUpdate {
	return tx.SignIn.Update().Where(entsignin.ID(st.si.ID), entsignin.StatusEQ(st.si.Status))
}

// attachVerification makes v the sign-in's first factor verification (or
// its second's), only while the sign-in still holds the one the step read:
// of two prepares racing on one sign-in, the second finds it moved
// (errStepRaced) and is undone, its code unsent, as the resend cooldown
// would have refused it a moment later. A resend to the same verification
// is caught by its send time instead (verification.Codes issue).
func attachVerification(ctx context.Context, tx *ent.Tx, st *state, v *ent.Verification, first bool) error {
	upd := signInUpdate(tx, st)
	if first {
		upd.Where(verification.Unchanged(st.si.FirstFactorVerificationID, entsignin.FirstFactorVerificationID, entsignin.FirstFactorVerificationIDIsNil)).
			SetFirstFactorVerificationID(v.ID)
	} else {
		upd.Where(verification.Unchanged(st.si.SecondFactorVerificationID, entsignin.SecondFactorVerificationID, entsignin.SecondFactorVerificationIDIsNil)).
			SetSecondFactorVerificationID(v.ID)
	}
	return saveSignIn(ctx, tx, st, upd)
}

// errStepRaced answers a step whose sign-in another step moved on while it
// ran; its transaction is rolled back.
var errStepRaced = apierr.Raced("sign-in")

// record queues a sign-in event of the step; only code that runs inside
// commit's transaction records this way (commit writes the queue).
func (s *Service) record(st *state, kind, strategy string, outcome signinevent.Outcome, reason string) {
	st.events = append(st.events, s.event(st, kind, strategy, outcome, reason))
}

func (s *Service) event(st *state, kind, strategy string, outcome signinevent.Outcome, reason string) audit.SignInEvent {
	e := audit.SignInEvent{
		ApplicationID: st.app.ID, ClientID: st.client.ID,
		Kind: kind, Strategy: strategy, Outcome: outcome, Reason: reason,
	}
	if st.si != nil {
		e.SignInID = st.si.ID
		e.Identifier = deref(st.si.Identifier)
		e.UserID = deref(st.si.UserID)
	}
	if st.user != nil {
		e.UserID = st.user.ID
	}
	return e
}

// commit runs fn in a transaction that commits even when fn reports a client
// error: failures (counters, events) must be recorded before they are returned.
// The events fn recorded are written at the end of the transaction; work
// queued in st.afterCommit runs once it has committed.
func (s *Service) commit(ctx context.Context, st *state, fn func(tx *ent.Tx) (*apierr.Error, error)) error {
	var clientErr *apierr.Error
	st.afterCommit = nil
	rewind := st.checkpoint()
	var current *string // the client's current sign-in, when this step created one
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		rewind() // a PostgreSQL retry starts from the state the first run saw
		if st.create != nil {
			if err := st.create(tx); err != nil {
				return err
			}
		}
		var err error
		if clientErr, err = fn(tx); err != nil {
			return err
		}
		if st.create != nil {
			if current, err = pointClient(ctx, tx, st); err != nil {
				return err
			}
		}
		return s.Events.RecordAll(ctx, tx, st.events)
	})
	var ref *refusal
	if errors.As(err, &ref) {
		// The step is undone (a factor it spent, a password it staged);
		// what stays is the refusal, as guardUser records one.
		rewind()
		return s.refuse(ctx, st, ref)
	}
	if err != nil {
		return err
	}
	if st.create != nil {
		st.client.SignInID = current
	}
	st.create, st.events = nil, nil
	for _, f := range st.afterCommit {
		f()
	}
	st.afterCommit = nil
	if clientErr != nil {
		return clientErr
	}
	return nil
}

// pointClient makes the sign-in st.create just inserted the client's current
// one (what Current answers) and returns the client's new pointer. A sign-in
// that completed in the same step is never current, so the client then
// points at none: complete cleared the pointer in the statement that rotates
// the client's token (device.Rotate), whatever it pointed at by then
// (another tab may have set it since the request began).
func pointClient(ctx context.Context, tx *ent.Tx, st *state) (*string, error) {
	if st.si.Status == entsignin.StatusComplete {
		return nil, nil // the client's token rotation cleared it (complete)
	}
	upd := tx.Device.Update().Where(device.ID(st.client.ID))
	return &st.si.ID, upd.SetSignInID(st.si.ID).Exec(ctx)
}

// guardUser rejects banned and locked users before any factor is checked,
// and, with enumeration protection on, a locked identifier that names no
// account as if it were a locked user.
func (s *Service) guardUser(ctx context.Context, st *state, strategy string) error {
	var lock lockout.State
	if st.user != nil {
		lock = lockout.OfUser(st.user)
	}
	if s.readsIdentifierCounter(st) {
		// An identifier that names no account has a counter of its own; an
		// account's first factors read it too (the row, if any, an old
		// phantom's), so that a locked answer, which runs no hash, takes
		// the same statements either way.
		key := lockout.IdentifierKey(s.Keys, st.app.ID, st.identifier)
		prior, err := lockout.ReadIdentifier(ctx, s.DB.Ent, key)
		if err != nil {
			return err
		}
		if st.user == nil {
			st.unknownLock, lock = &identifierLock{key: key, prior: prior}, prior
		}
	}
	if ref := rejection(st.user != nil && st.user.Banned, lock, strategy, s.Now()); ref != nil {
		return s.refuse(ctx, st, ref)
	}
	return nil
}

// readsIdentifierCounter reports whether guardUser reads st's identifier
// counter: with enumeration protection on, at a first factor (which is as
// far as an identifier that names no account gets), known or not.
func (s *Service) readsIdentifierCounter(st *state) bool {
	return st.settings.EnumerationProtection && s.Keys != nil && st.identifier != "" &&
		(st.create != nil || st.si.Status == entsignin.StatusNeedsFirstFactor)
}

// fail records a failed factor: the event, the lockout count and, when the
// count locks the user (or the counter of an identifier that names no
// account, which guardUser read), a user.locked event; it returns the error
// to show.
func (s *Service) fail(ctx context.Context, tx *ent.Tx, st *state, kind, strategy, reason string, shown *apierr.Error) (*apierr.Error, error) {
	s.record(st, kind, strategy, audit.Failure, reason)
	now := s.Now()
	var (
		lock      lockout.State
		lockedNow bool
	)
	switch {
	case st.user != nil:
		updated, locked, err := lockout.Fail(ctx, tx, st.user, st.settings, now)
		if err != nil {
			return nil, err
		}
		st.user, lock, lockedNow = updated, lockout.OfUser(updated), locked
	case st.unknownLock != nil:
		var err error
		lock, lockedNow, err = lockout.FailIdentifier(ctx, tx, st.unknownLock.key, st.unknownLock.prior, st.settings, now)
		if err != nil {
			return nil, err
		}
	default:
		return shown, nil
	}
	if lockedNow {
		s.record(st, audit.KindUserLocked, strategy, audit.Failure, "too_many_failed_attempts")
	}
	if st.user != nil && st.si != nil && st.si.Status == entsignin.StatusNeedsSecondFactor {
		if err := s.notifySecondFactorFailed(ctx, tx, st, now); err != nil {
			return nil, err
		}
	}
	// Locked by this failure or by a concurrent one: either way it is locked now.
	return lockout.Shown(lock, now, shown), nil
}

// notifySecondFactorFailed tells the user, once per sign-in, that a sign-in
// passed their first factor and then failed the second: the password (or
// the inbox) is in someone else's hands, and nothing else would say so to
// a user whose second factor is an authenticator app (OWASP's credential
// stuffing sheet: notify when the password was right but MFA failed). The
// first failure of the sign-in at needs_second_factor sends it (fail calls
// this only there, so a code mistyped at the first factor, or at Client
// Trust before MFA took over, does not silence it), claiming it on the
// sign-in's row; the ones after it find it claimed. The claim is a
// conditional write, not a read of the sign-in's events in the order of
// their ids: ids are ordered only within the replica that minted them (by
// its clock), so across replicas a slip at the first factor could sort
// after the sign-in came to need its second factor, and every failure on a
// replica whose clock is behind before it.
func (s *Service) notifySecondFactorFailed(ctx context.Context, tx *ent.Tx, st *state, now time.Time) error {
	if !st.settings.NotifySecurityChanges || !st.settings.EmailEnabled {
		return nil
	}
	n, err := tx.SignIn.Update().Where(entsignin.ID(st.si.ID), entsignin.SecondFactorFailureNoticed(false)).
		SetSecondFactorFailureNoticed(true).Save(ctx)
	if err != nil || n == 0 {
		return err
	}
	after, err := s.Notices.Security(ctx, tx, st.settings, st.app, st.user.ID, delivery.SecondFactorFailed, "", "", now)
	st.sendAfterCommit(after)
	return err
}

// attemptPassword verifies a password first factor and moves the sign-in on.
func (s *Service) attemptPassword(ctx context.Context, st *state, password string) error {
	if st.create == nil && st.si.Status != entsignin.StatusNeedsFirstFactor {
		return errNoFirstFactorNow()
	}
	if err := s.guardUser(ctx, st, settings.StrategyPassword); err != nil {
		return err
	}
	if st.user != nil && st.user.PasswordHash == nil && !s.listsAsUnknown(st) {
		// The account lists no password (accountFirstFactors): as at Clerk,
		// the strategy is not one of its factors. Nothing is hashed or
		// counted toward the lockout, and signInCreate creates no sign-in.
		// Under enumeration protection the password is listed and such an
		// account answers as a wrong password does, below.
		return apierr.New(apierr.StrategyForUserInvalid).WithParam("strategy")
	}
	if st.create == nil {
		// A password tried on a sign-in already made spends the identifier's
		// budget as signInCreate's does: otherwise one sign-in, its steps
		// sent from many IPs, could guess up to the lockout at any pace.
		if err := s.spendIdentifierBudget(ctx, st, st.identifier, settings.StrategyPassword); err != nil {
			return err
		}
	}
	wrong := apierr.New(apierr.FormPasswordIncorrect).WithParam("password")
	if st.settings.EnumerationProtection {
		wrong = apierr.New(apierr.FormPasswordOrIdentifierIncorect).WithParam("password")
	}
	var (
		ok, rehash bool
		err        error
	)
	switch {
	case st.user == nil || st.user.PasswordHash == nil:
		// Unknown users (and users without a password) cost one hash like everyone else.
		err = s.Hasher.VerifyDummy(ctx, password)
	default:
		ok, rehash, err = s.Hasher.Verify(s.hashPriority(ctx, st), *st.user.PasswordHash, password)
	}
	if errors.Is(err, factor.ErrBusy) {
		// The sign-in (when this call creates it) is kept, so the refused
		// attempt shows in the history and the client can retry it.
		return s.commit(ctx, st, func(*ent.Tx) (*apierr.Error, error) {
			e, _ := apierr.As(err) // too_many_requests, from the hash pool
			return e, nil
		})
	}
	if err != nil {
		return fmt.Errorf("signin: verifying password: %w", err)
	}
	if !ok {
		reason := "password_incorrect"
		if st.user == nil {
			reason = "identifier_not_found"
			if !st.settings.EnumerationProtection {
				wrong = apierr.New(apierr.FormIdentifierNotFound).WithParam("identifier")
			}
		} else if st.user.PasswordHash == nil {
			reason = "no_password"
		}
		return s.commit(ctx, st, func(tx *ent.Tx) (*apierr.Error, error) {
			return s.fail(ctx, tx, st, audit.KindPasswordFailed, settings.StrategyPassword, reason, wrong)
		})
	}
	var upgraded string
	if rehash {
		// bcrypt imports and weaker argon2id parameters are upgraded now that we know the password.
		if h, err := s.Hasher.Hash(ctx, password); err == nil {
			upgraded = h
		} else {
			s.Log.WarnContext(ctx, "password rehash skipped", "user_id", st.user.ID, "error", err)
		}
	}
	checked := *st.user.PasswordHash
	return s.commit(ctx, st, func(tx *ent.Tx) (*apierr.Error, error) {
		if upgraded != "" {
			// Only the hash verified is upgraded, not one set since.
			if err := tx.User.Update().Where(user.ID(st.user.ID), user.PasswordHash(checked)).SetPasswordHash(upgraded).Exec(ctx); err != nil {
				return nil, err
			}
		}
		v, err := tx.Verification.Create().SetStrategy(settings.StrategyPassword).
			SetStatus("verified").SetVerifiedAt(s.Now()).Save(ctx)
		if err != nil {
			return nil, err
		}
		st.remember(v)
		s.record(st, audit.KindPasswordPassed, settings.StrategyPassword, audit.Success, "")
		return s.afterFirstFactor(ctx, tx, st, v, true)
	})
}

// afterFirstFactor decides the next status once a first factor passed:
// MFA takes precedence; then Client Trust (password only); else complete.
// Like every step inside a transaction it reads through tx: a read through
// the pool would wait for a second connection while holding the first, and
// with the pool taken by transactions queued behind this one's row locks it
// would wait for ever.
// The lockout count is not reset here but only when the sign-in completes:
// otherwise a stolen password would reset it at will, leaving the second
// factor (a TOTP, an emailed code) open to unlimited guessing.
func (s *Service) afterFirstFactor(ctx context.Context, tx *ent.Tx, st *state, v *ent.Verification, password bool) (*apierr.Error, error) {
	upd := signInUpdate(tx, st).SetFirstFactorVerificationID(v.ID)
	seePassword(st, upd)
	if err := refreshFacts(ctx, tx.Client(), st); err != nil {
		return nil, err
	}
	mfa, err := st.mfaFactors(ctx, tx.Client())
	if err != nil {
		return nil, err
	}
	needsMore := len(mfa) > 0 || (password && st.settings.ClientTrustEnabled && !st.trusted)
	if needsMore {
		if e, err := s.stillStanding(ctx, tx, st, v.Strategy); e != nil || err != nil {
			return e, err
		}
	}
	if len(mfa) > 0 {
		if err := saveSignIn(ctx, tx, st, upd.SetStatus(entsignin.StatusNeedsSecondFactor)); err != nil {
			return nil, err
		}
		s.record(st, audit.KindSecondFactorRequired, "", audit.Challenge, "mfa_enabled")
		return nil, nil
	}
	if password && st.settings.ClientTrustEnabled {
		if !st.trusted {
			f, err := clientTrustFactor(ctx, tx.Client(), st.user, st.settings, st.contactsOf())
			if err != nil {
				return nil, err
			}
			if f == nil {
				// No verified email or phone to send a code to: no session.
				if err := saveSignIn(ctx, tx, st, upd); err != nil {
					return nil, err
				}
				s.record(st, audit.KindClientTrustUnavailable, "", audit.Failure, "no_verified_email_or_phone")
				return clientTrustUnavailable(st.settings), nil
			}
			if err := saveSignIn(ctx, tx, st, upd.SetStatus(entsignin.StatusNeedsClientTrust).SetClientTrustState(entsignin.ClientTrustStateNew)); err != nil {
				return nil, err
			}
			s.record(st, audit.KindClientTrustRequired, f.Strategy, audit.Challenge, "new_device")
			return nil, nil
		}
		upd.SetClientTrustState(entsignin.ClientTrustStateKnown)
	}
	return s.complete(ctx, tx, st, upd, v.Strategy, false)
}

// complete ends a sign-in with a session and trusts the (user, client) pair.
// upd, when not nil, holds the step's other changes to the sign-in, saved in
// the same statement. A password reset's new password staged on the sign-in
// becomes the user's here. A sign-in whose password changed under it is
// abandoned instead, with the error to show (see completeUser).
func (s *Service) complete(ctx context.Context, tx *ent.Tx, st *state, upd *ent.SignInUpdate, method string, secondFactor bool) (*apierr.Error, error) {
	rq := request.From(ctx)
	now := s.Now()
	if upd == nil {
		upd = signInUpdate(tx, st)
	}
	if st.settings.SingleSessionMode {
		// signInCreate checked it, but a sign-up on the client may have
		// signed it in since: the step is undone, as signInCreate refuses.
		if err := session.ErrIfSignedInTx(ctx, tx, st.client.ID, now, s.DB.IsPostgres()); err != nil {
			return nil, err
		}
	}
	ok, err := s.completeUser(ctx, tx, st, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return s.refuseCompletion(ctx, tx, st, method, now)
	}
	reset := st.si.NewPasswordHash != nil
	if reset {
		if err := s.applyNewPassword(ctx, tx, st, now); err != nil {
			return nil, err
		}
		upd.ClearNewPasswordHash()
	}
	firstAt, err := st.firstFactorAt(ctx, tx.Client(), upd)
	if err != nil {
		return nil, err
	}
	sess, err := session.Create(ctx, tx, now, session.NewParams{
		ApplicationID: st.app.ID, UserID: st.user.ID, ClientID: st.client.ID, SignInID: st.si.ID,
		Lifetime: st.settings.SessionLifetime(), InactivityTimeout: st.settings.SessionInactivityTimeout(), FirstFactorAt: firstAt, SecondFactor: secondFactor, IP: rq.IP, UserAgent: rq.UserAgent,
	})
	if err != nil {
		return nil, err
	}
	// A sign-in created in this step: the rotation also clears the client's
	// pointer, which pointClient would write otherwise.
	if err := clients.Rotate(ctx, tx, st.client, now, st.create != nil); err != nil {
		return nil, err
	}
	wasTrusted := st.trusted
	if wasTrusted {
		// The trust the step read: its last use is refreshed, never re-created.
		// A revocation that committed since the read (an admin's, the user's,
		// a password change on another device) stands, and the next sign-in
		// on this client meets Client Trust; this one, begun trusted, completes.
		if _, err := clienttrust.Touch(ctx, tx, st.user.ID, st.client.ID, now); err != nil {
			return nil, err
		}
	} else if err := clienttrust.Grant(ctx, tx, st.user.ID, st.client.ID, method, rq.IP, rq.UserAgent, now); err != nil {
		return nil, err
	}
	if err := saveSignIn(ctx, tx, st, upd.SetStatus(entsignin.StatusComplete).SetCreatedSessionID(sess.ID)); err != nil {
		return nil, err
	}
	s.record(st, audit.KindSignInCompleted, method, audit.Success, "")
	// A recovery (a reset, a backup code) tells the user, with the device:
	// one email, then, not a new-device notice besides.
	if st.settings.NotifySecurityChanges {
		if change, detail, err := recovery(ctx, tx, st, reset, method); err != nil || change != 0 {
			if err != nil {
				return nil, err
			}
			after, err := s.Notices.Security(ctx, tx, st.settings, st.app, st.user.ID, change, "", detail, now)
			st.sendAfterCommit(after)
			return nil, err
		}
	}
	// No email when the application has email disabled: its users never gave
	// it an address to write to.
	if !wasTrusted && st.settings.NotifyNewDevice && st.settings.EmailEnabled {
		return nil, s.notifyNewDevice(ctx, tx, st, now)
	}
	return nil, nil
}

// recovery tells whether a completing sign-in recovered the account (NIST
// 800-63B: a recovery notifies the subscriber): a reset password, or a
// backup code as the second factor (with how many are left).
func recovery(ctx context.Context, tx *ent.Tx, st *state, reset bool, method string) (delivery.Change, string, error) {
	switch {
	case reset:
		return delivery.ChangePasswordReset, "", nil
	case method == settings.StrategyBackupCode:
		n, err := tx.BackupCode.Query().Where(backupcode.UserID(st.user.ID), backupcode.UsedAtIsNil()).Count(ctx)
		switch {
		case err != nil:
			return 0, "", err
		case n == 0:
			return delivery.BackupCodeUsed, "It was the last one: create new backup codes in your account.", nil
		case n == 1:
			return delivery.BackupCodeUsed, "1 unused backup code is left.", nil
		}
		return delivery.BackupCodeUsed, fmt.Sprintf("%d unused backup codes are left.", n), nil
	}
	return 0, "", nil
}

// completeUser writes a completing sign-in to the user's row in one
// statement: the sign-in times, the lockout count a successful sign-in
// resets, and a staged new password. It writes nothing and reports false
// when the user's password changed since the sign-in's first factor passed
// (seePassword): a password reset or change ends the sign-ins in flight,
// also one whose password was being hashed as the change committed. Nor
// does it when the user is banned or locked now: an admin's ban or lock (or
// a lock by concurrent failures) that committed after the step read the
// user, while its password was hashed, stands (refuseCompletion).
func (s *Service) completeUser(ctx context.Context, tx *ent.Tx, st *state, now time.Time) (bool, error) {
	upd := lockout.Reset(tx.User.Update().Where(standing(st, now)).SetLastSignInAt(now).SetLastActiveAt(now))
	if st.si.NewPasswordHash != nil {
		upd.SetPasswordHash(*st.si.NewPasswordHash).SetPasswordUpdatedAt(now)
	}
	n, err := upd.Save(ctx)
	if err != nil {
		return false, fmt.Errorf("signin: recording the sign-in on the user: %w", err)
	}
	return n == 1, nil
}

// standing holds a user row to what lets st's sign-in go on at now: the
// user neither banned nor locked, and the password the one its first factor
// saw (seePassword).
func standing(st *state, now time.Time) predicate.User {
	same := user.PasswordUpdatedAtIsNil()
	if seen := st.si.UserPasswordUpdatedAt; seen != nil {
		same = user.PasswordUpdatedAtEQ(*seen)
	}
	return user.And(user.ID(st.user.ID), lockout.Free(now), same)
}

// stillStanding is completeUser for a first factor that passed without
// completing the sign-in: a conditional write of the user row (its
// updated_at), which waits for and then sees a ban, a lock or a password
// change that committed while the factor was checked. Without it, a lock
// that a burst of concurrent guesses set would not stop the guesses in
// flight, and the one right password would still answer
// needs_second_factor or needs_client_trust. Like a completion's, such a
// step answers as refuseCompletion says.
func (s *Service) stillStanding(ctx context.Context, tx *ent.Tx, st *state, method string) (*apierr.Error, error) {
	now := s.Now()
	n, err := tx.User.Update().Where(standing(st, now)).Save(ctx)
	if err != nil || n == 1 {
		return nil, err
	}
	return s.refuseCompletion(ctx, tx, st, method, now)
}

// refuseCompletion answers a completion completeUser refused. When the user
// is banned or locked now, it returns a refusal: commit rolls the step back
// (the factor it spent, a new password it staged) and records only the
// rejection, so the sign-in stays where it was, as a step guardUser refuses
// leaves it. Otherwise the password changed under the sign-in, which ends it.
func (s *Service) refuseCompletion(ctx context.Context, tx *ent.Tx, st *state, method string, now time.Time) (*apierr.Error, error) {
	u, err := tx.User.Get(ctx, st.user.ID)
	if err != nil {
		return nil, fmt.Errorf("signin: reading a user whose sign-in was refused: %w", err)
	}
	if ref := rejection(u.Banned, lockout.OfUser(u), method, now); ref != nil {
		return nil, ref
	}
	return s.endForPasswordChange(ctx, tx, st, method)
}

// refusal is the answer to a step of a banned or locked user: the error to
// show and the rejection event to record. guardUser refuses before a step;
// as an error out of a step's transaction (refuseCompletion) it rolls the
// step back, and commit then refuses.
type refusal struct {
	shown                  *apierr.Error
	kind, strategy, reason string
}

// rejection is the refusal of a banned user, or of one whose lock holds at
// now; nil for neither.
func rejection(banned bool, lock lockout.State, strategy string, now time.Time) *refusal {
	shown := lockout.Refusal(banned, lock, now)
	switch {
	case shown == nil:
		return nil
	case banned:
		return &refusal{shown, audit.KindUserBannedRejected, strategy, "user_banned"}
	}
	return &refusal{shown, audit.KindUserLockedRejected, strategy, "user_locked"}
}

// refuse records ref as a step of its own and answers with its error.
func (s *Service) refuse(ctx context.Context, st *state, ref *refusal) error {
	return s.commit(ctx, st, func(*ent.Tx) (*apierr.Error, error) {
		s.record(st, ref.kind, ref.strategy, audit.Failure, ref.reason)
		return ref.shown, nil
	})
}

func (r *refusal) Error() string { return "signin: completion refused: " + string(r.shown.Code) }

// seePassword copies, as the first factor passes, the user's
// password_updated_at as the step read it (before any hash) onto the sign-in,
// in upd and in st: the sign-in completes only while it is unchanged
// (completeUser), and a later step that finds it changed abandons the
// sign-in before checking a factor (load). A copied value rather than a
// clock, so that replicas' clocks need not agree; a rehash upgrade leaves it
// as it is.
func seePassword(st *state, upd *ent.SignInUpdate) {
	if t := st.user.PasswordUpdatedAt; t != nil {
		upd.SetUserPasswordUpdatedAt(*t)
	} else {
		upd.ClearUserPasswordUpdatedAt()
	}
	si := *st.si
	si.UserPasswordUpdatedAt = st.user.PasswordUpdatedAt
	st.si = &si
}

// passwordChanged reports whether the user's password changed since the
// sign-in's first factor passed (see seePassword).
func passwordChanged(si *ent.SignIn, u *ent.User) bool {
	switch si.Status {
	case entsignin.StatusNeedsSecondFactor, entsignin.StatusNeedsClientTrust, entsignin.StatusNeedsNewPassword:
	default:
		return false // the first factor has not passed yet
	}
	a, b := si.UserPasswordUpdatedAt, u.PasswordUpdatedAt
	return (a == nil) != (b == nil) || (a != nil && !a.Equal(*b))
}

// MFAFactors lists the enrolled second factors of u that the application
// offers: totp, phone_code (reserved, verified numbers) and backup_code (only
// alongside another). Empty means the user has no MFA.
func MFAFactors(ctx context.Context, c *ent.Client, u *ent.User, set *settings.Settings) ([]*Factor, error) {
	if u == nil {
		return nil, nil
	}
	k := &contacts{userID: u.ID}
	if phones, err := u.Edges.PhoneNumbersOrErr(); err == nil {
		// Loaded with the user (a users page), oldest first: keep the verified ones.
		k.phones.set(slices.DeleteFunc(slices.Clone(phones), func(p *ent.PhoneNumber) bool { return !p.Verified }))
	}
	if ok, loaded := LoadedTOTP(u); loaded {
		k.totp = &ok
	}
	if ok, loaded := LoadedBackupCodes(u); loaded {
		k.backupCodes = &ok
	}
	return mfaFactors(ctx, c, u, set, k)
}

// LoadedTOTP is TOTPEnabled from the TOTP loaded with u (a users page loads
// the verified ones); loaded is false when none was loaded.
func LoadedTOTP(u *ent.User) (enabled, loaded bool) {
	t, err := u.Edges.TotpOrErr()
	if err != nil && !ent.IsNotFound(err) {
		return false, false
	}
	return t != nil && t.Verified, true
}

// LoadedBackupCodes is BackupCodeEnabled from the backup codes loaded with
// u (a users page loads the unused ones); loaded is false when they were not.
func LoadedBackupCodes(u *ent.User) (enabled, loaded bool) {
	codes, err := u.Edges.BackupCodesOrErr()
	if err != nil {
		return false, false
	}
	for _, c := range codes {
		if c.UsedAt == nil {
			return true, true
		}
	}
	return false, true
}

// TOTPEnabled reports whether the user has a verified authenticator app
// (Clerk's user.totpEnabled): the enrolment, whether or not the application
// offers TOTP now (twoFactorEnabled follows what it offers).
func TOTPEnabled(ctx context.Context, c *ent.Client, userID string) (bool, error) {
	return c.Totp.Query().Where(totp.UserID(userID), totp.Verified(true)).Exist(ctx)
}

// BackupCodeEnabled reports whether the user has unused backup codes
// (Clerk's user.backupCodeEnabled). They exist only beside another second
// factor: account deletes them with the last one.
func BackupCodeEnabled(ctx context.Context, c *ent.Client, userID string) (bool, error) {
	return c.BackupCode.Query().Where(backupcode.UserID(userID), backupcode.UsedAtIsNil()).Exist(ctx)
}

// MFAEnabled is MFAFactors as a query: the users of an application with
// settings set who have a second factor it offers (a verified TOTP, a
// verified phone reserved for 2FA; backup codes only count beside those).
func MFAEnabled(set *settings.Settings) predicate.User {
	var any []predicate.User
	if set.SecondFactorEnabled(settings.StrategyTOTP) {
		any = append(any, func(s *entsql.Selector) { s.Where(hasVerifiedTOTP(s.C(user.FieldID))) })
	}
	if set.SecondFactorEnabled(settings.StrategyPhoneCode) {
		any = append(any, user.HasPhoneNumbersWith(phonenumber.Verified(true), phonenumber.ReservedForSecondFactor(true)))
	}
	if len(any) == 0 {
		return func(s *entsql.Selector) { s.Where(entsql.False()) }
	}
	return user.Or(any...)
}

// mfaFactors is MFAFactors reading phones through the step's contacts k.
func mfaFactors(ctx context.Context, c *ent.Client, u *ent.User, set *settings.Settings, k *contacts) ([]*Factor, error) {
	var out []*Factor
	if set.SecondFactorEnabled(settings.StrategyTOTP) {
		if k.totp == nil {
			ok, err := TOTPEnabled(ctx, c, u.ID)
			if err != nil {
				return nil, err
			}
			k.totp = &ok
		}
		if *k.totp {
			out = append(out, &Factor{Strategy: settings.StrategyTOTP})
		}
	}
	if set.SecondFactorEnabled(settings.StrategyPhoneCode) {
		phones, err := k.verifiedPhones(ctx, c)
		if err != nil {
			return nil, err
		}
		// The default number first: a prepare that names none texts it,
		// and so does a frontend taking the first phone_code factor.
		for i, p := range SecondFactorPhones(phones) {
			out = append(out, phoneFactor(p, i == 0))
		}
	}
	if len(out) > 0 && set.SecondFactorEnabled(settings.StrategyBackupCode) {
		if k.backupCodes == nil {
			ok, err := BackupCodeEnabled(ctx, c, u.ID)
			if err != nil {
				return nil, err
			}
			k.backupCodes = &ok
		}
		if *k.backupCodes {
			out = append(out, &Factor{Strategy: settings.StrategyBackupCode})
		}
	}
	return out, nil
}

// clientTrustFactor is where a Client Trust code goes (CONTRACT §3 rule 1):
// the primary verified email, or the primary verified phone only when email
// is disabled for the application. Nil when the user has no such address;
// the caller answers client_trust_unavailable and creates no session.
func clientTrustFactor(ctx context.Context, c *ent.Client, u *ent.User, set *settings.Settings, k *contacts) (*Factor, error) {
	if set.EmailEnabled {
		emails, err := k.verifiedEmails(ctx, c)
		if err != nil || len(emails) == 0 {
			return nil, err
		}
		return emailFactor(pickPrimary(emails, u.PrimaryEmailAddressID, func(e *ent.EmailAddress) string { return e.ID }), true), nil
	}
	if set.PhoneEnabled {
		phones, err := k.verifiedPhones(ctx, c)
		if err != nil || len(phones) == 0 {
			return nil, err
		}
		return phoneFactor(pickPrimary(phones, u.PrimaryPhoneNumberID, func(p *ent.PhoneNumber) string { return p.ID }), true), nil
	}
	return nil, nil
}

// clientTrustUnavailable is rule 5's error, naming what the account lacks
// under set: a verified email address when the application has email on
// (rule 1 sends the code there only), else a verified phone number.
func clientTrustUnavailable(set *settings.Settings) *apierr.Error {
	what := "email address"
	if !set.EmailEnabled {
		what = "phone number"
	}
	return apierr.Newf(apierr.ClientTrustUnavailable,
		"You're signing in from a new device, but your account has no verified %s to send a code to. Please contact support.", what)
}

func pickPrimary[T any](items []T, primary *string, id func(T) string) T {
	if primary != nil {
		for _, it := range items {
			if id(it) == *primary {
				return it
			}
		}
	}
	return items[0]
}

// emailFactors are u's email addresses emails as email_code factors, the
// primary one marked.
func emailFactors(emails []*ent.EmailAddress, u *ent.User) []*Factor {
	out := make([]*Factor, len(emails))
	for i, e := range emails {
		out[i] = emailFactor(e, u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == e.ID)
	}
	return out
}

// SecondFactorPhones returns those of phones (a user's, oldest first) that
// are verified and reserved for two-step verification, in the order a
// sign-in offers them: first the one a second step texts unless told
// another (Clerk's default_second_factor: the one the user chose with
// phoneNumberMakeDefaultSecondFactor, else the oldest), then the others
// oldest first. It writes nothing to the rows: a users page shares them
// between the User field resolvers, which run concurrently.
func SecondFactorPhones(phones []*ent.PhoneNumber) []*ent.PhoneNumber {
	var chosen *ent.PhoneNumber
	var others []*ent.PhoneNumber
	for _, p := range phones {
		switch {
		case !p.Verified || !p.ReservedForSecondFactor:
		case chosen == nil && p.DefaultSecondFactor:
			chosen = p
		default:
			others = append(others, p)
		}
	}
	if chosen == nil {
		return others
	}
	return append([]*ent.PhoneNumber{chosen}, others...)
}

// WithDefaultSecondFactor returns copies of phones (a user's, oldest first)
// whose DefaultSecondFactor reads as a sign-in reads it (SecondFactorPhones):
// true on the default number alone. The rows given are left as they are.
func WithDefaultSecondFactor(phones []*ent.PhoneNumber) []*ent.PhoneNumber {
	def := ""
	if reserved := SecondFactorPhones(phones); len(reserved) > 0 {
		def = reserved[0].ID
	}
	out := make([]*ent.PhoneNumber, len(phones))
	for i, p := range phones {
		c := *p
		c.DefaultSecondFactor = p.ID == def
		out[i] = &c
	}
	return out
}

// phoneFactors are u's phone numbers phones as phone_code factors, the
// primary one marked.
func phoneFactors(phones []*ent.PhoneNumber, u *ent.User) []*Factor {
	out := make([]*Factor, len(phones))
	for i, p := range phones {
		out[i] = phoneFactor(p, u.PrimaryPhoneNumberID != nil && *u.PrimaryPhoneNumberID == p.ID)
	}
	return out
}

func emailFactor(e *ent.EmailAddress, primary bool) *Factor {
	return &Factor{Strategy: settings.StrategyEmailCode, SafeIdentifier: ptr(identifier.MaskEmail(e.EmailAddress)), EmailAddressID: ptr(e.ID), Primary: ptr(primary)}
}

func phoneFactor(p *ent.PhoneNumber, primary bool) *Factor {
	return &Factor{Strategy: settings.StrategyPhoneCode, SafeIdentifier: ptr(identifier.MaskPhone(p.PhoneNumber)), PhoneNumberID: ptr(p.ID), Primary: ptr(primary)}
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
