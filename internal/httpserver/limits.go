package httpserver

import (
	"context"
	"crypto/sha256"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/trustgate/trustgate/graph"
	"github.com/trustgate/trustgate/internal/apierr"
)

// Limits bound the shape of a GraphQL operation.
type Limits struct {
	MaxDepth   int
	MaxAliases int
	// MaxComplexity bounds what an operation costs (graph.Cost): about the
	// values it returns, a list counted once per row it may return.
	MaxComplexity int
	// MaxSelections bounds a document's selections, fragments expanded,
	// before gqlgen parses it (documentLimit).
	MaxSelections int
	MaxBodyBytes  int64
}

// DefaultLimits fit every query the SDK and dashboard send with room to
// spare (TestDashboardDocumentsFitTheComplexityLimit). The dashboard's
// largest is the charts' page of 500 sign-in events with their count,
// 14,000; 20,000 leaves it room for a few more fields while an operation
// still reads at most about one such page. The largest document selects 43
// fields and fragments; 300 leaves seven times that, and keeps validation,
// which compares a selection set's fields pairwise, to a few milliseconds
// for any document (1,000 conflicting selections took 220 ms).
var DefaultLimits = Limits{MaxDepth: 10, MaxAliases: 15, MaxComplexity: 20000, MaxSelections: 300, MaxBodyBytes: 64 << 10}

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
	sh := (&shapeWalker{doc: oc.Doc}).walk(oc.Operation.SelectionSet)
	if depth := sh.deepest + 1; depth > l.MaxDepth {
		return limitError("operation is %d levels deep; at most %d are allowed", depth, l.MaxDepth)
	}
	return l.aliasLimit(sh.aliases)
}

// aliasLimit refuses an operation that runs more than MaxAliases aliased
// fields; documentLimit asks it before validation, shapeLimit after.
func (l Limits) aliasLimit(aliases int) *gqlerror.Error {
	if aliases > l.MaxAliases {
		return limitError("operation uses %d aliases; at most %d are allowed", aliases, l.MaxAliases)
	}
	return nil
}

// documentLimit bounds a document's size before gqlgen validates it, costs
// it or caches it, all of which grow faster than the document: validation
// compares the fields of a selection set pairwise (a 60 KiB run of
// "id id id …" took 20 s), and the complexity count follows every fragment
// spread (fragments that each spread the next twice cost 2^n in a document
// of a few hundred bytes). The document's selections, fragments expanded
// where spread and every fragment once more on its own, are measured in
// linear time (shapeWalker), and beyond MaxSelections the document is
// refused unparsed by gqlgen.
// The documents found within the limit are remembered by their SHA-256
// (passed, when set), so the SDK's few documents, sent on every request,
// are parsed here once and not on each request (12 µs and 92 allocations
// for signInCreate's).
type documentLimit struct {
	Limits
	passed *lru.LRU[struct{}]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentLimit{}

func (documentLimit) ExtensionName() string                   { return "DocumentLimit" }
func (documentLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (l documentLimit) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	sum := sha256.Sum256([]byte(params.Query))
	key := string(sum[:])
	if l.passed != nil {
		if _, ok := l.passed.Get(ctx, key); ok {
			return nil
		}
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: params.Query})
	if err != nil {
		return nil // gqlgen parses it again and answers its own error
	}
	w := &shapeWalker{doc: doc}
	selections, aliases := 0, 0
	for _, op := range doc.Operations {
		sh := w.walk(op.SelectionSet)
		selections = min(selections+sh.selections, maxShapeCount)
		aliases = max(aliases, sh.aliases)
	}
	for _, f := range doc.Fragments {
		sh := w.fragment(f.Name)
		selections = min(selections+sh.selections, maxShapeCount)
		aliases = max(aliases, sh.aliases)
	}
	if limit := l.MaxSelections; selections > limit {
		return limitError("document selects %d fields and fragments, fragments expanded where spread; at most %d are allowed", selections, limit)
	}
	// As shapeLimit refuses it after validation, which fields under one
	// alias would make quadratic: each pair that cannot merge is an error.
	if e := l.aliasLimit(aliases); e != nil {
		return e
	}
	if l.passed != nil {
		l.passed.Add(ctx, key, struct{}{})
	}
	return nil
}

// shapeWalker measures an operation as it runs: each fragment spread counts
// where it is spread, as often as it is spread (ten aliases in a fragment
// spread under five aliased fields are 55 aliased fields). A fragment is
// measured once and its measure reused, so a document that spreads
// fragments within fragments costs linear time to measure however much it
// expands to.
type shapeWalker struct {
	doc   *ast.QueryDocument
	frags map[string]*fragmentShape
}

