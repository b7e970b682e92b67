package audit

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestKindsAreListedEverywhere keeps the three lists of sign-in event kinds
// in step: Kinds, the dashboard's kind filter and the schema's description
// of SignInEvent.kind.
func TestKindsAreListedEverywhere(t *testing.T) {
	kindRe := regexp.MustCompile(`[a-z_]+\.[a-z_]+|rate_limited`)
	sorted := func(v []string) []string {
		v = slices.Clone(v)
		slices.Sort(v)
		return slices.Compact(v)
	}
	want := sorted(Kinds)
	if len(want) != len(Kinds) {
		t.Fatalf("Kinds has duplicates: %v", Kinds)
	}

	tsx, err := os.ReadFile("../../web/src/dashboard/EventsPage.tsx")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)export const EVENT_KINDS = \[(.*?)\]`).FindSubmatch(tsx)
	if block == nil {
		t.Fatal("EVENT_KINDS not found in EventsPage.tsx")
	}
	if got := sorted(regexp.MustCompile(`'([a-z_.]+)'`).FindAllString(string(block[1]), -1)); !slices.Equal(trimQuotes(got), want) {
		t.Errorf("the dashboard's EVENT_KINDS = %v, want %v", trimQuotes(got), want)
	}

	schema, err := os.ReadFile("../../graph/admin.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	desc := regexp.MustCompile(`(?s)type SignInEvent \{.*?"""(.*?)"""\s*kind: String!`).FindSubmatch(schema)
	if desc == nil {
		t.Fatal("no description of SignInEvent.kind in admin.graphqls")
	}
	if got := sorted(kindRe.FindAllString(strings.TrimSpace(string(desc[1])), -1)); !slices.Equal(got, want) {
		t.Errorf("the schema's description of SignInEvent.kind lists %v, want %v", got, want)
	}
}

func trimQuotes(v []string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = strings.Trim(s, "'")
	}
	return out
}
