package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/apikey"
	"github.com/trustgate/trustgate/ent/application"
	"github.com/trustgate/trustgate/ent/roleassignment"
	"github.com/trustgate/trustgate/internal/admin"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/policy"
)

// anyDomain marks fields whose resolver filters by permission per application
// (applications, viewer): the caller needs the permission somewhere.
const anyDomain = "?"

// Can implements @can: the one authorization choke point of the admin API.
// It finds the application the field touches, asks Casbin whether the
// caller's roles grant the permission there, and audits denials.
func (r *Resolver) Can(ctx context.Context, obj any, next graphql.Resolver, action string) (any, error) {
	rq := request.From(ctx)
	if rq.Principal == nil {
		if rq.Session != nil && !rq.BearerIsAPIKey {
			// A user session is never an admin credential.
			return nil, apierr.Newf(apierr.AuthenticationInvalid, "Admin operations need a secret key (sk_…) or an operator session.")
		}
		return nil, apierr.New(apierr.AuthenticationInvalid)
	}
	domain, home, named, err := r.domainOf(ctx, obj)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, domain, policy.Permission(action)); err != nil {
		if home != "" && len(r.Policy.Granted(rq.Principal.Subject, home)) == 0 {
			// An object of an application the caller holds no role in
			// answers as one that does not exist: its id must not tell
			// another tenant's key that it names something. The denial
			// is audited all the same.
			return nil, apierr.New(apierr.ResourceNotFound).WithParam(byID[graphql.GetFieldContext(ctx).Field.Name])
		}
		return nil, err
	}
	if err := r.guardDashboard(ctx, domain, policy.Permission(action)); err != nil {
		return nil, err
	}
	if named {
		// An applicationId that names no application answers
		// resource_not_found rather than an empty list, or a grant in
		// nothing. Only now that the caller's role holds there, which a
		// role in * does in any id: to anyone else a made-up id answers
		// permission_denied, as another tenant's application does, so ids
		// cannot be probed.
		if err := r.appExists(ctx, domain); err != nil {
			return nil, err
		}
	}
	return next(ctx)
}

// appExists answers resource_not_found on applicationId unless domain is *
// or an application's id.
func (r *Resolver) appExists(ctx context.Context, domain string) error {
	if domain == policy.AllDomains || domain == anyDomain {
		return nil
	}
	ok, err := r.DB.Ent.Application.Query().Where(application.ID(domain)).Exist(ctx)
	if err != nil || ok {
		return err
	}
	return apierr.New(apierr.ResourceNotFound).WithParam("applicationId")
}

// guardDashboard lets only an owner of every application change the
// dashboard application: its users are the operators, owners included, and
// its settings guard their sign-in. A global admin or support role may read
// there as anywhere, but may not lock, ban or strip the MFA of an owner, nor
// weaken the dashboard's sign-in. Nor may it read the dashboard's outbox (dev
// mode): it holds the operators' codes, a password reset's among them, and
// so an owner's account.
func (r *Resolver) guardDashboard(ctx context.Context, domain string, perm policy.Permission) error {
	if !dashboardGuards(perm) {
		return nil
	}
	ok, err := r.mayChange(ctx, domain)
	if err != nil || ok {
		return err
	}
	r.recordDenial(ctx, perm, domain)
	return apierr.Newf(apierr.PermissionDenied, "Only an owner of every application may change the dashboard's operators or settings, or read its outbox.")
}

// dashboardGuards reports whether guardDashboard keeps perm in the dashboard
// application to an owner of every application: every change, and reading
// the outbox.
func dashboardGuards(perm policy.Permission) bool {
	return !perm.Reads() || perm == policy.OutboxRead
}

// mayChange reports whether guardDashboard lets the caller's roles change
// anything in domain: any domain but the dashboard application's, where
// only a global owner (roles:grant in every application is an owner's
// alone) may.
func (r *Resolver) mayChange(ctx context.Context, domain string) (bool, error) {
	if domain == policy.AllDomains || domain == anyDomain {
		return true, nil
	}
	dashboard, err := r.DB.Ent.Application.Query().Where(application.ID(domain), application.Dashboard(true)).Exist(ctx)
	if err != nil || !dashboard {
		return true, err
	}
	return r.allowed(request.From(ctx).Principal.Subject, policy.AllDomains, policy.RolesGrant), nil
}

// Authorize reports whether the request's principal holds perm in the
// application appID; a denial is audited and answered with
// permission_denied, and an id that names no application, where the
// principal's role holds, resource_not_found. Handlers outside GraphQL (the CSV export) ask here,
// @can asks the same way.
func (r *Resolver) Authorize(ctx context.Context, appID string, perm policy.Permission) error {
	if appID == "" || appID == policy.AllDomains || appID == anyDomain {
		return apierr.Invalid("applicationId", "an application id")
	}
	if err := r.authorize(ctx, appID, perm); err != nil {
		return err
	}
	return r.appExists(ctx, appID)
}

