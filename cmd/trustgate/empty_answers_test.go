package main

import "testing"

// TestEmptyAnswersAreMissing: a code or password sent empty is a missing
// input (form_param_missing), not a wrong answer. Clerk's custom flows
// (../shared/seeds) read the code from a form field no one marked required,
// so a "Verify" pressed on an empty field sends code "": it must not spend
// one of the verification's 5 attempts or count toward the user's lockout
// (rule 7 counts failed codes, and "" is none), as the session
// reverification's steps already answer.
func TestEmptyAnswersAreMissing(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		id := s.newUser(t, vars{"emailAddress": "blank@example.com"})
		d := s.browser()

		wantError(t, d.signIn("blank@example.com", ""), "form_param_missing", "password")

		si := signInObj(t, d.signIn("blank@example.com", testPassword), "signInCreate")
		if si["status"] != "needs_client_trust" {
			t.Fatalf("got %v, want needs_client_trust", si["status"])
		}
		sid := si["id"].(string)
		signInObj(t, d.prepareSecondWith(sid, factorInput(si["supportedSecondFactors"], "email_code")), "signInPrepareSecondFactor")
		wantError(t, d.attemptSecond(sid, "email_code", ""), "form_param_missing", "code")

		cur := d.do(`{ client { signIn { secondFactorVerification { attempts } } } }`, nil).data(t)["client"].(map[string]any)["signIn"].(map[string]any)
		if n := cur["secondFactorVerification"].(map[string]any)["attempts"]; n != float64(0) {
			t.Errorf("got %v attempts after an empty code, want 0", n)
		}
		if n := s.userRow(t, id).FailedAttempts; n != 0 {
			t.Errorf("got %d failed attempts toward the lockout, want 0", n)
		}

		// A passwordless first factor, and a password tried on a sign-in
		// made without one.
		e := s.browser()
		first := signInObj(t, e.create(vars{"identifier": "blank@example.com"}), "signInCreate")
		fid := first["id"].(string)
		wantError(t, e.attemptFirstWith(fid, vars{"strategy": "password", "password": ""}), "form_param_missing", "password")
		signInObj(t, e.prepareFirstWith(fid, vars{"strategy": "email_code"}), "signInPrepareFirstFactor")
		wantError(t, e.attemptFirstWith(fid, vars{"strategy": "email_code", "code": ""}), "form_param_missing", "code")
		if n := s.userRow(t, id).FailedAttempts; n != 0 {
			t.Errorf("got %d failed attempts toward the lockout, want 0", n)
		}
		done := signInObj(t, e.attemptFirstWith(fid, vars{"strategy": "email_code", "code": s.mail.code(t, "blank@example.com")}), "signInAttemptFirstFactor")
		if done["status"] != "complete" {
			t.Fatalf("the right code after an empty one: got %v, want complete", done["status"])
		}

		// The account's checks of a code or of the current password.
		e.token(t, done["createdSessionId"].(string))
		e.do(`mutation { totpCreate { id } }`, nil).data(t)
		wantError(t, e.do(`mutation { totpVerify(code: "") { id } }`, nil), "form_param_missing", "code")
		wantError(t, e.do(`mutation { passwordUpdate(current: "", new: "a brand new passphrase 42") }`, nil), "form_param_missing", "current")
		p := e.do(`mutation { phoneNumberCreate(phoneNumber: "+15550700001") { id } }`, nil).data(t)["phoneNumberCreate"].(map[string]any)
		e.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`, vars{"id": p["id"]}).data(t)
		wantError(t, e.do(`mutation($id: ID!) { phoneNumberAttemptVerification(id: $id, code: "") { id } }`, vars{"id": p["id"]}), "form_param_missing", "code")
		if n := s.userRow(t, id).FailedAttempts; n != 0 {
			t.Errorf("account: got %d failed attempts toward the lockout, want 0", n)
		}

		// A sign-up's code.
		su := s.browser()
		up := su.do(sdkSignUpCreate, vars{"input": vars{"emailAddress": "blank-up@example.com", "password": testPassword}}).data(t)["signUpCreate"].(map[string]any)
		su.do(sdkSignUpPrepare, vars{"id": up["id"], "strategy": "email_code"}).data(t)
		wantError(t, su.do(sdkSignUpAttempt, vars{"id": up["id"], "strategy": "email_code", "code": ""}), "form_param_missing", "code")
		ok := su.do(sdkSignUpAttempt, vars{"id": up["id"], "strategy": "email_code", "code": s.mail.code(t, "blank-up@example.com")}).data(t)["signUpAttemptVerification"].(map[string]any)
		if ok["status"] != "complete" {
			t.Fatalf("sign-up: got %v, want complete", ok["status"])
		}
	})
}
