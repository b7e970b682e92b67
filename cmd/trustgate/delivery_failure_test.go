package main

import (
	"context"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent/verification"
)

// TestFailedResendKeepsTheDeliveredCode: a user got code A; after the
// cooldown they ask for another, and that resend fails at the SMTP server.
// Nothing is lost: code A, which the user holds, still signs them in.
func TestFailedResendKeepsTheDeliveredCode(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		const addr = "resend-outage@example.com"
		s.newUser(t, vars{"emailAddress": addr})
		d := s.browser()
		si := signInObj(t, d.create(vars{"identifier": addr}), "signInCreate")
		sid := si["id"].(string)
		in := factorInput(si["supportedFirstFactors"], "email_code")
		signInObj(t, d.prepareFirstWith(sid, in), "signInPrepareFirstFactor")
		codeA := s.mail.code(t, addr)

		s.clock.Advance(31 * time.Second) // past the resend cooldown
		s.mail.setFail(true)
		r := d.prepareFirstWith(sid, in)
		s.mail.setFail(false)
		if got := r.code(t); got != "delivery_failed" {
			t.Fatalf("resend during the outage: got %s, want delivery_failed", got)
		}

		done := d.attemptFirstWith(sid, vars{"strategy": "email_code", "code": codeA})
		if len(done.Errors) > 0 {
			t.Fatalf("the code the user did receive (%s), after a resend that reached nobody: got %s, want the sign-in to complete", codeA, done.code(t))
		}
	})
}

// TestSpentContactCodesAreDeleted: a phone number's verification code,
// once it passed, is deleted with the pointer to it: no row is left behind
// holding the number, waiting for a sweep that would never come.
func TestSpentContactCodesAreDeleted(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		s.newUser(t, vars{"emailAddress": "orphan@example.com"})
		d := s.browser()
		d.mustSession(t, "orphan@example.com")
		p := d.do(`mutation { phoneNumberCreate(phoneNumber: "+15550809999") { id } }`, nil).data(t)["phoneNumberCreate"].(map[string]any)
		d.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`, vars{"id": p["id"]}).data(t)
		ctx := context.Background()
		if n, _ := s.m.DB.Ent.Verification.Query().Where(verification.Target("+15550809999")).Count(ctx); n != 1 {
			t.Fatalf("%d verifications for the number after its code was sent, want 1", n)
		}
		d.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { verified } }`,
			vars{"id": p["id"], "c": s.mail.code(t, "+15550809999")}).data(t)
		if n, _ := s.m.DB.Ent.Verification.Query().Where(verification.Target("+15550809999")).Count(ctx); n != 0 {
			t.Fatalf("%d verifications for the number after its code passed, want 0 (spent, and pointed to by nothing)", n)
		}
	})
}
