// Package graph is trustgate's GraphQL API: hand-written schema files
// (*.graphqls), entgql's generated connections (ent.graphqls), thin resolvers
// that decode input and call one domain method, the @can and @session
// directives, and the error presenter that maps domain errors to Clerk codes.
package graph

import (
	"log/slog"
	"time"

	"github.com/trustgate/trustgate/internal/account"
	"github.com/trustgate/trustgate/internal/admin"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/session"
	"github.com/trustgate/trustgate/internal/signin"
	"github.com/trustgate/trustgate/internal/signup"
	"github.com/trustgate/trustgate/policy"
)

// Resolver holds the domain services the resolvers call.
type Resolver struct {
	DB     *database.DB
	Svc    Services
	Policy *policy.Enforcer
	Events *audit.Recorder
	Now    func() time.Time
	Log    *slog.Logger
	// Dev enables dev-only fields (the outbox).
	Dev bool
}

// Services are the domain services, grouped so their names cannot clash with
// the methods gqlgen generates on the resolver types.
type Services struct {
	SignIn   *signin.Service
	SignUp   *signup.Service
	Account  *account.Service
	Sessions *session.Service
	Admin    *admin.Service
}
