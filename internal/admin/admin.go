package admin

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	entsql "entgo.io/ent/dialect/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/apikey"
	"github.com/trustgate/trustgate/ent/application"
	"github.com/trustgate/trustgate/ent/backupcode"
	"github.com/trustgate/trustgate/ent/operator"
	"github.com/trustgate/trustgate/ent/phonenumber"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/ent/roleassignment"
	entsession "github.com/trustgate/trustgate/ent/session"
	"github.com/trustgate/trustgate/ent/totp"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/clienttrust"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/notice"
	"github.com/trustgate/trustgate/internal/ratelimit"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/session"
	"github.com/trustgate/trustgate/internal/settings"
	"github.com/trustgate/trustgate/internal/signup"
	"github.com/trustgate/trustgate/internal/users"
	"github.com/trustgate/trustgate/policy"
)

// Service runs admin operations.
type Service struct {
	DB            *database.DB
	Hasher        *factor.Hasher
	CheckPassword func(string) error
	Now           func() time.Time
	Log           *slog.Logger
	// PolicyChanged runs after a committed role change so this replica applies
	// it at once; other replicas follow through the policy version row.
	PolicyChanged func(ctx context.Context)
	// Limiter bounds the permission_denied events RecordDenial writes
	// (nil: one per denial).
	Limiter *ratelimit.Limiter
	// Notices tells a user of what an admin changed in how their account
	// signs in (resetUserMfa), as their application's settings ask; nil
	// tells nothing.
	Notices *notice.Notifier
}

func (s *Service) policyChanged(ctx context.Context, err error) {
	if err == nil && s.PolicyChanged != nil {
		s.PolicyChanged(ctx)
	}
}

// Audit describes one audit event.
type Audit struct {
	Action        string
	TargetType    string
	TargetID      string
	ApplicationID string
	Before, After any
}

// Record writes an audit event for the request's principal inside tx.
func Record(ctx context.Context, tx *ent.Tx, a Audit) error {
	rq := request.From(ctx)
	c := tx.AuditEvent.Create().SetActor(actor(ctx)).SetAction(a.Action).
		SetTargetType(a.TargetType).SetTargetID(a.TargetID).SetIPAddress(rq.IP)
	if a.ApplicationID != "" {
		c.SetApplicationID(a.ApplicationID)
	}
	if a.Before != nil {
		c.SetBefore(jsonText(a.Before))
	}
	if a.After != nil {
		c.SetAfter(jsonText(a.After))
	}
	return c.Exec(ctx)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return string(b)
}

// denialAudit is how often alike denials are audited: once per window, at
// the first.
var denialAudit = ratelimit.Rule{Name: "audit_denial", Limit: 1, Window: time.Minute}

// Denial is a permission Casbin refused the request's principal.
type Denial struct {
	// Field is the GraphQL field asked for ("" outside GraphQL).
	Field      string
	Permission string
	// Domain is the application id the permission was asked in, or *.
	Domain string
	// Foreign: the principal holds no role granted in Domain itself (a
	// role in * holds in any id, made up or not). Its denials in such
	// domains are bounded together, whatever the domain: otherwise each
	// made-up application id would be audited anew.
	Foreign bool
}

// RecordDenial writes a permission_denied audit event in its own transaction
// for the first of alike denials to the request's principal in each minute:
// of one field and permission in one domain (or in any domain where the
// principal holds no role, recorded in the server-wide log). The count is
// the rate limiter's, in the database, so that replicas share it: a key that
// calls fields its role forbids over and over is refused each time, but
// cannot fill the audit log.
func (s *Service) RecordDenial(ctx context.Context, d Denial) error {
	if s.Limiter != nil {
		bucket := d.Domain
		if d.Foreign {
			bucket = ""
		}
		hit, err := s.Limiter.Hit(ctx, denialAudit, strings.Join([]string{actor(ctx), d.Field, d.Permission, bucket}, "\x00"))
		if err != nil || !hit.Allowed {
			return err
		}
	}
	return s.DB.Tx(ctx, func(tx *ent.Tx) error {
		a := Audit{Action: "permission_denied", TargetType: "permission", TargetID: d.Permission}
		switch {
		case d.Foreign:
			// In the server-wide log, which only roles in * read: another
			// tenant's owner makes as many keys as it likes, and would
			// otherwise write without bound into this application's log.
			a.After = map[string]any{"applicationId": d.Domain}
		case d.Domain != policy.AllDomains:
			a.ApplicationID = d.Domain
		}
		return Record(ctx, tx, a)
	})
}

// RecordExport writes an audit event for a bulk export of an application's
// sign-in history with the filters it used.
func (s *Service) RecordExport(ctx context.Context, appID string, filters map[string]string) error {
	return s.DB.Tx(ctx, func(tx *ent.Tx) error {
		return Record(ctx, tx, Audit{Action: "events:read", TargetType: "sign_in_events_export", TargetID: appID,
			ApplicationID: appID, After: map[string]any{"format": "csv", "filters": filters}})
	})
}

