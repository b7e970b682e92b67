package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// failedAttempts reads the user's failure count from the database.
func (s *server) failedAttempts(tb testing.TB, userID string) int {
	tb.Helper()
	return s.userRow(tb, userID).FailedAttempts
}

// lockoutMeta returns meta.lockoutExpiresInSeconds of a user_locked error, and whether it was present.
func lockoutMeta(t *testing.T, r result) (any, bool) {
	t.Helper()
	if got := r.code(t); got != "user_locked" {
		t.Fatalf("got %s, want user_locked", got)
	}
	meta, _ := r.ext(t)["meta"].(map[string]any)
	v, ok := meta["lockoutExpiresInSeconds"]
	return v, ok
}

func TestLockout(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		// Production-like hashing (not cheapHashes): the concurrent failures below
		// must overlap, each reading the user before the others commit.
		s := mustStart(t, dbURL)
		s.setSettings(t, vars{"clientTrustEnabled": false, "lockoutMaxAttempts": 5, "lockoutDurationSeconds": 600})

		t.Run("every failed password, TOTP, backup code and SMS code counts, even after the password passed", func(t *testing.T) {
			id := s.newUser(t, vars{"emailAddress": "lock@example.com"})
			owner := s.browser()
			owner.mustSession(t, "lock@example.com")
			secret, backup := owner.enrollTOTP(t)
			phoneID := owner.enrollPhoneMFA(t, "+15550500001")
			s.clock.Advance(30 * time.Second)
			count := func(want int) {
				t.Helper()
				if got := s.failedAttempts(t, id); got != want {
					t.Fatalf("got %d failed attempts, want %d", got, want)
				}
			}

			d := s.browser()
			if got := d.signIn("lock@example.com", "wrong password 1").code(t); got != "form_password_incorrect" {
				t.Fatalf("got %s, want form_password_incorrect", got)
			}
			count(1)
			si := signInObj(t, d.signIn("lock@example.com", testPassword), "signInCreate")
			if si["status"] != "needs_second_factor" {
				t.Fatalf("got %v, want needs_second_factor", si["status"])
			}
			sid := si["id"].(string)
			count(1) // a first factor is not a successful sign-in
			if got := d.attemptSecond(sid, "totp", wrongCode(totpNow(s, secret, 0))).code(t); got != "form_code_incorrect" {
				t.Fatalf("got %s, want form_code_incorrect", got)
			}
			count(2)
			if got := d.attemptSecond(sid, "backup_code", "aaaa-bbbb-cccc").code(t); got != "form_code_incorrect" {
				t.Fatalf("got %s, want form_code_incorrect", got)
			}
			count(3)
			signInObj(t, d.prepareSecondWith(sid, vars{"strategy": "phone_code", "phoneNumberId": phoneID}), "signInPrepareSecondFactor")
			if got := d.attemptSecond(sid, "phone_code", wrongCode(s.mail.code(t, "+15550500001"))).code(t); got != "form_code_incorrect" {
				t.Fatalf("got %s, want form_code_incorrect", got)
			}
			count(4)

			// From another device: a new sign-in on d would replace sid.
			v, ok := lockoutMeta(t, s.browser().signIn("lock@example.com", "wrong password 5"))
			if !ok || v != float64(600) {
				t.Fatalf("the 5th failure: got lockoutExpiresInSeconds %v, want 600", v)
			}
			count(5)
			s.clock.Advance(100 * time.Second)
			if v, _ := lockoutMeta(t, owner.signIn("lock@example.com", testPassword)); v != float64(500) {
				t.Errorf("the right password while locked: got lockoutExpiresInSeconds %v, want 500", v)
			}
			if v, _ := lockoutMeta(t, d.attemptSecond(sid, "backup_code", backup[0])); v != float64(500) {
				t.Errorf("a right backup code while locked: got lockoutExpiresInSeconds %v, want 500", v)
			}
			u := s.admin(`query($id: ID!) { user(id: $id) { locked lockoutExpiresInSeconds } }`, vars{"id": id}).data(t)["user"].(map[string]any)
			if u["locked"] != true || u["lockoutExpiresInSeconds"] != float64(500) {
				t.Errorf("admin view: got %v, want locked for 500 s", u)
			}

			s.clock.Advance(501 * time.Second)
			d2, sid2 := mfaSignIn(t, s, "lock@example.com")
			si = signInObj(t, d2.attemptSecond(sid2, "totp", totpNow(s, secret, 0)), "signInAttemptSecondFactor")
			if si["status"] != "complete" {
				t.Fatalf("after the lockout: got %v, want complete", si["status"])
			}
			count(0)
			if got := s.browser().signIn("lock@example.com", "wrong again").code(t); got != "form_password_incorrect" {
				t.Fatalf("a failure after the reset: got %s, want form_password_incorrect", got)
			}
			count(1)
		})

		t.Run("a wrong Client Trust code counts", func(t *testing.T) {
			s.setSettings(t, vars{"clientTrustEnabled": true})
			defer s.setSettings(t, vars{"clientTrustEnabled": false})
			id := s.newUser(t, vars{"emailAddress": "lockct@example.com"})
			if got := s.browser().signIn("lockct@example.com", "wrong password").code(t); got != "form_password_incorrect" {
				t.Fatalf("got %s, want form_password_incorrect", got)
			}
			d, sid, _ := ctChallenge(t, s, "lockct@example.com")
			if got := d.attemptSecond(sid, "email_code", wrongCode(s.mail.code(t, "lockct@example.com"))).code(t); got != "form_code_incorrect" {
				t.Fatalf("got %s, want form_code_incorrect", got)
			}
			if got := s.failedAttempts(t, id); got != 2 {
				t.Fatalf("got %d failed attempts, want 2 (a password and a code)", got)
			}
		})

		t.Run("without a duration the lock lasts until an admin unlocks", func(t *testing.T) {
			s.setSettings(t, vars{"lockoutDurationSeconds": nil})
			defer s.setSettings(t, vars{"lockoutDurationSeconds": 600})
			id := s.newUser(t, vars{"emailAddress": "forever@example.com"})
			d := s.browser()
			for i := 1; i < 5; i++ {
				d.signIn("forever@example.com", "wrong password")
			}
			v, ok := lockoutMeta(t, d.signIn("forever@example.com", "wrong password"))
			if !ok || v != nil {
				t.Fatalf("got lockoutExpiresInSeconds %v (present %v), want null", v, ok)
			}
			s.clock.Advance(30 * 24 * time.Hour)
			if _, ok := lockoutMeta(t, d.signIn("forever@example.com", testPassword)); !ok {
				t.Fatal("a month later: want user_locked with lockoutExpiresInSeconds")
			}
			s.admin(`mutation($id: ID!) { unlockUser(id: $id) { id } }`, vars{"id": id}).data(t)
			if got := d.signInStatus(t, "forever@example.com", testPassword); got != "complete" {
				t.Fatalf("after unlockUser: got %s, want complete", got)
			}
			if got := s.failedAttempts(t, id); got != 0 {
				t.Fatalf("got %d failed attempts after unlock, want 0", got)
			}
		})

		t.Run("concurrent failures count exactly", func(t *testing.T) {
			s.setSettings(t, vars{"lockoutMaxAttempts": 10})
			defer s.setSettings(t, vars{"lockoutMaxAttempts": 5})
			id := s.newUser(t, vars{"emailAddress": "burst@example.com"})
			const n = 10
			codes := make([]string, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r := s.browser().signIn("burst@example.com", "wrong password")
					if len(r.Errors) > 0 {
						codes[i], _ = r.Errors[0].Extensions["code"].(string)
					}
				}()
			}
			close(start)
			wg.Wait()
			locked := 0
			for _, c := range codes {
				switch c {
				case "user_locked":
					locked++
				case "form_password_incorrect":
				default:
					t.Errorf("got %q from a concurrent attempt, want form_password_incorrect or user_locked", c)
				}
			}
			if got := s.failedAttempts(t, id); got != n {
				t.Errorf("got %d failed attempts, want %d", got, n)
			}
			if locked != 1 {
				t.Errorf("got %d user_locked answers, want 1 (the 10th failure)", locked)
			}
			if ev := s.events(t, vars{"userId": id, "kind": "user.locked"}); len(ev) != 1 {
				t.Errorf("got %d user.locked events, want 1", len(ev))
			}
			if _, ok := lockoutMeta(t, s.browser().signIn("burst@example.com", testPassword)); !ok {
				t.Error("the 11th attempt: want user_locked with lockoutExpiresInSeconds")
			}

			// Once the lock expired, concurrent failures start one new count together.
			s.clock.Advance(601 * time.Second)
			burst := func(k int) {
				var wg sync.WaitGroup
				for range k {
					wg.Add(1)
					go func() {
						defer wg.Done()
						s.browser().signIn("burst@example.com", "wrong password")
					}()
				}
				wg.Wait()
			}
			burst(4)
			if got := s.failedAttempts(t, id); got != 4 {
				t.Errorf("after the lock expired: got %d failed attempts, want 4", got)
			}
		})
	})
}

