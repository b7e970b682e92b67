package main

// Tests of the admin inputs people type: the names of applications and API
// keys, the identifiers of admin-created users, and allowedOrigins.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustgate/trustgate/ent/roleassignment"
)

// TestAdminNamesAreBounded: an application's or API key's name is trimmed,
// at most 100 characters (not bytes) and free of control characters; a name
// at fault answers form_param_format_invalid on name and creates nothing.
func TestAdminNamesAreBounded(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		ctx := context.Background()
		createKey := func(name string) result {
			return s.admin(`mutation($n: String) { createAPIKey(input: {name: $n, role: "support"}) { apiKey { id name } } }`, vars{"n": name})
		}
		createApp := func(name string) result {
			return s.admin(`mutation($n: String!) { createApplication(input: {name: $n}) { id name } }`, vars{"n": name})
		}
		bad := []struct{ what, name string }{
			{"101 characters", strings.Repeat("k", 101)},
			{"a newline", "CI\ndeploys"},
			{"a NUL", "CI\x00deploys"},
			{"an escape sequence", "CI \x1b[31mdeploys"},
			{"a right-to-left override", "CI \u202edeploys"},
		}
		for _, c := range bad {
			t.Run("a key name with "+c.what+" is refused", func(t *testing.T) {
				before := s.m.DB.Ent.APIKey.Query().CountX(ctx)
				r := createKey(c.name)
				if r.code(t) != "form_param_format_invalid" || r.ext(t)["paramName"] != "name" {
					t.Fatalf("got %+v, want form_param_format_invalid on name", r.Errors)
				}
				if after := s.m.DB.Ent.APIKey.Query().CountX(ctx); after != before {
					t.Fatalf("%d keys after the refusal, want %d", after, before)
				}
			})
			t.Run("an application name with "+c.what+" is refused", func(t *testing.T) {
				before := s.m.DB.Ent.Application.Query().CountX(ctx)
				r := createApp(c.name)
				if r.code(t) != "form_param_format_invalid" || r.ext(t)["paramName"] != "name" {
					t.Fatalf("got %+v, want form_param_format_invalid on name", r.Errors)
				}
				if after := s.m.DB.Ent.Application.Query().CountX(ctx); after != before {
					t.Fatalf("%d applications after the refusal, want %d", after, before)
				}
			})
		}
		t.Run("names are trimmed and counted in characters", func(t *testing.T) {
			long := strings.Repeat("é", 100) // 200 bytes
			for in, want := range map[string]string{"  CI deploys\t": "CI deploys", long: long} {
				k := createKey(in).data(t)["createAPIKey"].(map[string]any)["apiKey"].(map[string]any)
				if k["name"] != want {
					t.Errorf("key name %q stored as %q, want %q", in, k["name"], want)
				}
				a := createApp(in).data(t)["createApplication"].(map[string]any)
				if a["name"] != want {
					t.Errorf("application name %q stored as %q, want %q", in, a["name"], want)
				}
			}
		})
		t.Run("a key's name stays optional, an application's is required", func(t *testing.T) {
			k := createKey("   ").data(t)["createAPIKey"].(map[string]any)["apiKey"].(map[string]any)
			if k["name"] != "" {
				t.Errorf("blank key name stored as %q", k["name"])
			}
			if r := createApp("   "); r.code(t) != "form_param_missing" || r.ext(t)["paramName"] != "name" {
				t.Errorf("blank application name: %+v, want form_param_missing on name", r.Errors)
			}
		})
	})
}

