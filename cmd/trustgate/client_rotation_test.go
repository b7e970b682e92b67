package main

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/internal/device"
)

// clientOf answers the client id and its sessions' ids, as d sees them.
func clientOf(tb testing.TB, d *browser) (string, []string) {
	tb.Helper()
	c := d.do(`{ client { id sessions { id } } }`, nil).data(tb)["client"].(map[string]any)
	var ids []string
	for _, s := range c["sessions"].([]any) {
		ids = append(ids, s.(map[string]any)["id"].(string))
	}
	return c["id"].(string), ids
}

// plantedToken returns a client token the server minted for an attacker's
// device, and a victim's device that sends it (the attacker planted it in
// the victim's browser or app before the sign-in).
func plantedToken(tb testing.TB, s *server) (string, *browser) {
	tb.Helper()
	r := s.browser().do(`{ client { id } }`, nil)
	token := r.header.Get("X-Client-Token")
	if token == "" {
		tb.Fatal("no X-Client-Token for a new client")
	}
	victim := s.browser()
	victim.header = map[string]string{"X-Client-Token": token}
	return token, victim
}

// TestClientTokenRotatesWhenASessionStarts: a sign-in or sign-up that
// completes gives its client a new token (session fixation, OWASP ASVS
// 7.2.4; Clerk's rotating_token). A token planted in the victim's browser
// before the sign-in no longer names the signed-in client: shortly after,
// it is refused (client_state_invalid, so that a request the browser sent
// with it meanwhile cannot set a new client's cookie over the rotated
// one), then it is an unknown token (a new, empty client). The victim's
// device goes on with the token of the completing response.
func TestClientTokenRotatesWhenASessionStarts(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.newUser(t, vars{"emailAddress": "victim@example.com"})
		check := func(t *testing.T, planted string, victim *browser, sessionID string) {
			t.Helper()
			if victim.header["X-Client-Token"] == planted {
				t.Fatal("the completing response sent no new client token")
			}
			victim.token(t, sessionID)
			attacker := s.browser()
			attacker.header = map[string]string{"X-Client-Token": planted}
			refused := attacker.do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt } }`, vars{"s": sessionID})
			if got := refused.code(t); got != "client_state_invalid" {
				t.Fatalf("sessionTokenCreate with the planted token: got %s, want client_state_invalid", got)
			}
			if meta, _ := refused.Errors[0].Extensions["meta"].(map[string]any); meta[device.TokenReplacedMeta] != true {
				t.Fatalf("the refusal's meta = %v, want %s: true (the SDK sends the request again)", meta, device.TokenReplacedMeta)
			}
			s.clock.Advance(device.RotatedGrace + time.Second)
			r := attacker.do(`{ client { id sessions { id } } }`, nil)
			if r.header.Get("X-Client-Token") == "" || r.header.Get("X-Client-Token") == planted {
				t.Fatal("after the grace, the planted token did not get a new client")
			}
			if sessions := r.data(t)["client"].(map[string]any)["sessions"].([]any); len(sessions) != 0 {
				t.Fatalf("the planted token's new client holds sessions %v", sessions)
			}
			if got := attacker.do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt } }`, vars{"s": sessionID}).code(t); got == "" {
				t.Fatal("the planted token minted a session token for the victim's session")
			}
			victim.token(t, sessionID)
		}

		t.Run("sign-in", func(t *testing.T) {
			planted, victim := plantedToken(t, s)
			before, _ := clientOf(t, victim)
			sess := victim.passClientTrust(t, "victim@example.com", testPassword, "email_code", "victim@example.com")["createdSessionId"].(string)
			if id, sessions := clientOf(t, victim); id != before || len(sessions) != 1 || sessions[0] != sess {
				t.Fatalf("after rotation the device is client %s with sessions %v, want %s with [%s]", id, sessions, before, sess)
			}
			check(t, planted, victim, sess)
		})
		t.Run("sign-up", func(t *testing.T) {
			s.setSettings(t, vars{"clientTrustEnabled": false, "emailEnabled": false, "phoneEnabled": false, "usernameEnabled": true,
				"firstFactors": []string{"password"}, "secondFactors": []string{"totp", "backup_code"}})
			planted, victim := plantedToken(t, s)
			su := victim.do(`mutation { signUpCreate(input: {username: "fixated", password: "another good passphrase"}) { status createdSessionId } }`, nil).
				data(t)["signUpCreate"].(map[string]any)
			if su["status"] != "complete" {
				t.Fatalf("sign-up: %v", su)
			}
			check(t, planted, victim, su["createdSessionId"].(string))
		})
	})
}

