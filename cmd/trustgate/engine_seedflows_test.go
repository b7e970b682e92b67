package main

import (
	"testing"
	"time"
)

// The GraphQL documents of web/sdk/operations.ts, as the SDK sends them.
const (
	sdkSignInCreate  = `mutation SignInCreate($input: SignInCreateInput!) { signInCreate(input: $input) { ` + signInFields + ` } }`
	sdkPrepareSecond = `mutation SignInPrepareSecondFactor($id: ID!, $input: PrepareFactorInput!) { signInPrepareSecondFactor(id: $id, input: $input) { ` +
		signInFields + ` } }`
	sdkAttemptSecond = `mutation SignInAttemptSecondFactor($id: ID!, $input: AttemptFactorInput!) { signInAttemptSecondFactor(id: $id, input: $input) { ` +
		signInFields + ` } }`
	sdkSignUpCreate  = `mutation SignUpCreate($input: SignUpCreateInput!) { signUpCreate(input: $input) { id status unverifiedFields createdUserId createdSessionId } }`
	sdkSignUpPrepare = `mutation SignUpPrepareVerification($id: ID!, $strategy: String!) { signUpPrepareVerification(id: $id, strategy: $strategy) { id status unverifiedFields createdUserId createdSessionId } }`
	sdkSignUpAttempt = `mutation SignUpAttemptVerification($id: ID!, $strategy: String!, $code: String!) { signUpAttemptVerification(id: $id, strategy: $strategy, code: $code) { id status unverifiedFields createdUserId createdSessionId } }`
	sdkTokenCreate   = `mutation SessionTokenCreate($sessionId: ID!) { sessionTokenCreate(sessionId: $sessionId) { jwt expiresAt } }`
	sdkMe            = `query Me { me { id emailAddresses { id emailAddress verified } phoneNumbers { id phoneNumber verified reservedForSecondFactor } primaryEmailAddressId twoFactorEnabled totpEnabled backupCodeEnabled locked banned lastSignInAt createdAt } }`
)

// sdkSignUp signs up with the SDK's documents and verifies the field by code.
func sdkSignUp(t *testing.T, s *server, input vars, strategy, to string) {
	t.Helper()
	d := s.browser()
	su := d.do(sdkSignUpCreate, vars{"input": input}).data(t)["signUpCreate"].(map[string]any)
	d.do(sdkSignUpPrepare, vars{"id": su["id"], "strategy": strategy}).data(t)
	done := d.do(sdkSignUpAttempt, vars{"id": su["id"], "strategy": strategy, "code": s.mail.code(t, to)}).data(t)["signUpAttemptVerification"].(map[string]any)
	if done["status"] != "complete" {
		t.Fatalf("sign-up: got %v, want complete", done)
	}
}

// seedClientTrustFlow is the custom flow of the Client Trust guide
// (../shared/seeds/002): signIn.password, then on needs_client_trust find the
// factor of strategy, send the code, verify it, and finalize.
func seedClientTrustFlow(t *testing.T, s *server, ident, strategy, to string) {
	t.Helper()
	d := s.browser()
	// signIn.password({emailAddress|phoneNumber, password}) → create({identifier, password, strategy: 'password'})
	si := d.do(sdkSignInCreate, vars{"input": vars{"identifier": ident, "password": testPassword, "strategy": "password"}}).data(t)["signInCreate"].(map[string]any)
	if si["status"] != "needs_client_trust" {
		t.Fatalf("signIn.password: got status %v, want needs_client_trust", si["status"])
	}
	if v := si["firstFactorVerification"].(map[string]any); v["status"] != "verified" || v["strategy"] != "password" {
		t.Errorf("got firstFactorVerification %v, want a verified password", v)
	}
	id := si["id"].(string)
	// supportedSecondFactors.find(f => f.strategy === strategy), then signIn.mfa.send…Code()
	in := factorInput(si["supportedSecondFactors"], strategy)
	if in == nil {
		t.Fatalf("got supportedSecondFactors %v, want %s", strategies(si["supportedSecondFactors"]), strategy)
	}
	p := d.do(sdkPrepareSecond, vars{"id": id, "input": in}).data(t)["signInPrepareSecondFactor"].(map[string]any)
	if p["status"] != "needs_client_trust" || p["clientTrustState"] != "pending" {
		t.Fatalf("after sending: got %v/%v, want needs_client_trust/pending", p["status"], p["clientTrustState"])
	}
	// "I need a new code" at once is refused; 30 s later it sends a new one.
	r := d.do(sdkPrepareSecond, vars{"id": id, "input": in})
	if got := r.code(t); got != "verification_code_too_many_requests" {
		t.Fatalf("an immediate resend: got %s, want verification_code_too_many_requests", got)
	}
	s.clock.Advance(30 * time.Second)
	d.do(sdkPrepareSecond, vars{"id": id, "input": in}).data(t)
	code := s.mail.code(t, to)
	// signIn.mfa.verify…Code({code})
	done := d.do(sdkAttemptSecond, vars{"id": id, "input": vars{"strategy": strategy, "code": code}}).data(t)["signInAttemptSecondFactor"].(map[string]any)
	if done["status"] != "complete" || done["createdSessionId"] == nil {
		t.Fatalf("verify: got %v, want complete with a session", done)
	}
	// signIn.finalize(): sessionTokenCreate for the created session, then the app reads the user.
	tok := d.do(sdkTokenCreate, vars{"sessionId": done["createdSessionId"]}).data(t)["sessionTokenCreate"].(map[string]any)
	d.bearer = tok["jwt"].(string)
	if me := d.do(sdkMe, nil).data(t)["me"]; me == nil {
		t.Fatal("me: got null after finalize, want the signed-in user")
	}
}

func TestSeedCustomFlows(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		t.Run("email code", func(t *testing.T) {
			sdkSignUp(t, s, vars{"emailAddress": "seed@example.com", "password": testPassword}, "email_code", "seed@example.com")
			seedClientTrustFlow(t, s, "seed@example.com", "email_code", "seed@example.com")
		})
		t.Run("SMS code, with email disabled", func(t *testing.T) {
			s.setSettings(t, vars{"emailEnabled": false, "firstFactors": []string{"password", "phone_code"}})
			sdkSignUp(t, s, vars{"phoneNumber": "+15550700001", "password": testPassword}, "phone_code", "+15550700001")
			seedClientTrustFlow(t, s, "+15550700001", "phone_code", "+15550700001")
		})
	})
}