// authorize is Authorize for any domain: an application id, "*", or
// anyDomain (the permission in some application).
func (r *Resolver) authorize(ctx context.Context, domain string, perm policy.Permission) error {
	p := request.From(ctx).Principal
	if p == nil {
		return apierr.New(apierr.AuthenticationInvalid)
	}
	if r.allowed(p.Subject, domain, perm) {
		return nil
	}
	// A grant made since the last policy poll (a key the command line just
	// created, a role granted through another replica) holds at once.
	if fresh, err := r.Policy.Refresh(ctx); err != nil {
		r.Log.ErrorContext(ctx, "policy reload", "error", err)
	} else if fresh && r.allowed(p.Subject, domain, perm) {
		return nil
	}
	audited := domain
	if audited == anyDomain { // no one application: recorded with none, as server-wide denials are
		audited = policy.AllDomains
	}
	r.recordDenial(ctx, perm, audited)
	return apierr.Newf(apierr.PermissionDenied, "Your role does not allow %s here.", perm)
}

// recordDenial audits a denial of perm in domain (an application id or *) to
// the request's principal, as admin.RecordDenial bounds it; a failure is
// logged, the denial stands.
func (r *Resolver) recordDenial(ctx context.Context, perm policy.Permission, domain string) {
	subject := request.From(ctx).Principal.Subject
	d := admin.Denial{Field: fieldName(ctx), Permission: string(perm), Domain: domain,
		Foreign: domain != policy.AllDomains && !r.grantedIn(subject, domain)}
	if err := r.Svc.Admin.RecordDenial(ctx, d); err != nil {
		r.Log.ErrorContext(ctx, "recording permission denial", "error", err)
	}
}

// grantedIn reports whether subject holds a role granted in domain itself.
// A role in * does not count: it holds in every application id, made up or
// not, so the denials of a principal whose roles are all in * are alike in
// every application.
func (r *Resolver) grantedIn(subject, domain string) bool {
	for _, g := range r.Policy.Grants(subject) {
		if g[1] == domain {
			return true
		}
	}
	return false
}

// fieldName is the schema name of the GraphQL field being resolved (never
// its alias), or "" outside GraphQL (the CSV export).
func fieldName(ctx context.Context) string {
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Field != nil {
		return fc.Field.Name
	}
	return ""
}

func (r *Resolver) allowed(subject, domain string, perm policy.Permission) bool {
	if domain != anyDomain {
		return r.Policy.Allowed(subject, domain, perm)
	}
	return r.Policy.AllowedSomewhere(subject, perm)
}

// byID names the argument of each field that finds its object by id: the
// object's application is where @can asks.
var byID = map[string]string{
	"user": "id", "lockUser": "id", "unlockUser": "id", "banUser": "id", "unbanUser": "id", "resetUserMfa": "id",
	"revokeTrustedClients": "userId", "revokeSession": "id", "revokeAPIKey": "id",
}

// domainOf returns the application a field touches, from its parent object or
// its arguments; server-wide fields answer "*". For a field that finds its
// object by id (byID), home is the application the object belongs to.
// named reports that the caller named the application by an applicationId
// argument or input field, which may name none (appExists).
func (r *Resolver) domainOf(ctx context.Context, obj any) (domain, home string, named bool, err error) {
	if app, ok := obj.(*ent.Application); ok {
		return app.ID, "", false, nil
	}
	fc := graphql.GetFieldContext(ctx)
	args := fc.Args
	str := func(name string) string {
		switch v := args[name].(type) {
		case string:
			return v
		case *string:
			if v != nil {
				return *v
			}
		}
		return ""
	}
	if param, ok := byID[fc.Field.Name]; ok {
		domain, home, err = r.objectDomain(ctx, fc.Field.Name, str(param), param)
		return domain, home, false, err
	}
	switch fc.Field.Name {
	case "applications", "viewer":
		return anyDomain, "", false, nil
	case "createApplication":
		return policy.AllDomains, "", false, nil
	case "application": // nullable: a made-up id answers null
		domain, err = r.existingApp(ctx, str("id"))
		return domain, "", false, err
	case "users", "signInEvents", "outbox", "updateAppSettings", "setAppUpdate", "createUser":
		domain, err = r.existingApp(ctx, str("applicationId"))
	case "auditEvents", "roleAssignments", "apiKeys":
		if id := str("applicationId"); id != "" {
			domain, err = r.existingApp(ctx, id)
		} else {
			domain = policy.AllDomains
		}
	case "grantRole":
		in, _ := args["input"].(GrantRoleInput)
		if domain, err = inputDomain(args["input"], func(any) string { return in.ApplicationID }); err == nil {
			domain, err = r.grantDomain(ctx, in.Subject, domain)
		}
	case "revokeRole":
		domain, err = inputDomain(args["input"], func(in any) string { return in.(RevokeRoleInput).ApplicationID })
	case "createAPIKey":
		domain, err = inputDomain(args["input"], func(in any) string {
			if id := in.(CreateAPIKeyInput).ApplicationID; id != nil {
				return *id
			}
			return ""
		})
	default:
		err = fmt.Errorf("graph: @can on %s has no domain rule", fc.Field.Name)
	}
	return domain, "", true, err
}

