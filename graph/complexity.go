package graph

import (
	"context"
	"math"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trustgate/trustgate/internal/account"
)

// What an operation costs, for the complexity limit (internal/httpserver,
// docs/SECURITY.md "GraphQL limits"). gqlgen counts each field 1 plus what
// it selects, once, however many objects it resolves to; the rules here
// count a list's selection once per row it may return, the statements a
// field runs for each object it is asked on, and each COUNT.
const (
	// statementCost is what a field that runs its own statements for each
	// object it is asked on (a user's sessions or clients) costs per
	// statement, beyond the values it returns: a statement costs about as
	// much as a hundred values, so a page of users with such a field fits
	// only a few dozen users.
	statementCost = 100
	// CountCost is what a connection's totalCount costs, whatever the page
	// size: a COUNT reads every row its filters match, up to the whole
	// history of an application, and 5,000 keeps an operation within the
	// limit of 20,000 to three of them.
	CountCost = 5000
	// userSessionsLimit bounds the sessions (and, for the cost, the
	// clients) listed for one user.
	userSessionsLimit = 100
)

// Complexity returns the cost rules of the fields whose cost gqlgen's
// default (1 plus the selection) understates; Config.Complexity takes it.
func Complexity() ComplexityRoot {
	var c ComplexityRoot
	// Paged lists: the selection once per row of the page (first, or the
	// default page size); pageInfo and totalCount are counted per row too,
	// which overstates a page by 4 a row. A first the resolver refuses
	// (above maxPageSize) counts as maxPageSize, so that its refusal, which
	// names first, is the answer.
	c.Query.Users = func(child int, _ string, first *int, _ *entgql.Cursor[string], _ *UserWhereInput) int {
		return perPage(child, first)
	}
	c.Query.SignInEvents = func(child int, _ string, first *int, _ *entgql.Cursor[string], _ *SignInEventWhereInput) int {
		return perPage(child, first)
	}
	c.Query.AuditEvents = func(child int, _ *string, first *int, _ *entgql.Cursor[string]) int {
		return perPage(child, first)
	}
	c.Query.Outbox = func(child int, _ string, first *int) int { return perPage(child, first) }
	// A user's lists, by the most rows each holds. Addresses, phones and
	// factors come with a users page (lists.go), so they cost no statement
	// per user; sessions run one statement per user, clients two.
	c.User.EmailAddresses = func(child int) int { return 1 + mul(account.MaxEmailAddresses, child) }
	c.User.PhoneNumbers = func(child int) int { return 1 + mul(account.MaxPhoneNumbers, child) }
	c.User.Factors = func(child int) int { return 1 + mul(account.MaxPhoneNumbers+2, child) } // phones, TOTP, backup codes
	c.User.Sessions = func(child int) int { return statementCost + mul(userSessionsLimit, child) }
	c.User.Clients = func(child int) int { return 2*statementCost + mul(userSessionsLimit, child) }
	return c
}

// perPage is the cost of a paged list of child per row.
func perPage(child int, first *int) int {
	n := defaultPageSize
	if first != nil {
		n = min(max(*first, 0), maxPageSize)
	}
	return mul(n, child)
}

// mul multiplies costs, saturating instead of overflowing (gqlgen adds them
// the same way), so that no product wraps to a cost within the limit.
func mul(a, b int) int {
	if a > 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

// Cost is what op costs: gqlgen's count under the rules of Complexity (es
// must be built with them), plus CountCost for each totalCount selected.
// op must be validated (its fields resolved against the schema).
func Cost(ctx context.Context, es graphql.ExecutableSchema, op *ast.OperationDefinition, vars map[string]any) int {
	cost := complexity.Calculate(ctx, es, op, vars)
	counts := mul(CountCost, totalCounts(op.SelectionSet))
	if cost > math.MaxInt-counts {
		return math.MaxInt
	}
	return cost + counts
}

// totalCounts counts the totalCount fields set selects, fragments expanded
// where spread. Only connections have one.
func totalCounts(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "totalCount" {
				n++
			}
			n += totalCounts(s.SelectionSet)
		case *ast.InlineFragment:
			n += totalCounts(s.SelectionSet)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				n += totalCounts(s.Definition.SelectionSet)
			}
		}
	}
	return n
}
