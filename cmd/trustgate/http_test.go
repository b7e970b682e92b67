package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustgate/trustgate/internal/httpserver"
	"github.com/trustgate/trustgate/web"
)

// rawPost sends a body to /graphql with the given headers.
func (s *server) rawPost(t *testing.T, contentType string, body []byte, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Publishable-Key", s.pk)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestGraphQLTransportAndLimits(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")

	t.Run("GET is not a transport", func(t *testing.T) {
		resp, err := http.Get(s.base + "/graphql?query=%7Bclient%7Bid%7D%7D")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST, OPTIONS" ||
			!strings.Contains(string(b), `"code":"form_param_format_invalid"`) {
			t.Fatalf("GET /graphql = %d, Allow %q, body %s; want 405, POST and an error code", resp.StatusCode, resp.Header.Get("Allow"), b)
		}
	})
	t.Run("form and multipart bodies are refused", func(t *testing.T) {
		for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", ""} {
			resp, body := s.rawPost(t, ct, []byte(`query={client{id}}`), nil)
			if resp.StatusCode != http.StatusUnsupportedMediaType || strings.Contains(body, `"client"`) ||
				!strings.Contains(body, `"code":"form_param_format_invalid"`) {
				t.Errorf("%q: status %d body %s, want 415 with an error code", ct, resp.StatusCode, body)
			}
		}
		if resp, body := s.rawPost(t, "application/json; charset=utf-8", []byte(`{"query":"{ client { id } }"}`), nil); resp.StatusCode != http.StatusOK {
			t.Errorf("JSON with a charset: status %d body %s, want 200", resp.StatusCode, body)
		}
	})
	t.Run("a body that is no GraphQL request is refused with one status", func(t *testing.T) {
		// Refused before GraphQL runs: the HTTP status and extensions.status
		// agree (ERRORS.md), and the answer names no decoder internals.
		for _, body := range []string{`{not json`, `[{"query":"{ client { id } }"}]`, `{"query":"{ client { id } }","variables":5}`, `"query"`,
			`{"query":"mutation { signInCreate }","variables":{"password":"hunter2-in-a-broken-body"`} {
			resp, got := s.rawPost(t, "application/json", []byte(body), nil)
			var r result
			if err := json.Unmarshal([]byte(got), &r); err != nil || len(r.Errors) != 1 {
				t.Fatalf("%s: status %d body %s, want one error", body, resp.StatusCode, got)
			}
			ext := r.Errors[0].Extensions
			if resp.StatusCode != http.StatusBadRequest || ext["code"] != "form_param_format_invalid" || ext["status"] != float64(http.StatusBadRequest) {
				t.Errorf("%s: status %d, extensions %v; want 400 and form_param_format_invalid with status 400", body, resp.StatusCode, ext)
			}
			if long, _ := ext["longMessage"].(string); strings.Contains(long, "RawParams") || strings.Contains(long, "body:") {
				t.Errorf("%s: longMessage %q names the decoder's internals", body, long)
			}
		}
		if strings.Contains(s.logText(), "hunter2-in-a-broken-body") {
			t.Error("the log quotes a malformed body, which may hold a password")
		}
	})
	t.Run("introspection is off outside dev mode", func(t *testing.T) {
		for _, q := range []string{
			`{ __schema { types { name } } }`,
			`{ __type(name: "SignIn") { name } }`,
			`{ ... on Query { __schema { queryType { name } } } }`,
			`query { ...F } fragment F on Query { __type(name: "User") { name } }`,
		} {
			r := s.browser().do(q, nil)
			if got := r.code(t); got != "permission_denied" {
				t.Errorf("%s: %s, want permission_denied", q, got)
			}
		}
		if r := s.browser().do(`{ client { __typename id } }`, nil); len(r.Errors) > 0 {
			t.Errorf("__typename: %v", r.Errors)
		}
		if strings.Contains(s.log.String(), "level=ERROR") {
			t.Error("a refused introspection was logged as a server error")
		}
		dev := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", func(c *Config) { c.Dev = true })
		if r := dev.browser().do(`{ __schema { queryType { name } } }`, nil); len(r.Errors) > 0 {
			t.Errorf("introspection in dev mode: %v", r.Errors)
		}
	})
	t.Run("field suggestions are off outside dev mode", func(t *testing.T) {
		// A field, an argument, a type and an enum value near a real one.
		for _, doc := range []string{`{ clien { id } }`, `mutation { sessionTokenCreate(sesionId: "x") { jwt } }`,
			`query($i: SignInCreateInputt) { client { id } }`, `mutation { signInCreate(input: {strategy: "x", identifer: "a"}) { id } }`} {
			r := s.browser().do(doc, nil)
			if len(r.Errors) == 0 || strings.Contains(r.Errors[0].Message, "Did you mean") {
				t.Fatalf("%s: errors = %+v", doc, r.Errors)
			}
		}
	})
	t.Run("too many aliases are refused", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < 16; i++ {
			fmt.Fprintf(&b, " c%d: client { id }", i)
		}
		b.WriteString(" }")
		r := s.browser().do(b.String(), nil)
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "aliases") {
			t.Fatalf("errors = %+v, want an alias refusal", r.Errors)
		}
	})
	t.Run("validation errors are bounded", func(t *testing.T) {
		// Every pair of fields under one response key that cannot merge is
		// a validation error of its own: 998 selections of two fields under
		// one alias drew 249,001 errors (a 66 MB answer) from a 14 KiB
		// request. Such a document is now refused before validation, by its
		// size and its aliases; one field repeated with different arguments,
		// within the size, answers MaxValidationErrors errors.
		post := func(doc string) (result, int) {
			body, _ := json.Marshal(map[string]any{"query": doc})
			resp, answer := s.rawPost(t, "application/json", body, nil)
			var r result
			if err := json.Unmarshal([]byte(answer), &r); err != nil || len(r.Errors) == 0 {
				t.Fatalf("answer %d %.300s: %v", resp.StatusCode, answer, err)
			}
			return r, len(answer)
		}
		for doc, want := range map[string]string{
			"{ client { " + strings.Repeat("a: id a: lastActiveSessionId ", 499) + "} }": "document selects 999",
			"{ client { " + strings.Repeat("a: id a: lastActiveSessionId ", 140) + "} }": "operation uses 280 aliases",
		} {
			if r, _ := post(doc); len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, want) {
				t.Fatalf("%d errors, first %+v; want one saying %q", len(r.Errors), r.Errors[0], want)
			}
		}
		// Each document has its own budget of errors, whichever rules find
		// them (gqlgen swaps two rules outside dev mode: they are capped too).
		for _, doc := range []string{
			"{ client { " + strings.Repeat("id(x: 1) id(x: 2) ", 140) + "} }",
			"{ client { " + strings.Repeat("id(x: 1) id(x: 2) ", 140) + "} }",
			"{ client { " + strings.Repeat("nope ", 290) + "} }",
			"{ client { " + strings.Repeat("id { x } ", 140) + "} }",
		} {
			r, size := post(doc)
			if len(r.Errors) != httpserver.MaxValidationErrors || size > 32<<10 {
				t.Fatalf("%d errors in a %d-byte answer, first %+v; want %d", len(r.Errors), size, r.Errors[0], httpserver.MaxValidationErrors)
			}
		}
	})
	t.Run("too complex operations are refused", func(t *testing.T) {
		// Four aliases (under the limit) of a page of 500 sign-in events:
		// 500 × 12 each, over the limit of 20,000 (TestAdminListCostIsBounded
		// has more).
		r := s.admin(aliased(4, `signInEvents(applicationId: $app, first: 500) { edges { node { id at kind outcome ipAddress userAgent identifier reason } } pageInfo { hasNextPage } }`),
			vars{"app": s.appID})
		if got := r.code(t); got != "form_param_format_invalid" || !strings.Contains(r.Errors[0].Message, "complexity") {
			t.Fatalf("errors = %+v, want form_param_format_invalid (ERRORS.md) naming the complexity", r.Errors)
		}
	})
	t.Run("oversized bodies are refused", func(t *testing.T) {
		big := `{"query":"{ client { id } }","variables":{"pad":"` + strings.Repeat("x", 70<<10) + `"}}`
		resp, body := s.rawPost(t, "application/json", []byte(big), nil)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || strings.Contains(body, `"client":{`) {
			t.Fatalf("status %d body %.200s, want a refusal", resp.StatusCode, body)
		}
		// The same body without a Content-Length (chunked) is refused alike.
		req, _ := http.NewRequest(http.MethodPost, s.base+"/graphql", io.NopCloser(strings.NewReader(big)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Publishable-Key", s.pk)
		chunked, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(chunked.Body)
		chunked.Body.Close()
		if chunked.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(raw), `"code":"form_param_format_invalid"`) {
			t.Fatalf("chunked: status %d body %.300s, want 413 with form_param_format_invalid", chunked.StatusCode, raw)
		}
	})
	t.Run("internal details never reach the caller", func(t *testing.T) {
		r := s.browser().do(`mutation { signInAttemptSecondFactor(id: "sia_nope", input: {strategy: "totp", code: "1"}) { id } }`, nil)
		if got := r.code(t); got != "resource_not_found" {
			t.Fatalf("code = %s", got)
		}
	})
}