// objectDomain finds the object a byID field names by id and returns where
// the field needs its permission and the object's application.
func (r *Resolver) objectDomain(ctx context.Context, field, id, param string) (domain, home string, err error) {
	switch field {
	case "revokeSession":
		var s *ent.Session
		if s, err = r.DB.Ent.Session.Get(ctx, id); err == nil {
			home = s.ApplicationID
		}
	case "revokeAPIKey":
		var k *ent.APIKey
		if k, err = r.DB.Ent.APIKey.Query().Where(apikey.ID(id)).Only(ctx); err == nil {
			domain, err = r.keyDomain(ctx, k)
			return domain, k.ApplicationID, err
		}
	default: // users
		var u *ent.User
		if u, err = r.DB.Ent.User.Get(ctx, id); err == nil {
			home = u.ApplicationID
		}
	}
	if err != nil {
		return "", "", notFound(err, param)
	}
	return home, home, nil
}

// grantDomain is where granting subject a role in domain needs its
// permission. A key gets roles beyond the application it was made in only
// from an owner of every application: otherwise another tenant's owner
// could grant it a role in their application and so stop the key's own
// owner from revoking it (keyDomain). A key id that names no key of domain
// answers alike, so ids cannot be probed.
func (r *Resolver) grantDomain(ctx context.Context, subject, domain string) (string, error) {
	if !policy.IsKey(subject) || domain == policy.AllDomains {
		return domain, nil
	}
	home, err := r.DB.Ent.APIKey.Query().Where(apikey.ID(subject), apikey.ApplicationID(domain)).Exist(ctx)
	if err != nil || home {
		return domain, err
	}
	return policy.AllDomains, nil
}

// keyDomain is where revoking key k needs its permission. Revoking ends
// every grant the key holds: a key granted roles beyond the application it
// was made in needs the permission in every application.
func (r *Resolver) keyDomain(ctx context.Context, k *ent.APIKey) (string, error) {
	beyond, err := r.DB.Ent.RoleAssignment.Query().
		Where(roleassignment.Subject(k.ID), roleassignment.DomainNEQ(k.ApplicationID)).Exist(ctx)
	if err != nil {
		return "", err
	}
	if beyond {
		return policy.AllDomains, nil
	}
	return k.ApplicationID, nil
}

// mayRevoke reports whether the caller may revoke key k, as @can on
// revokeAPIKey would decide, without auditing a denial: the dashboard
// offers Revoke only where it would work.
func (r *Resolver) mayRevoke(ctx context.Context, k *ent.APIKey) (bool, error) {
	if k.RevokedAt != nil {
		return false, nil
	}
	domain, err := r.keyDomain(ctx, k)
	if err != nil {
		return false, err
	}
	if !r.allowed(request.From(ctx).Principal.Subject, domain, policy.KeysCreate) {
		return false, nil
	}
	return r.mayChange(ctx, domain)
}

func inputDomain(in any, get func(any) string) (string, error) {
	if in == nil {
		return policy.AllDomains, nil
	}
	switch d := get(in); d {
	case "":
		return policy.AllDomains, nil
	case anyDomain:
		return "", apierr.Invalid("applicationId", "an application id, or * for every application")
	default:
		return d, nil
	}
}

func (r *Resolver) existingApp(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", apierr.Missing("applicationId")
	}
	if id == policy.AllDomains || id == anyDomain {
		return "", apierr.Invalid("applicationId", "name one application")
	}
	return id, nil
}

func notFound(err error, param string) error {
	if ent.IsNotFound(err) {
		return apierr.New(apierr.ResourceNotFound).WithParam(param)
	}
	return err
}

// SessionDirective implements @session: the field needs a signed-in user
// session. (Resolver.Session is the Session type's resolver.)
func (r *Resolver) SessionDirective(ctx context.Context, obj any, next graphql.Resolver) (any, error) {
	rq := request.From(ctx)
	if rq.Session == nil {
		if rq.AppErr != nil {
			// No application (a publishable key that names none) or a
			// secret key: that, not a missing session, is what is wrong.
			return nil, rq.AppErr
		}
		return nil, apierr.Newf(apierr.AuthenticationInvalid, "Sign in first: this needs a session token (Authorization: Bearer <jwt> or the __session cookie).")
	}
	return next(ctx)
}