// shape is the measure of a selection set: the deepest level of its fields,
// counting its own as 0 (-1 when it selects none), the number of aliased
// fields it runs and the number of selections (fields, fragment spreads and
// inline fragments) it makes, fragments expanded. Counts saturate at
// maxShapeCount instead of overflowing.
type shape struct {
	deepest, aliases, selections int
}

func (sh *shape) add(o shape) {
	sh.deepest = max(sh.deepest, o.deepest)
	sh.aliases = min(sh.aliases+o.aliases, maxShapeCount)
	sh.selections = min(sh.selections+o.selections, maxShapeCount)
}

type fragmentShape struct {
	shape
	done bool // false while it is being measured: a cycle counts nothing
}

// walk measures set.
func (w *shapeWalker) walk(set ast.SelectionSet) shape {
	sh := shape{deepest: -1}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			sub := w.walk(s.SelectionSet)
			sub.deepest++
			if s.Alias != "" && s.Alias != s.Name {
				sub.aliases = min(sub.aliases+1, maxShapeCount)
			}
			sub.selections = min(sub.selections+1, maxShapeCount)
			sh.add(sub)
		case *ast.InlineFragment:
			sub := w.walk(s.SelectionSet)
			sub.selections = min(sub.selections+1, maxShapeCount)
			sh.add(sub)
		case *ast.FragmentSpread:
			sub := w.fragment(s.Name)
			sub.selections = min(sub.selections+1, maxShapeCount)
			sh.add(sub)
		}
	}
	return sh
}

// maxShapeCount caps a count far above any limit.
const maxShapeCount = 1 << 30

func (w *shapeWalker) fragment(name string) shape {
	if f, ok := w.frags[name]; ok {
		if !f.done {
			return shape{deepest: -1}
		}
		return f.shape
	}
	if w.frags == nil {
		w.frags = map[string]*fragmentShape{}
	}
	f := &fragmentShape{shape: shape{deepest: -1}}
	w.frags[name] = f
	if def := w.doc.Fragments.ForName(name); def != nil {
		f.shape = w.walk(def.SelectionSet)
	}
	f.done = true
	return f.shape
}

// complexityLimit refuses an operation that costs more than limit
// (graph.Cost: gqlgen's complexity under graph.Complexity's rules, which
// count lists by their page size, plus each totalCount), answering, as the
// other shape limits do, form_param_format_invalid (docs/ERRORS.md).
type complexityLimit struct {
	limit int
	es    graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &complexityLimit{}

func (*complexityLimit) ExtensionName() string { return "ComplexityLimit" }
func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}
func (c *complexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if cost := graph.Cost(ctx, c.es, oc.Operation, oc.Variables); cost > c.limit {
		return limitError("operation has complexity %d, which exceeds the limit of %d (a list counts once per row of its page: first, or 50)", cost, c.limit)
	}
	return nil
}

func limitError(format string, args ...any) *gqlerror.Error {
	ae := apierr.Newf(apierr.FormParamFormatInvalid, format, args...)
	return &gqlerror.Error{Message: ae.LongMessage, Extensions: ae.Extensions()}
}

// noIntrospection refuses an operation that asks for the schema (__schema
// or __type at its root) outside dev mode, as a client error: gqlgen's own
// refusal comes out of execution as an internal error. __typename stays.
type noIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

func (noIntrospection) ExtensionName() string                   { return "NoIntrospection" }
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }
func (noIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || !introspects(oc.Doc, oc.Operation.SelectionSet, map[string]bool{}) {
		return nil
	}
	ae := apierr.Newf(apierr.PermissionDenied, "Schema introspection is available only in dev mode (TRUSTGATE_DEV=true); the schema is published in the repository's graph/*.graphqls.")
	ae.Message = "Introspection is disabled"
	return &gqlerror.Error{Message: ae.Message, Extensions: ae.Extensions()}
}

// introspects reports whether set selects __schema or __type at its level,
// through inline fragments and fragment spreads (each fragment looked at
// once).
func introspects(doc *ast.QueryDocument, set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if introspects(doc, s.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := doc.Fragments.ForName(s.Name); f != nil && introspects(doc, f.SelectionSet, seen) {
				return true
			}
		}
	}
	return false
}

// noNUL refuses an operation whose arguments hold text with U+0000, in its
// variables or written in the document: PostgreSQL can store and compare no
// such text, so it would fail the first query it reached as an internal
// error; and no identifier, id, code or name holds one.
type noNUL struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noNUL{}

