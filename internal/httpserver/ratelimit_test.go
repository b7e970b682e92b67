package httpserver

import "testing"

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