// TestAdminCreateUserFollowsIdentifierSettings: createUser checks the
// identifiers against the application's settings as signUpCreate does (and
// as Clerk's Backend API does): an identifier the application has off is
// refused, one it requires must be there, and every field at fault is
// answered at once; a refused user is not created.
func TestAdminCreateUserFollowsIdentifierSettings(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	ctx := context.Background()
	create := func(in vars) result {
		if _, ok := in["password"]; !ok {
			in["password"] = testPassword
		}
		return s.admin(`mutation($id: ID!, $in: CreateUserInput!) { createUser(applicationId: $id, input: $in) { id username } }`,
			vars{"id": s.appID, "in": in})
	}
	type fault struct{ code, param string }
	refused := func(t *testing.T, in vars, want ...fault) {
		t.Helper()
		before := s.m.DB.Ent.User.Query().CountX(ctx)
		r := create(in)
		var got []fault
		for _, e := range r.Errors {
			c, _ := e.Extensions["code"].(string)
			p, _ := e.Extensions["paramName"].(string)
			got = append(got, fault{c, p})
		}
		if adminJSON(got) != adminJSON(want) {
			t.Fatalf("createUser(%v): errors %v, want %v (data %v)", in, got, want, r.Data)
		}
		if after := s.m.DB.Ent.User.Query().CountX(ctx); after != before {
			t.Fatalf("createUser(%v) was refused but %d users were created", in, after-before)
		}
	}
	invalid := func(p string) fault { return fault{"form_param_format_invalid", p} }
	missing := func(p string) fault { return fault{"form_param_missing", p} }

	t.Run("email and phone on, usernames off", func(t *testing.T) {
		refused(t, vars{"emailAddress": "ada@example.com", "username": "ada_lovelace"}, invalid("username"))
		refused(t, vars{"username": "ada_lovelace"}, invalid("username"), missing("emailAddress"))
		refused(t, vars{}, missing("emailAddress"))
		refused(t, vars{"emailAddress": "not-an-email", "username": "ada_lovelace"}, invalid("emailAddress"), invalid("username"))
		create(vars{"phoneNumber": "+15550100001"}).data(t)
	})
	t.Run("usernames on: a username alone is not an email address", func(t *testing.T) {
		s.setSettings(t, vars{"usernameEnabled": true})
		refused(t, vars{"username": "ada_lovelace"}, missing("emailAddress"))
		u := create(vars{"emailAddress": "ada@example.com", "username": "Ada_Lovelace"}).data(t)["createUser"].(map[string]any)
		if u["username"] != "ada_lovelace" {
			t.Fatalf("username = %v, want ada_lovelace", u["username"])
		}
	})
	t.Run("phone off", func(t *testing.T) {
		s.setSettings(t, vars{"phoneEnabled": false, "firstFactors": []string{"password", "email_code"}, "secondFactors": []string{"totp", "backup_code"}})
		refused(t, vars{"emailAddress": "bob@example.com", "phoneNumber": "+15550100002"}, invalid("phoneNumber"))
		refused(t, vars{"phoneNumber": "+15550100002"}, invalid("phoneNumber"), missing("emailAddress"))
	})
	t.Run("email off, phone on", func(t *testing.T) {
		s.setSettings(t, vars{"emailEnabled": false, "phoneEnabled": true, "firstFactors": []string{"password", "phone_code"}, "clientTrustEnabled": false})
		refused(t, vars{"emailAddress": "carol@example.com", "phoneNumber": "+15550100003"}, invalid("emailAddress"))
		refused(t, vars{"username": "carol"}, missing("phoneNumber"))
		create(vars{"phoneNumber": "+15550100003", "username": "carol"}).data(t)
	})
	t.Run("usernames only", func(t *testing.T) {
		s.setSettings(t, vars{"phoneEnabled": false, "firstFactors": []string{"password"}, "secondFactors": []string{"totp"}})
		refused(t, vars{}, missing("username"))
		refused(t, vars{"username": "dave", "phoneNumber": "+15550100004"}, invalid("phoneNumber"))
		create(vars{"username": "dave"}).data(t)
	})
	t.Run("passwords off: neither a password nor a hash", func(t *testing.T) {
		s.setSettings(t, vars{"emailEnabled": true, "phoneEnabled": false, "usernameEnabled": false, "passwordEnabled": false,
			"firstFactors": []string{"email_code"}, "secondFactors": []string{"totp"}})
		refused(t, vars{"emailAddress": "erin@example.com"}, invalid("password"))
		refused(t, vars{"emailAddress": "erin@example.com", "password": nil, "passwordHash": "$2a$10$abcdefghijklmnopqrstuuGt5H6JuQ9Cdq4KZ5Ctx2hsQGPoU2gC"}, invalid("passwordHash"))
		create(vars{"emailAddress": "erin@example.com", "password": nil}).data(t)
	})
}

