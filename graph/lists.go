package graph

import (
	"context"
	"encoding/json"
	"github.com/trustgate/trustgate/internal/admin"
	"github.com/trustgate/trustgate/internal/lockout"
	"github.com/trustgate/trustgate/internal/signin"
	"slices"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/auditevent"
	"github.com/trustgate/trustgate/ent/backupcode"
	"github.com/trustgate/trustgate/ent/device"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/phonenumber"
	"github.com/trustgate/trustgate/ent/predicate"
	entsession "github.com/trustgate/trustgate/ent/session"
	"github.com/trustgate/trustgate/ent/signinevent"
	"github.com/trustgate/trustgate/ent/totp"
	"github.com/trustgate/trustgate/ent/trustedclient"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/identifier"
)

// users lists an application's users, newest first, with the admin filters.
func (r *Resolver) users(ctx context.Context, appID string, first *int, after *entgql.Cursor[string], where *UserWhereInput) (*UserConnection, error) {
	n, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	preds := []predicate.User{user.ApplicationID(appID)}
	if where != nil {
		p, err := r.userFilters(ctx, appID, where)
		if err != nil {
			return nil, err
		}
		preds = append(preds, p...)
	}
	conn := &UserConnection{}
	if wantsTotal(ctx) {
		if conn.TotalCount, err = r.DB.Ent.User.Query().Where(preds...).Count(ctx); err != nil {
			return nil, err
		}
	}
	t, id, ok, err := keyset(after)
	if err != nil {
		return nil, err
	}
	if ok {
		// "created_at <= t" bounds the index scan; the OR alone would make
		// PostgreSQL read every newer row to find the page.
		preds = append(preds, user.CreatedAtLTE(t), user.Or(user.CreatedAtLT(t), user.IDLT(id)))
	}
	// The page's addresses, phones, verified TOTPs, unused backup codes and
	// application are loaded with it (one query each, not several per
	// user); the User field resolvers and signin.MFAFactors use them.
	nodes, err := r.DB.Ent.User.Query().Where(preds...).
		Order(ent.Desc(user.FieldCreatedAt), ent.Desc(user.FieldID)).Limit(n + 1).
		WithEmailAddresses(func(q *ent.EmailAddressQuery) { q.Order(ent.Asc(emailaddress.FieldCreatedAt)) }).
		WithPhoneNumbers(func(q *ent.PhoneNumberQuery) {
			q.Order(ent.Asc(phonenumber.FieldCreatedAt), ent.Asc(phonenumber.FieldID))
		}).
		WithTotp(func(q *ent.TotpQuery) { q.Where(totp.Verified(true)) }).
		WithBackupCodes(func(q *ent.BackupCodeQuery) { q.Where(backupcode.UsedAtIsNil()) }).
		WithApplication().
		All(ctx)
	if err != nil {
		return nil, err
	}
	conn.Edges, conn.PageInfo = page(nodes, n,
		func(u *ent.User) (time.Time, string) { return u.CreatedAt, u.ID },
		func(u *ent.User, c entgql.Cursor[string]) *UserEdge { return &UserEdge{Node: u, Cursor: c} })
	return conn, nil
}

func (r *Resolver) userFilters(ctx context.Context, appID string, w *UserWhereInput) ([]predicate.User, error) {
	var preds []predicate.User
	if w.Query != nil && *w.Query != "" {
		q := *w.Query
		switch kind, norm, err := identifier.Normalize(q); {
		case err == nil && kind == identifier.Email:
			preds = append(preds, user.HasEmailAddressesWith(emailaddress.EmailAddress(norm)))
		case err == nil && kind == identifier.Phone:
			preds = append(preds, user.HasPhoneNumbersWith(phonenumber.PhoneNumber(norm)))
		default:
			preds = append(preds, user.Or(user.ID(q), user.Username(norm)))
		}
	}
	lockedNow := lockout.LockedAt(r.Now())
	if w.Locked != nil {
		if *w.Locked {
			preds = append(preds, lockedNow)
		} else {
			preds = append(preds, user.Not(lockedNow))
		}
	}
	if w.Banned != nil {
		preds = append(preds, user.Banned(*w.Banned))
	}
	if w.TwoFactorEnabled != nil {
		// The same rule as the users' twoFactorEnabled field: the second
		// factors this application offers.
		app, err := r.DB.Ent.Application.Get(ctx, appID)
		if err != nil {
			return nil, err
		}
		set, err := admin.Settings(app)
		if err != nil {
			return nil, err
		}
		mfa := signin.MFAEnabled(&set)
		if *w.TwoFactorEnabled {
			preds = append(preds, mfa)
		} else {
			preds = append(preds, user.Not(mfa))
		}
	}
	return preds, nil
}