// TestRotationKeepsOneCookieAcrossApplications: the clients of other
// applications on the same token move to the new token with the signed-in
// one, so signing in to one application does not sign the browser out of
// another; a new client that completes a sign-up in its first request gets
// one __client cookie, the rotated one.
func TestRotationKeepsOneCookieAcrossApplications(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false})
	other := s.admin(`mutation { createApplication(input: {name: "Other"}) { id publishableKey } }`, nil).
		data(t)["createApplication"].(map[string]any)
	s.admin(`mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {clientTrustEnabled: false}) { clientTrustEnabled } }`,
		vars{"id": other["id"]}).data(t)
	s.admin(`mutation($id: ID!) { createUser(applicationId: $id, input: {emailAddress: "b@example.com", password: "correct horse battery"}) { id } }`,
		vars{"id": other["id"]}).data(t)
	s.newUser(t, vars{"emailAddress": "a@example.com"})

	_, d := plantedToken(t, s)
	d.pk = other["publishableKey"].(string)
	otherClient, _ := clientOf(t, d)
	otherSession := d.mustSessionWith(t, "b@example.com", "correct horse battery")
	d.pk = s.pk
	d.mustSession(t, "a@example.com")

	d.pk = other["publishableKey"].(string)
	if id, sessions := clientOf(t, d); id != otherClient || len(sessions) != 1 || sessions[0] != otherSession {
		t.Fatalf("the other application's client after a sign-in here: %s with %v, want %s with [%s]", id, sessions, otherClient, otherSession)
	}
	d.token(t, otherSession)

	t.Run("one cookie when a new client signs up in its first request", func(t *testing.T) {
		s.setSettings(t, vars{"emailEnabled": false, "phoneEnabled": false, "usernameEnabled": true,
			"firstFactors": []string{"password"}, "secondFactors": []string{"totp", "backup_code"}})
		r := s.browser().do(`mutation { signUpCreate(input: {username: "first_request", password: "another good passphrase"}) { status } }`, nil)
		if r.data(t)["signUpCreate"].(map[string]any)["status"] != "complete" {
			t.Fatal("sign-up did not complete")
		}
		var cookies []*http.Cookie
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == "__client" {
				cookies = append(cookies, c)
			}
		}
		if len(cookies) != 1 || cookies[0].Value != r.header.Get("X-Client-Token") {
			t.Fatalf("__client cookies %v, want one, with the X-Client-Token %q", cookies, r.header.Get("X-Client-Token"))
		}
	})
}

// TestRotationAfterAnotherRotation: when another session started on the
// client between this request's read of it and its rotation (and rotated
// its token), the rotation replaces the token the client has now, and the
// response's token is the one that names it. The other rotation is
// written, through a hook, in the completing transaction just before this
// one's.
func TestRotationAfterAnotherRotation(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		s.newUser(t, vars{"emailAddress": "twice@example.com"})
		_, d := plantedToken(t, s)
		clientID, _ := clientOf(t, d)
		var armed atomic.Bool
		armed.Store(true)
		s.m.DB.Ent.Device.Use(func(next ent.Mutator) ent.Mutator {
			return hook.DeviceFunc(func(ctx context.Context, m *ent.DeviceMutation) (ent.Value, error) {
				if _, rotating := m.PreviousTokenHash(); rotating && armed.Swap(false) {
					if err := m.Client().Device.UpdateOneID(clientID).SetTokenHash(device.HashToken(device.NewToken())).Exec(ctx); err != nil {
						return nil, err
					}
				}
				return next.Mutate(ctx, m)
			})
		})
		sess := d.mustSession(t, "twice@example.com")
		if armed.Load() {
			t.Fatal("the sign-in never rotated the client's token")
		}
		if id, sessions := clientOf(t, d); id != clientID || len(sessions) != 1 || sessions[0] != sess {
			t.Fatalf("with the response's token: client %s with sessions %v, want %s with [%s]", id, sessions, clientID, sess)
		}
	})
}

