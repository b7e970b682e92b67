package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestSignUpThenClientTrust(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		laptop := s.browser()

		su := laptop.do(`mutation { signUpCreate(input: {emailAddress: "Ada@Example.com", password: "correct horse battery"}) { id status unverifiedFields } }`, nil).
			data(t)["signUpCreate"].(map[string]any)
		if got := su["unverifiedFields"].([]any); len(got) != 1 || got[0] != "email_address" {
			t.Fatalf("unverifiedFields = %v, want [email_address]", got)
		}
		laptop.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { id } }`, vars{"id": su["id"]}).data(t)
		code := s.mail.code(t, "ada@example.com")
		done := laptop.do(`mutation($id: ID!, $c: String!) { signUpAttemptVerification(id: $id, strategy: "email_code", code: $c) { status createdUserId createdSessionId } }`,
			vars{"id": su["id"], "c": code}).data(t)["signUpAttemptVerification"].(map[string]any)
		if done["status"] != "complete" || done["createdSessionId"] == nil {
			t.Fatalf("sign-up = %v, want complete with a session", done)
		}

		t.Run("the sign-up device is trusted", func(t *testing.T) {
			si := signInObj(t, laptop.signIn("ada@example.com", "correct horse battery"), "signInCreate")
			if si["status"] != "complete" || si["clientTrustState"] != "known" {
				t.Fatalf("got status %v trust %v, want complete/known", si["status"], si["clientTrustState"])
			}
		})

		phone := s.browser()
		var signInID string
		t.Run("a new device needs a code sent to the email", func(t *testing.T) {
			si := signInObj(t, phone.signIn("ada@example.com", "correct horse battery"), "signInCreate")
			if si["status"] != "needs_client_trust" || si["clientTrustState"] != "new" {
				t.Fatalf("got status %v trust %v, want needs_client_trust/new", si["status"], si["clientTrustState"])
			}
			if si["createdSessionId"] != nil {
				t.Fatal("a session was created before the code")
			}
			if got := strategies(si["supportedSecondFactors"]); !slices.Equal(got, []string{"email_code"}) {
				t.Fatalf("second factors = %v, want [email_code]", got)
			}
			f := si["supportedSecondFactors"].([]any)[0].(map[string]any)
			if f["safeIdentifier"] != "a**@example.com" {
				t.Fatalf("safeIdentifier = %v", f["safeIdentifier"])
			}
			signInID = si["id"].(string)
		})
		t.Run("preparing sends the code and the state becomes pending", func(t *testing.T) {
			before := s.mail.count("ada@example.com")
			si := signInObj(t, phone.prepareSecond(signInID, "email_code"), "signInPrepareSecondFactor")
			if si["clientTrustState"] != "pending" {
				t.Fatalf("clientTrustState = %v, want pending", si["clientTrustState"])
			}
			if s.mail.count("ada@example.com") != before+1 {
				t.Fatal("no email was sent")
			}
			if m := s.mail.last(t, "ada@example.com"); m.Kind != "client_trust_code" || !strings.Contains(m.Text, "new device") {
				t.Fatalf("message kind %q text %q", m.Kind, m.Text)
			}
		})
		t.Run("a resend within 30 s is refused", func(t *testing.T) {
			r := phone.prepareSecond(signInID, "email_code")
			if got := r.code(t); got != "verification_code_too_many_requests" {
				t.Fatalf("code = %s", got)
			}
		})
		t.Run("a wrong code counts", func(t *testing.T) {
			r := phone.attemptSecond(signInID, "email_code", "000000")
			if got := r.code(t); got != "form_code_incorrect" {
				t.Fatalf("code = %s", got)
			}
			if r.ext(t)["paramName"] != "code" {
				t.Fatalf("paramName = %v", r.ext(t)["paramName"])
			}
		})
		var sessionID string
		t.Run("the right code completes the sign-in", func(t *testing.T) {
			si := signInObj(t, phone.attemptSecond(signInID, "email_code", s.mail.code(t, "ada@example.com")), "signInAttemptSecondFactor")
			if si["status"] != "complete" || si["createdSessionId"] == nil {
				t.Fatalf("got %v", si)
			}
			v := si["secondFactorVerification"].(map[string]any)
			if v["status"] != "verified" || v["attempts"].(float64) != 1 {
				t.Fatalf("verification = %v", v)
			}
			sessionID = si["createdSessionId"].(string)
		})
		t.Run("the same device is known afterwards", func(t *testing.T) {
			si := signInObj(t, phone.signIn("ada@example.com", "correct horse battery"), "signInCreate")
			if si["status"] != "complete" {
				t.Fatalf("status = %v, want complete", si["status"])
			}
		})
		t.Run("the session token verifies with the JWKS", func(t *testing.T) {
			tok := phone.token(t, sessionID)
			resp, err := http.Get(s.base + "/.well-known/jwks.json")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var set struct {
				Keys []struct{ Kid, X, Alg, Crv string }
			}
			if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
				t.Fatal(err)
			}
			// A backend verifies offline with the JWKS, and tells its own
			// application's tokens by the audience: one key signs them all.
			verify := func(audience string) (jwt.MapClaims, error) {
				claims := jwt.MapClaims{}
				_, err := jwt.ParseWithClaims(tok, claims, func(tk *jwt.Token) (any, error) {
					for _, k := range set.Keys {
						if k.Kid == tk.Header["kid"] {
							b, _ := base64.RawURLEncoding.DecodeString(k.X)
							return ed25519.PublicKey(b), nil
						}
					}
					return nil, jwt.ErrTokenUnverifiable
				}, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithTimeFunc(s.clock.Now), jwt.WithAudience(audience))
				return claims, err
			}
			claims, err := verify(s.appID)
			if err != nil {
				t.Fatalf("token does not verify with the JWKS and its application as the audience: %v", err)
			}
			if _, err := verify("app_another"); !errors.Is(err, jwt.ErrTokenInvalidAudience) {
				t.Fatalf("verified with another application as the audience: %v, want %v", err, jwt.ErrTokenInvalidAudience)
			}
			for _, c := range []string{"sub", "sid", "iat", "exp", "iss", "azp", "aud"} {
				if claims[c] == nil {
					t.Errorf("claim %s missing", c)
				}
			}
			if claims["sid"] != sessionID || claims["azp"] != s.appID {
				t.Fatalf("claims = %v", claims)
			}
			me := phone.do(`{ me { id emailAddresses { emailAddress verified } twoFactorEnabled } }`, nil).data(t)["me"].(map[string]any)
			if me["id"] != claims["sub"] {
				t.Fatalf("me.id = %v, sub = %v", me["id"], claims["sub"])
			}
		})
		t.Run("another device cannot mint tokens for the session", func(t *testing.T) {
			r := s.browser().do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt } }`, vars{"s": sessionID})
			if got := r.code(t); got != "authentication_invalid" {
				t.Fatalf("code = %s", got)
			}
		})
		t.Run("signing out ends the session and its tokens", func(t *testing.T) {
			phone.do(`mutation($s: ID) { signOut(sessionId: $s) }`, vars{"s": sessionID}).data(t)
			if me := phone.do(`{ me { id } }`, nil).data(t)["me"]; me != nil {
				t.Fatalf("me after sign-out = %v", me)
			}
		})
		_ = time.Second
	})
}

