package httpserver

import (
	"net/http"
	"net/url"

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
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && u.Host == r.Host
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