// detached returns v, read in a transaction that has committed, detached
// from it so that field resolvers on v query through the client; or err.
func detached[T interface{ Unwrap() T }](v T, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	return v.Unwrap(), nil
}

// ---- applications ----

// NewPublishableKey returns a fresh publishable key.
func NewPublishableKey() string { return "pk_" + randomToken(18) }

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateApplication creates an application; createdAt (for imports) decides its defaults.
func (s *Service) CreateApplication(ctx context.Context, name string, createdAt *time.Time) (*ent.Application, error) {
	name, err := CleanName("name", name)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, apierr.Missing("name")
	}
	at := s.Now()
	if createdAt != nil {
		if createdAt.After(at.Add(time.Minute)) {
			return nil, apierr.Invalid("createdAt", "cannot be in the future")
		}
		at = *createdAt
	}
	var app *ent.Application
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		app, err = CreateApplicationTx(ctx, tx, name, at, false)
		if err != nil {
			return err
		}
		return Record(ctx, tx, Audit{Action: "applications:create", TargetType: "application", TargetID: app.ID, ApplicationID: app.ID,
			After: map[string]any{"name": app.Name, "createdAt": app.CreatedAt}})
	})
	return detached(app, err)
}

// MaxNameLen is the most characters (Unicode code points) in the name of an
// application or an API key.
const MaxNameLen = 100

// CleanName returns the name an admin typed, trimmed, or an invalid-parameter
// error naming param: longer than MaxNameLen characters, not UTF-8, or with a
// control character (a newline, NUL or terminal escape) or a bidirectional
// override that would make it show as something else in logs, lists and
// mail. A blank name comes back empty; the caller decides if it may be.
func CleanName(param, name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", apierr.Invalid(param, "not valid UTF-8 text")
	}
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxNameLen {
		return "", apierr.Invalid(param, fmt.Sprintf("at most %d characters", MaxNameLen))
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
			return "", apierr.Invalid(param, "no control characters (line breaks, tabs, escapes)")
		}
	}
	return name, nil
}

// CreateApplicationTx inserts an application inside tx.
func CreateApplicationTx(ctx context.Context, tx *ent.Tx, name string, createdAt time.Time, dashboard bool) (*ent.Application, error) {
	return tx.Application.Create().SetName(name).SetPublishableKey(NewPublishableKey()).
		SetCreatedAt(createdAt).SetUpdatedAt(createdAt).SetDashboard(dashboard).
		SetSettings(map[string]json.RawMessage{}).SetUpdates(map[string]bool{}).Save(ctx)
}

// Settings returns the effective settings of app. The dashboard
// application's lockout ends within MaxDashboardLockout even where its
// stored setting says otherwise (one saved before UpdateSettings refused
// that): this is what the lockout and the dashboard read.
func Settings(app *ent.Application) (settings.Settings, error) {
	set, err := settings.Effective(app.CreatedAt, app.Updates, app.Settings)
	if err == nil && app.Dashboard && lockoutTooLongForDashboard(&set) {
		max := int(MaxDashboardLockout.Seconds())
		set.LockoutDurationSeconds = &max
	}
	return set, err
}

// lockoutTooLongForDashboard reports whether set locks for longer than the
// dashboard application may (MaxDashboardLockout), or until an admin unlocks.
func lockoutTooLongForDashboard(set *settings.Settings) bool {
	d, bounded := set.LockoutDuration()
	return !bounded || d > MaxDashboardLockout
}

// MaxDashboardLockout is the longest lockout the dashboard application may
// set. Its users are the operators, and anyone may fail an owner's password
// at its sign-in: a lockout until an admin unlocks (or for years) would let
// that lock the last owner of every application out of the control plane,
// with no one left to unlock them.
const MaxDashboardLockout = 24 * time.Hour

// UpdateSettings applies a patch of AppSettings fields (JSON null allowed for
// the nullable ones: lockoutDurationSeconds, sessionInactivityTimeoutSeconds)
// after validating the result.
func (s *Service) UpdateSettings(ctx context.Context, appID string, patch map[string]json.RawMessage) (*settings.Settings, error) {
	var out settings.Settings
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		app, err := s.lockApp(ctx, tx, appID)
		if err != nil {
			return notFound(err, "applicationId")
		}
		before, err := Settings(app)
		if err != nil {
			return err
		}
		next, after, err := settings.Apply(app.CreatedAt, app.Updates, app.Settings, patch)
		var fe *settings.FieldError
		if errors.As(err, &fe) {
			return apierr.Invalid(fe.Field, fe.Reason)
		}
		if err != nil {
			return err
		}
		if _, ok := patch["lockoutDurationSeconds"]; ok && app.Dashboard && lockoutTooLongForDashboard(&after) {
			return apierr.Newf(apierr.ResourceForbidden, "The dashboard's lockout must end by itself, within %d seconds (a day): "+
				"otherwise wrong passwords typed by anyone could lock the last owner out for good.", int(MaxDashboardLockout.Seconds())).
				WithParam("lockoutDurationSeconds")
		}
		if err := tx.Application.UpdateOne(app).SetSettings(next).Exec(ctx); err != nil {
			return err
		}
		out = after
		b, a := changed(before, after)
		return Record(ctx, tx, Audit{Action: "settings:update", TargetType: "application", TargetID: app.ID, ApplicationID: app.ID, Before: b, After: a})
	})
	return &out, err
}

