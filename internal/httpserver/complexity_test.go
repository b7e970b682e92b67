package httpserver

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"github.com/trustgate/trustgate/graph"
)

// webDocuments reads the GraphQL documents a web/ operations file defines:
// its string constants (const X = a template or quoted string), its
// op('Name', …) calls, and calls of helpers that return one (function f(a,
// b = 'x') { return op(a, …) }), with every ${X} filled in. It fails the
// test on any exported constant it cannot read, so that a change of how the
// file is written fails here rather than leaving a document unchecked.
func webDocuments(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	const lit = "(`[^`]*`|'[^']*')"
	unquote := func(s string) string { return s[1 : len(s)-1] }
	consts := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(?:export )?const (\w+) =\s*`+lit).FindAllStringSubmatch(src, -1) {
		consts[m[1]] = unquote(m[2])
	}
	var fill func(tmpl string, local map[string]string, depth int) string
	fill = func(tmpl string, local map[string]string, depth int) string {
		if depth > 10 {
			t.Fatalf("%s: constants refer to each other in a cycle: %q", path, tmpl)
		}
		return regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(tmpl, func(ref string) string {
			name := ref[2 : len(ref)-1]
			if v, ok := local[name]; ok {
				return v
			}
			v, ok := consts[name]
			if !ok {
				t.Fatalf("%s: ${%s} names no string constant", path, name)
			}
			return fill(v, nil, depth+1)
		})
	}
	type helper struct {
		params   []string
		defaults map[string]string
		body     string
	}
	helpers := map[string]helper{}
	for _, m := range regexp.MustCompile(`function (\w+)\(([^)]*)\)\s*\{\s*return op\(\s*\w+\s*,\s*`+lit+`\s*\)\s*\}`).FindAllStringSubmatch(src, -1) {
		h := helper{defaults: map[string]string{}, body: unquote(m[3])}
		for _, p := range strings.Split(m[2], ",") {
			name, def, hasDef := strings.Cut(p, "=")
			name, _, _ = strings.Cut(strings.TrimSpace(name), ":")
			h.params = append(h.params, strings.TrimSpace(name))
			if hasDef {
				h.defaults[strings.TrimSpace(name)] = unquote(strings.TrimSpace(def))
			}
		}
		helpers[m[1]] = h
	}
	docs := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^export const (\w+) =\s*(\w+)\(\s*((?:`+lit+`\s*,?\s*)*)\)`).FindAllStringSubmatch(src, -1) {
		var args []string
		for _, a := range regexp.MustCompile(lit).FindAllString(m[3], -1) {
			args = append(args, unquote(a))
		}
		switch h, ok := helpers[m[2]]; {
		case m[2] == "op" && len(args) == 2:
			docs[m[1]] = fill(args[1], nil, 0)
		case ok:
			local := map[string]string{}
			for i, p := range h.params {
				if i < len(args) {
					local[p] = args[i]
				} else if d, ok := h.defaults[p]; ok {
					local[p] = d
				} else {
					t.Fatalf("%s: %s calls %s without %s", path, m[1], m[2], p)
				}
			}
			docs[m[1]] = fill(h.body, local, 0)
		}
	}
	// Every exported constant is a string constant or a document.
	for _, m := range regexp.MustCompile(`(?m)^export const (\w+) =`).FindAllStringSubmatch(src, -1) {
		if _, ok := consts[m[1]]; !ok && docs[m[1]] == "" {
			t.Fatalf("%s: cannot read the document %s; teach webDocuments how it is written", path, m[1])
		}
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no documents found", path)
	}
	return docs
}

// pageSizes finds, in the dashboard's pages, the `first` each sends with a
// document: `XQuery, { … first: N … }`, N a number or a constant of that
// file.
func pageSizes(t *testing.T, dir string) map[string][]int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tsx"))
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string][]int{}
	for _, f := range files {
		if strings.HasSuffix(f, ".test.tsx") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, m := range regexp.MustCompile(`(\w+)\s*,\s*\{[^{}]*?\bfirst:\s*(\w+)`).FindAllStringSubmatch(src, -1) {
			n, err := strconv.Atoi(m[2])
			if err != nil {
				c := regexp.MustCompile(`(?m)^\s*const ` + m[2] + ` = (\d+)\b`).FindStringSubmatch(src)
				if c == nil {
					t.Fatalf("%s: first: %s is no number constant of the file", f, m[2])
				}
				n, _ = strconv.Atoi(c[1])
			}
			sizes[m[1]] = append(sizes[m[1]], n)
		}
	}
	return sizes
}

// TestDashboardDocumentsFitTheComplexityLimit costs every document the
// dashboard and the SDK send (web/src/dashboard/operations.ts,
// web/sdk/operations.ts) as the server does, with every page size the
// dashboard's pages ask and with the default page size, and fails if one is
// refused, or has less than a tenth of the limit to spare (or selects more
// than a third of the fields and fragments documentLimit allows): a dashboard
// change that would be refused fails here, not in an operator's browser.
func TestDashboardDocumentsFitTheComplexityLimit(t *testing.T) {
	es := graph.NewExecutableSchema(graph.Config{Complexity: graph.Complexity()})
	limit := DefaultLimits.MaxComplexity
	web := filepath.Join("..", "..", "web")
	docs := webDocuments(t, filepath.Join(web, "src", "dashboard", "operations.ts"))
	sizes := pageSizes(t, filepath.Join(web, "src", "dashboard"))
	if len(sizes) == 0 {
		t.Fatal("no page sizes found in the dashboard's pages")
	}
	for name := range sizes {
		if _, ok := docs[name]; !ok {
			t.Errorf("the dashboard pages %s, which operations.ts does not define", name)
		}
	}
	sdk := webDocuments(t, filepath.Join(web, "sdk", "operations.ts"))
	for name, d := range sdk {
		docs["sdk."+name] = d
	}
	roomy := documentLimit{Limits: DefaultLimits}
	roomy.MaxSelections /= 3
	for name, text := range docs {
		doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), text, nil) // nil: the default rules
		if errs != nil {
			t.Errorf("%s does not validate: %v\n%s", name, errs, text)
			continue
		}
		// documentLimit's measures, before validation, with room to spare.
		if err := roomy.MutateOperationParameters(t.Context(), &graphql.RawParams{Query: text}); err != nil {
			t.Errorf("%s: %v, with a third of the %d selections allowed", name, err.Message, DefaultLimits.MaxSelections)
		}
		for _, op := range doc.Operations {
			firsts := []any{nil} // absent: the default page size
			for _, n := range sizes[name] {
				firsts = append(firsts, n)
			}
			for _, first := range firsts {
				cost := graph.Cost(t.Context(), es, op, map[string]any{"first": first})
				t.Logf("%s (first %v): %d", name, first, cost)
				if cost > limit-limit/10 {
					t.Errorf("%s with first %v costs %d: within a tenth of the limit of %d, or over it", name, first, cost, limit)
				}
			}
		}
	}
}
