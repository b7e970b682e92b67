package httpserver

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trustgate/trustgate/internal/apierr"
)

// Limits bound the shape of a GraphQL operation.
type Limits struct {
	MaxDepth      int
	MaxAliases    int
	MaxComplexity int
	MaxBodyBytes  int64
}

// DefaultLimits fit every query the SDK and dashboard send with room to spare.
var DefaultLimits = Limits{MaxDepth: 10, MaxAliases: 15, MaxComplexity: 500, MaxBodyBytes: 64 << 10}

// shapeLimit rejects operations that are too deep or use too many aliases
// (the OWASP batching attack hides many attempts behind aliases).
type shapeLimit struct{ Limits }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = shapeLimit{}

func (shapeLimit) ExtensionName() string                   { return "ShapeLimit" }
func (shapeLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (l shapeLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	aliases := 0
	depth := walk(oc.Operation.SelectionSet, oc.Doc, 1, &aliases, map[string]bool{})
	if depth > l.MaxDepth {
		return limitError("operation is %d levels deep; at most %d are allowed", depth, l.MaxDepth)
	}
	if aliases > l.MaxAliases {
		return limitError("operation uses %d aliases; at most %d are allowed", aliases, l.MaxAliases)
	}
	return nil
}

// walk returns the depth of a selection set and counts aliased fields,
// following fragments once each.
func walk(set ast.SelectionSet, doc *ast.QueryDocument, depth int, aliases *int, seen map[string]bool) int {
	deepest := depth - 1
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				*aliases++
			}
			d := depth
			if len(s.SelectionSet) > 0 {
				d = walk(s.SelectionSet, doc, depth+1, aliases, seen)
			}
			deepest = max(deepest, d)
		case *ast.InlineFragment:
			deepest = max(deepest, walk(s.SelectionSet, doc, depth, aliases, seen))
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := doc.Fragments.ForName(s.Name); f != nil {
				deepest = max(deepest, walk(f.SelectionSet, doc, depth, aliases, seen))
			}
		}
	}
	return deepest
}

func limitError(format string, args ...any) *gqlerror.Error {
	ae := apierr.Newf(apierr.FormParamFormatInvalid, format, args...)
	return &gqlerror.Error{Message: ae.LongMessage, Extensions: ae.Extensions()}
}