// TestAllowedOriginsAreBareOrigins: an allowedOrigins entry that can never
// equal an Origin header (user info, a path, a query or a fragment, another
// scheme, no host, a bad port, a non-ASCII host or a wildcard) answers
// form_param_format_invalid naming it and changes nothing; the accepted ones
// are stored as browsers send them (lower case, without a default port or a
// trailing slash), so that a browser's Origin matches them exactly.
func TestAllowedOriginsAreBareOrigins(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		update := func(origins ...string) result {
			return s.admin(`mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { allowedOrigins } }`,
				vars{"id": s.appID, "in": vars{"allowedOrigins": origins}})
		}
		update("https://kept.example.com").data(t)
		for _, bad := range []string{
			"https://u:p@app.example.com",
			"https://u@app.example.com",
			"https://app.example.com/login",
			"https://app.example.com?",
			"https://app.example.com?x=1",
			"https://app.example.com#",
			"https://app.example.com/#top",
			"ftp://app.example.com",
			"app.example.com",
			"https://:8443",
			"https://app.example.com:0",
			"https://app.example.com:65536",
			"https://bücher.example",
			"https://*.example.com",
			"null",
		} {
			t.Run(bad, func(t *testing.T) {
				r := update("https://ok.example.com", bad)
				if r.code(t) != "form_param_format_invalid" || r.ext(t)["paramName"] != "allowedOrigins" {
					t.Fatalf("got %+v, want form_param_format_invalid on allowedOrigins", r.Errors)
				}
				if lm, _ := r.ext(t)["longMessage"].(string); !strings.Contains(lm, bad) {
					t.Errorf("longMessage %q does not name %q", lm, bad)
				}
				if set, _ := s.appSettings(t, s.appID); adminJSON(set["allowedOrigins"]) != `["https://kept.example.com"]` {
					t.Fatalf("allowedOrigins changed to %v", set["allowedOrigins"])
				}
			})
		}
		t.Run("accepted origins are stored as browsers send them", func(t *testing.T) {
			got := update("HTTPS://App.Example.COM:443/", "http://LOCALHOST:80", "http://localhost:5173", "https://app.example.com",
				"https://app.example.com:8443", "http://[::1]:8080").data(t)["updateAppSettings"].(map[string]any)["allowedOrigins"]
			want := `["https://app.example.com","http://localhost","http://localhost:5173","https://app.example.com:8443","http://[::1]:8080"]`
			if adminJSON(got) != want {
				t.Fatalf("allowedOrigins = %s, want %s", adminJSON(got), want)
			}
		})
		t.Run("a browser's Origin matches a listed origin given with its default port", func(t *testing.T) {
			update("https://shop.example.com:443").data(t)
			for _, pk := range []string{s.pk, ""} { // with a publishable key, and a preflight that carries none
				resp := s.preflight(t, "https://shop.example.com", pk)
				if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
					t.Fatalf("preflight (publishable key %q): %d %v", pk, resp.StatusCode, resp.Header)
				}
			}
		})
	})
}

