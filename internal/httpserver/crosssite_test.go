package httpserver

import (
	"net/http/httptest"
	"testing"
)

// TestFromThisOrigin: Sec-Fetch-Site decides when present (same-origin and
// none pass, anything else is another site); without it an Origin must name
// this host and port, and a request with neither passes.
func TestFromThisOrigin(t *testing.T) {
	for _, c := range []struct {
		name, site, origin string
		want               bool
	}{
		{"same-origin", "same-origin", "", true},
		{"user-initiated (none)", "none", "", true},
		{"same-origin whatever Origin says", "same-origin", "https://evil.example", true},
		{"cross-site", "cross-site", "", false},
		{"same-site: a sibling subdomain", "same-site", "", false},
		{"an unknown Sec-Fetch-Site", "other", "", false},
		{"no browser headers", "", "", true},
		{"an old browser on this host", "", "https://auth.example.com", true},
		{"an old browser on another host", "", "https://evil.example", false},
		{"an old browser on another port", "", "https://auth.example.com:8443", false},
		{"an opaque origin", "", "null", false},
		{"a malformed origin", "", "://", false},
	} {
		r := httptest.NewRequest("GET", "https://auth.example.com/admin/sign-in-events.csv", nil)
		if c.site != "" {
			r.Header.Set("Sec-Fetch-Site", c.site)
		}
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if got := fromThisOrigin(r); got != c.want {
			t.Errorf("%s: fromThisOrigin = %v, want %v", c.name, got, c.want)
		}
	}
}