// SignInEventFilters turns the GraphQL filter into predicates; the CSV export uses it too.
func (r *Resolver) SignInEventFilters(appID string, w *SignInEventWhereInput) ([]predicate.SignInEvent, error) {
	preds := []predicate.SignInEvent{signinevent.ApplicationID(appID)}
	if w == nil {
		return preds, nil
	}
	if w.UserID != nil {
		preds = append(preds, signinevent.UserID(*w.UserID))
	}
	if w.Identifier != nil && *w.Identifier != "" {
		_, norm, err := identifier.Normalize(*w.Identifier)
		if err != nil {
			return nil, apierr.Invalid("identifier", "not an email address, E.164 phone number or username")
		}
		preds = append(preds, signinevent.IdentifierDigest(r.Events.IdentifierDigest(norm)))
	}
	if w.ClientID != nil {
		preds = append(preds, signinevent.ClientID(*w.ClientID))
	}
	if w.Kind != nil {
		preds = append(preds, signinevent.Kind(*w.Kind))
	}
	if w.Outcome != nil {
		preds = append(preds, signinevent.OutcomeEQ(*w.Outcome))
	}
	if w.IPAddress != nil {
		preds = append(preds, signinevent.IPAddress(*w.IPAddress))
	}
	if w.From != nil {
		preds = append(preds, signinevent.AtGTE(*w.From))
	}
	if w.To != nil {
		preds = append(preds, signinevent.AtLT(*w.To))
	}
	return preds, nil
}

// signInEvents pages the sign-in history newest first by (at, id), which the
// composite indexes serve without sorting.
func (r *Resolver) signInEvents(ctx context.Context, appID string, first *int, after *entgql.Cursor[string], where *SignInEventWhereInput) (*SignInEventConnection, error) {
	n, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	preds, err := r.SignInEventFilters(appID, where)
	if err != nil {
		return nil, err
	}
	conn := &SignInEventConnection{}
	if wantsTotal(ctx) {
		if conn.TotalCount, err = r.DB.Ent.SignInEvent.Query().Where(preds...).Count(ctx); err != nil {
			return nil, err
		}
	}
	t, id, ok, err := keyset(after)
	if err != nil {
		return nil, err
	}
	if ok {
		preds = append(preds, signInEventsBefore(t, id))
	}
	nodes, err := r.signInEventPage(ctx, preds, n+1)
	if err != nil {
		return nil, err
	}
	conn.Edges, conn.PageInfo = page(nodes, n,
		func(e *ent.SignInEvent) (time.Time, string) { return e.At, e.ID },
		func(e *ent.SignInEvent, c entgql.Cursor[string]) *SignInEventEdge {
			return &SignInEventEdge{Node: e, Cursor: c}
		})
	return conn, nil
}

// signInEventsBefore selects the events after (at, id) in newest-first
// order. "at <= t" is what lets the (…, at, id) indexes bound the scan; the
// OR alone would make PostgreSQL read every newer row to find the page.
func signInEventsBefore(t time.Time, id string) predicate.SignInEvent {
	return signinevent.And(signinevent.AtLTE(t), signinevent.Or(signinevent.AtLT(t), signinevent.IDLT(id)))
}

// signInEventPage reads up to n events matching preds, newest first.
func (r *Resolver) signInEventPage(ctx context.Context, preds []predicate.SignInEvent, n int) ([]*ent.SignInEvent, error) {
	return r.DB.Ent.SignInEvent.Query().Where(preds...).
		Order(ent.Desc(signinevent.FieldAt), ent.Desc(signinevent.FieldID)).Limit(n).All(ctx)
}

// EachSignInEventBatch calls fn with the events of appID matching where,
// newest first, in keyset batches of at most size rows, so that a caller
// streaming millions of rows (the CSV export) holds one batch at a time.
func (r *Resolver) EachSignInEventBatch(ctx context.Context, appID string, where *SignInEventWhereInput, size int, fn func([]*ent.SignInEvent) error) error {
	filters, err := r.SignInEventFilters(appID, where)
	if err != nil {
		return err
	}
	preds := filters
	for {
		batch, err := r.signInEventPage(ctx, preds, size)
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			if err := fn(batch); err != nil {
				return err
			}
		}
		if len(batch) < size {
			return nil
		}
		last := batch[len(batch)-1]
		preds = append(slices.Clip(filters), signInEventsBefore(last.At, last.ID))
	}
}

