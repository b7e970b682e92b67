package httpserver

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestClientIP: X-Forwarded-For is read only from a trusted peer, from the
// right, skipping trusted proxies; when every hop is a trusted proxy the
// left-most one is the client (nginx's real_ip_recursive, Envoy, Traefik).
func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, c := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer, no header", "203.0.113.5:1234", nil, "203.0.113.5"},
		{"untrusted peer's header is ignored", "203.0.113.5:1234", []string{"198.51.100.7"}, "203.0.113.5"},
		{"untrusted peer cannot claim a proxy", "203.0.113.5:1234", []string{"10.0.0.9"}, "203.0.113.5"},
		{"trusted peer, no header", "10.0.0.1:80", nil, "10.0.0.1"},
		{"one proxy", "10.0.0.1:80", []string{"203.0.113.5"}, "203.0.113.5"},
		{"two proxies", "10.0.0.1:80", []string{"203.0.113.5, 10.0.0.2"}, "203.0.113.5"},
		{"spoofed left-most entry", "10.0.0.1:80", []string{"198.51.100.7, 203.0.113.5, 10.0.0.2"}, "203.0.113.5"},
		{"spoofed proxy on the left", "10.0.0.1:80", []string{"10.0.0.9, 203.0.113.5"}, "203.0.113.5"},
		{"several header lines", "10.0.0.1:80", []string{"198.51.100.7", "203.0.113.5, 10.0.0.2"}, "203.0.113.5"},
		{"every hop a proxy", "10.0.0.1:80", []string{"10.0.0.9, 10.0.0.2"}, "10.0.0.9"},
		{"the only hop a proxy", "10.0.0.1:80", []string{"10.0.0.9"}, "10.0.0.9"},
		{"every hop a proxy, IPv6", "[fd00::1]:80", []string{"fd00::9"}, "fd00::9"},
		{"junk left of the proxies", "10.0.0.1:80", []string{"junk, 10.0.0.2"}, "10.0.0.2"},
		{"junk as the only hop", "10.0.0.1:80", []string{"junk"}, "10.0.0.1"},
		{"empty header", "10.0.0.1:80", []string{""}, "10.0.0.1"},
		{"mapped IPv4", "[::ffff:10.0.0.1]:80", []string{"::ffff:203.0.113.5"}, "203.0.113.5"},
		// Some balancers (Azure Application Gateway) append the client's port.
		{"entry with a port", "10.0.0.1:80", []string{"203.0.113.5:4711"}, "203.0.113.5"},
		{"IPv6 entry with a port", "10.0.0.1:80", []string{"[2001:db8::5]:4711, 10.0.0.2:443"}, "2001:db8::5"},
		{"spoofed entry left of one with a port", "10.0.0.1:80", []string{"198.51.100.7, 203.0.113.5:4711"}, "203.0.113.5"},
		// RFC 7239's form of an IPv6 node, which some balancers copy into X-Forwarded-For.
		{"bracketed IPv6 entry", "10.0.0.1:80", []string{"[2001:db8::5]"}, "2001:db8::5"},
		{"bracketed IPv6 proxy", "10.0.0.1:80", []string{"203.0.113.5, [fd00::2]"}, "203.0.113.5"},
		{"bracketed IPv4 is not an address", "10.0.0.1:80", []string{"203.0.113.5, [10.0.0.2]"}, "10.0.0.1"},
		{"half a bracket", "10.0.0.1:80", []string{"[2001:db8::5"}, "10.0.0.1"},
		// An IPv6 zone is free text (netip accepts any), which the IP would
		// carry into the emails that show it: not an address of a client.
		{"zoned IPv6 entry", "10.0.0.1:80", []string{"fe80::1%Call +1 555 0100 now"}, "10.0.0.1"},
		{"zoned IPv6 entry with a port", "10.0.0.1:80", []string{"[fe80::1%evil.example]:4711"}, "10.0.0.1"},
		{"zoned IPv6 entry in brackets", "10.0.0.1:80", []string{"203.0.113.5, [fe80::1%evil.example]"}, "10.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/graphql", nil)
			r.RemoteAddr = c.peer
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientIP(r, trusted); got != c.want {
				t.Errorf("ClientIP(peer %s, X-Forwarded-For %q) = %s, want %s", c.peer, c.xff, got, c.want)
			}
		})
	}
}