// TestRotationWithAPlantedDomainCookie: the fixation the rotation is for
// often comes as a __client cookie set for the parent domain from a
// sibling subdomain. The rotated cookie the server sets is host-only, so
// the browser then holds both and sends the planted one first (it is the
// older of two cookies with the same path, RFC 6265 §5.4). The request
// must name the client by the token that still names one, the rotated
// one: the victim stays signed in, and the planted token still names
// nothing.
func TestRotationWithAPlantedDomainCookie(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		s.newUser(t, vars{"emailAddress": "victim@example.com"})
		planted, _ := plantedToken(t, s)
		victim := s.browser()
		// The planted cookie comes first; the jar adds the host-only one
		// the server sets after it, as a browser orders them.
		victim.header = map[string]string{"Cookie": "theme=dark; __client=" + planted}
		before, _ := clientOf(t, victim)
		sess := victim.mustSession(t, "victim@example.com")
		if id, sessions := clientOf(t, victim); id != before || len(sessions) != 1 || sessions[0] != sess {
			t.Fatalf("after the sign-in the browser is client %s with sessions %v, want %s with [%s]", id, sessions, before, sess)
		}
		s.clock.Advance(device.RotatedGrace + time.Second)
		if id, sessions := clientOf(t, victim); id != before || len(sessions) != 1 {
			t.Fatalf("after the grace the browser is client %s with sessions %v, want %s with [%s]", id, sessions, before, sess)
		}
		victim.token(t, sess)
		attacker := s.browser()
		attacker.header = map[string]string{"X-Client-Token": planted}
		if id, _ := clientOf(t, attacker); id == before {
			t.Fatal("the planted token still names the victim's client")
		}
	})
}

// TestClientTokenRotatesAtReauthentication: a session's step-up (a passed
// reverification) is a re-authentication, and the device that made it gets
// a new client token too (ASVS 7.2.4), so a token taken from it before no
// longer names its client. A caller that presents only the session's JWT
// (a backend) gets no token, and the device's stays.
func TestClientTokenRotatesAtReauthentication(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		s.newUser(t, vars{"emailAddress": "stepup@example.com"})
		_, d := plantedToken(t, s)
		sid := d.mustSession(t, "stepup@example.com")
		reauthenticate := func(t *testing.T, by *browser) result {
			t.Helper()
			by.startReverification(t, "needs_first_factor")
			r := by.reverify("sessionVerificationAttemptFirstFactor", vars{"strategy": "password", "password": testPassword})
			r.data(t)
			return r
		}

		t.Run("a backend with the JWT alone", func(t *testing.T) {
			backend := s.browser()
			backend.bearer = d.token(t, sid)
			if r := reauthenticate(t, backend); r.header.Get("X-Client-Token") != "" {
				t.Fatal("a caller without the client's token was given one")
			}
			d.token(t, sid)
		})
		t.Run("the device", func(t *testing.T) {
			s.clock.Advance(10*time.Minute + time.Second)
			d.token(t, sid)
			before := d.header["X-Client-Token"]
			reauthenticate(t, d)
			if d.header["X-Client-Token"] == before {
				t.Fatal("the reverification's answer carried no new client token")
			}
			d.token(t, sid)
			taken := s.browser()
			taken.header = map[string]string{"X-Client-Token": before}
			if got := taken.do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt } }`, vars{"s": sid}).code(t); got != "client_state_invalid" {
				t.Fatalf("sessionTokenCreate with the token from before the step-up: got %s, want client_state_invalid", got)
			}
		})
	})
}
