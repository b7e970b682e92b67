package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsNameWhatExists: the tests, benchmarks and environment variables
// the documentation names as evidence or as settings exist in the code, so
// a renamed or deleted test (or setting) cannot leave SECURITY.md or the
// README pointing at nothing.
func TestDocsNameWhatExists(t *testing.T) {
	root := filepath.Join("..", "..")
	docs := []string{"README.md", "web/sdk/README.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		rel, _ := filepath.Rel(root, m)
		docs = append(docs, rel)
	}

	funcs := map[string]bool{}  // TestX and BenchmarkX declared in _test.go files
	source := strings.Builder{} // every non-test Go file of cmd/ and internal/
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Benchmark)[A-Z]\w*)\(`)
	for _, dir := range []string{"cmd", "internal", "graph", "policy"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if strings.HasSuffix(path, "_test.go") {
				for _, m := range decl.FindAllSubmatch(b, -1) {
					funcs[string(m[1])] = true
				}
			} else if dir == "cmd" || dir == "internal" {
				source.Write(b)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(funcs) < 100 {
		t.Fatalf("found only %d test functions: the walk is broken", len(funcs))
	}

	cited := regexp.MustCompile(`\b((?:Test|Benchmark)[A-Z]\w*)`)
	env := regexp.MustCompile(`\bTRUSTGATE_[A-Z0-9_]*[A-Z0-9]`)
	for _, doc := range docs {
		b, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range cited.FindAllString(string(b), -1) {
			if !funcs[m] {
				t.Errorf("%s names %s, which no _test.go declares", doc, m)
			}
		}
		for _, m := range env.FindAllString(string(b), -1) {
			if !strings.Contains(source.String(), `"`+m+`"`) {
				t.Errorf("%s names %s, which the code does not read", doc, m)
			}
		}
	}
}
