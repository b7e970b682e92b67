package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// TestCookieExportRefusesOtherSites: the CSV export accepts an operator's
// __session cookie, which a browser also attaches to a navigation or a
// no-cors request that another site starts (a SameSite=Lax cookie on a
// top-level GET). Such a request is refused before it authenticates,
// writing no audit event, while this origin's own requests, requests
// without browser headers, and Bearer credentials, which another site
// cannot attach, still export.
func TestCookieExportRefusesOtherSites(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		op := s.cli(t, "operators", "create", "--email", "auditor@example.com", "--role", "auditor", "--app", s.appID, "--json")
		s.reloadPolicy(t)
		jwt := s.operatorSession(t, "auditor@example.com", op["password"].(string))
		keyID, key := s.createKey(t, "auditor", s.appID)
		const actor = "operator:auditor@example.com"
		path := "/admin/sign-in-events.csv?" + url.Values{"applicationId": {s.appID}}.Encode()
		cookie := map[string]string{"Cookie": "__session=" + jwt}
		with := func(base map[string]string, kv ...string) map[string]string {
			h := maps.Clone(base)
			for i := 0; i < len(kv); i += 2 {
				h[kv[i]] = kv[i+1]
			}
			return h
		}
		export := func(h map[string]string) (int, string) {
			resp := s.getWith(t, path, h)
			defer resp.Body.Close()
			var body struct {
				Errors []struct{ Extensions map[string]any }
			}
			if resp.StatusCode == http.StatusOK {
				_, _ = io.Copy(io.Discard, resp.Body)
				return resp.StatusCode, ""
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Errors) != 1 {
				t.Fatalf("status %d: the body is no API error (%v)", resp.StatusCode, err)
			}
			code, _ := body.Errors[0].Extensions["code"].(string)
			return resp.StatusCode, code
		}

		t.Run("another site's requests are refused and audited nowhere", func(t *testing.T) {
			before := s.auditCount(t, actor, "")
			for name, h := range map[string]map[string]string{
				"a cross-site navigation (a link or a redirect)": with(cookie, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"),
				"a cross-site image or no-cors fetch":            with(cookie, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "no-cors", "Sec-Fetch-Dest", "image"),
				"a sibling subdomain (same-site)":                with(cookie, "Sec-Fetch-Site", "same-site", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"),
				"an old browser's request from another origin":   with(cookie, "Origin", "https://evil.example"),
				"an old browser's request from an opaque origin": with(cookie, "Origin", "null"),
			} {
				if status, code := export(h); status != http.StatusForbidden || code != "permission_denied" {
					t.Errorf("%s: status %d code %q, want 403 permission_denied", name, status, code)
				}
			}
			if n := s.auditCount(t, actor, ""); n != before {
				t.Errorf("refused cross-site exports wrote %d audit events, want none", n-before)
			}
		})
		t.Run("this origin's requests and clients without browser headers export", func(t *testing.T) {
			before := s.auditCount(t, actor, "events:read")
			cases := map[string]map[string]string{
				"a same-origin fetch":                       with(cookie, "Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty"),
				"typed into the address bar":                with(cookie, "Sec-Fetch-Site", "none", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"),
				"an old browser's request from this origin": with(cookie, "Origin", s.base),
				"a client that sends no browser headers":    cookie,
			}
			for name, h := range cases {
				if status, code := export(h); status != http.StatusOK {
					t.Errorf("%s: status %d code %q, want 200", name, status, code)
				}
			}
			if n := s.auditCount(t, actor, "events:read"); n != before+len(cases) {
				t.Errorf("%d export audit events, want %d", n-before, len(cases))
			}
		})
		t.Run("Bearer credentials are never affected", func(t *testing.T) {
			crossSite := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
			for name, h := range map[string]map[string]string{
				"an API key":                   with(crossSite, "Authorization", "Bearer "+key),
				"the operator's session token": with(crossSite, "Authorization", "Bearer "+jwt),
			} {
				if status, code := export(h); status != http.StatusOK {
					t.Errorf("%s: status %d code %q, want 200", name, status, code)
				}
			}
			if n := s.auditCount(t, "key:"+keyID, "events:read"); n != 1 {
				t.Errorf("%d export audit events for the key, want 1", n)
			}
		})
	})
}

// TestAllowedOriginCannotReadTheCookiesClientToken: one browser keeps one
// __client cookie for every application on this origin, and a sign-in
// rotates the token of all of them. A page on an origin in one
// application's allowedOrigins that is same-site with this server (a
// sibling subdomain: the browser attaches the SameSite=Lax cookie to its
// credentialed fetch) can complete a sign-in of its own account on the
// browser's client. The rotated token must then reach the browser only as
// the cookie, never in X-Client-Token, which CORS lets that page read: it
// would name the browser's clients in every other application, the
// dashboard's with an operator's session included.
func TestAllowedOriginCannotReadTheCookiesClientToken(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		op := s.cli(t, "operators", "create", "--email", "boss@example.com", "--role", "owner", "--json")
		s.reloadPolicy(t)
		// The operator's browser, signed in to the dashboard.
		victim, operatorSession := s.operatorBrowser(t, "boss@example.com", op["password"].(string))

		// Another application (Client Trust off: created before 2025-11-14)
		// whose frontend is a sibling subdomain; its page runs someone else's
		// script (its own administrator's, or an XSS).
		const shop = "https://shop.example.com"
		app := s.createApp(t, "Shop", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		s.admin(`mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { allowedOrigins } }`,
			vars{"id": app.id, "in": vars{"allowedOrigins": []string{shop}}}).data(t)
		s.createAppUser(t, app, "mallory@example.com")

		// The shop's page signs its own account in from the operator's
		// browser: fetch(credentials: 'include') carries the browser's cookie.
		r := s.post(victim.http, map[string]string{"X-Publishable-Key": app.pk, "Origin": shop, "Sec-Fetch-Site": "same-site"},
			`mutation($i: String!, $p: String!) { signInCreate(input: {identifier: $i, password: $p}) { status } }`,
			vars{"i": "mallory@example.com", "p": adminPassword})
		if r.data(t)["signInCreate"].(map[string]any)["status"] != "complete" || r.header.Get("Access-Control-Allow-Origin") != shop {
			t.Fatalf("the shop's sign-in: %v, Access-Control-Allow-Origin %q", r.Data, r.header.Get("Access-Control-Allow-Origin"))
		}
		if leaked := r.header.Get("X-Client-Token"); leaked != "" {
			thief := s.browser()
			thief.pk = victim.pk
			thief.header = map[string]string{"X-Client-Token": leaked}
			if _, sessions := clientOf(t, thief); slices.Contains(sessions, operatorSession) {
				minted := thief.do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt } }`, vars{"s": operatorSession})
				t.Fatalf("the shop's page read X-Client-Token, which names the operator's dashboard client and its session (sessionTokenCreate with it: errors %v)", minted.Errors)
			}
			t.Fatal("a cross-origin response carried the client token of the cookie")
		}
		// The browser took the rotated token as its cookie: the operator is still signed in.
		victim.token(t, operatorSession)

		t.Run("a client that sends its token in the header still gets it back", func(t *testing.T) {
			r := s.post(http.DefaultClient, map[string]string{"X-Publishable-Key": app.pk, "Origin": shop, "Sec-Fetch-Site": "cross-site"}, `{ client { id } }`, nil)
			if r.header.Get("X-Client-Token") == "" || r.header.Get("Access-Control-Allow-Origin") != shop {
				t.Fatalf("a new client from an allowed origin: X-Client-Token %q, headers %v", r.header.Get("X-Client-Token"), r.header)
			}
		})
	})
}

// TestAllowedOriginGetsTheClientTokenInOnePlace: a browser page on an origin
// in an application's allowedOrigins gets a client token issued to its
// request either as the __client cookie or in X-Client-Token (which CORS
// lets it read), never both. With both, a sibling subdomain's page (its
// credentialed requests carry and set the browser's cookie, which names the
// browser's clients in every application) could present a made-up token in
// the header and so replace the browser's cookie with a token it then
// reads: the operator's dashboard session is gone from that browser, and the
// page reads the operator's next dashboard sign-in in flight from anywhere.
// Or, in a browser with no cookie yet, it could plant one it knows.
func TestAllowedOriginGetsTheClientTokenInOnePlace(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		op := s.cli(t, "operators", "create", "--email", "boss@example.com", "--role", "owner", "--json")
		s.reloadPolicy(t)
		password := op["password"].(string)
		victim, operatorSession := s.operatorBrowser(t, "boss@example.com", password)

		// Another application whose frontend is a sibling subdomain (an admin
		// of that application suffices to list it) or another site.
		const shop, other = "https://shop.example.com", "https://shop.example.net"
		local := "http://127.0.0.1:5173" // the server's own host on another port: the same site
		app := s.createApp(t, "Shop", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		_, adminKey := s.createKey(t, "admin", app.id)
		s.reloadPolicy(t)
		s.adminAs(adminKey, `mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { allowedOrigins } }`,
			vars{"id": app.id, "in": vars{"allowedOrigins": []string{shop, other, local}}}).data(t)
		where := func(r result) (cookie, header string) {
			for _, c := range (&http.Response{Header: r.header}).Cookies() {
				if c.Name == "__client" {
					cookie = c.Value
				}
			}
			return cookie, r.header.Get("X-Client-Token")
		}

		// The shop's page: fetch(…, {credentials: 'include', headers: {'X-Client-Token': 'made-up'}}).
		r := s.post(victim.http, map[string]string{"X-Publishable-Key": app.pk, "Origin": shop, "Sec-Fetch-Site": "same-site",
			"X-Client-Token": "made-up"}, `{ client { id } }`, nil)
		r.data(t)
		if cookie, header := where(r); cookie != "" || header == "" {
			t.Fatalf("a same-site page's new client, its token presented in the header: __client cookie %q, X-Client-Token %q; want the header only", cookie, header)
		}
		victim.token(t, operatorSession) // the browser's cookie still names the operator's client

		// A sibling subdomain's page in cookie mode, in a browser with no
		// cookie yet: the cookie only, so the page cannot plant a token it knows.
		fresh := s.browser()
		sibling := func() result {
			return s.post(fresh.http, map[string]string{"X-Publishable-Key": app.pk, "Origin": shop, "Sec-Fetch-Site": "same-site"}, `{ client { id } }`, nil)
		}
		r = sibling()
		planted, header := where(r)
		if planted == "" || header != "" {
			t.Fatalf("a same-site page's new client, no token presented: __client cookie %q, X-Client-Token %q; want the cookie only", planted, header)
		}
		// The browser keeps the cookie: its next request names the same client.
		first := r.data(t)["client"].(map[string]any)["id"]
		if again := sibling().data(t)["client"].(map[string]any)["id"]; again != first {
			t.Fatalf("the sibling page's client: %v, then %v", first, again)
		}

		// A browser too old to send Sec-Fetch-Site is judged by its Origin's
		// registrable domain: another port of the server's host is the same
		// site (the cookie), another domain is not (the header).
		for _, c := range []struct {
			origin       string
			cookie, head bool
		}{{local, true, false}, {other, false, true}} {
			r := s.post(s.browser().http, map[string]string{"X-Publishable-Key": app.pk, "Origin": c.origin}, `{ client { id } }`, nil)
			r.data(t)
			cookie, header := where(r)
			if (cookie != "") != c.cookie || (header != "") != c.head {
				t.Errorf("Origin %s without Sec-Fetch-Site: __client cookie %q, X-Client-Token %q; want cookie %v, header %v", c.origin, cookie, header, c.cookie, c.head)
			}
		}

		// A client that is no browser gets both; this server's own pages the
		// HttpOnly cookie alone, which no script on them can read.
		r = s.post(s.browser().http, map[string]string{"X-Publishable-Key": app.pk}, `{ client { id } }`, nil)
		r.data(t)
		if cookie, header := where(r); cookie == "" || header != cookie {
			t.Fatalf("a request without browser headers: __client cookie %q, X-Client-Token %q; want both, the same", cookie, header)
		}
		r = s.post(s.browser().http, map[string]string{"X-Publishable-Key": app.pk, "Sec-Fetch-Site": "same-origin"}, `{ client { id } }`, nil)
		r.data(t)
		if cookie, header := where(r); cookie == "" || header != "" {
			t.Fatalf("a page of this origin: __client cookie %q, X-Client-Token %q; want the cookie only", cookie, header)
		}
	})
}
