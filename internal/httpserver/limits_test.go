package httpserver

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func TestShapeLimit(t *testing.T) {
	l := shapeLimit{Limits{MaxDepth: 4, MaxAliases: 2}}
	check := func(t *testing.T, q string) string {
		t.Helper()
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			t.Fatal(err)
		}
		oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
		if e := l.MutateOperationContext(t.Context(), oc); e != nil {
			return e.Message
		}
		return ""
	}
	tests := []struct {
		name, query, wantErr string
	}{
		{"within the depth", `{ a { b { c { d } } } }`, ""},
		{"one level too deep", `{ a { b { c { d { e } } } } }`, "5 levels deep"},
		{"depth through fragments counts", `query { a { ...F } } fragment F on A { b { c { d { e } } } }`, "5 levels deep"},
		{"depth through inline fragments counts", `{ a { ... on A { b { c { d { e } } } } } }`, "5 levels deep"},
		{"a fragment cycle does not loop", `query { a { ...F } } fragment F on A { b { ...F } }`, ""},
		{"aliases within the limit", `{ x: a { id } y: a { id } }`, ""},
		{"too many aliases", `{ x: a { id } y: a { id } z: a { id } }`, "3 aliases"},
		{"aliases hidden in fragments count", `query { ...F } fragment F on Q { x: a y: a z: a }`, "3 aliases"},
		{"a fragment counts each time it is spread", `query { a { ...F } b { ...F } } fragment F on A { x: id y: id }`, "4 aliases"},
		{"under aliased fields too", `query { p: a { ...F } q: a { ...F } } fragment F on A { x: id }`, "4 aliases"},
		{"a fragment spread deep counts there", `query { ...F a { b { e { ...F } } } } fragment F on Q { c { d } }`, "5 levels deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check(t, tt.query)
			if (tt.wantErr == "") != (got == "") || !strings.Contains(got, tt.wantErr) {
				t.Fatalf("got %q, want an error containing %q", got, tt.wantErr)
			}
		})
	}
}

// TestShapeLimitFragmentBomb: fragments that spread each other twice, 30
// levels down, expand to 2^30 aliased fields; they are counted (capped) in
// linear time, and refused.
func TestShapeLimitFragmentBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("query { ...F0 }\n")
	for i := range 30 {
		fmt.Fprintf(&b, "fragment F%d on Q { x: a { ...F%d } y: a { ...F%d } }\n", i, i+1, i+1)
	}
	b.WriteString("fragment F30 on Q { id }\n")
	doc, err := parser.ParseQuery(&ast.Source{Input: b.String()})
	if err != nil {
		t.Fatal(err)
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
	e := shapeLimit{Limits{MaxDepth: 100, MaxAliases: 15}}.MutateOperationContext(t.Context(), oc)
	if e == nil || !strings.Contains(e.Message, "aliases") {
		t.Fatalf("got %v, want the alias limit", e)
	}
}

func TestDocumentLimit(t *testing.T) {
	// At most 10 selections. Every case runs twice: the second time, a
	// document that passed comes from the cache, and one refused is refused
	// again.
	l := documentLimit{Limits: Limits{MaxSelections: 10}, passed: lru.New[struct{}](100)}
	bomb := func(n int, body string) string {
		var b strings.Builder
		b.WriteString("query { ...F0 }\n")
		for i := range n {
			fmt.Fprintf(&b, "fragment F%d on Q { ...F%d ...F%d }\n", i, i+1, i+1)
		}
		fmt.Fprintf(&b, "fragment F%d on Q { %s }\n", n, body)
		return b.String()
	}
	tests := []struct {
		name, query, wantErr string
	}{
		{"within the limit", `{ a { b c d } e }`, ""},
		{"a fragment counts where spread and on its own", `query { a { ...F } } fragment F on A { b c d }`, ""},
		{"too many fields", `{ a b c d e f g h i j k }`, "selects 11"},
		{"repeated fields count each time", `{ a { id id id id id id id id id id } }`, "selects 11"},
		{"every operation counts", `query A { a b c d e f } query B { a b c d e f }`, "selects 12"},
		{"an unused fragment counts", `query { a } fragment F on Q { a b c d e f g h i j }`, "selects 11"},
		{"fragments spread twice, expanded", bomb(3, "id"), "selects 60"},
		// 2^60 selections, measured in linear time and capped.
		{"a fragment bomb", bomb(60, "id"), "at most 10"},
		{"a fragment cycle does not loop", `query { a { ...F } } fragment F on A { ...F }`, ""},
		{"a document gqlgen cannot parse is left to it", `{ a { `, ""},
	}
	for _, tt := range slices.Concat(tests, tests) {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if e := l.MutateOperationParameters(t.Context(), &graphql.RawParams{Query: tt.query}); e != nil {
				got = e.Message
			}
			if (tt.wantErr == "") != (got == "") || !strings.Contains(got, tt.wantErr) {
				t.Fatalf("got %q, want an error containing %q", got, tt.wantErr)
			}
		})
	}
	// Only what passed is remembered; what gqlgen cannot parse was not
	// measured.
	for q, want := range map[string]bool{`{ a { b c d } e }`: true, `{ a b c d e f g h i j k }`: false, `{ a { `: false} {
		sum := sha256.Sum256([]byte(q))
		if _, got := l.passed.Get(t.Context(), string(sum[:])); got != want {
			t.Errorf("%q remembered: %v, want %v", q, got, want)
		}
	}
}