// lockApp reads an application inside tx for a read-modify-write of its
// settings: on PostgreSQL with FOR NO KEY UPDATE, so that two concurrent changes
// apply one after the other instead of the second overwriting the first
// (SQLite's write transactions already run one at a time).
func (s *Service) lockApp(ctx context.Context, tx *ent.Tx, appID string) (*ent.Application, error) {
	q := tx.Application.Query().Where(application.ID(appID))
	if s.DB.IsPostgres() {
		// NO KEY UPDATE: the row's key stays, so inserts of users and
		// clients that reference it need not wait for the change.
		q.Unique(false).Modify(func(s *entsql.Selector) { s.For(entsql.LockNoKeyUpdate) })
	}
	return q.Only(ctx)
}

// fields is s as its AppSettings JSON fields.
func fields(s settings.Settings) map[string]any {
	var all map[string]any
	raw, _ := json.Marshal(s)
	_ = json.Unmarshal(raw, &all)
	return all
}

// changed returns the fields that differ between two settings values.
func changed(before, after settings.Settings) (map[string]any, map[string]any) {
	b, a := fields(before), fields(after)
	db, da := map[string]any{}, map[string]any{}
	for k, v := range a {
		if jsonText(v) != jsonText(b[k]) {
			db[k], da[k] = b[k], v
		}
	}
	return db, da
}

// SetUpdate opts an application into (true) or out of (false) a dated update,
// or back to its creation-date default (nil). Opting in clears the admin's
// explicit values of the fields the update changes, so the update takes effect.
func (s *Service) SetUpdate(ctx context.Context, appID, key string, enabled *bool) (*ent.Application, error) {
	u, ok := settings.FindUpdate(key)
	if !ok {
		return nil, apierr.Invalid("key", fmt.Sprintf("unknown update %q", key))
	}
	var app *ent.Application
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		app, err = s.lockApp(ctx, tx, appID)
		if err != nil {
			return notFound(err, "applicationId")
		}
		before, _ := settings.UpdateOn(u, app.CreatedAt, app.Updates)
		beforeEff, err := Settings(app)
		if err != nil {
			return err
		}
		choices := map[string]bool{}
		for k, v := range app.Updates {
			choices[k] = v
		}
		overrides := map[string]json.RawMessage{}
		for k, v := range app.Settings {
			overrides[k] = v
		}
		if enabled == nil {
			delete(choices, key)
		} else {
			choices[key] = *enabled
		}
		for _, f := range u.Fields {
			delete(overrides, f)
		}
		eff, err := settings.Effective(app.CreatedAt, choices, overrides)
		if err != nil {
			return err
		}
		if fe := settings.Validate(&eff); fe != nil {
			return apierr.Invalid(fe.Field, fe.Reason)
		}
		prior := app.Settings
		app, err = tx.Application.UpdateOne(app).SetUpdates(choices).SetSettings(overrides).Save(ctx)
		if err != nil {
			return err
		}
		after, _ := settings.UpdateOn(u, app.CreatedAt, app.Updates)
		// The settings the choice changed (explicit values it cleared
		// included), beside the choice itself.
		b, a := changed(beforeEff, eff)
		// An explicit value the choice cleared is a change even where the
		// effective value stays the same.
		effective := fields(eff)
		for _, f := range u.Fields {
			if v, ok := prior[f]; ok {
				if _, listed := b[f]; !listed {
					b[f], a[f] = json.RawMessage(v), effective[f]
				}
			}
		}
		b[key], a[key], a["explicit"] = before, after, enabled != nil
		return Record(ctx, tx, Audit{Action: "settings:update", TargetType: "application_update", TargetID: key, ApplicationID: app.ID,
			Before: b, After: a})
	})
	return detached(app, err)
}

// ---- users ----

// CreateUserInput is an admin-created (or imported) user.
type CreateUserInput struct {
	EmailAddress  *string
	PhoneNumber   *string
	Username      *string
	Password      *string
	PasswordHash  *string
	EmailVerified *bool
	PhoneVerified *bool
}

