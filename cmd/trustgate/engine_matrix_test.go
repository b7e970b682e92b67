package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// matrixUser is one user of the status matrix: an MFA method, whether the
// email address and the primary phone number are verified, and a browser
// that completed a sign-in before ("known" device).
type matrixUser struct {
	mfa                          string // none, totp, phone
	emailVerified, phoneVerified bool
	id, email, phone, username   string
	emailID, phoneID             string
	known                        *browser
}

// matrixCell is one combination of application settings, user, device and first factor.
type matrixCell struct {
	clientTrust, emailEnabled bool
	u                         *matrixUser
	knownDevice               bool
	password                  bool // else a passwordless code first factor
}

// matrixWant is what a cell must produce once the first factor is verified.
type matrixWant struct {
	err    string // an error code instead of a sign-in
	status string
	trust  any // clientTrustState: nil, "new" or "known"
	second []string
}

// expect is the status matrix of CONTRACT §3, written out as rules:
// MFA takes precedence; Client Trust applies only to a valid password on an
// untrusted device; its code goes to the verified email, or to the verified
// phone only when email is disabled for the application (rule 1); a user
// with no address the rule allows gets client_trust_unavailable.
func (c matrixCell) expect() matrixWant {
	if !c.password && c.passwordlessStrategy() == "" {
		return matrixWant{err: "strategy_for_user_invalid"}
	}
	switch c.u.mfa {
	case "totp":
		return matrixWant{status: "needs_second_factor", second: []string{"totp", "backup_code"}}
	case "phone":
		return matrixWant{status: "needs_second_factor", second: []string{"phone_code"}}
	}
	if !c.password || !c.clientTrust {
		return matrixWant{status: "complete"}
	}
	if c.knownDevice {
		return matrixWant{status: "complete", trust: "known"}
	}
	switch {
	case c.emailEnabled && c.u.emailVerified:
		return matrixWant{status: "needs_client_trust", trust: "new", second: []string{"email_code"}}
	case !c.emailEnabled && c.u.phoneVerified:
		return matrixWant{status: "needs_client_trust", trust: "new", second: []string{"phone_code"}}
	}
	return matrixWant{err: "client_trust_unavailable"}
}

// passwordlessStrategy is the code first factor the user can use: email when
// enabled and verified, else the verified primary phone; "" for none.
func (c matrixCell) passwordlessStrategy() string {
	switch {
	case c.emailEnabled && c.u.emailVerified:
		return "email_code"
	case c.u.phoneVerified:
		return "phone_code"
	}
	return ""
}

// identifier is what the user types: the verified email (when email is
// enabled), else the verified phone, else the username.
func (c matrixCell) identifier() string {
	switch {
	case c.emailEnabled && c.u.emailVerified:
		return c.u.email
	case c.u.phoneVerified:
		return c.u.phone
	}
	return c.u.username
}

func (c matrixCell) name() string {
	dev, ff := "new", "email_or_phone_code"
	if c.knownDevice {
		dev = "known"
	}
	if c.password {
		ff = "password"
	}
	return fmt.Sprintf("mfa=%s/emailVerified=%v/phoneVerified=%v/device=%s/first=%s",
		c.u.mfa, c.u.emailVerified, c.u.phoneVerified, dev, ff)
}

// TestSignInStatusMatrix walks Client Trust on/off × email enabled/disabled ×
// MFA none/TOTP/phone × verified email yes/no × verified phone yes/no ×
// device known/new × first factor password/code through the GraphQL API, on
// one server per database whose settings change between blocks of cells.
func TestSignInStatusMatrix(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		// Each user's "known" browser completes a password sign-in before Client Trust is switched on.
		s.setSettings(t, vars{"clientTrustEnabled": false, "usernameEnabled": true})
		var users []*matrixUser
		n := 0
		for _, mfa := range []string{"none", "totp", "phone"} {
			for _, ev := range []bool{true, false} {
				for _, pv := range []bool{true, false} {
					n++
					u := &matrixUser{mfa: mfa, emailVerified: ev, phoneVerified: pv,
						email: fmt.Sprintf("matrix%02d@example.com", n), phone: fmt.Sprintf("+1555010%04d", n),
						username: fmt.Sprintf("matrix%02d", n), known: s.browser()}
					u.id = s.newUser(t, vars{"emailAddress": u.email, "emailVerified": ev, "phoneNumber": u.phone,
						"phoneVerified": pv, "username": u.username})
					rec := s.admin(`query($id: ID!) { user(id: $id) { emailAddresses { id } phoneNumbers { id } } }`, vars{"id": u.id}).
						data(t)["user"].(map[string]any)
					u.emailID = rec["emailAddresses"].([]any)[0].(map[string]any)["id"].(string)
					u.phoneID = rec["phoneNumbers"].([]any)[0].(map[string]any)["id"].(string)
					u.known.mustSession(t, u.username)
					switch mfa {
					case "totp":
						u.known.enrollTOTP(t)
					case "phone":
						u.known.enrollPhoneMFA(t, fmt.Sprintf("+1555020%04d", n))
					}
					users = append(users, u)
				}
			}
		}

		for _, trust := range []bool{false, true} {
			for _, email := range []bool{true, false} {
				set := vars{"clientTrustEnabled": trust, "emailEnabled": email, "usernameEnabled": true,
					"firstFactors": []string{"password", "email_code", "phone_code"}}
				if !email {
					set["firstFactors"] = []string{"password", "phone_code"}
				}
				s.setSettings(t, set)
				// Users run side by side (up to -parallel at once); one user's cells
				// run in order, as they share its known device and its mailbox.
				t.Run(fmt.Sprintf("trust=%v/email=%v", trust, email), func(t *testing.T) {
					for _, u := range users {
						t.Run(u.username, func(t *testing.T) {
							t.Parallel()
							for _, known := range []bool{true, false} {
								for _, password := range []bool{true, false} {
									c := matrixCell{clientTrust: trust, emailEnabled: email, u: u, knownDevice: known, password: password}
									t.Run(c.name(), func(t *testing.T) { runMatrixCell(t, s, c) })
								}
							}
						})
					}
				})
			}
		}
	})
}