func TestBrowserSafety(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	q := []byte(`{"query":"{ client { id } }"}`)

	t.Run("a cross-site POST is refused", func(t *testing.T) {
		resp, _ := s.rawPost(t, "application/json", q, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status = %d, want 403", resp.StatusCode)
		}
	})
	t.Run("a same-origin POST passes", func(t *testing.T) {
		resp, _ := s.rawPost(t, "application/json", q, map[string]string{"Origin": s.base, "Sec-Fetch-Site": "same-origin"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200", resp.StatusCode)
		}
	})
	t.Run("an allowed origin gets CORS headers", func(t *testing.T) {
		s.setSettings(t, vars{"allowedOrigins": []string{"https://app.example.com"}})
		resp, body := s.rawPost(t, "application/json", q, map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
			resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("status %d, headers %v, body %s", resp.StatusCode, resp.Header, body)
		}
		// The SDK reads both: the new client's token, and a refusal's wait.
		if got := resp.Header.Get("Access-Control-Expose-Headers"); got != "X-Client-Token, Retry-After" {
			t.Fatalf("Access-Control-Expose-Headers = %q, want X-Client-Token, Retry-After", got)
		}
		pre := s.preflight(t, "https://app.example.com", "")
		if pre.StatusCode != http.StatusNoContent || pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
			t.Fatalf("preflight %d %v", pre.StatusCode, pre.Header)
		}
	})
	t.Run("pages carry security headers", func(t *testing.T) {
		resp, err := http.Get(s.base + "/sign-in")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
			t.Fatalf("headers = %v", resp.Header)
		}
		// The page's own referrer policy is the header's: no meta tag overrides it.
		index, err := fs.ReadFile(web.Assets(), "index.html")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(index), `name="referrer"`) {
			t.Fatalf("index.html sets its own referrer policy over the header's same-origin")
		}
	})
	t.Run("answers are not stored by caches", func(t *testing.T) {
		resp, _ := s.rawPost(t, "application/json", []byte(`{"query":"{ client { id } }"}`), nil)
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Fatalf("Cache-Control = %q, want no-store", got)
		}
	})
}

