package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent/phonenumber"
)

// TestPhoneNumberHolds checks that a phone number someone added to their
// account but never verified (or an admin gave an account unverified) does
// not keep its owner out: a sign-up that proves the number by code takes it
// (with enumeration protection on or off), and another account may add it once the hold is older than a code's
// lifetime, while a fresh hold, or a verified number, still answers
// form_identifier_exists.
func TestPhoneNumberHolds(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true})
		const addQ = `mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { id verified } }`
		// hold signs a new account in and adds phone to it, unverified.
		// The browser's refresh gets a fresh session token after the clock
		// moved on.
		type holder struct {
			*browser
			refresh func()
		}
		hold := func(t *testing.T, email, phone string) (holder, result) {
			t.Helper()
			s.newUser(t, vars{"emailAddress": email})
			d := s.browser()
			sid := d.mustSession(t, email)
			return holder{d, func() { d.token(t, sid) }}, d.do(addQ, vars{"p": phone})
		}
		holders := func(phone string) []string {
			var ids []string
			for _, p := range s.m.DB.Ent.PhoneNumber.Query().Where(phonenumber.PhoneNumber(phone)).AllX(context.Background()) {
				ids = append(ids, p.UserID)
			}
			return ids
		}

		for _, protected := range []bool{false, true} {
			name := map[bool]string{false: "a sign-up takes a held number", true: "a sign-up takes a held number under enumeration protection"}[protected]
			t.Run(name, func(t *testing.T) {
				s.setSettings(t, vars{"enumerationProtection": protected})
				phone := map[bool]string{false: "+15555550301", true: "+15555550302"}[protected]
				email := map[bool]string{false: "squatter1@example.com", true: "squatter2@example.com"}[protected]
				if protected {
					// An account an admin made with the number unverified,
					// which makes it the account's primary number.
					s.newUser(t, vars{"emailAddress": email, "phoneNumber": phone, "phoneVerified": false})
					if s.userRow(t, s.userIDByEmail(t, email)).PrimaryPhoneNumberID == nil {
						t.Fatal("the admin-made holder has no primary phone number")
					}
				} else {
					_, r := hold(t, email, phone)
					r.data(t)
				}
				d := s.browser()
				su := d.do(`mutation($p: String!, $e: String!) { signUpCreate(input: {emailAddress: $e, phoneNumber: $p, password: "another good passphrase"}) { id } }`,
					vars{"p": phone, "e": "owner-" + email}).data(t)["signUpCreate"].(map[string]any)
				for _, strategy := range []string{"email_code", "phone_code"} {
					d.do(`mutation($id: ID!, $s: String!) { signUpPrepareVerification(id: $id, strategy: $s) { id } }`, vars{"id": su["id"], "s": strategy}).data(t)
				}
				if m := s.mail.last(t, phone); m.Kind != "verification_code" {
					t.Fatalf("the held number got a %s message, want its verification code", m.Kind)
				}
				var done map[string]any
				for _, c := range []struct{ strategy, to string }{{"email_code", "owner-" + email}, {"phone_code", phone}} {
					done = d.do(`mutation($id: ID!, $s: String!, $c: String!) { signUpAttemptVerification(id: $id, strategy: $s, code: $c) { status createdUserId } }`,
						vars{"id": su["id"], "s": c.strategy, "c": s.mail.code(t, c.to)}).data(t)["signUpAttemptVerification"].(map[string]any)
				}
				if done["status"] != "complete" {
					t.Fatalf("sign-up = %v, want complete", done)
				}
				if got := holders(phone); len(got) != 1 || got[0] != done["createdUserId"] {
					t.Fatalf("the number belongs to %v, want only the new user %v", got, done["createdUserId"])
				}
				squatter := s.userRow(t, s.userIDByEmail(t, email))
				if squatter.PrimaryPhoneNumberID != nil {
					t.Fatalf("the released holder still names primary phone %v", *squatter.PrimaryPhoneNumberID)
				}
			})
		}

		t.Run("another account may add a number once the hold is older than a code's lifetime", func(t *testing.T) {
			const phone = "+15555550303"
			first, r := hold(t, "holder@example.com", phone)
			id := r.data(t)["phoneNumberCreate"].(map[string]any)["id"]
			s.clock.Advance(9 * time.Minute)
			// A code sent renews the hold.
			first.refresh()
			first.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`, vars{"id": id}).data(t)
			s.clock.Advance(9 * time.Minute)
			second, r := hold(t, "claimant@example.com", phone)
			if got := r.code(t); got != "form_identifier_exists" {
				t.Fatalf("a hold renewed 9 minutes ago: got %s, want form_identifier_exists", got)
			}
			s.clock.Advance(2 * time.Minute)
			first.refresh()
			second.refresh()
			p := second.do(addQ, vars{"p": phone}).data(t)["phoneNumberCreate"].(map[string]any)
			if got := holders(phone); len(got) != 1 || got[0] != s.userIDByEmail(t, "claimant@example.com") {
				t.Fatalf("the number belongs to %v, want the claimant alone", got)
			}
			// The first holder's code now verifies nothing of theirs.
			r = first.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { id } }`,
				vars{"id": id, "c": s.mail.code(t, phone)})
			if got := r.code(t); got != "resource_not_found" {
				t.Fatalf("the released holder's attempt: got %s, want resource_not_found", got)
			}
			second.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`, vars{"id": p["id"]}).data(t)
			v := second.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { verified } }`,
				vars{"id": p["id"], "c": s.mail.code(t, phone)}).data(t)["phoneNumberAttemptVerification"].(map[string]any)
			if v["verified"] != true {
				t.Fatalf("the claimant's verification: %v", v)
			}
			// A verified number is never released.
			s.clock.Advance(time.Hour)
			if _, r := hold(t, "late@example.com", phone); r.code(t) != "form_identifier_exists" {
				t.Fatalf("adding a verified number: got %v, want form_identifier_exists", r.Errors)
			}
		})

		t.Run("codes sent now and then do not keep a hold alive for good", func(t *testing.T) {
			const phone = "+15555550304"
			squatter, r := hold(t, "renewer@example.com", phone)
			id := r.data(t)["phoneNumberCreate"].(map[string]any)["id"]
			// A code every 9 minutes for 36 minutes: within the per-recipient
			// budget, each sent before the last one's hold ran out.
			for range 4 {
				s.clock.Advance(9 * time.Minute)
				squatter.refresh()
				squatter.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`, vars{"id": id}).data(t)
			}
			s.clock.Advance(5 * time.Minute)
			owner, r := hold(t, "real-owner@example.com", phone)
			if len(r.Errors) > 0 {
				t.Fatalf("adding a number held for 41 minutes by codes sent every 9: got %s, want it added", r.code(t))
			}
			p := r.data(t)["phoneNumberCreate"].(map[string]any)
			if got := holders(phone); len(got) != 1 || got[0] != s.userIDByEmail(t, "real-owner@example.com") {
				t.Fatalf("the number belongs to %v, want the owner alone", got)
			}
			owner.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`, vars{"id": p["id"]}).data(t)
			v := owner.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { verified } }`,
				vars{"id": p["id"], "c": s.mail.code(t, phone)}).data(t)["phoneNumberAttemptVerification"].(map[string]any)
			if v["verified"] != true {
				t.Fatalf("the owner's verification: %v", v)
			}
		})

		t.Run("an account adds at most 10 numbers, at the sign-in budget's pace per IP", func(t *testing.T) {
			s.setOverrides(t, map[string]any{"rateLimitSignInsPerIp": 5})
			s.clock.Advance(10 * time.Second) // a fresh window
			s.newUser(t, vars{"emailAddress": "collector@example.com"})
			d := s.browser()
			sid := d.mustSession(t, "collector@example.com")
			add := func(i int) result { return d.do(addQ, vars{"p": fmt.Sprintf("+155555504%02d", i)}) }
			nextWindow := func() {
				s.clock.Advance(10 * time.Second)
				d.token(t, sid)
			}
			for i := 1; i <= 5; i++ {
				add(i).data(t)
			}
			if got := add(6).code(t); got != "too_many_requests" {
				t.Fatalf("the 6th add within 10 s: got %s, want too_many_requests", got)
			}
			nextWindow()
			for i := 6; i <= 10; i++ {
				add(i).data(t)
			}
			nextWindow()
			if got := add(11).code(t); got != "resource_forbidden" {
				t.Fatalf("the 11th number: got %s, want resource_forbidden", got)
			}
			// Holds never verified stop counting once stale, and go.
			s.clock.Advance(11 * time.Minute)
			d.do(`mutation { signOut }`, nil)
			d.mustSession(t, "collector@example.com")
			add(11).data(t)
			if n := s.m.DB.Ent.PhoneNumber.Query().Where(phonenumber.UserID(s.userIDByEmail(t, "collector@example.com"))).CountX(context.Background()); n != 1 {
				t.Fatalf("the account holds %d numbers after its stale holds went, want 1", n)
			}
		})
	})
}
