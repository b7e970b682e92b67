package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/factor"
)

// TestEnumerationProtection checks that, with enumeration protection on, an
// unknown identifier and a known one with a wrong password get the same error
// and take the same time: both pay for one argon2id hash. Requests alternate
// so machine noise hits both samples alike; the bound on the ratio of medians
// is wide, because the failure it guards against (skipping the hash for
// unknown users) makes them differ by an order of magnitude.
func TestEnumerationProtection(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	s.setSettings(t, vars{"enumerationProtection": true, "lockoutMaxAttempts": 1000})
	s.createUser(t, "known@example.com", "", "correct horse battery")

	const rounds = 15
	var known, unknown []time.Duration
	for i := 0; i < rounds; i++ {
		for _, id := range []string{"known@example.com", fmt.Sprintf("nobody%d@example.com", i)} {
			d := s.browser()
			start := time.Now()
			r := d.signIn(id, "wrong password!")
			elapsed := time.Since(start)
			if got := r.code(t); got != "form_password_or_identifier_incorrect" {
				t.Fatalf("%s: code = %s, want form_password_or_identifier_incorrect", id, got)
			}
			if r.ext(t)["longMessage"] == "" {
				t.Fatalf("%s: no long message", id)
			}
			if id == "known@example.com" {
				known = append(known, elapsed)
			} else {
				unknown = append(unknown, elapsed)
			}
		}
	}
	mk, mu := medianDuration(known), medianDuration(unknown)
	ratio := float64(mu) / float64(mk)
	t.Logf("median known %v, unknown %v, ratio %.2f", mk, mu, ratio)
	if ratio < 0.5 || ratio > 2 {
		t.Fatalf("unknown/known median latency ratio = %.2f (known %v, unknown %v); want within 0.5–2", ratio, mk, mu)
	}
}