// TestLegacyAllowedOriginsDoNotBlockSettings: allowedOrigins entries stored
// before entries were checked (settings.CanonicalOrigin) stay as they are and
// keep matching; a settings change that does not touch allowedOrigins (or a
// dated update's choice) is not refused because of them.
func TestLegacyAllowedOriginsDoNotBlockSettings(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		legacy := []string{"HTTPS://Shop.Example.com/", "https://app.example.com/login"}
		s.setOverrides(t, map[string]any{"allowedOrigins": legacy})

		r := s.admin(`mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {lockoutMaxAttempts: 20}) { lockoutMaxAttempts allowedOrigins } }`,
			vars{"id": s.appID})
		got := r.data(t)["updateAppSettings"].(map[string]any)
		if got["lockoutMaxAttempts"] != float64(20) || adminJSON(got["allowedOrigins"]) != adminJSON(legacy) {
			t.Fatalf("updateAppSettings = %v, want lockoutMaxAttempts 20 and the legacy origins kept", got)
		}
		s.admin(`mutation($id: ID!) { setAppUpdate(applicationId: $id, key: "lockout_10_attempts", enabled: false) { id } }`,
			vars{"id": s.appID}).data(t)

		// The legacy entry still lets its origin in.
		resp := s.preflight(t, "https://shop.example.com", s.pk)
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
			t.Fatalf("preflight from a legacy origin: %d %v", resp.StatusCode, resp.Header)
		}

		// Giving allowedOrigins anew still checks every entry.
		r = s.admin(`mutation($id: ID!, $o: [String!]!) { updateAppSettings(applicationId: $id, input: {allowedOrigins: $o}) { allowedOrigins } }`,
			vars{"id": s.appID, "o": legacy})
		if r.code(t) != "form_param_format_invalid" || r.ext(t)["paramName"] != "allowedOrigins" {
			t.Fatalf("re-sending a legacy entry: got %+v, want form_param_format_invalid on allowedOrigins", r.Errors)
		}
	})
}

// TestLegacyOriginsPassKeylessPreflights: a preflight carries no
// publishable key, and with several applications the server finds the
// applications that list its origin by their stored allowedOrigins. An entry
// stored before entries were checked, with a default port or another
// spelling of an IPv6 address, lets its origin in there as it does with
// the key (settings.NormalizeOrigin), and still no other origin.
func TestLegacyOriginsPassKeylessPreflights(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		s.createApp(t, "Other", s.clock.Now()) // a preflight without a key names no application
		s.setOverrides(t, map[string]any{"allowedOrigins": []string{
			"HTTPS://Shop.Example.com:443/", "http://[0:0::1]:3000", "http://Dev.Example.com:80", "https://shop_1.example.com:8443"}})
		preflight := func(origin, pk string) int { return s.preflight(t, origin, pk).StatusCode }
		for origin, want := range map[string]int{
			"https://shop.example.com":        http.StatusNoContent,
			"http://[::1]:3000":               http.StatusNoContent,
			"http://dev.example.com":          http.StatusNoContent,
			"https://shop_1.example.com:8443": http.StatusNoContent,
			"https://shop.example.com:8443":   http.StatusForbidden,
			"https://shopx1.example.com:8443": http.StatusForbidden,
			"http://shop.example.com":         http.StatusForbidden,
			"http://[::2]:3000":               http.StatusForbidden,
			"https://dev.example.com":         http.StatusForbidden,
		} {
			for _, pk := range []string{s.pk, ""} {
				if got := preflight(origin, pk); got != want {
					t.Errorf("preflight from %s (publishable key %q): %d, want %d", origin, pk, got, want)
				}
			}
		}
	})
}