// TestPreflightOrigins: a CORS preflight carries no publishable key, so the
// server allows an origin that any application lists, comparing it as the
// settings do (case, trailing slash), and refuses every other origin.
func TestPreflightOrigins(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		other := s.createApp(t, "Other", s.clock.Now())
		s.admin(`mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { allowedOrigins } }`,
			vars{"id": other.id, "in": vars{"allowedOrigins": []string{"https://Shop.Example.com/", "http://localhost:5173"}}}).data(t)
		s.setSettings(t, vars{"clientTrustEnabled": true}) // overrides that name no origin
		preflight := func(origin string) int {
			resp := s.preflight(t, origin, "")
			if resp.StatusCode == http.StatusNoContent && resp.Header.Get("Access-Control-Allow-Origin") != origin {
				t.Errorf("preflight from %s: Access-Control-Allow-Origin = %q", origin, resp.Header.Get("Access-Control-Allow-Origin"))
			}
			return resp.StatusCode
		}
		for origin, want := range map[string]int{
			"https://shop.example.com":      http.StatusNoContent,
			"https://SHOP.example.com":      http.StatusNoContent,
			"http://localhost:5173":         http.StatusNoContent,
			"https://shop.example.com.evil": http.StatusForbidden,
			"https://example.com":           http.StatusForbidden,
			"http://localhost:5174":         http.StatusForbidden,
		} {
			if got := preflight(origin); got != want {
				t.Errorf("preflight from %s: status %d, want %d", origin, got, want)
			}
		}
	})
}