func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestEnumerationProtectionShapes checks that, with enumeration protection
// on, the answers of a sign-in by email code and of a password reset are
// shaped alike for an address that names an account and one that does not:
// the same statuses, factors (strategies, masked identifiers, ids present
// and stable), verifications and errors. Values that are per account (the
// masked text, the ids) may differ; their presence may not.
func TestEnumerationProtectionShapes(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"enumerationProtection": true, "lockoutMaxAttempts": 1000, "usernameEnabled": true,
			"phoneEnabled": true, "firstFactors": []string{"password", "email_code", "phone_code"}})
		s.createUser(t, "known@example.com", "", "correct horse battery")
		// An account with a phone number as well, and one without a password:
		// each lists, by its email address, what an unknown address lists.
		s.newUser(t, vars{"emailAddress": "withphone@example.com", "phoneNumber": "+15555550123", "phoneVerified": true,
			"password": "correct horse battery"})
		s.newUser(t, vars{"emailAddress": "nopassword@example.com", "password": nil})
		s.newUser(t, vars{"emailAddress": "named@example.com", "username": "named_user", "password": "correct horse battery"})
		// A banned account, and one an administrator locked (until unlocked,
		// which no failures make while the lockout has a duration).
		banned := s.createUser(t, "banned@example.com", "", "correct horse battery")
		locked := s.createUser(t, "locked@example.com", "", "correct horse battery")
		s.admin(`mutation($id: ID!) { banUser(id: $id) { id } }`, vars{"id": banned}).data(t)
		s.admin(`mutation($id: ID!) { lockUser(id: $id) { id } }`, vars{"id": locked}).data(t)

		// shape keeps what must not depend on whether the account exists.
		shape := func(si map[string]any) string {
			var factors []string
			for _, f := range si["supportedFirstFactors"].([]any) {
				m := f.(map[string]any)
				factors = append(factors, fmt.Sprintf("%v masked=%v email=%v phone=%v primary=%v", m["strategy"],
					m["safeIdentifier"] != nil, m["emailAddressId"] != nil, m["phoneNumberId"] != nil, m["primary"]))
			}
			v, _ := si["firstFactorVerification"].(map[string]any)
			if v != nil {
				v = map[string]any{"status": v["status"], "strategy": v["strategy"], "attempts": v["attempts"]}
			}
			return fmt.Sprintf("status=%v factors=%v verification=%v", si["status"], factors, v)
		}
		for _, tc := range []struct {
			name string
			run  func(d *browser, ident string) []string
		}{
			{"email code sign-in", func(d *browser, ident string) []string {
				si := signInObj(t, d.create(vars{"identifier": ident}), "signInCreate")
				in := factorInput(si["supportedFirstFactors"], "email_code")
				if in == nil {
					t.Fatalf("%s: no email_code factor listed", ident)
				}
				id := si["id"].(string)
				p := signInObj(t, d.prepareFirstWith(id, in), "signInPrepareFirstFactor")
				if again := factorInput(p["supportedFirstFactors"], "email_code"); again["emailAddressId"] != in["emailAddressId"] {
					t.Errorf("%s: the factor's id changed between answers: %v then %v", ident, in["emailAddressId"], again["emailAddressId"])
				}
				wrong := d.attemptFirstWith(id, vars{"strategy": "email_code", "code": "000000"}).code(t)
				return []string{shape(si), shape(p), wrong}
			}},
			{"password reset", func(d *browser, ident string) []string {
				si := signInObj(t, d.create(vars{"identifier": ident, "strategy": "reset_password_email_code"}), "signInCreate")
				id := si["id"].(string)
				resend := d.prepareFirstWith(id, vars{"strategy": "reset_password_email_code"}).code(t)
				wrong := d.attemptFirstWith(id, vars{"strategy": "reset_password_email_code", "code": "000000", "password": "a brand new passphrase"}).code(t)
				return []string{shape(si), resend, wrong}
			}},
			{"password", func(d *browser, ident string) []string {
				// The right password of the banned and locked accounts, a wrong one of the others.
				return []string{d.signIn(ident, "correct horse battery").code(t)}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				unknown := tc.run(s.browser(), "nobody@example.com")
				for _, ident := range []string{"known@example.com", "withphone@example.com", "nopassword@example.com", "banned@example.com", "locked@example.com"} {
					if tc.name == "password" && (ident == "known@example.com" || ident == "withphone@example.com") {
						continue // their right password signs in
					}
					if known := tc.run(s.browser(), ident); !slices.Equal(known, unknown) {
						t.Errorf("answers differ:\n%-22s %q\nnobody@example.com     %q", ident, known, unknown)
					}
				}
			})
		}
		t.Run("a phone number or username lists what an unknown one lists", func(t *testing.T) {
			for _, tc := range []struct{ account, unknown, has string }{
				{"+15555550123", "+15555550199", "phone_code masked=true"},
				{"named_user", "nobody_user", "factors=[password masked=false email=false phone=false primary=<nil>]"},
			} {
				var got []string
				for _, ident := range []string{tc.account, tc.unknown} {
					got = append(got, shape(signInObj(t, s.browser().create(vars{"identifier": ident}), "signInCreate")))
				}
				if got[0] != got[1] {
					t.Errorf("answers differ:\n%-13s %s\n%-13s %s", tc.account, got[0], tc.unknown, got[1])
				}
				if !strings.Contains(got[0], tc.has) {
					t.Errorf("%s: %s, want %s", tc.account, got[0], tc.has)
				}
			}
		})
		// prepare prepares in on the sign-in id, which must answer as one
		// that went out, and returns how many messages reached to.
		prepare := func(d *browser, id string, in vars, to string) int {
			t.Helper()
			before := s.mail.count(to)
			if got := signInObj(t, d.prepareFirstWith(id, in), "signInPrepareFirstFactor")["status"]; got != "needs_first_factor" {
				t.Fatalf("prepare %v: status %v, want needs_first_factor", in, got)
			}
			return s.mail.count(to) - before
		}
		t.Run("an account's factor, under the id it lists, sends real codes", func(t *testing.T) {
			const email = "known@example.com"
			realID := s.m.DB.Ent.EmailAddress.Query().Where(emailaddress.EmailAddress(email)).OnlyX(context.Background()).ID
			d := s.browser()
			si := signInObj(t, d.create(vars{"identifier": email}), "signInCreate")
			in := factorInput(si["supportedFirstFactors"], "email_code")
			if in["emailAddressId"] == realID {
				t.Fatalf("the factor lists the address's own id %s, whose time part dates the address", realID)
			}
			id := si["id"].(string)
			if prepare(d, id, in, email) != 1 {
				t.Fatalf("no code went out to %s", email)
			}
			done := signInObj(t, d.attemptFirstWith(id, vars{"strategy": "email_code", "code": s.mail.code(t, email)}), "signInAttemptFirstFactor")
			if done["status"] != "complete" {
				t.Fatalf("attempt with the code: status %v, want complete", done["status"])
			}

			// A reset prepared with that id sends to the address too.
			r := s.browser()
			si = signInObj(t, r.create(vars{"identifier": email, "strategy": "reset_password_email_code"}), "signInCreate")
			s.clock.Advance(31 * time.Second) // past the resend cooldown
			in = vars{"strategy": "reset_password_email_code", "emailAddressId": factorInput(si["supportedFirstFactors"], "email_code")["emailAddressId"]}
			if prepare(r, si["id"].(string), in, email) != 1 {
				t.Fatalf("the reset prepared by the listed id sent no code to %s", email)
			}
		})
		t.Run("an address unverified since the sign-in began answers as an unknown one", func(t *testing.T) {
			const email = "unverified@example.com"
			s.newUser(t, vars{"emailAddress": email, "password": "correct horse battery"})
			d := s.browser()
			si := signInObj(t, d.create(vars{"identifier": email}), "signInCreate")
			s.m.DB.Ent.EmailAddress.Update().Where(emailaddress.EmailAddress(email)).SetVerified(false).ExecX(context.Background())
			if prepare(d, si["id"].(string), factorInput(si["supportedFirstFactors"], "email_code"), email) != 0 {
				t.Fatal("a code went out to an address no longer verified")
			}
			wantWithheld(t, s, si["id"].(string), "address_unavailable", true)
		})
		t.Run("a sign-in begun before a ban or an administrator's lock answers as an unknown one", func(t *testing.T) {
			for i, lock := range []string{`mutation($id: ID!) { banUser(id: $id) { id } }`, `mutation($id: ID!) { lockUser(id: $id) { id } }`} {
				email := fmt.Sprintf("later%d@example.com", i)
				id := s.newUser(t, vars{"emailAddress": email, "password": "correct horse battery"})
				d := s.browser()
				si := signInObj(t, d.create(vars{"identifier": email}), "signInCreate")
				s.admin(lock, vars{"id": id}).data(t)
				if prepare(d, si["id"].(string), factorInput(si["supportedFirstFactors"], "email_code"), email) != 0 {
					t.Fatalf("%s: a code went out after the account was refused", email)
				}
				if got := d.attemptFirstWith(si["id"].(string), vars{"strategy": "password", "password": "correct horse battery"}).code(t); got != "form_password_or_identifier_incorrect" {
					t.Fatalf("%s: the right password after the account was refused: %s, want form_password_or_identifier_incorrect", email, got)
				}
			}
		})
		t.Run("a prepare answered as a decoy is in the history, with why", func(t *testing.T) {
			d := s.browser()
			si := signInObj(t, d.create(vars{"identifier": "nobody-else@example.com"}), "signInCreate")
			prepare(d, si["id"].(string), factorInput(si["supportedFirstFactors"], "email_code"), "nobody-else@example.com")
			wantWithheld(t, s, si["id"].(string), "no_account", false)

			// The account's phone number, after its email address was typed:
			// not a factor the sign-in listed.
			si = signInObj(t, d.create(vars{"identifier": "withphone@example.com"}), "signInCreate")
			if n := prepare(d, si["id"].(string), vars{"strategy": "phone_code"}, "+15555550123"); n != 0 {
				t.Fatalf("%d texts went to a number the sign-in did not list", n)
			}
			wantWithheld(t, s, si["id"].(string), "factor_not_listed", true)
		})
		t.Run("a factor's id is the same in every sign-in, as a real address's is", func(t *testing.T) {
			for _, ident := range []string{"known@example.com", "nobody@example.com"} {
				var seen []any
				for range 2 {
					si := signInObj(t, s.browser().create(vars{"identifier": ident}), "signInCreate")
					seen = append(seen, factorInput(si["supportedFirstFactors"], "email_code")["emailAddressId"])
				}
				if seen[0] == nil || seen[0] != seen[1] {
					t.Errorf("%s: ids %v in two sign-ins, want one id", ident, seen)
				}
			}
		})
	})
}

