package httpserver

import (
	"context"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/phonenumber"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/ent/trustedclient"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/ratelimit"
	"github.com/trustgate/trustgate/internal/request"
)

// budget names which rate limits a mutation spends.
type budget int

const (
	budgetCreate budget = iota + 1
	budgetAttempt
	budgetSend
)

// budgets maps frontend mutations to the budget they spend. Every root field
// is checked on its own, so aliases and batches count once each (OWASP's
// GraphQL batching attack).
var budgets = map[string]budget{
	"signInCreate":                   budgetCreate,
	"signUpCreate":                   budgetCreate,
	"signInAttemptFirstFactor":       budgetAttempt,
	"signInAttemptSecondFactor":      budgetAttempt,
	"signUpAttemptVerification":      budgetAttempt,
	"phoneNumberAttemptVerification": budgetAttempt,
	"totpVerify":                     budgetAttempt,
	"passwordUpdate":                 budgetAttempt,
	"signInPrepareFirstFactor":       budgetSend,
	"signInPrepareSecondFactor":      budgetSend,
	"signUpPrepareVerification":      budgetSend,
	"phoneNumberPrepareVerification": budgetSend,
}

const ipWindow = 10 * time.Second

// rateLimit is the root-field middleware that enforces the budgets.
func (s *Server) rateLimit(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rc := graphql.GetRootFieldContext(ctx)
	b, ok := budgets[rc.Field.Name]
	if op := graphql.GetOperationContext(ctx).Operation; !ok || op == nil || op.Operation != ast.Mutation {
		return next(ctx)
	}
	rq := request.From(ctx)
	if rq.App == nil {
		return next(ctx) // the resolver reports application_not_found
	}
	set := &rq.Settings
	scope := rq.App.ID + ":"
	var ip ratelimit.Rule
	switch b {
	case budgetCreate:
		ip = ratelimit.Rule{Name: rc.Field.Name + ":ip", Limit: set.RateLimitSignInsPerIP, Window: ipWindow}
	case budgetAttempt:
		ip = ratelimit.Rule{Name: "attempt:ip", Limit: set.RateLimitAttemptsPerIP, Window: ipWindow}
	case budgetSend:
		ip = ratelimit.Rule{Name: "send:ip", Limit: set.RateLimitCodeSendsPerIP, Window: ipWindow}
	}
	// The IP's budget first: a refused IP costs one statement, no client
	// lookup (or creation) and no trust query.
	if !s.allow(ctx, rq, ip, scope+rq.IP) {
		return graphql.Null
	}
	// The per-identifier budget stops many IPs guessing one account. A device
	// the account already trusts does not spend it: otherwise an attacker
	// could exhaust a victim's budget and lock the owner out of their own
	// phone (ASVS 6.1.1: no malicious lockout by design).
	if b == budgetCreate {
		if id := identifierArg(ctx, rc); id != "" && !s.trustedFor(ctx, rq, id) {
			rule := ratelimit.Rule{Name: "identifier", Limit: set.RateLimitIdentifierPerMinute, Window: time.Minute}
			if !s.allow(ctx, rq, rule, scope+id) {
				return graphql.Null
			}
		}
	}
	return next(ctx)
}

// allow spends one hit of subject's budget under rule; when the budget is
// spent (or the count fails) it adds the error to the response and reports false.
func (s *Server) allow(ctx context.Context, rq *request.Info, rule ratelimit.Rule, subject string) bool {
	d, err := s.limiter.Hit(ctx, rule, subject)
	if err != nil {
		graphql.AddError(ctx, err)
		return false
	}
	if !d.Allowed {
		s.limited.WithLabelValues(rule.Name).Inc()
		secs := d.RetryAfterSeconds()
		if rq.ResponseHeader != nil {
			rq.ResponseHeader.Set("Retry-After", strconv.Itoa(secs))
		}
		graphql.AddError(ctx, apierr.New(apierr.TooManyRequests).WithMeta("retryAfterSeconds", secs))
		return false
	}
	return true
}

// identifierArg returns the normalised identifier of a signInCreate or signUpCreate, if any.
func identifierArg(ctx context.Context, rc *graphql.RootFieldContext) string {
	args := rc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
	in, _ := args["input"].(map[string]any)
	for _, k := range []string{"identifier", "emailAddress", "phoneNumber"} {
		if v, ok := in[k].(string); ok && v != "" {
			if _, norm, err := identifier.Normalize(v); err == nil {
				return norm
			}
			return v
		}
	}
	return ""
}

// trustedFor reports whether the request's client is trusted by a user of the
// application whose identifier (email, phone or username) is ident.
func (s *Server) trustedFor(ctx context.Context, rq *request.Info, ident string) bool {
	if rq.ClientToken == "" || rq.App == nil {
		return false
	}
	// The request's client, resolved once and reused by the resolver after us.
	d, err := rq.Client(ctx)
	if err != nil {
		return false
	}
	var owner predicate.User
	switch identifier.Classify(ident) {
	case identifier.Email:
		owner = user.HasEmailAddressesWith(emailaddress.EmailAddress(ident), emailaddress.Verified(true))
	case identifier.Phone:
		owner = user.HasPhoneNumbersWith(phonenumber.PhoneNumber(ident), phonenumber.Verified(true))
	default:
		owner = user.Username(ident)
	}
	ok, err := s.db.Ent.TrustedClient.Query().
		Where(trustedclient.ClientID(d.ID), trustedclient.HasUserWith(user.ApplicationID(rq.App.ID), owner)).Exist(ctx)
	if err != nil {
		return false
	}
	rq.Trust = &request.IdentifierTrust{Identifier: ident, Trusted: ok}
	return ok
}