// CreateUser creates a user in app; passwordHash imports a bcrypt or argon2id
// hash. The identifiers are checked against the application's settings as
// sign-up checks them (signup.Identifiers), as Clerk's Backend API does: one
// the application has off is refused, one it requires must be given; so is
// a password or password hash where the application has passwords off. Every
// field at fault is answered at once (an apierr.List).
func (s *Service) CreateUser(ctx context.Context, appID string, in CreateUserInput) (*ent.User, error) {
	app, err := s.DB.Ent.Application.Get(ctx, appID)
	if err != nil {
		return nil, notFound(err, "applicationId")
	}
	set, err := Settings(app)
	if err != nil {
		return nil, err
	}
	n, problems := signup.Identifiers(app.ID, &set, in.EmailAddress, in.PhoneNumber, in.Username)
	n.EmailVerified, n.PhoneVerified = boolOr(in.EmailVerified, true), boolOr(in.PhoneVerified, true)
	switch {
	case !set.PasswordEnabled && in.Password != nil:
		problems = append(problems, apierr.Invalid("password", "passwords are not enabled for this application"))
	case !set.PasswordEnabled && in.PasswordHash != nil:
		problems = append(problems, apierr.Invalid("passwordHash", "passwords are not enabled for this application"))
	case in.Password != nil && in.PasswordHash != nil:
		problems = append(problems, apierr.Invalid("passwordHash", "give either password or passwordHash, not both"))
	case in.Password != nil:
		if err := s.CheckPassword(*in.Password); err != nil {
			e, ok := apierr.As(err)
			if !ok {
				return nil, err
			}
			problems = append(problems, e)
		}
	case in.PasswordHash != nil:
		if err := factor.ParseImportedHash(*in.PasswordHash); err != nil {
			problems = append(problems, apierr.Invalid("passwordHash", "not a bcrypt ($2a$/$2b$/$2y$) or argon2id PHC hash with sane parameters"))
		}
	}
	if err := apierr.Join(problems...); err != nil {
		return nil, err
	}
	switch {
	case in.Password != nil:
		h, err := s.Hasher.Hash(ctx, *in.Password)
		if err != nil {
			return nil, err
		}
		n.PasswordHash = &h
	case in.PasswordHash != nil:
		n.PasswordHash = in.PasswordHash
	}
	var u *ent.User
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		u, err = users.Create(ctx, tx, s.Now(), n)
		if err != nil {
			return err
		}
		return Record(ctx, tx, Audit{Action: "users:create", TargetType: "user", TargetID: u.ID, ApplicationID: app.ID,
			After: map[string]any{"emailAddress": n.EmailAddress, "phoneNumber": n.PhoneNumber, "username": n.Username,
				"passwordImported": in.PasswordHash != nil, "passwordSet": n.PasswordHash != nil}})
	})
	return detached(u, err)
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

func notFound(err error, param string) error {
	if ent.IsNotFound(err) {
		return apierr.New(apierr.ResourceNotFound).WithParam(param)
	}
	return err
}

// userChange applies change to a user inside a transaction and audits it.
// It reads the user with users.ForChange, as the account mutations do, so
// that an administrator's change (resetUserMfa) and the user's own
// (phoneNumberMakeDefaultSecondFactor, totpVerify, …) run one at a time.
func (s *Service) userChange(ctx context.Context, id, action string, change func(tx *ent.Tx, u *ent.User) (before, after any, err error)) (*ent.User, error) {
	var out *ent.User
	var a *Audit // the row to write, also when keepsAnOwner refuses (auditRefusal)
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		u, err := users.ForChange(tx, s.DB.IsPostgres(), id).Only(ctx)
		if err != nil {
			return notFound(err, "id")
		}
		a = &Audit{Action: action, TargetType: "user", TargetID: u.ID, ApplicationID: u.ApplicationID}
		if a.Before, a.After, err = change(tx, u); err != nil {
			return err
		}
		if out, err = tx.User.Get(ctx, id); err != nil {
			return err
		}
		return Record(ctx, tx, *a)
	})
	return detached(out, s.auditRefusal(ctx, err, a))
}

// LockUser locks a user until an admin unlocks.
func (s *Service) LockUser(ctx context.Context, id string) (*ent.User, error) {
	return s.userChange(ctx, id, "users:lock", func(tx *ent.Tx, u *ent.User) (any, any, error) {
		if err := tx.User.UpdateOne(u).SetLockedAt(s.Now()).ClearLockoutExpiresAt().Exec(ctx); err != nil {
			return nil, nil, err
		}
		// A locked operator signs in no more until unlocked: locking the
		// last owner of every application is refused, as banning them is.
		return map[string]any{"locked": u.LockedAt != nil}, map[string]any{"locked": true}, s.ownerStays(ctx, tx, u.ID)
	})
}

// UnlockUser unlocks a user and clears the failure count.
func (s *Service) UnlockUser(ctx context.Context, id string) (*ent.User, error) {
	return s.userChange(ctx, id, "users:unlock", func(tx *ent.Tx, u *ent.User) (any, any, error) {
		return map[string]any{"locked": u.LockedAt != nil, "failedAttempts": u.FailedAttempts}, map[string]any{"locked": false, "failedAttempts": 0},
			tx.User.UpdateOne(u).ClearLockedAt().ClearLockoutExpiresAt().SetFailedAttempts(0).Exec(ctx)
	})
}

// BanUser bans a user and revokes all their sessions.
func (s *Service) BanUser(ctx context.Context, id string) (*ent.User, error) {
	return s.userChange(ctx, id, "users:ban", func(tx *ent.Tx, u *ent.User) (any, any, error) {
		if err := tx.User.UpdateOne(u).SetBanned(true).Exec(ctx); err != nil {
			return nil, nil, err
		}
		// A banned operator signs in no more: banning the last owner of
		// every application is refused, as revoking their role would be.
		if err := s.ownerStays(ctx, tx, u.ID); err != nil {
			return nil, nil, err
		}
		n, err := session.End(ctx, tx, entsession.StatusRevoked, s.Now(), entsession.UserID(u.ID))
		return map[string]any{"banned": u.Banned}, map[string]any{"banned": true, "sessionsRevoked": n}, err
	})
}

