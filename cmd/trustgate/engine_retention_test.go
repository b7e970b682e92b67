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
// and the retention pass deletes a code nobody verified a day after it
// expired. Such a flow answers verification_expired, as it did before the
// row went, and a new code carries it on.
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
