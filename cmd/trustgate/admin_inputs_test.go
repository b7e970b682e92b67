package main

// Tests of the admin inputs people type: the names of applications and API
// keys, the identifiers of admin-created users, and allowedOrigins.

import (
	"context"
	"strings"
	"testing"
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