// UnbanUser lifts a ban.
func (s *Service) UnbanUser(ctx context.Context, id string) (*ent.User, error) {
	return s.userChange(ctx, id, "users:unban", func(tx *ent.Tx, u *ent.User) (any, any, error) {
		return map[string]any{"banned": u.Banned}, map[string]any{"banned": false}, tx.User.UpdateOne(u).SetBanned(false).Exec(ctx)
	})
}

// ResetMFA removes every second factor of a user: TOTP, SMS reservations,
// backup codes. The user is told (a security notice), since a reset asked
// of an application's support by someone posing as the user is how MFA is
// taken over.
func (s *Service) ResetMFA(ctx context.Context, id string) (*ent.User, error) {
	var sent func()
	u, err := s.userChange(ctx, id, "users:reset_mfa", func(tx *ent.Tx, u *ent.User) (any, any, error) {
		// An enrolment never verified is no second factor: its removal is
		// no news. It goes first: an enrolment verified while this runs is
		// then the second statement's, which reads it as committed.
		pending, err := tx.Totp.Delete().Where(totp.UserID(u.ID), totp.Verified(false)).Exec(ctx)
		if err != nil {
			return nil, nil, err
		}
		enrolled, err := tx.Totp.Delete().Where(totp.UserID(u.ID), totp.Verified(true)).Exec(ctx)
		if err != nil {
			return nil, nil, err
		}
		t := pending + enrolled
		p, err := tx.PhoneNumber.Update().Where(phonenumber.UserID(u.ID), phonenumber.ReservedForSecondFactor(true)).
			SetReservedForSecondFactor(false).SetDefaultSecondFactor(false).Save(ctx)
		if err != nil {
			return nil, nil, err
		}
		b, err := tx.BackupCode.Delete().Where(backupcode.UserID(u.ID)).Exec(ctx)
		if err != nil {
			return nil, nil, err
		}
		sent = nil
		if enrolled+p+b > 0 { // no news when there was no second factor to remove
			if sent, err = s.notify(ctx, tx, u, delivery.ChangeMFAReset); err != nil {
				return nil, nil, err
			}
		}
		return map[string]any{"totp": t, "phones": p, "backupCodes": b}, map[string]any{"totp": 0, "phones": 0, "backupCodes": 0}, nil
	})
	if err == nil {
		notice.Run(sent)
	}
	return u, err
}

// notify queues a security notice of change to u in tx, under u's
// application's settings (notice.Notifier.Security).
func (s *Service) notify(ctx context.Context, tx *ent.Tx, u *ent.User, change delivery.Change) (func(), error) {
	if s.Notices == nil {
		return nil, nil
	}
	app, err := tx.Application.Get(ctx, u.ApplicationID)
	if err != nil {
		return nil, err
	}
	set, err := settings.Effective(app.CreatedAt, app.Updates, app.Settings)
	if err != nil {
		return nil, err
	}
	return s.Notices.Security(ctx, tx, &set, app, u.ID, change, "", "", s.Now())
}

// RevokeTrustedClients ends every trusted client of a user.
func (s *Service) RevokeTrustedClients(ctx context.Context, userID string) (*ent.User, error) {
	return s.userChange(ctx, userID, "trust:revoke", func(tx *ent.Tx, u *ent.User) (any, any, error) {
		n, err := clienttrust.RevokeAll(ctx, tx, u.ID)
		return map[string]any{"trustedClients": n}, map[string]any{"trustedClients": 0}, err
	})
}

// RevokeSession revokes a session.
func (s *Service) RevokeSession(ctx context.Context, id string) (*ent.Session, error) {
	var out *ent.Session
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		sess, err := tx.Session.Get(ctx, id)
		if err != nil {
			return notFound(err, "id")
		}
		if out, err = session.EndOne(ctx, tx, sess, entsession.StatusRevoked, s.Now()); err != nil || out.Status == sess.Status {
			return err // or it had ended already: nothing to audit
		}
		return Record(ctx, tx, Audit{Action: "sessions:revoke", TargetType: "session", TargetID: sess.ID, ApplicationID: sess.ApplicationID,
			Before: map[string]any{"status": sess.Status}, After: map[string]any{"status": out.Status}})
	})
	return detached(out, err)
}

// ---- roles, keys, operators ----