// TestUnknownIdentifierLockout checks that, with enumeration protection on,
// an identifier that names no account locks as an account does: the same
// answers, step by step, to wrong passwords, wrong codes of a decoy code
// factor, attempts while locked and the first failure after the lock
// expired, and a user.locked event for the auditors. Without enumeration
// protection an unknown identifier says so and keeps no counter.
func TestUnknownIdentifierLockout(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"enumerationProtection": true, "clientTrustEnabled": false,
			"lockoutMaxAttempts": 5, "lockoutDurationSeconds": 600})
		s.newUser(t, vars{"emailAddress": "known@example.com"})

		// answer is what the requester sees of a result: the error code and
		// lockoutExpiresInSeconds, or the sign-in's status.
		answer := func(r result, op string) string {
			t.Helper()
			if len(r.Errors) == 0 {
				return fmt.Sprint(signInObj(t, r, op)["status"])
			}
			meta, _ := r.ext(t)["meta"].(map[string]any)
			return fmt.Sprintf("%s %v", r.code(t), meta["lockoutExpiresInSeconds"])
		}
		// codeAttempt prepares the email code first factor the identifier
		// lists and attempts it with a wrong code; it returns the answers to
		// both.
		// keep records the statements the server ran for r, a step of
		// ident's, to compare the two identifiers' work below.
		s.recordStatements.Store(true)
		type step struct {
			name       string
			statements []string
		}
		steps := map[string][]step{}
		keep := func(ident, name string, r result) result {
			steps[ident] = append(steps[ident], step{name, s.statementsOf(r)})
			return r
		}
		codeAttempt := func(ident string) []string {
			d := s.browser()
			si := signInObj(t, keep(ident, "create", d.create(vars{"identifier": ident})), "signInCreate")
			in := factorInput(si["supportedFirstFactors"], "email_code")
			if in == nil {
				t.Fatalf("%s lists no email_code factor", ident)
			}
			id := si["id"].(string)
			prepared := answer(keep(ident, "prepare", d.prepareFirstWith(id, in)), "signInPrepareFirstFactor")
			if prepared != "needs_first_factor" {
				return []string{prepared}
			}
			// A code went out, or a decoy answered: their statements differ,
			// and TRUSTGATE_CODE_SEND_FLOOR evens their time (TestCodePrepareFloor).
			steps[ident][len(steps[ident])-1].name = "prepare (sent)"
			return []string{prepared, answer(keep(ident, "wrong code", d.attemptFirstWith(id, vars{"strategy": "email_code", "code": "000000"})), "signInAttemptFirstFactor")}
		}
		// password signs in with a wrong password and answers with the
		// number of password hashes the attempt ran, so that a locked
		// identifier is seen to cost no hash, known or not.
		password := func(d *browser, ident, pw string) string {
			before := s.m.Hasher.Stats().Done
			r := keep(ident, "password", d.signIn(ident, pw))
			return fmt.Sprintf("%s (%d hash)", answer(r, "signInCreate"), s.m.Hasher.Stats().Done-before)
		}
		script := func(ident string) []string {
			d := s.browser()
			var out []string
			out = append(out, password(d, ident, "wrong password 1"))
			out = append(out, codeAttempt(ident)...)
			for _, pw := range []string{"wrong password 3", "wrong password 4", "wrong password 5"} {
				out = append(out, password(d, ident, pw))
			}
			s.clock.Advance(100 * time.Second)
			out = append(out, password(d, ident, "wrong password 6"))
			out = append(out, codeAttempt(ident)...)
			s.clock.Advance(501 * time.Second)
			out = append(out, password(d, ident, "wrong password 7"))
			return out
		}
		want := []string{
			"form_password_or_identifier_incorrect <nil> (1 hash)",
			"needs_first_factor", "form_code_incorrect <nil>",
			"form_password_or_identifier_incorrect <nil> (1 hash)",
			"form_password_or_identifier_incorrect <nil> (1 hash)",
			"user_locked 600 (1 hash)",
			"user_locked 500 (0 hash)",
			"user_locked 500",
			"form_password_or_identifier_incorrect <nil> (1 hash)",
		}
		for _, ident := range []string{"known@example.com", "nobody@example.com"} {
			if got := script(ident); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s:\n got %q\nwant %q", ident, got, want)
			}
			locked := s.events(t, vars{"identifier": ident, "kind": "user.locked"})
			if len(locked) != 1 || locked[0].Reason != "too_many_failed_attempts" {
				t.Errorf("%s: user.locked events %+v, want one", ident, locked)
			}
			if n := len(s.events(t, vars{"identifier": ident, "kind": "user.locked_rejected"})); n != 2 {
				t.Errorf("%s: %d user.locked_rejected events, want 2", ident, n)
			}
		}
		// Every step but a code send ran as many statements for the account
		// as for the unknown address (their texts differ only in the
		// columns set and the rows found).
		known, unknown := steps["known@example.com"], steps["nobody@example.com"]
		if len(known) != len(unknown) {
			t.Fatalf("%d steps for the account, %d for the unknown address", len(known), len(unknown))
		}
		for i, k := range known {
			u := unknown[i]
			if k.name == "prepare (sent)" {
				continue
			}
			if len(k.statements) == 0 || len(k.statements) != len(u.statements) {
				t.Errorf("step %d (%s): %d statements for the account, %d for the unknown address:\n%s\n--\n%s",
					i+1, k.name, len(k.statements), len(u.statements), strings.Join(k.statements, "\n"), strings.Join(u.statements, "\n"))
			}
		}

		t.Run("without enumeration protection nothing is counted", func(t *testing.T) {
			s.setSettings(t, vars{"enumerationProtection": false})
			before := s.m.DB.Ent.IdentifierLockout.Query().CountX(context.Background())
			d := s.browser()
			for range 4 {
				if got := d.signIn("nobody2@example.com", "wrong password").code(t); got != "form_identifier_not_found" {
					t.Fatalf("got %s, want form_identifier_not_found", got)
				}
			}
			if after := s.m.DB.Ent.IdentifierLockout.Query().CountX(context.Background()); after != before {
				t.Fatalf("lockout counters went from %d to %d", before, after)
			}
		})
	})
}