// TestCodePrepareFloor: with SMTP or the SMS hook a real code keeps the
// request waiting for the mail server, and a decoy (an email that names
// nobody, under enumeration protection) sends nothing. Both answer no
// sooner than TRUSTGATE_CODE_SEND_FLOOR after the prepare began, as does a
// sign-up's verification, whose taken address gets a notice. The
// server's clock is the test's: the slow mail server moves it on, and the
// waits are recorded instead of slept.
func TestCodePrepareFloor(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		const floor = time.Second
		s := mustStart(t, dbURL, cheapHashes, func(c *Config) { c.CodeSendFloor = floor })
		s.setSettings(t, vars{"enumerationProtection": true})
		var waits []time.Duration
		s.m.Services.SignIn.Floor.Sleep = func(_ context.Context, d time.Duration) { waits = append(waits, d) }
		send := time.Duration(0)
		s.mail.delay = func() { s.clock.Advance(send) }
		s.newUser(t, vars{"emailAddress": "somebody@example.com"})
		prepare := func(ident string) {
			t.Helper()
			d := s.browser()
			si := signInObj(t, d.create(vars{"identifier": ident}), "signInCreate")
			in := factorInput(si["supportedFirstFactors"], "email_code")
			if in == nil {
				t.Fatalf("%s: no email_code factor listed", ident)
			}
			signInObj(t, d.prepareFirstWith(si["id"].(string), in), "signInPrepareFirstFactor")
		}
		for _, c := range []struct {
			name  string
			ident string
			send  time.Duration
			want  []time.Duration
		}{
			{"a decoy waits the whole floor", "nobody@example.com", 0, []time.Duration{floor}},
			{"a send of 400 ms waits the rest", "somebody@example.com", 400 * time.Millisecond, []time.Duration{600 * time.Millisecond}},
			{"a send slower than the floor does not wait", "somebody@example.com", 1200 * time.Millisecond, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				waits, send = nil, c.send
				s.clock.Advance(time.Minute) // past the resend cooldown
				prepare(c.ident)
				if !slices.Equal(waits, c.want) {
					t.Fatalf("waited %v, want %v", waits, c.want)
				}
			})
		}
		t.Run("a reset's signInCreate, which sends the code, waits too", func(t *testing.T) {
			waits, send = nil, 0
			signInObj(t, s.browser().create(vars{"identifier": "nobody-reset@example.com", "strategy": "reset_password_email_code"}), "signInCreate")
			if !slices.Equal(waits, []time.Duration{floor}) {
				t.Fatalf("waited %v, want [%v]", waits, floor)
			}
		})
		t.Run("a sign-up's verification waits, for a taken address and a free one", func(t *testing.T) {
			for _, email := range []string{"somebody@example.com", "newcomer@example.com"} {
				waits, send = nil, 300*time.Millisecond
				d := s.browser()
				id := d.do(`mutation($e: String!) { signUpCreate(input: {emailAddress: $e, password: "another good passphrase"}) { id } }`,
					vars{"e": email}).data(t)["signUpCreate"].(map[string]any)["id"]
				d.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { id } }`, vars{"id": id}).data(t)
				if want := []time.Duration{700 * time.Millisecond}; !slices.Equal(waits, want) {
					t.Fatalf("%s: waited %v, want %v", email, waits, want)
				}
			}
		})
		t.Run("without enumeration protection nothing waits", func(t *testing.T) {
			s.setSettings(t, vars{"enumerationProtection": false})
			waits, send = nil, 0
			s.clock.Advance(time.Minute)
			prepare("somebody@example.com")
			if len(waits) != 0 {
				t.Fatalf("waited %v", waits)
			}
		})
	})
}

// TestSignUpEnumerationProtection checks that, with enumeration protection
// on, a sign-up for an email address or phone number that already has an
// account cannot be told from one for a free address by the answers or the
// statements the server runs (create, prepare, resends within and after the
// cooldown, wrong codes until the verification fails), while the address's
// owner is told by the notice that goes out in place of each code; that no
// code can complete such a sign-up; that a free address still signs up; and
// that a taken username is still refused at once.
func TestSignUpEnumerationProtection(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"enumerationProtection": true, "phoneEnabled": true, "usernameEnabled": true})
		s.newUser(t, vars{"emailAddress": "known@example.com", "phoneNumber": "+15555550123", "phoneVerified": true,
			"username": "taken_name", "password": "correct horse battery"})
		s.recordStatements.Store(true)

		const (
			createQ  = `mutation($in: SignUpCreateInput!) { signUpCreate(input: $in) { id status unverifiedFields createdUserId } }`
			prepareQ = `mutation($id: ID!, $s: String!) { signUpPrepareVerification(id: $id, strategy: $s) { status unverifiedFields } }`
			attemptQ = `mutation($id: ID!, $s: String!, $c: String!) { signUpAttemptVerification(id: $id, strategy: $s, code: $c) { status unverifiedFields createdUserId } }`
		)
		// answer is an error code, or the sign-up's fields but its id.
		answer := func(t *testing.T, r result, op string) string {
			t.Helper()
			if len(r.Errors) > 0 {
				return fmt.Sprintf("%s %s %v", r.code(t), r.Errors[0].Message, r.ext(t)["meta"])
			}
			su := maps.Clone(r.data(t)[op].(map[string]any))
			delete(su, "id")
			return fmt.Sprint(su)
		}
		// run signs up with in, prepares strategy's verification, asks again
		// within the resend cooldown and after it, then attempts wrong codes
		// until the verification has failed. It returns every answer with
		// the statements the server ran for it, the kinds and texts of the
		// messages sent to to, and the verification's row.
		type step struct {
			name, answer string
			statements   []string
		}
		type trace struct {
			steps    []step
			messages []delivery.Message
			ver      *ent.Verification
		}
		run := func(t *testing.T, in vars, strategy, to string) trace {
			t.Helper()
			d := s.browser()
			var tr trace
			do := func(name, op, q string, v vars) result {
				t.Helper()
				r := d.do(q, v)
				tr.steps = append(tr.steps, step{name, answer(t, r, op), s.statementsOf(r)})
				return r
			}
			sent := s.mail.count(to)
			id := do("create", "signUpCreate", createQ, vars{"in": in}).data(t)["signUpCreate"].(map[string]any)["id"].(string)
			do("prepare", "signUpPrepareVerification", prepareQ, vars{"id": id, "s": strategy})
			do("prepare again at once", "signUpPrepareVerification", prepareQ, vars{"id": id, "s": strategy})
			s.clock.Advance(31 * time.Second)
			do("prepare after the cooldown", "signUpPrepareVerification", prepareQ, vars{"id": id, "s": strategy})
			su := s.m.DB.Ent.SignUp.GetX(context.Background(), id)
			vid := su.EmailVerificationID
			if strategy == "phone_code" {
				vid = su.PhoneVerificationID
			}
			tr.ver = s.m.DB.Ent.Verification.GetX(context.Background(), *vid) // before the attempts fail it
			for i := 0; i < 6; i++ {
				do(fmt.Sprintf("wrong code %d", i+1), "signUpAttemptVerification", attemptQ, vars{"id": id, "s": strategy, "c": fmt.Sprintf("%06d", i)})
			}
			s.mail.mu.Lock()
			for _, m := range s.mail.msgs {
				if m.To == to {
					tr.messages = append(tr.messages, m)
				}
			}
			s.mail.mu.Unlock()
			tr.messages = tr.messages[sent:]
			return tr
		}

		for _, tc := range []struct {
			name, strategy string
			taken, free    vars
			takenTo        string
			freeTo         string
			takenKind      string
		}{
			{"email address", "email_code",
				vars{"emailAddress": "Known@Example.com", "password": "another good passphrase"},
				vars{"emailAddress": "fresh@example.com", "password": "another good passphrase"},
				"known@example.com", "fresh@example.com", "account_exists"},
			{"phone number", "phone_code",
				vars{"emailAddress": "fresh2@example.com", "phoneNumber": "+15555550123", "password": "another good passphrase"},
				vars{"emailAddress": "fresh3@example.com", "phoneNumber": "+15555550199", "password": "another good passphrase"},
				"+15555550123", "+15555550199", "account_exists"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				taken, free := run(t, tc.taken, tc.strategy, tc.takenTo), run(t, tc.free, tc.strategy, tc.freeTo)
				for i, st := range free.steps {
					tk := taken.steps[i]
					if tk.answer != st.answer {
						t.Errorf("%s: answers differ:\ntaken %s\nfree  %s", st.name, tk.answer, st.answer)
					}
					if !slices.Equal(tk.statements, st.statements) || len(st.statements) == 0 {
						t.Errorf("%s: statements differ (%d against %d):\ntaken %q\nfree  %q", st.name,
							len(tk.statements), len(st.statements), tk.statements, st.statements)
					}
				}
				if len(taken.messages) != 2 || len(free.messages) != 2 {
					t.Fatalf("%d messages to the taken address and %d to the free one, want 2 each (a send and a resend)",
						len(taken.messages), len(free.messages))
				}
				for i := range 2 {
					if m := free.messages[i]; m.Kind != "verification_code" || codeRe.FindString(m.Text) == "" {
						t.Errorf("free address got a %s message %q, want a verification code", m.Kind, m.Text)
					}
					if m := taken.messages[i]; m.Kind != tc.takenKind || codeRe.FindString(m.Text) != "" || !strings.Contains(m.Text, "already registered") {
						t.Errorf("taken address got a %s message %q, want the account_exists notice without a code", m.Kind, m.Text)
					}
				}
				// No code can complete the taken address's sign-up: the
				// digest of its verification (as resent) is none of the
				// million codes'.
				if taken.ver.CodeHash == nil || len(*taken.ver.CodeHash) == 0 {
					t.Fatal("the taken address's verification has no digest")
				}
				for n := range 1_000_000 {
					h, err := factor.HashCode(s.m.Keys, taken.ver.ID, fmt.Sprintf("%06d", n))
					if err != nil {
						t.Fatal(err)
					}
					if factor.CodeHashEqual(h, *taken.ver.CodeHash) {
						t.Fatalf("the code %06d passes the taken address's verification", n)
					}
				}
			})
		}

		t.Run("a free address signs up as before", func(t *testing.T) {
			d := s.browser()
			id := d.do(createQ, vars{"in": vars{"emailAddress": "newcomer@example.com", "password": "another good passphrase"}}).
				data(t)["signUpCreate"].(map[string]any)["id"]
			d.do(prepareQ, vars{"id": id, "s": "email_code"}).data(t)
			done := d.do(attemptQ, vars{"id": id, "s": "email_code", "c": s.mail.code(t, "newcomer@example.com")}).
				data(t)["signUpAttemptVerification"].(map[string]any)
			if done["status"] != "complete" || done["createdUserId"] == nil {
				t.Fatalf("sign-up = %v, want complete", done)
			}
		})

		t.Run("a taken username is refused at once", func(t *testing.T) {
			r := s.browser().do(createQ, vars{"in": vars{"emailAddress": "other@example.com", "username": "taken_name", "password": "another good passphrase"}})
			if got := r.code(t); got != "form_identifier_exists" || r.ext(t)["paramName"] != "username" {
				t.Fatalf("code = %s ext %v, want form_identifier_exists for username", got, r.ext(t))
			}
		})

		t.Run("without protection a taken address is refused at once", func(t *testing.T) {
			s.setSettings(t, vars{"enumerationProtection": false})
			r := s.browser().do(createQ, vars{"in": vars{"emailAddress": "known@example.com", "password": "another good passphrase"}})
			if got := r.code(t); got != "form_identifier_exists" {
				t.Fatalf("code = %s, want form_identifier_exists", got)
			}
		})
	})
}

// wantWithheld checks that sign-in signInID's code prepare was recorded as
// withheld for reason, under the account's id when ofAccount, and that no
// code.sent was recorded for it.
func wantWithheld(t *testing.T, s *server, signInID, reason string, ofAccount bool) {
	t.Helper()
	var got []signInEvent
	for _, e := range s.events(t, nil) {
		if e.SignInID == signInID && strings.HasPrefix(e.Kind, "code.") {
			got = append(got, e)
		}
	}
	if len(got) != 1 || got[0].Kind != "code.withheld" || got[0].Reason != reason || got[0].Outcome != "info" {
		t.Fatalf("code events of the sign-in: %+v, want one code.withheld (info) for %s", got, reason)
	}
	if (got[0].UserID != "") != ofAccount {
		t.Errorf("code.withheld userId %q; of an account: %v", got[0].UserID, ofAccount)
	}
}