// TestMalformedScalarsAreParameterErrors sends arguments gqlgen cannot turn
// into their Go types (a forged cursor, a time that is not RFC 3339): they
// are the caller's mistake, answered form_param_format_invalid naming the
// argument, never internal_error logged as a server fault, with or without
// credentials.
func TestMalformedScalarsAreParameterErrors(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	_, auditor := s.createKey(t, "auditor", s.appID)
	events := `query($app: ID!, $after: Cursor, $w: SignInEventWhereInput) {
	  signInEvents(applicationId: $app, after: $after, where: $w) { edges { cursor } } }`
	for _, c := range []struct {
		name, query string
		v           vars
		param       string
	}{
		{"a forged cursor", `query($app: ID!) { signInEvents(applicationId: $app, after: "bm90IGEgY3Vyc29y") { edges { cursor } } }`, vars{"app": s.appID}, "after"},
		{"a forged cursor in a variable", events, vars{"app": s.appID, "after": "%%%"}, "after"},
		{"a cursor that is not a string", `query($app: ID!) { users(applicationId: $app, after: 5) { edges { cursor } } }`, vars{"app": s.appID}, "after"},
		{"a forged audit log cursor", `{ auditEvents(after: "x") { edges { cursor } } }`, nil, "after"},
		{"a time that is not RFC 3339", `query($app: ID!) { signInEvents(applicationId: $app, where: {from: "yesterday"}) { edges { cursor } } }`, vars{"app": s.appID}, "from"},
		{"a time in a variable", events, vars{"app": s.appID, "w": vars{"to": "22/11/2026"}}, "to"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, key := range []string{auditor, "sk_nope"} {
				r := s.adminAs(key, c.query, c.v)
				if got := r.code(t); got != "form_param_format_invalid" || r.ext(t)["paramName"] != c.param {
					t.Fatalf("got %+v, want form_param_format_invalid on %s", r.Errors, c.param)
				}
				if strings.Contains(r.Errors[0].Message+fmt.Sprint(r.ext(t)["longMessage"]), "msgpack") {
					t.Fatalf("the answer names the decoder: %+v", r.Errors)
				}
			}
		})
	}
	if log := s.logText(); strings.Contains(log, "level=ERROR") {
		t.Errorf("a malformed argument was logged as a server fault:\n%s", log)
	}
}

