package main

import "testing"

// TestReservingAnUnverifiedPhoneNumber: an unverified number cannot become a
// second factor, and the refusal carries Clerk's code for it
// (identification_create_second_factor_unverified), which a frontend ported
// from Clerk's setReservedForSecondFactor checks for.
func TestReservingAnUnverifiedPhoneNumber(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true})
		s.newUser(t, vars{"emailAddress": "unverified-phone@example.com"})
		d := s.browser()
		d.mustSession(t, "unverified-phone@example.com")
		p := d.do(`mutation { phoneNumberCreate(phoneNumber: "+15550710001") { id } }`, nil).data(t)["phoneNumberCreate"].(map[string]any)
		r := d.do(`mutation($id: ID!) { phoneNumberReserveForSecondFactor(id: $id, reserved: true) { id reservedForSecondFactor } }`,
			vars{"id": p["id"]})
		if got := r.code(t); got != "identification_create_second_factor_unverified" {
			t.Fatalf("reserving an unverified number: got %s, want identification_create_second_factor_unverified", got)
		}
		if ext := r.ext(t); ext["status"] != float64(400) || ext["paramName"] != "id" {
			t.Errorf("got extensions %v, want status 400 and paramName id", ext)
		}
		me := d.do(`{ me { twoFactorEnabled phoneNumbers { reservedForSecondFactor } } }`, nil).data(t)["me"].(map[string]any)
		if me["twoFactorEnabled"] != false || me["phoneNumbers"].([]any)[0].(map[string]any)["reservedForSecondFactor"] != false {
			t.Errorf("got %v, want the number not reserved and MFA off", me)
		}
	})
}