// TestMadeUpApplicationIsNotFound: an admin field that names an application
// by applicationId answers resource_not_found on applicationId when no
// application has that id, to a caller whose role holds there (a role in *),
// instead of an empty list or a role granted in nothing. A caller without a
// role there still answers permission_denied, as for another tenant's
// application, so ids cannot be probed.
func TestMadeUpApplicationIsNotFound(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	const madeUp = "app_01madeupmadeupmadeupmadeup"
	s.cli(t, "operators", "create", "--email", "ops@example.com", "--role", "admin", "--app", s.appID, "--json")
	_, appKey := s.createKey(t, "owner", s.appID)
	s.reloadPolicy(t)
	for _, c := range []struct{ name, query string }{
		{"users", `query($a: ID!) { users(applicationId: $a, first: 1) { totalCount } }`},
		{"signInEvents", `query($a: ID!) { signInEvents(applicationId: $a, first: 1) { totalCount } }`},
		{"auditEvents", `query($a: ID!) { auditEvents(applicationId: $a, first: 1) { totalCount } }`},
		{"roleAssignments", `query($a: ID!) { roleAssignments(applicationId: $a) { subject } }`},
		{"apiKeys", `query($a: ID!) { apiKeys(applicationId: $a) { id } }`},
		{"updateAppSettings", `mutation($a: ID!) { updateAppSettings(applicationId: $a, input: {lockoutMaxAttempts: 20}) { lockoutMaxAttempts } }`},
		{"createUser", `mutation($a: ID!) { createUser(applicationId: $a, input: {emailAddress: "x@example.com"}) { id } }`},
		{"grantRole to an operator", `mutation($a: ID!) { grantRole(input: {subject: "ops@example.com", role: "support", applicationId: $a}) { id } }`},
		{"grantRole to an invitee", `mutation($a: ID!) { grantRole(input: {subject: "new@example.com", role: "support", applicationId: $a}) { id } }`},
		{"revokeRole", `mutation($a: ID!) { revokeRole(input: {subject: "ops@example.com", role: "support", applicationId: $a}) }`},
		{"createAPIKey", `mutation($a: ID) { createAPIKey(input: {role: "support", applicationId: $a}) { key } }`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := s.admin(c.query, vars{"a": madeUp})
			if r.code(t) != "resource_not_found" || r.ext(t)["paramName"] != "applicationId" {
				t.Fatalf("a global owner: got %+v (data %v), want resource_not_found on applicationId", r.Errors, r.Data)
			}
			if got := s.adminAs(appKey, c.query, vars{"a": madeUp}).code(t); got != "permission_denied" {
				t.Fatalf("an owner of one application: got %s, want permission_denied", got)
			}
		})
	}
	if n := s.m.DB.Ent.RoleAssignment.Query().Where(roleassignment.Domain(madeUp)).CountX(context.Background()); n != 0 {
		t.Fatalf("%d roles granted in a made-up application", n)
	}
	t.Run("the CSV export", func(t *testing.T) {
		resp, _ := s.exportCSV(t, map[string]string{"Authorization": "Bearer " + s.ownerKey}, url.Values{"applicationId": {madeUp}})
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"code":"resource_not_found"`) {
			t.Fatalf("status %d body %s, want 404 resource_not_found", resp.StatusCode, body)
		}
	})
}

// TestImportedHashesAreBoundedInCost: anyone may make the server verify an
// account's password hash by trying a password, so createUser refuses an
// imported argon2id hash whose parameters would take gigabytes of memory,
// minutes, or every core per guess, and accepts the parameters real
// systems use (argon2-cffi's default m=64 MiB, t=3, p=4 here).
func TestImportedHashesAreBoundedInCost(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	const tail = "$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	create := func(email, hash string) result {
		return s.admin(`mutation($id: ID!, $in: CreateUserInput!) { createUser(applicationId: $id, input: $in) { id } }`,
			vars{"id": s.appID, "in": vars{"emailAddress": email, "passwordHash": hash}})
	}
	for i, params := range []string{"m=4194304,t=100,p=255", "m=1048576,t=2,p=1", "m=19456,t=100,p=1", "m=19456,t=2,p=64"} {
		r := create(fmt.Sprintf("hostile%d@example.com", i), "$argon2id$v=19$"+params+tail)
		if got, param := r.code(t), r.ext(t)["paramName"]; got != "form_param_format_invalid" || param != "passwordHash" {
			t.Errorf("an imported hash with %s: got %q on %v, want form_param_format_invalid on passwordHash", params, got, param)
		}
	}
	create("cffi@example.com", "$argon2id$v=19$m=65536,t=3,p=4"+tail).data(t)
}
