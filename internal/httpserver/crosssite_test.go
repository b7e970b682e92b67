package httpserver

import (
	"net/http"
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
		r := browserRequest("GET", "https://auth.example.com/admin/sign-in-events.csv", c.site, c.origin)
		if got := fromThisOrigin(r); got != c.want {
			t.Errorf("%s: fromThisOrigin = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestSameSite: Sec-Fetch-Site decides when present; without it an Origin
// is of this site when its registrable domain (public suffix list) is the
// Host's, and a host without one (localhost, an IP address) must match
// exactly, ports aside.
func TestSameSite(t *testing.T) {
	for _, c := range []struct {
		name, host, site, origin string
		want                     bool
	}{
		{"same-site", "auth.example.com", "same-site", "https://evil.example", true},
		{"cross-site", "auth.example.com", "cross-site", "https://shop.example.com", false},
		{"no browser headers", "auth.example.com", "", "", true},
		{"a sibling subdomain", "auth.example.com", "", "https://shop.example.com", true},
		{"the parent domain, another port", "auth.example.com:8443", "", "https://example.com", true},
		{"another domain", "auth.example.com", "", "https://shop.example.net", false},
		{"under a multi-label suffix", "auth.shop.co.uk", "", "https://www.shop.co.uk", true},
		{"two sites under a multi-label suffix", "auth.shop.co.uk", "", "https://other.co.uk", false},
		{"two sites under a private suffix", "alice.github.io", "", "https://bob.github.io", false},
		{"localhost, another port", "localhost:8080", "", "http://localhost:5173", true},
		{"an IP address, another port", "127.0.0.1:8080", "", "http://127.0.0.1:5173", true},
		{"another IP address", "127.0.0.1:8080", "", "http://127.0.0.2:8080", false},
		{"IPv6, another port", "[::1]:8080", "", "http://[::1]:5173", true},
		{"an opaque origin", "auth.example.com", "", "null", false},
		{"a malformed origin", "auth.example.com", "", "://", false},
	} {
		r := browserRequest("POST", "https://"+c.host+"/graphql", c.site, c.origin)
		if got := sameSite(r); got != c.want {
			t.Errorf("%s: sameSite = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestClientTokenChannels: a client that is no browser gets a new client
// token in the cookie and the header; this server's own pages in the HttpOnly
// cookie only, unless they keep it themselves; a page on another origin in
// one of them only.
func TestClientTokenChannels(t *testing.T) {
	for _, c := range []struct {
		name                   string
		sameOrigin, inHeader   bool
		site                   string
		wantCookie, wantHeader bool
	}{
		{"no browser", true, false, "", true, true},
		{"no browser, token in the header", true, true, "", true, true},
		{"this origin", true, false, "same-origin", true, false},
		{"this origin, token in the header", true, true, "same-origin", true, true},
		{"a sibling subdomain, cookie or no token", false, false, "same-site", true, false},
		{"a sibling subdomain, token in the header", false, true, "same-site", false, true},
		{"another site", false, false, "cross-site", false, true},
		{"another site, token in the header", false, true, "cross-site", false, true},
	} {
		r := browserRequest("POST", "https://auth.example.com/graphql", c.site, "")
		cookie, header := clientTokenChannels(r, c.sameOrigin, c.inHeader)
		if cookie != c.wantCookie || header != c.wantHeader {
			t.Errorf("%s: cookie %v, header %v; want %v, %v", c.name, cookie, header, c.wantCookie, c.wantHeader)
		}
	}
}

// browserRequest is a request to target with the Sec-Fetch-Site and Origin
// headers a browser would send (each left out when empty).
func browserRequest(method, target, site, origin string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	if site != "" {
		r.Header.Set("Sec-Fetch-Site", site)
	}
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	return r
}
