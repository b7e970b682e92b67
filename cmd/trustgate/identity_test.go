package main

import (
	"net/http"
	"testing"

	"github.com/trustgate/trustgate/internal/admin"
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

// TestPublishableKeyMustNameTheApplication: a publishable key that names no
// application answers application_not_found even when the request also
// carries a valid session; the session does not stand in for the key. A
// key of another application makes the request that application's, where
// the session counts for nothing.
func TestPublishableKeyMustNameTheApplication(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false})
	s.newUser(t, vars{"emailAddress": "ada@example.com"})
	d := s.browser()
	d.mustSession(t, "ada@example.com")
	d.pk = admin.NewPublishableKey() // well-formed, names nothing
	for _, q := range []string{`{ me { id } }`, `{ client { id } }`, `{ sessions { id } }`,
		`mutation { signInCreate(input: {identifier: "ada@example.com"}) { id } }`} {
		if got := d.do(q, nil).code(t); got != "application_not_found" {
			t.Errorf("%s with a made-up publishable key and a session: code %s, want application_not_found", q, got)
		}
	}
	t.Run("another application's key", func(t *testing.T) {
		// The session is not that application's: it counts for nothing
		// there, as an expired token would, and the request is that
		// application's.
		d.pk = s.admin(`mutation { createApplication(input: {name: "Other"}) { publishableKey } }`, nil).
			data(t)["createApplication"].(map[string]any)["publishableKey"].(string)
		if me := d.do(`{ me { id } }`, nil).data(t)["me"]; me != nil {
			t.Errorf("me with another application's key = %v, want null", me)
		}
		if got := d.do(`{ sessions { id } }`, nil).code(t); got != "authentication_invalid" {
			t.Errorf("sessions with another application's key: code %s, want authentication_invalid", got)
		}
	})
	t.Run("the right key still works", func(t *testing.T) {
		d.pk = s.pk
		if me := d.do(`{ me { id } }`, nil).data(t)["me"]; me == nil {
			t.Error("me with the session's own publishable key = null")
		}
	})
}