func TestClientCookie(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	d := s.browser()
	r := d.do(`{ client { id } }`, nil)
	id := r.data(t)["client"].(map[string]any)["id"]
	if r.header.Get("X-Client-Token") == "" {
		t.Fatal("no X-Client-Token on a new client")
	}
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "__client" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" {
		t.Fatalf("__client cookie = %+v", cookie)
	}
	if !cookie.Secure {
		t.Fatal("__client cookie is not Secure outside dev mode")
	}
	t.Run("the cookie names the same client", func(t *testing.T) {
		// The jar drops Secure cookies over http; send it by hand as a browser on https would.
		d.header = map[string]string{"Cookie": "__client=" + cookie.Value}
		if got := d.do(`{ client { id } }`, nil).data(t)["client"].(map[string]any)["id"]; got != id {
			t.Fatalf("client id = %v, want %v", got, id)
		}
	})
	t.Run("a native app uses X-Client-Token", func(t *testing.T) {
		native := s.browser()
		native.header = map[string]string{"X-Client-Token": r.header.Get("X-Client-Token")}
		if got := native.do(`{ client { id } }`, nil).data(t)["client"].(map[string]any)["id"]; got != id {
			t.Fatalf("client id = %v, want %v", got, id)
		}
	})
}

func TestOneClientCookieAcrossApplications(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	other := s.admin(`mutation { createApplication(input: {name: "Other"}) { publishableKey } }`, nil).
		data(t)["createApplication"].(map[string]any)["publishableKey"].(string)
	native := s.browser()
	r := native.do(`{ client { id } }`, nil)
	token := r.header.Get("X-Client-Token")
	first := r.data(t)["client"].(map[string]any)["id"]

	native.header = map[string]string{"X-Client-Token": token}
	native.pk = other
	r = native.do(`{ client { id } }`, nil)
	if r.header.Get("X-Client-Token") != "" {
		t.Fatal("the other application minted a new token instead of reusing the browser's")
	}
	if r.data(t)["client"].(map[string]any)["id"] == first {
		t.Fatal("two applications share one client record")
	}
	t.Run("the same token still names the first application's client", func(t *testing.T) {
		native.pk = s.pk
		if got := native.do(`{ client { id } }`, nil).data(t)["client"].(map[string]any)["id"]; got != first {
			t.Fatalf("client = %v, want %v", got, first)
		}
	})
	t.Run("a token the server never minted is replaced", func(t *testing.T) {
		forged := s.browser()
		forged.header = map[string]string{"X-Client-Token": "attacker-chosen-token-0123456789abcdef"}
		if r := forged.do(`{ client { id } }`, nil); r.header.Get("X-Client-Token") == "" {
			t.Fatal("a client-chosen token was accepted")
		}
	})
}

