package httpserver

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/trustgate/trustgate/internal/apierr"
)

// fromThisOrigin reports whether a browser sent r from one of this server's
// own pages, or from no page at all (the address bar, a bookmark, a client
// that is no browser), by the Fetch Metadata resource isolation policy: a
// Sec-Fetch-Site of same-origin or none passes, any other (cross-site, and
// same-site: a sibling subdomain is another trust domain) does not. A
// browser too old to send Sec-Fetch-Site is judged by its Origin, which
// must name this host when present; a request with neither passes.
//
// Unlike http.CrossOriginProtection, which the GraphQL endpoint uses, it
// judges GET and HEAD too: a cookie-authenticated GET that does something
// (the CSV export audits and spends a database scan) must not be one that
// another site can start with a link or an image.
func fromThisOrigin(r *http.Request) bool {
	return fetchedFrom(r, []string{"same-origin", "none"}, func(origin *url.URL) bool { return origin.Host == r.Host })
}

// fetchedFrom judges where a browser sent r from: by its Sec-Fetch-Site when
// it sent one (true for a value in passing, false for any other), else by
// its Origin (match, given the parsed origin; false for one that does not
// parse as a host, such as "null"), and true for a request with neither (no
// page at all, or a client that is no browser).
func fetchedFrom(r *http.Request, passing []string, match func(origin *url.URL) bool) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return slices.Contains(passing, site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && match(u)
}

// sameOriginCookie refuses a request that authenticates with a cookie and
// that another site may have made the browser send (see fromThisOrigin).
// Call it before the cookie's credential is read, so such a request
// authenticates nothing and changes nothing; requests whose credential is a
// header (Authorization: Bearer) need no such check, since another site can
// neither attach nor read one.
func sameOriginCookie(r *http.Request) error {
	if fromThisOrigin(r) {
		return nil
	}
	e := apierr.Newf(apierr.PermissionDenied, "This request authenticates with a cookie, so it is served only to this server's own pages; send Authorization: Bearer instead.")
	e.Message = "Cross-site request refused"
	return e
}

// clientTokenChannels says where a client token issued to r (a new client's,
// or a rotation at sign-in) goes: the __client cookie, the X-Client-Token
// header, or both. A client that is no browser (sameOrigin:
// CrossOriginProtection passed, and no Sec-Fetch-Site) gets both. A page of
// this server's own (Sec-Fetch-Site: same-origin) gets the HttpOnly cookie
// alone, unless it keeps its token itself (presented it in the header): the
// header would hand the token, which names the browser's clients in every
// application, the dashboard's included, to any script on the page. A browser page on
// another origin (one in allowedOrigins, else CORS stops it before) gets the
// token in one of them only, never both: the browser's one cookie names its
// clients in every application, the dashboard's included (device.Rotate
// moves them all), and CORS lets that page read the header. With both, the
// page would know the token of the browser's cookie: it could overwrite
// the cookie with a token it reads (signing the browser out everywhere) or
// plant one before an operator signs in, and read or spend that sign-in in
// flight from anywhere. So such a page gets:
//   - the header, when it keeps its token itself (presented it in the
//     header: the SDK's header mode) or is on another site, whose responses
//     cannot set the server's SameSite=Lax cookie anyway;
//   - else the cookie (a sibling subdomain in cookie mode, presenting the
//     cookie or no token yet).
func clientTokenChannels(r *http.Request, sameOrigin, presentedInHeader bool) (cookie, header bool) {
	if sameOrigin {
		return true, presentedInHeader || r.Header.Get("Sec-Fetch-Site") != "same-origin"
	}
	header = presentedInHeader || !sameSite(r)
	return !header, header
}

// sameSite reports whether a browser sent r from a page of the same site as
// this server (the same registrable domain: a sibling subdomain, or another
// port), whose requests carry the server's SameSite=Lax cookies and whose
// responses may set them. Browsers say so in Sec-Fetch-Site; one too old to
// send it is judged by its Origin's registrable domain against the Host's
// (the public suffix list; a host without one, such as localhost or an IP
// address, must match exactly).
func sameSite(r *http.Request) bool {
	return fetchedFrom(r, []string{"same-origin", "same-site", "none"}, func(origin *url.URL) bool {
		return site(origin.Hostname()) == site(hostOnly(r.Host))
	})
}

// site is host's registrable domain (eTLD+1), or host itself when it has
// none (localhost, an IP address, a public suffix).
func site(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// hostOnly is hostport without its port (and an IPv6 address's brackets).
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}
