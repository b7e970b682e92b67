package httpserver

import (
	"os"
	"regexp"
	"testing"
)

func TestIPBudgetKey(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an ip", "not an ip"},
	} {
		if got := ipBudgetKey(tc.ip); got != tc.want {
			t.Errorf("ipBudgetKey(%q) = %q, want %q", tc.ip, got, tc.want)
		}
	}
}

// TestEveryCodeStepSpendsABudget: each frontend mutation that sends or checks
// a code (…Prepare…, …Attempt…) spends the per-IP budget of its kind, so a
// mutation added later cannot be a free guessing or mailing endpoint.
func TestEveryCodeStepSpendsABudget(t *testing.T) {
	schema, err := os.ReadFile("../../graph/signin.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	field := regexp.MustCompile(`(?m)^\s+(\w+(Prepare|Attempt)\w*)\(`)
	found := 0
	for _, m := range field.FindAllStringSubmatch(string(schema), -1) {
		found++
		want := budgetAttempt
		if m[2] == "Prepare" {
			want = budgetSend
		}
		if got := budgets[m[1]]; got != want {
			t.Errorf("%s spends budget %d, want %d", m[1], got, want)
		}
	}
	if found < 10 {
		t.Fatalf("found %d prepare/attempt mutations in the schema; the pattern no longer matches it", found)
	}
}