// GrantRole assigns role to subject in domain (an application id or *).
func (s *Service) GrantRole(ctx context.Context, subject, role, domain string) (*ent.RoleAssignment, error) {
	if err := s.checkGrant(ctx, subject, role, domain); err != nil {
		return nil, err
	}
	var ra *ent.RoleAssignment
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		// Granted again, a role is renewed (policy.Grant), whoever holds
		// it: an invitation waits InvitationTTL from now, and the answer
		// does not tell it from an operator's role.
		var err error
		ra, err = policy.Grant(ctx, tx, subject, role, domain, actor(ctx), s.Now())
		if err != nil {
			return err
		}
		return Record(ctx, tx, Audit{Action: "roles:grant", TargetType: "role_assignment", TargetID: ra.ID, ApplicationID: appOrEmpty(domain),
			After: map[string]any{"subject": subject, "role": role, "applicationId": domain}})
	})
	s.policyChanged(ctx, err)
	return detached(ra, err)
}

// InvitationTTL is how long a role granted to an email that names no
// operator (an invitation) waits for that operator: one created later gets
// none of it, since the address may have changed hands by then. Granting
// the role again renews it.
const InvitationTTL = 7 * 24 * time.Hour

// RevokeRole removes role from subject in domain.
func (s *Service) RevokeRole(ctx context.Context, subject, role, domain string) (bool, error) {
	var ok bool
	a := Audit{Action: "roles:revoke", TargetType: "role_assignment", TargetID: subject, ApplicationID: appOrEmpty(domain),
		Before: map[string]any{"subject": subject, "role": role, "applicationId": domain}}
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		ok, err = policy.Revoke(ctx, tx, subject, role, domain)
		if err != nil || !ok {
			return err
		}
		if role == "owner" && domain == policy.AllDomains {
			if err := keepsAnOwner(ctx, tx); err != nil {
				return err
			}
		}
		return Record(ctx, tx, a)
	})
	s.policyChanged(ctx, err)
	return ok, s.auditRefusal(ctx, err, &a)
}

// keepsAnOwner refuses, inside the transaction of a revocation, a change
// that leaves no owner of every application: an active API key or an
// operator still enabled, neither banned nor locked until an admin unlocks,
// holding the owner role in *. Without one, no one
// could grant roles or create applications again short of the CLI on the
// database's host. It runs after every other role change or owner's ban
// (policy.Serialize): two at once, a ban of one owner and a revocation of
// the other, would each see the other's owner still standing.
func keepsAnOwner(ctx context.Context, tx *ent.Tx) error {
	if err := policy.Serialize(ctx, tx); err != nil {
		return err
	}
	grants, err := tx.RoleAssignment.Query().
		Where(roleassignment.Role("owner"), roleassignment.Domain(policy.AllDomains)).All(ctx)
	if err != nil {
		return err
	}
	for _, g := range grants {
		var live bool
		if policy.IsKey(g.Subject) {
			live, err = tx.APIKey.Query().Where(apikey.ID(g.Subject), apikey.RevokedAtIsNil()).Exist(ctx)
		} else {
			live, err = tx.Operator.Query().Where(operator.Email(g.Subject), operatorActs()).Exist(ctx)
		}
		if err != nil || live {
			return err
		}
	}
	return lastOwner{apierr.Newf(apierr.ResourceForbidden, "This would leave no owner of every application. Grant the owner role in * to another operator or key first.")}
}

// lastOwner is keepsAnOwner's refusal.
type lastOwner struct{ err error }

func (e lastOwner) Error() string { return e.err.Error() }
func (e lastOwner) Unwrap() error { return e.err }