// auditEvents pages the admin audit log newest first.
func (r *Resolver) auditEvents(ctx context.Context, appID *string, first *int, after *entgql.Cursor[string]) (*AuditEventConnection, error) {
	n, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	var preds []predicate.AuditEvent
	if appID != nil && *appID != "" {
		preds = append(preds, auditevent.ApplicationID(*appID))
	}
	conn := &AuditEventConnection{}
	if wantsTotal(ctx) {
		if conn.TotalCount, err = r.DB.Ent.AuditEvent.Query().Where(preds...).Count(ctx); err != nil {
			return nil, err
		}
	}
	t, id, ok, err := keyset(after)
	if err != nil {
		return nil, err
	}
	if ok {
		preds = append(preds, auditevent.AtLTE(t), auditevent.Or(auditevent.AtLT(t), auditevent.IDLT(id)))
	}
	nodes, err := r.DB.Ent.AuditEvent.Query().Where(preds...).
		Order(ent.Desc(auditevent.FieldAt), ent.Desc(auditevent.FieldID)).Limit(n + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	conn.Edges, conn.PageInfo = page(nodes, n,
		func(e *ent.AuditEvent) (time.Time, string) { return e.At, e.ID },
		func(e *ent.AuditEvent, c entgql.Cursor[string]) *AuditEventEdge {
			return &AuditEventEdge{Node: e, Cursor: c}
		})
	return conn, nil
}

// userDevices are the clients u has sessions on (of any status) or trusts,
// the most recently active first (then the newest id), at most
// userSessionsLimit of them: one query for the clients, one for the trust
// of those listed. The ids are never gathered into a list of parameters,
// which a user with enough clients would take past what the database
// accepts in one statement.
func (r *Resolver) userDevices(ctx context.Context, u *ent.User) ([]*UserDevice, error) {
	devices, err := r.DB.Ent.Device.Query().
		Where(device.Or(device.HasSessionsWith(entsession.UserID(u.ID)), device.HasTrustsWith(trustedclient.UserID(u.ID)))).
		Order(ent.Desc(device.FieldLastActiveAt), ent.Desc(device.FieldID)).Limit(userSessionsLimit).All(ctx)
	if err != nil || len(devices) == 0 {
		return []*UserDevice{}, err
	}
	ids := make([]string, len(devices))
	for i, d := range devices {
		ids[i] = d.ID
	}
	trusts, err := r.DB.Ent.TrustedClient.Query().Where(trustedclient.UserID(u.ID), trustedclient.ClientIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	trustedAt := make(map[string]time.Time, len(trusts))
	for _, t := range trusts {
		trustedAt[t.ClientID] = t.CreatedAt
	}
	out := make([]*UserDevice, 0, len(devices))
	for _, d := range devices {
		ud := &UserDevice{ID: d.ID, UserAgent: d.UserAgent, IPAddress: d.IPAddress, CreatedAt: d.CreatedAt, LastActiveAt: d.LastActiveAt}
		if at, ok := trustedAt[d.ID]; ok {
			ud.Trusted, ud.TrustedAt = true, &at
		}
		out = append(out, ud)
	}
	return out, nil
}

// settingsPatch is the updateAppSettings input as a patch of AppSettings
// fields: the values as GraphQL coerced them (one value where a list is
// expected is a list of it; an Int sent as a string of digits is the
// number), and an explicit null (lockoutDurationSeconds: null, "until an
// admin unlocks") kept apart from an absent field, which only the raw
// argument tells.
func settingsPatch(ctx context.Context, input UpdateAppSettingsInput) (map[string]json.RawMessage, error) {
	fc := graphql.GetFieldContext(ctx)
	args := fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
	in, _ := args["input"].(map[string]any)
	b, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	var coerced map[string]json.RawMessage
	if err := json.Unmarshal(b, &coerced); err != nil {
		return nil, err
	}
	patch := make(map[string]json.RawMessage, len(in))
	for k, v := range in {
		switch c, ok := coerced[k]; {
		case v == nil:
			patch[k] = json.RawMessage("null")
		case ok:
			patch[k] = c
		default: // an empty list, which the input's omitempty leaves out
			patch[k] = json.RawMessage("[]")
		}
	}
	if len(patch) == 0 {
		return nil, apierr.Missing("input")
	}
	return patch, nil
}