// TestNULInInputIsAParameterError sends text holding U+0000, which
// PostgreSQL cannot store or compare: on either database it is the caller's
// mistake (form_param_format_invalid naming the input), never an
// internal_error logged as a server fault, with or without credentials.
func TestNULInInputIsAParameterError(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		_, auditor := s.createKey(t, "auditor", s.appID)
		for _, c := range []struct {
			name  string
			do    func() result
			param string
		}{
			{"a sign-in id, without credentials", func() result {
				return s.browser().do(`mutation($id: ID!) { signInPrepareFirstFactor(id: $id, input: {strategy: "email_code"}) { id } }`, vars{"id": "sia_\x00"})
			}, "id"},
			{"a sign-in id written in the document", func() result {
				return s.browser().do(`mutation { signInAttemptFirstFactor(id: "sia_\u0000", input: {strategy: "password", password: "x"}) { id } }`, nil)
			}, "id"},
			{"a nested input field", func() result {
				return s.browser().do(`mutation($in: PrepareFactorInput!) { signInPrepareFirstFactor(id: "sia_x", input: $in) { id } }`,
					vars{"in": vars{"strategy": "email_code", "emailAddressId": "idn_\x00"}})
			}, "emailAddressId"},
			{"a history filter", func() result {
				return s.adminAs(auditor, `query($app: ID!, $w: SignInEventWhereInput) { signInEvents(applicationId: $app, where: $w) { edges { cursor } } }`,
					vars{"app": s.appID, "w": vars{"userId": "usr_\x00"}})
			}, "userId"},
			{"a user id", func() result {
				return s.adminAs(auditor, `query($id: ID!) { user(id: $id) { id } }`, vars{"id": "usr_\x00"})
			}, "id"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := c.do()
				if got := r.code(t); got != "form_param_format_invalid" || r.ext(t)["paramName"] != c.param {
					t.Fatalf("got %+v, want form_param_format_invalid on %s", r.Errors, c.param)
				}
			})
		}
		t.Run("a filter of the CSV export", func(t *testing.T) {
			resp, _ := s.exportCSV(t, map[string]string{"Authorization": "Bearer " + auditor}, url.Values{"applicationId": {s.appID}, "clientId": {"cli_\x00"}})
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"code":"form_param_format_invalid"`) ||
				!strings.Contains(string(body), `"paramName":"clientId"`) {
				t.Fatalf("status %d body %s, want 422 form_param_format_invalid on clientId", resp.StatusCode, body)
			}
		})
		if log := s.logText(); strings.Contains(log, "level=ERROR") {
			t.Errorf("a NUL character was logged as a server fault:\n%s", log)
		}
	})
}

// TestDocumentsAreBoundedBeforeValidation sends, without credentials, small
// documents that cost gqlgen far more than their size to validate or to
// cost: they are refused as too large (form_param_format_invalid) at once.
func TestDocumentsAreBoundedBeforeValidation(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	var bomb strings.Builder
	// 40 fragments, each spreading the next twice, without an alias: 2^40
	// selections of client.id, merged into one, in under 2 KiB.
	bomb.WriteString("{ client { ...F0 } }")
	for i := range 40 {
		fmt.Fprintf(&bomb, " fragment F%d on Client { ...F%d ...F%d }", i, i+1, i+1)
	}
	bomb.WriteString(" fragment F40 on Client { id }")
	for _, c := range []struct {
		name, query string
		within      time.Duration
	}{
		// Before: gqlgen's complexity count followed every spread, and never ended.
		{"a fragment bomb without aliases", bomb.String(), 30 * time.Second},
		// Before: gqlgen's validation compared the fields pairwise, 20 s of CPU.
		{"60 KiB of one field", "{ client { " + strings.Repeat("id ", 20<<10) + "} }", 10 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": c.query})
			req, _ := http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			start := time.Now()
			resp, err := (&http.Client{Timeout: c.within}).Do(req)
			if err != nil {
				t.Fatalf("no answer within %v: %v", c.within, err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(raw), `"code":"form_param_format_invalid"`) {
				t.Fatalf("status %d body %.300s after %v, want form_param_format_invalid", resp.StatusCode, raw, time.Since(start))
			}
		})
	}
	t.Run("the SDK's and dashboard's documents pass", func(t *testing.T) {
		if r := s.browser().do(sdkMe, nil); len(r.Errors) > 0 {
			t.Fatalf("errors = %+v", r.Errors)
		}
		if r := s.browser().do(sdkSignInCreate, vars{"input": vars{"identifier": "nobody@example.com"}}); len(r.Errors) > 0 && r.code(t) == "form_param_format_invalid" {
			t.Fatalf("errors = %+v", r.Errors)
		}
	})
}
