package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/apikey"
	"github.com/trustgate/trustgate/ent/application"
	"github.com/trustgate/trustgate/ent/roleassignment"
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
	domain, err := r.domainOf(ctx, obj)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, domain, policy.Permission(action)); err != nil {
		return nil, err
	}
	if err := r.guardDashboard(ctx, domain, policy.Permission(action)); err != nil {
		return nil, err
	}
	return next(ctx)
}

// guardDashboard lets only an owner of every application change the
// dashboard application: its users are the operators, owners included, and
// its settings guard their sign-in. A global admin or support role may read
// there as anywhere, but may not lock, ban or strip the MFA of an owner, nor
// weaken the dashboard's sign-in.
func (r *Resolver) guardDashboard(ctx context.Context, domain string, perm policy.Permission) error {
	if perm.Reads() {
		return nil
	}
	ok, err := r.mayChange(ctx, domain)
	if err != nil || ok {
		return err
	}
	if err := r.Svc.Admin.RecordDenial(ctx, string(perm), domain); err != nil {
		r.Log.ErrorContext(ctx, "recording permission denial", "error", err)
	}
	return apierr.Newf(apierr.PermissionDenied, "Only an owner of every application may change the dashboard's operators or settings.")
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
// permission_denied. Handlers outside GraphQL (the CSV export) ask here,
// @can asks the same way.
func (r *Resolver) Authorize(ctx context.Context, appID string, perm policy.Permission) error {
	if appID == "" || appID == policy.AllDomains || appID == anyDomain {
		return apierr.Invalid("applicationId", "an application id")
	}
	return r.authorize(ctx, appID, perm)
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
	audited := domain
	if audited == anyDomain { // no one application: recorded with none, as server-wide denials are
		audited = policy.AllDomains
	}
	if err := r.Svc.Admin.RecordDenial(ctx, string(perm), audited); err != nil {
		r.Log.ErrorContext(ctx, "recording permission denial", "error", err)
	}
	return apierr.Newf(apierr.PermissionDenied, "Your role does not allow %s here.", perm)
}

func (r *Resolver) allowed(subject, domain string, perm policy.Permission) bool {
	if domain != anyDomain {
		return r.Policy.Allowed(subject, domain, perm)
	}
	return r.Policy.AllowedSomewhere(subject, perm)
}

// domainOf returns the application a field touches, from its parent object or
// its arguments; server-wide fields answer "*".
func (r *Resolver) domainOf(ctx context.Context, obj any) (string, error) {
	if app, ok := obj.(*ent.Application); ok {
		return app.ID, nil
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
	switch fc.Field.Name {
	case "applications", "viewer":
		return anyDomain, nil
	case "createApplication":
		return policy.AllDomains, nil
	case "application":
		return r.existingApp(ctx, str("id"))
	case "users", "signInEvents", "outbox", "updateAppSettings", "setAppUpdate", "createUser":
		return r.existingApp(ctx, str("applicationId"))
	case "auditEvents", "roleAssignments", "apiKeys":
		if id := str("applicationId"); id != "" {
			return r.existingApp(ctx, id)
		}
		return policy.AllDomains, nil
	case "user", "lockUser", "unlockUser", "banUser", "unbanUser", "resetUserMfa":
		return r.userApp(ctx, str("id"))
	case "revokeTrustedClients":
		return r.userApp(ctx, str("userId"))
	case "revokeSession":
		s, err := r.DB.Ent.Session.Get(ctx, str("id"))
		if err != nil {
			return "", notFound(err, "id")
		}
		return s.ApplicationID, nil
	case "grantRole":
		return inputDomain(args["input"], func(in any) string { return in.(GrantRoleInput).ApplicationID })
	case "revokeRole":
		return inputDomain(args["input"], func(in any) string { return in.(RevokeRoleInput).ApplicationID })
	case "createAPIKey":
		return inputDomain(args["input"], func(in any) string {
			if id := in.(CreateAPIKeyInput).ApplicationID; id != nil {
				return *id
			}
			return ""
		})
	case "revokeAPIKey":
		k, err := r.DB.Ent.APIKey.Query().Where(apikey.ID(str("id"))).Only(ctx)
		if err != nil {
			return "", notFound(err, "id")
		}
		return r.keyDomain(ctx, k)
	}
	return "", fmt.Errorf("graph: @can on %s has no domain rule", fc.Field.Name)
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

func (r *Resolver) userApp(ctx context.Context, id string) (string, error) {
	u, err := r.DB.Ent.User.Get(ctx, id)
	if err != nil {
		return "", notFound(err, "id")
	}
	return u.ApplicationID, nil
}

func notFound(err error, param string) error {
	if ent.IsNotFound(err) {
		return apierr.New(apierr.ResourceNotFound).WithParam(param)
	}
	return err
}

// Session implements @session: the field needs a signed-in user session.
func (r *Resolver) Session(ctx context.Context, obj any, next graphql.Resolver) (any, error) {
	if request.From(ctx).Session == nil {
		return nil, apierr.Newf(apierr.AuthenticationInvalid, "Sign in first: this needs a session token (Authorization: Bearer <jwt> or the __session cookie).")
	}
	return next(ctx)
}