// auditRefusal writes, in a transaction of its own, the audit row of a
// change that keepsAnOwner refused, whose own transaction rolled back: an
// attempt to leave the control plane without an owner is worth a trace. a
// is the row the change would have written; err, returned as it is, is the
// change's error, and any other error writes nothing.
func (s *Service) auditRefusal(ctx context.Context, err error, a *Audit) error {
	if a == nil || !errors.As(err, new(lastOwner)) {
		return err
	}
	a.Before, a.After = nil, map[string]any{"refused": "it would leave no owner of every application"}
	if rerr := s.DB.Tx(ctx, func(tx *ent.Tx) error { return Record(ctx, tx, *a) }); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// ownerStays is keepsAnOwner for a change that stops the user userID
// signing in (a ban, an admin lock), written in tx: it checks only when the
// user is the operator of an owner of every application.
func (s *Service) ownerStays(ctx context.Context, tx *ent.Tx, userID string) error {
	owner, err := s.ownsEverything(ctx, tx, userID)
	if err != nil || !owner {
		return err
	}
	return keepsAnOwner(ctx, tx)
}

// ownsEverything reports whether the operator whose dashboard user is
// userID holds the owner role in every application.
func (s *Service) ownsEverything(ctx context.Context, tx *ent.Tx, userID string) (bool, error) {
	op, err := tx.Operator.Query().Where(operator.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return ownsAll(ctx, tx, op.Email)
}

// ownsAll reports whether subject (an operator's email or a key id) holds
// the owner role in every application.
func ownsAll(ctx context.Context, tx *ent.Tx, subject string) (bool, error) {
	return tx.RoleAssignment.Query().Where(roleassignment.Subject(subject),
		roleassignment.Role("owner"), roleassignment.Domain(policy.AllDomains)).Exist(ctx)
}

// checkRoleDomain validates a role and the domain it is for: an existing
// application's id or * (policy.AllDomains). Errors name "role" (an
// invalid parameter) or "applicationId" (resource_not_found).
func (s *Service) checkRoleDomain(ctx context.Context, role, domain string) error {
	if !policy.ValidRole(role) {
		return apierr.Invalid("role", "one of "+strings.Join(policy.Roles, ", "))
	}
	if domain != policy.AllDomains {
		if ok, err := s.DB.Ent.Application.Query().Where(application.ID(domain)).Exist(ctx); err != nil || !ok {
			return orErr(err, apierr.Newf(apierr.ResourceNotFound, "No application has this id.").WithParam("applicationId"))
		}
	}
	return nil
}

func (s *Service) checkGrant(ctx context.Context, subject, role, domain string) error {
	if err := s.checkRoleDomain(ctx, role, domain); err != nil {
		return err
	}
	switch {
	case policy.IsKey(subject):
		if ok, err := s.DB.Ent.APIKey.Query().Where(apikey.ID(subject), apikey.RevokedAtIsNil()).Exist(ctx); err != nil || !ok {
			return orErr(err, apierr.Invalid("subject", "no such active API key"))
		}
	default:
		email, err := identifier.NormalizeEmail(subject)
		if err != nil || email != subject {
			return apierr.Invalid("subject", "an operator's email (lowercase) or an API key id")
		}
		if domain != policy.AllDomains {
			// In one application, a role may wait for an operator not yet
			// created (an invitation): refusing unknown emails would let an
			// owner of one application list the server's operators.
			return nil
		}
		if ok, err := s.DB.Ent.Operator.Query().Where(operator.Email(email)).Exist(ctx); err != nil || !ok {
			return orErr(err, apierr.Invalid("subject", "no operator with this email"))
		}
	}
	return nil
}

func orErr(err error, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func appOrEmpty(domain string) string {
	if domain == policy.AllDomains {
		return ""
	}
	return domain
}

// actor names the request's principal in audit rows, or "system".
func actor(ctx context.Context) string {
	if p := request.From(ctx).Principal; p != nil {
		return p.Actor
	}
	return "system"
}

// KeyPrefix is how secret keys start.
const KeyPrefix = "sk_"

// HashKey is the stored form of an API key.
func HashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// CreateAPIKey creates a secret key bound to role in domain and returns it once.
func (s *Service) CreateAPIKey(ctx context.Context, name, role, domain string) (*ent.APIKey, string, error) {
	var (
		key *ent.APIKey
		raw string
	)
	name, err := CleanName("name", name)
	if err != nil {
		return nil, "", err
	}
	if err := s.checkRoleDomain(ctx, role, domain); err != nil {
		return nil, "", err
	}
	raw = KeyPrefix + randomToken(32)
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		key, err = tx.APIKey.Create().SetName(name).SetPrefix(raw[:11]).SetSecretHash(HashKey(raw)).
			SetRole(role).SetApplicationID(domain).SetCreatedBy(actor(ctx)).Save(ctx)
		if err != nil {
			return err
		}
		if _, err := policy.Grant(ctx, tx, key.ID, role, domain, actor(ctx), s.Now()); err != nil {
			return err
		}
		return Record(ctx, tx, Audit{Action: "keys:create", TargetType: "api_key", TargetID: key.ID, ApplicationID: appOrEmpty(domain),
			After: map[string]any{"name": name, "role": role, "applicationId": domain, "prefix": key.Prefix}})
	})
	s.policyChanged(ctx, err)
	if key, err = detached(key, err); err != nil {
		return nil, "", err // the key was not stored: its secret is not handed out
	}
	return key, raw, nil
}

// CreateOperator creates a dashboard operator: a user of the dashboard
// application with a verified email and password, and role in domain.
// The password must pass CheckPassword.
func (s *Service) CreateOperator(ctx context.Context, email, password, role, domain string) (*ent.Operator, error) {
	email, err := identifier.NormalizeEmail(email)
	if err != nil {
		return nil, apierr.Invalid("email", "not a valid email address")
	}
	if err := s.checkRoleDomain(ctx, role, domain); err != nil {
		return nil, err
	}
	if err := s.CheckPassword(password); err != nil {
		return nil, err
	}
	// Checked before the hash, so a repeated command fails at once; the
	// unique email in the transaction below settles a race the same way.
	if exists, err := s.DB.Ent.Operator.Query().Where(operator.Email(email)).Exist(ctx); err != nil || exists {
		return nil, cmp.Or(err, operatorExists(email))
	}
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	dash, err := s.DB.Ent.Application.Query().Where(application.Dashboard(true)).Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: finding the dashboard application: %w", err)
	}
	var op *ent.Operator
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		u, err := users.Create(ctx, tx, s.Now(), users.New{ApplicationID: dash.ID, EmailAddress: &email, EmailVerified: true, PasswordHash: &hash})
		if apierr.Is(err, apierr.FormIdentifierExists) {
			return operatorExists(email)
		}
		if err != nil {
			return err
		}
		if op, err = tx.Operator.Create().SetEmail(email).SetUserID(u.ID).Save(ctx); err != nil {
			return err
		}
		// Every grant to the email so far was an invitation (operators are
		// never deleted, and their emails are unique): those older than
		// InvitationTTL lapse instead of passing to the new operator.
		lapsed, err := tx.RoleAssignment.Delete().Where(roleassignment.Subject(email),
			roleassignment.CreatedAtLT(s.Now().Add(-InvitationTTL))).Exec(ctx)
		if err != nil {
			return err
		}
		if lapsed > 0 {
			if err := policy.Serialize(ctx, tx); err != nil { // bumps the version: replicas drop them too
				return err
			}
		}
		if _, err := policy.Grant(ctx, tx, email, role, domain, actor(ctx), s.Now()); err != nil {
			return err
		}
		after := map[string]any{"email": email, "role": role, "applicationId": domain}
		if lapsed > 0 {
			after["lapsedInvitations"] = lapsed
		}
		return Record(ctx, tx, Audit{Action: "operators:create", TargetType: "operator", TargetID: op.ID, ApplicationID: appOrEmpty(domain),
			After: after})
	})
	s.policyChanged(ctx, err)
	return detached(op, err)
}