func runMatrixCell(t *testing.T, s *server, c matrixCell) {
	want := c.expect()
	d := s.browser()
	if c.knownDevice {
		d = c.u.known
	}
	sessionsBefore := s.sessionCount(t, c.u.id)
	var (
		r     result
		field string
	)
	switch {
	case c.password:
		r, field = d.signIn(c.identifier(), testPassword), "signInCreate"
	case c.passwordlessStrategy() == "":
		// No verified email or phone: the unverified phone is no first factor.
		si := signInObj(t, d.create(vars{"identifier": c.identifier()}), "signInCreate")
		r, field = d.prepareFirstWith(si["id"].(string), vars{"strategy": "phone_code", "phoneNumberId": c.u.phoneID}), "signInPrepareFirstFactor"
	default:
		strategy, to := c.passwordlessStrategy(), c.u.phone
		if strategy == "email_code" {
			to = c.u.email
		}
		r, field = d.codeSignIn(t, c.identifier(), strategy, to), "signInAttemptFirstFactor"
	}
	if want.err != "" {
		if got := r.code(t); got != want.err {
			t.Fatalf("got error %s, want %s", got, want.err)
		}
		// Rule 5's message names what rule 1 would send the code to.
		lacks := "no verified phone number"
		if c.emailEnabled {
			lacks = "no verified email address"
		}
		if msg, _ := r.ext(t)["longMessage"].(string); want.err == "client_trust_unavailable" && !strings.Contains(msg, lacks) {
			t.Fatalf("longMessage %q, want it to say %q", msg, lacks)
		}
		if got := s.sessionCount(t, c.u.id); got != sessionsBefore {
			t.Fatalf("got %d sessions after the error, want %d (none created)", got, sessionsBefore)
		}
		return
	}
	si := signInObj(t, r, field)
	if si["status"] != want.status {
		t.Fatalf("got status %v, want %s (sign-in %v)", si["status"], want.status, si)
	}
	if si["clientTrustState"] != want.trust {
		t.Errorf("got clientTrustState %v, want %v", si["clientTrustState"], want.trust)
	}
	if got := strategies(si["supportedSecondFactors"]); !slices.Equal(got, want.second) {
		t.Errorf("got supportedSecondFactors %v, want %v", got, want.second)
	}
	if v, _ := si["firstFactorVerification"].(map[string]any); v == nil || v["status"] != "verified" {
		t.Errorf("got firstFactorVerification %v, want verified", si["firstFactorVerification"])
	}
	complete := want.status == "complete"
	if (si["createdSessionId"] != nil) != complete {
		t.Errorf("got createdSessionId %v, want one only when complete", si["createdSessionId"])
	}
	wantSessions := sessionsBefore
	if complete {
		wantSessions++
	}
	if got := s.sessionCount(t, c.u.id); got != wantSessions {
		t.Errorf("got %d sessions, want %d", got, wantSessions)
	}
	for _, f := range si["supportedSecondFactors"].([]any) {
		m := f.(map[string]any)
		switch m["strategy"] {
		case "email_code":
			if m["emailAddressId"] != c.u.emailID || m["safeIdentifier"] == c.u.email || m["safeIdentifier"] == nil {
				t.Errorf("email_code factor %v: want the user's email %s, masked", m, c.u.emailID)
			}
		case "phone_code":
			if m["phoneNumberId"] == nil || m["safeIdentifier"] == nil || m["safeIdentifier"] == c.u.phone {
				t.Errorf("phone_code factor %v: want a phone number id and a masked number", m)
			}
			if want.status == "needs_client_trust" && m["phoneNumberId"] != c.u.phoneID {
				t.Errorf("client trust phone_code factor %v: want the primary phone %s", m, c.u.phoneID)
			}
		}
	}
}
