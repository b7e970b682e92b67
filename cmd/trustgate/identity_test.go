package main

import (
	"net/http"
	"testing"
)

// TestBearerSchemeIsCaseInsensitive: the scheme of Authorization is
// case-insensitive (RFC 7235 §2.1, RFC 6750 §2.1), so "bearer", "BEARER" or
// "BeArEr" carry an sk_ key or a session JWT as "Bearer" does.
func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false})
	uid := s.newUser(t, vars{"emailAddress": "ada@example.com"})
	d := s.browser()
	d.mustSession(t, "ada@example.com")
	jwt := d.bearer
	for _, scheme := range []string{"bearer", "BEARER", "BeArEr"} {
		t.Run(scheme+" session", func(t *testing.T) {
			h := map[string]string{"Authorization": scheme + " " + jwt, "X-Publishable-Key": s.pk}
			me, _ := s.post(http.DefaultClient, h, `{ me { id } }`, nil).data(t)["me"].(map[string]any)
			if me == nil || me["id"] != uid {
				t.Errorf("me with %q = %v, want user %s", scheme, me, uid)
			}
		})
		t.Run(scheme+" key", func(t *testing.T) {
			h := map[string]string{"Authorization": scheme + " " + s.ownerKey}
			if apps := s.post(http.DefaultClient, h, `{ applications { id } }`, nil).data(t)["applications"].([]any); len(apps) == 0 {
				t.Errorf("applications with %q: none", scheme)
			}
			// Still a secret key: refused by frontend operations.
			h["X-Publishable-Key"] = s.pk
			q := `mutation { signInCreate(input: {identifier: "ada@example.com"}) { id } }`
			if got := s.post(http.DefaultClient, h, q, nil).code(t); got != "authentication_invalid" {
				t.Errorf("signInCreate with %q sk_: code %s, want authentication_invalid", scheme, got)
			}
		})
	}
}