// TestUsernameOnlySignUp: in an application without email or phone, a
// sign-up with a username and a password has nothing to verify and
// completes at once with a session; the username then signs in.
func TestUsernameOnlySignUp(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"emailEnabled": false, "phoneEnabled": false, "usernameEnabled": true,
			"clientTrustEnabled": false, "firstFactors": []string{"password"}, "secondFactors": []string{"totp", "backup_code"}})
		const q = `mutation($in: SignUpCreateInput!) { signUpCreate(input: $in) { status unverifiedFields createdUserId createdSessionId } }`
		if got := s.browser().do(q, vars{"in": vars{"password": "another good passphrase"}}).code(t); got != "form_param_missing" {
			t.Fatalf("no username: got %s, want form_param_missing", got)
		}
		d := s.browser()
		su := d.do(q, vars{"in": vars{"username": "solo_user", "password": "another good passphrase"}}).data(t)["signUpCreate"].(map[string]any)
		if su["status"] != "complete" || su["createdSessionId"] == nil || len(su["unverifiedFields"].([]any)) != 0 {
			t.Fatalf("sign-up = %v, want complete with a session", su)
		}
		d.token(t, su["createdSessionId"].(string))
		if si := signInObj(t, s.browser().signIn("solo_user", "another good passphrase"), "signInCreate"); si["status"] != "complete" {
			t.Fatalf("sign-in by username: got %v, want complete", si["status"])
		}
		if ev := s.events(t, vars{"kind": "sign_up.completed", "userId": su["createdUserId"]}); len(ev) != 1 || ev[0].Strategy != "password" {
			t.Fatalf("sign_up.completed events %+v, want one with strategy password", ev)
		}
	})
}

// TestCodeGoesToTheTypedNumber: a passwordless sign-in lists the code
// factor of the number the user typed first among their numbers, so a
// prepare that names none (as the seeds' flows do, taking the first
// factor) texts the number typed, not the account's primary one.
func TestCodeGoesToTheTypedNumber(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true, "enumerationProtection": false,
		"firstFactors": []string{"password", "phone_code"}})
	const primary, other = "+15550800001", "+15550800002"
	s.newUser(t, vars{"emailAddress": "two-phones@example.com", "phoneNumber": primary, "phoneVerified": true})
	d := s.browser()
	d.mustSession(t, "two-phones@example.com")
	otherID := d.addPhone(t, other)

	n := s.browser()
	si := signInObj(t, n.create(vars{"identifier": other}), "signInCreate")
	var phones []any
	for _, f := range si["supportedFirstFactors"].([]any) {
		if f.(map[string]any)["strategy"] == "phone_code" {
			phones = append(phones, f.(map[string]any)["phoneNumberId"])
		}
	}
	if len(phones) != 2 || phones[0] != otherID {
		t.Fatalf("phone_code factors %v: want 2, the typed number (%s) first", phones, otherID)
	}
	before := s.mail.count(other)
	signInObj(t, n.prepareFirstWith(si["id"].(string), vars{"strategy": "phone_code"}), "signInPrepareFirstFactor")
	if s.mail.count(other) != before+1 {
		t.Fatal("a prepare naming no number did not text the number typed")
	}
	si = signInObj(t, n.attemptFirstWith(si["id"].(string), vars{"strategy": "phone_code", "code": s.mail.code(t, other)}), "signInAttemptFirstFactor")
	if si["status"] != "complete" {
		t.Fatalf("status %v, want complete", si["status"])
	}
}
