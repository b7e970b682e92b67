package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/trustgate/trustgate/internal/retention"
)

// TestPrunedCodesOfLiveFlows: a sign-in or sign-up may live up to 7 days,
// a phone number waits for its code for ever, and the retention pass
// deletes a code nobody verified a day after it expired. Such a flow
// answers verification_expired, as it did before the row went, and a new
// code carries it on: a Client Trust code, a passwordless first factor, an
// account's phone number and a sign-up's email.
func TestPrunedCodesOfLiveFlows(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"signInLifetimeSeconds": 7 * 24 * 3600})
		prune := func(t *testing.T) {
			t.Helper()
			s.clock.Advance(retention.FlowGrace + 20*time.Minute) // past the code's TTL and the grace
			p := &retention.Pruner{DB: s.m.DB, Now: s.clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			res, err := p.RunOnce(context.Background())
			if err != nil || res.Expired["verifications"] != 1 {
				t.Fatalf("pruning: %+v, %v; want one code deleted", res, err)
			}
		}

		t.Run("sign-in", func(t *testing.T) {
			const email = "pruned-signin@example.com"
			s.newUser(t, vars{"emailAddress": email})
			d, id, _ := ctChallenge(t, s, email)
			code := s.mail.code(t, email)
			prune(t)
			if got := d.attemptSecond(id, "email_code", code).code(t); got != "verification_expired" {
				t.Fatalf("attempt on a pruned code: got %s, want verification_expired", got)
			}
			signInObj(t, d.prepareSecond(id, "email_code"), "signInPrepareSecondFactor")
			si := signInObj(t, d.attemptSecond(id, "email_code", s.mail.code(t, email)), "signInAttemptSecondFactor")
			if si["status"] != "complete" {
				t.Fatalf("with a new code: got %v, want complete", si["status"])
			}
		})

		t.Run("passwordless sign-in", func(t *testing.T) {
			const email = "pruned-passwordless@example.com"
			s.newUser(t, vars{"emailAddress": email})
			d := s.browser()
			si := signInObj(t, d.create(vars{"identifier": email}), "signInCreate")
			id, in := si["id"].(string), factorInput(si["supportedFirstFactors"], "email_code")
			signInObj(t, d.prepareFirstWith(id, in), "signInPrepareFirstFactor")
			code := s.mail.code(t, email)
			prune(t)
			if got := d.attemptFirstWith(id, vars{"strategy": "email_code", "code": code}).code(t); got != "verification_expired" {
				t.Fatalf("attempt on a pruned code: got %s, want verification_expired", got)
			}
			signInObj(t, d.prepareFirstWith(id, in), "signInPrepareFirstFactor")
			done := signInObj(t, d.attemptFirstWith(id, vars{"strategy": "email_code", "code": s.mail.code(t, email)}), "signInAttemptFirstFactor")
			if done["status"] != "complete" {
				t.Fatalf("with a new code: got %v, want complete", done["status"])
			}
		})

		t.Run("phone number of the account", func(t *testing.T) {
			s.setSettings(t, vars{"clientTrustEnabled": false})
			defer s.setSettings(t, vars{"clientTrustEnabled": true})
			const email, phone = "pruned-phone@example.com", "+15550800123"
			s.newUser(t, vars{"emailAddress": email})
			d := s.browser()
			sid := d.mustSession(t, email)
			const fields = `id verified`
			p := d.do(`mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { `+fields+` } }`, vars{"p": phone}).data(t)["phoneNumberCreate"].(map[string]any)
			prepare := func() {
				d.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { `+fields+` } }`, vars{"id": p["id"]}).data(t)
			}
			attempt := func(code string) result {
				return d.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { `+fields+` } }`,
					vars{"id": p["id"], "c": code})
			}
			prepare()
			code := s.mail.code(t, phone)
			prune(t)
			d.token(t, sid) // the session's token expired meanwhile
			if got := attempt(code).code(t); got != "verification_expired" {
				t.Fatalf("attempt on a pruned code: got %s, want verification_expired", got)
			}
			prepare()
			if v := attempt(s.mail.code(t, phone)).data(t)["phoneNumberAttemptVerification"].(map[string]any); v["verified"] != true {
				t.Fatalf("with a new code: got %v, want verified", v)
			}
		})

		t.Run("sign-up", func(t *testing.T) {
			const email = "pruned-signup@example.com"
			d := s.browser()
			su := d.do(sdkSignUpCreate, vars{"input": vars{"emailAddress": email, "password": testPassword}}).data(t)["signUpCreate"].(map[string]any)
			prepare := func() {
				d.do(sdkSignUpPrepare, vars{"id": su["id"], "strategy": "email_code"}).data(t)
			}
			attempt := func(code string) result {
				return d.do(sdkSignUpAttempt, vars{"id": su["id"], "strategy": "email_code", "code": code})
			}
			prepare()
			code := s.mail.code(t, email)
			prune(t)
			if got := attempt(code).code(t); got != "verification_expired" {
				t.Fatalf("attempt on a pruned code: got %s, want verification_expired", got)
			}
			cur := d.do(`{ client { signUp { unverifiedFields } } }`, nil).data(t)["client"].(map[string]any)["signUp"].(map[string]any)
			if f, _ := cur["unverifiedFields"].([]any); len(f) != 1 || f[0] != "email_address" {
				t.Errorf("unverifiedFields = %v, want [email_address]", cur["unverifiedFields"])
			}
			prepare()
			out := attempt(s.mail.code(t, email)).data(t)["signUpAttemptVerification"].(map[string]any)
			if out["status"] != "complete" {
				t.Fatalf("with a new code: got %v, want complete", out["status"])
			}
		})
	})
}
