package httpserver

import (
	"context"
	"net/netip"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/ratelimit"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/settings"
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
	"signInCreate":                           budgetCreate,
	"signUpCreate":                           budgetCreate,
	"phoneNumberCreate":                      budgetCreate,
	"emailAddressCreate":                     budgetCreate,
	"signInAttemptFirstFactor":               budgetAttempt,
	"signInAttemptSecondFactor":              budgetAttempt,
	"signInResetPassword":                    budgetAttempt,
	"signUpAttemptVerification":              budgetAttempt,
	"phoneNumberAttemptVerification":         budgetAttempt,
	"emailAddressAttemptVerification":        budgetAttempt,
	"totpVerify":                             budgetAttempt,
	"passwordUpdate":                         budgetAttempt,
	"sessionVerificationAttemptFirstFactor":  budgetAttempt,
	"sessionVerificationAttemptSecondFactor": budgetAttempt,
	"signInPrepareFirstFactor":               budgetSend,
	"signInPrepareSecondFactor":              budgetSend,
	"signUpPrepareVerification":              budgetSend,
	"phoneNumberPrepareVerification":         budgetSend,
	"emailAddressPrepareVerification":        budgetSend,
	"sessionVerificationPrepareFirstFactor":  budgetSend,
	"sessionVerificationPrepareSecondFactor": budgetSend,
}

const ipWindow = 10 * time.Second

// rateLimit is the root-field middleware that enforces the budgets.
func (s *Server) rateLimit(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rc := graphql.GetRootFieldContext(ctx)
	b, ok := budgets[rc.Field.Name]
	oc := graphql.GetOperationContext(ctx)
	if op := oc.Operation; !ok || op == nil || op.Operation != ast.Mutation {
		return next(ctx)
	}
	rq := request.From(ctx)
	if rq.App == nil {
		return next(ctx) // the resolver reports application_not_found
	}
	set := &rq.Settings
	// The per-identifier budget (signInCreate, signUpCreate) is spent by the
	// sign-in and sign-up services, which know whether the client is
	// trusted by the identifier's user.
	rules := []ratelimit.Rule{ipRule(b, rc.Field.Name, set)}
	if rc.Field.Name == "signInCreate" && startsReset(rc.Field.ArgumentMap(oc.Variables)) {
		// A password reset's signInCreate sends its code at once.
		rules = append(rules, ipRule(budgetSend, rc.Field.Name, set))
	}
	for _, rule := range rules {
		if err := s.limiter.Allow(ctx, ipSpend(rq, rule)); err != nil {
			graphql.AddError(ctx, err)
			return graphql.Null
		}
	}
	return next(ctx)
}

// ipRule is the per-IP rule of budget b, spent by the mutation field.
func ipRule(b budget, field string, set *settings.Settings) ratelimit.Rule {
	switch b {
	case budgetCreate:
		return ratelimit.Rule{Name: field + ":ip", Limit: set.RateLimitSignInsPerIP, Window: ipWindow}
	case budgetAttempt:
		return ratelimit.Rule{Name: "attempt:ip", Limit: set.RateLimitAttemptsPerIP, Window: ipWindow}
	default:
		return ratelimit.Rule{Name: "send:ip", Limit: set.RateLimitCodeSendsPerIP, Window: ipWindow}
	}
}

// startsReset reports whether signInCreate's arguments start a password
// reset (a reset_password_* strategy).
func startsReset(args map[string]any) bool {
	in, _ := args["input"].(map[string]any)
	strategy, _ := in["strategy"].(string)
	return settings.ResetStrategy(strategy)
}

// ipBudgetKey is what the per-IP budgets count a client IP under: an IPv4
// address as it is, an IPv6 address by its /64. One IPv6 host is normally
// given a whole /64, and would otherwise get a fresh budget from each of its
// 2^64 addresses. Events and logs keep the full address.
func ipBudgetKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// admitClient spends the request's per-IP budget of new clients before one
// is created (device.Store.Resolve): every request without a client token
// that touches the client, a query among them, creates one, a row kept for
// its idle days, and queries spend no other budget. Its size is the
// sign-ins' (a browser makes its client once, then signs in with it).
func (s *Server) admitClient(ctx context.Context) error {
	rq := request.From(ctx)
	if rq.App == nil {
		return nil
	}
	rule := ratelimit.Rule{Name: "client:ip", Limit: rq.Settings.RateLimitSignInsPerIP, Window: ipWindow}
	return s.limiter.Allow(ctx, ipSpend(rq, rule))
}

// ipSpend is one hit of rule, a per-IP budget of the request's application,
// for the request's IP (ipBudgetKey).
func ipSpend(rq *request.Info, rule ratelimit.Rule) ratelimit.Spend {
	return ratelimit.Spend{Rule: rule, Subject: rq.App.ID + ":" + ipBudgetKey(rq.IP), Event: audit.SignInEvent{ApplicationID: rq.App.ID}}
}
