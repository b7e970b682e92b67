package httpserver

import (
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
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