func (noNUL) ExtensionName() string                   { return "NoNUL" }
func (noNUL) Validate(graphql.ExecutableSchema) error { return nil }
func (noNUL) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	name, found := nulInSelections(oc.Doc, oc.Variables, oc.Operation.SelectionSet, map[string]bool{})
	if !found {
		return nil
	}
	ae := apierr.Invalid(name, "text may not hold the NUL character (U+0000)")
	return &gqlerror.Error{Message: ae.Message, Extensions: ae.Extensions()}
}

// nulIn finds a string holding U+0000 in the variable value v, passed as
// the argument or input field name, and returns the name of the innermost
// input field holding it.
func nulIn(name string, v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return name, strings.ContainsRune(v, 0)
	case []any:
		for _, e := range v {
			if n, ok := nulIn(name, e); ok {
				return n, true
			}
		}
	case map[string]any:
		for k, e := range v {
			if n, ok := nulIn(k, e); ok {
				return n, true
			}
		}
	}
	return "", false
}

// nulInSelections finds an argument of set (through fragments, each looked
// at once) whose text, written in the document or in a variable it names,
// holds U+0000, and returns the name of the argument or innermost input
// field holding it.
func nulInSelections(doc *ast.QueryDocument, vars map[string]any, set ast.SelectionSet, seen map[string]bool) (string, bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				if n, ok := nulInValue(a.Name, a.Value, vars); ok {
					return n, true
				}
			}
			if n, ok := nulInSelections(doc, vars, s.SelectionSet, seen); ok {
				return n, true
			}
		case *ast.InlineFragment:
			if n, ok := nulInSelections(doc, vars, s.SelectionSet, seen); ok {
				return n, true
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := doc.Fragments.ForName(s.Name); f != nil {
				if n, ok := nulInSelections(doc, vars, f.SelectionSet, seen); ok {
					return n, true
				}
			}
		}
	}
	return "", false
}

func nulInValue(name string, v *ast.Value, vars map[string]any) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Kind {
	case ast.Variable:
		return nulIn(name, vars[v.Raw])
	case ast.StringValue, ast.BlockValue:
		return name, strings.ContainsRune(v.Raw, 0)
	case ast.ObjectValue:
		for _, c := range v.Children {
			if n, ok := nulInValue(c.Name, c.Value, vars); ok {
				return n, true
			}
		}
	case ast.ListValue:
		for _, c := range v.Children {
			if n, ok := nulInValue(name, c.Value, vars); ok {
				return n, true
			}
		}
	}
	return "", false
}

// MaxValidationErrors bounds the errors validation reports for a document.
// gqlparser reports every pair of fields that cannot be merged, so a
// document of 1,000 selections (one field aliased "a" again and again, each
// other one different) answered 249,001 errors: a 14 KiB request, a 66 MB
// answer and gigabytes of heap to build it. documentLimit now refuses that
// document (its aliases, its size), but one field repeated with different
// arguments still conflicts pairwise. The first errors say what is wrong;
// the rest repeat it.
const MaxValidationErrors = 50

// validationRules returns the rules a document is validated by, all sharing
// one budget of MaxValidationErrors: past it a rule's errors are dropped
// unformatted (gqlgen's executor asks for a fresh set for each document it
// validates, so the budget is per document). Outside dev mode the rules that
// would suggest a name ("Did you mean …?") are their versions without
// suggestions, which would otherwise spell out the schema that introspection
// keeps to itself. gqlgen swaps two of them itself, adding its own only
// under a name not taken, so these capped ones stay.
func validationRules(dev bool) func() *rules.Rules {
	plain := map[string]core.Rule{}
	if !dev {
		for _, r := range []core.Rule{rules.FieldsOnCorrectTypeRuleWithoutSuggestions, rules.ScalarLeafsRuleWithoutSuggestions,
			rules.KnownArgumentNamesRuleWithoutSuggestions, rules.KnownTypeNamesRuleWithoutSuggestions, rules.ValuesOfCorrectTypeRuleWithoutSuggestions} {
			plain[strings.TrimSuffix(r.Name, "WithoutSuggestions")] = r
		}
	}
	return func() *rules.Rules {
		left := MaxValidationErrors
		capped := rules.NewRules()
		for name, rule := range rules.NewDefaultRules().GetInner() {
			if r, ok := plain[name]; ok {
				name, rule = r.Name, r.RuleFunc
			}
			capped.AddRule(name, func(events *core.Events, addError core.AddErrFunc) {
				rule(events, func(options ...core.ErrorOption) {
					if left > 0 {
						left--
						addError(options...)
					}
				})
			})
		}
		return capped
	}
}