// operatorExists refuses a second operator with email: operators are never
// deleted, and one operator holds any number of roles.
func operatorExists(email string) error {
	e := apierr.Newf(apierr.FormIdentifierExists, "An operator with the email %s already exists. Give it another role with grantRole (the admin API, or the dashboard's Access page).", email)
	e.Param = "email"
	return e
}

// RevokeAPIKey revokes a key and its roles.
func (s *Service) RevokeAPIKey(ctx context.Context, id string) (*ent.APIKey, error) {
	var key *ent.APIKey
	var a *Audit // the row to write, also when keepsAnOwner refuses (auditRefusal)
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		k, err := tx.APIKey.Get(ctx, id)
		if err != nil {
			return notFound(err, "id")
		}
		a = &Audit{Action: "keys:revoke", TargetType: "api_key", TargetID: k.ID, ApplicationID: appOrEmpty(k.ApplicationID),
			Before: map[string]any{"revoked": false}, After: map[string]any{"revoked": true}}
		// Revoked once: a second call keeps the first one's time and
		// audits nothing (also when two calls race).
		n, err := tx.APIKey.Update().Where(apikey.ID(k.ID), apikey.RevokedAtIsNil()).SetRevokedAt(s.Now()).Save(ctx)
		if err != nil {
			return err
		}
		if key, err = tx.APIKey.Get(ctx, k.ID); err != nil || n == 0 {
			return err
		}
		wasOwner, err := ownsAll(ctx, tx, k.ID)
		if err != nil {
			return err
		}
		if err := policy.RevokeSubject(ctx, tx, k.ID); err != nil {
			return err
		}
		if wasOwner {
			if err := keepsAnOwner(ctx, tx); err != nil {
				return err
			}
		}
		return Record(ctx, tx, *a)
	})
	s.policyChanged(ctx, err)
	return detached(key, s.auditRefusal(ctx, err, a))
}

// AuthenticateKey returns the principal of a secret key, refreshing its last use.
func (s *Service) AuthenticateKey(ctx context.Context, raw string) (*request.Principal, error) {
	key, err := s.DB.Ent.APIKey.Query().Where(apikey.SecretHash(HashKey(raw)), apikey.RevokedAtIsNil()).Only(ctx)
	if err != nil {
		return nil, apierr.New(apierr.AuthenticationInvalid)
	}
	now := s.Now()
	if key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) > time.Minute {
		_ = s.DB.Tx(ctx, func(tx *ent.Tx) error { return tx.APIKey.UpdateOneID(key.ID).SetLastUsedAt(now).Exec(ctx) })
	}
	return &request.Principal{Subject: key.ID, Actor: "key:" + key.ID, APIKey: key}, nil
}

// operatorActs is the predicate of an operator who may act: enabled, and
// whose dashboard user is neither banned nor locked until an admin unlocks
// it. A lock that failures made, which expires, does not count: anyone who
// knows an operator's address could otherwise take the control plane from
// every operator by guessing passwords (ASVS 6.1.1).
func operatorActs() predicate.Operator {
	return operator.And(operator.DisabledAtIsNil(),
		operator.HasUserWith(user.Banned(false), user.Or(user.LockedAtIsNil(), user.LockoutExpiresAtNotNil())))
}

// OperatorPrincipal returns the principal of an operator's dashboard
// session, while the operator may act (operatorActs): a session an operator
// had when an admin locked or banned them carries no powers, as
// keepsAnOwner already counts such an operator as no owner. (A lock of an
// application's user ends none of its sessions, as at Clerk; a ban does.)
func (s *Service) OperatorPrincipal(ctx context.Context, sess *ent.Session) (*request.Principal, error) {
	op, err := s.DB.Ent.Operator.Query().Where(operator.UserID(sess.UserID), operatorActs()).Only(ctx)
	if err != nil {
		return nil, apierr.New(apierr.AuthenticationInvalid)
	}
	return &request.Principal{Subject: op.Email, Actor: "operator:" + op.Email, Operator: op}, nil
}
