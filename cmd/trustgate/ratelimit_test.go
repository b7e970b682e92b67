package main

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func TestRateLimits(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		s.setOverrides(t, map[string]any{"rateLimitSignInsPerIp": 5, "rateLimitAttemptsPerIp": 3, "rateLimitIdentifierPerMinute": 10})
		s.createUser(t, "ada@example.com", "", "correct horse battery")
		d := s.browser()

		t.Run("the sixth sign-in from one IP within 10 s is refused", func(t *testing.T) {
			for i := 0; i < 5; i++ {
				if r := d.signIn("ada@example.com", "wrong password "+fmt.Sprint(i)); r.code(t) != "form_password_incorrect" {
					t.Fatalf("attempt %d: code %s", i+1, r.code(t))
				}
			}
			r := d.signIn("ada@example.com", "correct horse battery")
			if got := r.code(t); got != "too_many_requests" {
				t.Fatalf("6th sign-in: code = %s, want too_many_requests", got)
			}
			meta, _ := r.ext(t)["meta"].(map[string]any)
			if secs, _ := meta["retryAfterSeconds"].(float64); secs < 1 || secs > 10 {
				t.Fatalf("meta.retryAfterSeconds = %v, want 1..10", meta["retryAfterSeconds"])
			}
			if r.header.Get("Retry-After") == "" {
				t.Fatal("no Retry-After header")
			}
		})
		t.Run("the window's first refusal is in the sign-in history, once", func(t *testing.T) {
			if got := d.signIn("ada@example.com", "correct horse battery").code(t); got != "too_many_requests" {
				t.Fatalf("7th sign-in: code = %s, want too_many_requests", got)
			}
			ev := s.events(t, vars{"kind": "rate_limited"})
			if len(ev) != 1 {
				t.Fatalf("%d rate_limited events after two refusals in one window, want 1: %+v", len(ev), ev)
			}
			if e := ev[0]; e.Outcome != "failure" || e.Reason != "signInCreate:ip" || e.IP == "" {
				t.Fatalf("rate_limited event = %+v, want a failure with reason signInCreate:ip and the IP", e)
			}
			resp := s.getWith(t, "/metrics", nil)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(body), `trustgate_rate_limited_total{rule="signInCreate:ip"} 2`) {
				t.Errorf("/metrics does not count the 2 refusals:\n%s", grepLines(string(body), "rate_limited"))
			}
			// The five wrong passwords, as an operator's alert on a
			// credential-stuffing wave would read them, and the pool's use.
			for _, want := range []string{
				`trustgate_sign_in_events_total{kind="password.failed",outcome="failure",strategy="password"} 5`,
				`trustgate_sign_in_events_total{kind="rate_limited",outcome="failure",strategy="none"} 1`,
				`go_sql_max_open_connections{db_name="trustgate"}`,
				"trustgate_password_hash_hold_seconds ",
			} {
				if !strings.Contains(string(body), want) {
					t.Errorf("/metrics lacks %s:\n%s", want, grepLines(string(body), "trustgate_sign_in_events_total"))
				}
			}
			// SQLite's one writer: the sign-ins above wrote through it; there
			// is no such writer on PostgreSQL.
			writes := grepLines(string(body), "trustgate_sqlite_writes_total ")
			writes = writes[strings.LastIndex(writes, "\n")+1:]
			if s.m.DB.IsSQLite() {
				var n int
				if _, err := fmt.Sscanf(writes, "trustgate_sqlite_writes_total %d", &n); err != nil || n < 7 {
					t.Errorf("/metrics: %q, want at least the 7 sign-ins' write transactions", writes)
				}
				for _, want := range []string{"trustgate_sqlite_writer_busy_seconds_total ", "trustgate_sqlite_writer_wait_seconds_total ",
					"trustgate_sqlite_writes_abandoned_total 0", "trustgate_sqlite_writes_waiting 0"} {
					if !strings.Contains(string(body), want) {
						t.Errorf("/metrics lacks %s:\n%s", want, grepLines(string(body), "trustgate_sqlite"))
					}
				}
			} else if strings.Contains(string(body), "trustgate_sqlite") {
				t.Errorf("/metrics on PostgreSQL has SQLite's writer:\n%s", grepLines(string(body), "trustgate_sqlite"))
			}
		})
		t.Run("the budget comes back in the next window", func(t *testing.T) {
			s.clock.Advance(10 * time.Second)
			if r := d.signIn("ada@example.com", "correct horse battery"); len(r.Errors) > 0 && r.code(t) == "too_many_requests" {
				t.Fatal("still limited in the next window")
			}
		})
		t.Run("aliased attempts count one by one", func(t *testing.T) {
			s.clock.Advance(10 * time.Second)
			var b strings.Builder
			b.WriteString("mutation {")
			for i := 0; i < 5; i++ {
				fmt.Fprintf(&b, ` a%d: signInAttemptSecondFactor(id: "sia_x", input: {strategy: "email_code", code: "00000%d"}) { id }`, i, i)
			}
			b.WriteString(" }")
			r := d.do(b.String(), nil)
			limited := 0
			for _, e := range r.Errors {
				if e.Extensions["code"] == "too_many_requests" {
					limited++
				}
			}
			if limited != 2 {
				t.Fatalf("%d of 5 aliased attempts were rate limited, want 2 (budget 3)", limited)
			}
		})
	})
}

// TestIdentifierBudgetSparesTrustedDevices: an attacker spending an account's
// per-identifier budget from new devices does not lock its owner out of a
// device the account trusts, whose sign-ins spend a budget of their own.
func TestIdentifierBudgetSparesTrustedDevices(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	s.createUser(t, "ada@example.com", "", "correct horse battery")
	home := s.browser()
	si := signInObj(t, home.signIn("ada@example.com", "correct horse battery"), "signInCreate")
	home.prepareSecond(si["id"].(string), "email_code").data(t)
	home.attemptSecond(si["id"].(string), "email_code", s.mail.code(t, "ada@example.com")).data(t)
	s.setOverrides(t, map[string]any{"rateLimitIdentifierPerMinute": 10, "lockoutMaxAttempts": 100})

	for i := 0; i < 10; i++ { // an attacker spends the account's budget from new devices
		s.browser().signIn("ada@example.com", fmt.Sprintf("guess %d!", i))
	}
	if got := s.browser().signIn("ada@example.com", "guess again").code(t); got != "too_many_requests" {
		t.Fatalf("11th attempt from a new device: code = %s, want too_many_requests", got)
	}
	r := home.signIn("ada@example.com", "correct horse battery")
	if si := signInObj(t, r, "signInCreate"); si["status"] != "complete" {
		t.Fatalf("the owner's trusted device: status = %v, want complete", si["status"])
	}
	// Sign-up spends the same budget: it cannot be used to probe the address either.
	su := s.browser().do(`mutation { signUpCreate(input: {emailAddress: "Ada@Example.com", password: "correct horse battery staple"}) { id } }`, nil)
	if got := su.code(t); got != "too_many_requests" {
		t.Fatalf("signUpCreate for the same address: code = %s, want too_many_requests", got)
	}
	ev := s.events(t, vars{"kind": "rate_limited"})
	if len(ev) != 1 {
		t.Fatalf("%d rate_limited events after three refusals in one window, want 1: %+v", len(ev), ev)
	}
	if e := ev[0]; e.Reason != "identifier" || e.UserID != s.userIDByEmail(t, "ada@example.com") || e.Identifier == "" || e.Identifier == "ada@example.com" || e.ClientID == "" {
		t.Fatalf("rate_limited event = %+v, want reason identifier, ada's user id, a masked identifier and the client", e)
	}
	// The trusted devices have a budget of their own, of the same size: such
	// a sign-in hashes in the pool's priority lane, which an account's own
	// devices (an attacker's, on an account of theirs) may not fill.
	for i := 2; i <= 10; i++ {
		if si := signInObj(t, home.signIn("ada@example.com", "correct horse battery"), "signInCreate"); si["status"] != "complete" {
			t.Fatalf("the trusted device's sign-in %d: status = %v, want complete", i, si["status"])
		}
	}
	if got := home.signIn("ada@example.com", "correct horse battery").code(t); got != "too_many_requests" {
		t.Fatalf("the trusted device's 11th sign-in in a minute: code = %s, want too_many_requests", got)
	}
	s.clock.Advance(time.Minute)
	if si := signInObj(t, home.signIn("ada@example.com", "correct horse battery"), "signInCreate"); si["status"] != "complete" {
		t.Fatalf("the trusted device a minute later: status = %v, want complete", si["status"])
	}
}

// grepLines returns the lines of text that contain sub.
func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSignUpSpendsEveryIdentifier: a sign-up spends the budget of each
// identifier it names, so a taken phone number cannot be probed through
// sign-up's clash check behind fresh email addresses.
func TestSignUpSpendsEveryIdentifier(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	s.setOverrides(t, map[string]any{"rateLimitIdentifierPerMinute": 2, "rateLimitSignInsPerIp": 100})
	s.createUser(t, "victim@example.com", "+15550100042", "correct horse battery")
	probe := func(i int) result {
		return s.browser().do(`mutation($e: String!) { signUpCreate(input: {emailAddress: $e, phoneNumber: "+15550100042", password: "correct horse battery staple"}) { id } }`,
			vars{"e": fmt.Sprintf("probe%d@example.com", i)})
	}
	for i := 1; i <= 2; i++ {
		if got := probe(i).code(t); got != "form_identifier_exists" {
			t.Fatalf("probe %d: code = %s, want form_identifier_exists", i, got)
		}
	}
	if got := probe(3).code(t); got != "too_many_requests" {
		t.Fatalf("probe 3 of the same phone number: code = %s, want too_many_requests", got)
	}
}

// TestSignUpWeakPasswordSpendsNothing: a password the rules refuse is
// answered before the identifier's budget is spent, so fixing the password
// is not held back by the attempts that came before.
func TestSignUpWeakPasswordSpendsNothing(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setOverrides(t, map[string]any{"rateLimitIdentifierPerMinute": 2, "rateLimitSignInsPerIp": 100})
	d := s.browser()
	up := func(password string) result {
		return d.do(`mutation($p: String!) { signUpCreate(input: {emailAddress: "careful@example.com", password: $p}) { id status } }`, vars{"p": password})
	}
	for i := 0; i < 3; i++ {
		if got := up("short").code(t); got != "form_password_length_too_short" {
			t.Fatalf("weak password %d: code = %s, want form_password_length_too_short", i+1, got)
		}
	}
	if r := up("a long enough passphrase"); len(r.Errors) > 0 {
		t.Fatalf("a good password after three weak ones: %v", r.Errors)
	}
}

// TestMessagesPerRecipientAreBounded: the codes and notices one address gets
// are bounded per hour, however many sign-ins and sign-ups ask (mail bombing,
// SMS pumping). Under enumeration protection an address with an account and
// one without are refused alike, and a sign-up's account_exists notice
// counts as a code does.
func TestMessagesPerRecipientAreBounded(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		const limit = 3
		s.setOverrides(t, map[string]any{"rateLimitMessagesPerRecipientPerHour": limit, "enumerationProtection": true})
		bombedID := s.createUser(t, "bombed@example.com", "", "correct horse battery")
		s.createUser(t, "bystander@example.com", "", "correct horse battery")

		// send starts a code sign-in for ident on a new browser and
		// prepares its email code; it returns the prepare's error code.
		send := func(ident string) string {
			t.Helper()
			d := s.browser()
			si := signInObj(t, d.create(vars{"identifier": ident}), "signInCreate")
			r := d.prepareFirstWith(si["id"].(string), factorInput(si["supportedFirstFactors"], "email_code"))
			if len(r.Errors) == 0 {
				return ""
			}
			if got := r.code(t); got == "too_many_requests" {
				meta, _ := r.ext(t)["meta"].(map[string]any)
				if secs, _ := meta["retryAfterSeconds"].(float64); secs < 1 || secs > 3600 {
					t.Fatalf("meta.retryAfterSeconds = %v, want 1..3600", meta["retryAfterSeconds"])
				}
			}
			return r.code(t)
		}
		for _, ident := range []string{"bombed@example.com", "nobody@example.com"} {
			for i := range limit {
				if got := send(ident); got != "" {
					t.Fatalf("%s: send %d answered %s, want it sent", ident, i+1, got)
				}
			}
			if got := send(ident); got != "too_many_requests" {
				t.Fatalf("%s: send %d answered %q, want too_many_requests", ident, limit+1, got)
			}
		}
		if got := s.mail.count("bombed@example.com"); got != limit {
			t.Fatalf("bombed@example.com got %d messages, want %d", got, limit)
		}
		refusals := 0
		for _, e := range s.events(t, vars{"kind": "rate_limited"}) {
			if e.Reason == "recipient" && e.Identifier != "" {
				refusals++
			}
		}
		if refusals != 2 {
			t.Errorf("%d rate_limited events for the recipient budget, want one per address", refusals)
		}

		t.Run("a username's reset counts against the username, not the address it goes to", func(t *testing.T) {
			// bombed@example.com's budget is spent; a reset typed as its
			// account's username answers as one for an unknown username
			// does, or the refusal would tell whose address it is.
			s.setOverrides(t, map[string]any{"usernameEnabled": true})
			s.m.DB.Ent.User.UpdateOneID(bombedID).SetUsername("bombed_user").ExecX(t.Context())
			reset := func(ident string) string {
				r := s.browser().create(vars{"identifier": ident, "strategy": "reset_password_email_code"})
				if len(r.Errors) == 0 {
					return ""
				}
				return r.code(t)
			}
			before := s.mail.count("bombed@example.com")
			for i := range limit + 1 {
				account, unknown := reset("bombed_user"), reset("nobody_user")
				if account != unknown {
					t.Fatalf("reset %d by username: the account's answers %q, an unknown one's %q", i+1, account, unknown)
				}
			}
			if got := s.mail.count("bombed@example.com") - before; got != limit {
				t.Fatalf("%d resets by username reached the address, want %d (the username's budget)", got, limit)
			}
		})
		t.Run("a sign-up's notice to a taken address counts too", func(t *testing.T) {
			d := s.browser()
			su := d.do(`mutation { signUpCreate(input: {emailAddress: "bombed@example.com", password: "another good passphrase"}) { id } }`, nil).
				data(t)["signUpCreate"].(map[string]any)
			r := d.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { id } }`, vars{"id": su["id"]})
			if got := r.code(t); got != "too_many_requests" {
				t.Fatalf("sign-up prepare answered %s, want too_many_requests", got)
			}
		})
		t.Run("another address is not held back", func(t *testing.T) {
			if got := send("bystander@example.com"); got != "" {
				t.Fatalf("bystander: %s", got)
			}
		})
		t.Run("the next hour sends again", func(t *testing.T) {
			s.clock.Advance(time.Hour)
			if got := send("bombed@example.com"); got != "" {
				t.Fatalf("after an hour: %s", got)
			}
		})
	})
}

// TestIPv6BudgetsCountA64: the per-IP budgets count an IPv6 client by its
// /64, which one host is normally given whole: sign-ins from 20 addresses of
// one /64 within 10 s spend one budget, while another /64 keeps its own.
func TestIPv6BudgetsCountA64(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes, func(c *Config) { c.TrustedProxies = "127.0.0.1/32" })
	s.setOverrides(t, map[string]any{"rateLimitSignInsPerIp": 5})
	// create answers the error code of a sign-in from ip ("" for none);
	// any answer but too_many_requests passed the budget.
	create := func(ip string, i int) string {
		d := s.browser()
		d.header = map[string]string{"X-Forwarded-For": ip}
		r := d.do(`mutation($i: String!) { signInCreate(input: {identifier: $i}) { id } }`, vars{"i": fmt.Sprintf("u%d@example.com", i)})
		if len(r.Errors) == 0 {
			return ""
		}
		return r.code(t)
	}
	allowed := 0
	for i := range 20 {
		if create(fmt.Sprintf("2001:db8:1:2::%x", 0x100+i), i) != "too_many_requests" {
			allowed++
		}
	}
	if allowed != 5 {
		t.Fatalf("%d of 20 sign-ins from one /64 allowed, want 5", allowed)
	}
	if got := create("2001:db8:1:3::1", 99); got == "too_many_requests" {
		t.Fatal("the next /64 was refused too")
	}
}

// TestPasswordAttemptsSpendTheIdentifierBudget: passwords tried on one
// sign-in through signInAttemptFirstFactor, each from another IP, spend the
// identifier's budget as new sign-ins do; from a device the account trusts
// they spend a budget of their own, which the others cannot exhaust.
func TestPasswordAttemptsSpendTheIdentifierBudget(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes, func(c *Config) { c.TrustedProxies = "127.0.0.1/32" })
	s.setOverrides(t, map[string]any{"rateLimitIdentifierPerMinute": 3, "clientTrustEnabled": false})
	s.createUser(t, "ada@example.com", "", testPassword)
	d := s.browser()
	id := signInObj(t, d.create(vars{"identifier": "ada@example.com"}), "signInCreate")["id"].(string) // 1 of 3
	var got []string
	for i := range 3 {
		d.header = map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i+1)}
		got = append(got, d.attemptFirstWith(id, vars{"strategy": "password", "password": fmt.Sprintf("guess %d", i)}).code(t))
	}
	want := []string{"form_password_incorrect", "form_password_incorrect", "too_many_requests"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("password attempts from three IPs: %q, want %q", got, want)
	}

	s.clock.Advance(time.Minute)
	home := s.browser()
	home.mustSession(t, "ada@example.com") // 1 of 3; the device is trusted from now on
	for i := range 3 {                     // the others spend the rest, from new devices
		s.browser().signIn("ada@example.com", fmt.Sprintf("guess %d", i))
	}
	id = signInObj(t, home.create(vars{"identifier": "ada@example.com"}), "signInCreate")["id"].(string) // 1 of the device's 3
	got = nil
	for i := range 3 {
		got = append(got, home.attemptFirstWith(id, vars{"strategy": "password", "password": fmt.Sprintf("typo %d", i)}).code(t))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("password attempts on a trusted device, the others' budget spent: %q, want %q", got, want)
	}
}

// TestNewDeviceNoticesAreBounded: the new-device notice spends the
// recipient's budget like a code, so sign-ins from fresh clients (a leaked
// password where Client Trust is off) cannot flood the owner's inbox; a
// budget spent only skips the notice, and the sign-in still completes.
func TestNewDeviceNoticesAreBounded(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		const limit = 3
		s.setOverrides(t, map[string]any{"rateLimitMessagesPerRecipientPerHour": limit, "clientTrustEnabled": false})
		s.createUser(t, "noticed@example.com", "", testPassword)
		const kind = "new_device_sign_in"
		for i := range 2 * limit {
			s.clock.Advance(10 * time.Second) // a fresh per-IP window
			s.browser().mustSession(t, "noticed@example.com")
			if got, want := s.mail.countKind("noticed@example.com", kind), min(i+1, limit); got != want {
				t.Fatalf("after %d sign-ins on new devices: got %d notices, want %d", i+1, got, want)
			}
		}
		// The history shows the window's first skipped notice once, as any
		// first refusal of a budget.
		if ev := s.events(t, vars{"kind": "rate_limited"}); len(ev) != 1 || ev[0].Reason != "recipient" {
			t.Fatalf("rate_limited events = %+v, want one with reason recipient", ev)
		}
		s.clock.Advance(time.Hour)
		s.browser().mustSession(t, "noticed@example.com")
		if got := s.mail.countKind("noticed@example.com", kind); got != limit+1 {
			t.Fatalf("a sign-in an hour later: got %d notices, want %d", got, limit+1)
		}
	})
}

// TestNewClientsAreBoundedPerIP: a request without a client token that
// touches the client creates one, a row kept for its idle days, a query
// among them, which spends no other budget; so each IP may create as many
// clients in a window as it may start sign-ins, and a client that keeps its
// token spends nothing.
func TestNewClientsAreBoundedPerIP(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setOverrides(t, map[string]any{"rateLimitSignInsPerIp": 5})
		ctx := t.Context()
		before := s.m.DB.Ent.Device.Query().CountX(ctx)
		kept := s.browser()
		clientOf(t, kept) // its client, made first, its token kept
		for i := 2; i <= 5; i++ {
			if r := s.browser().do(`{ client { id } }`, nil); len(r.Errors) > 0 {
				t.Fatalf("new client %d of 5: %v", i, r.Errors)
			}
		}
		if got := s.browser().do(`{ client { id } }`, nil).code(t); got != "too_many_requests" {
			t.Fatalf("a 6th new client in the window: code = %s, want too_many_requests", got)
		}
		if got := s.m.DB.Ent.Device.Query().CountX(ctx) - before; got != 5 {
			t.Fatalf("%d clients created, want 5", got)
		}
		if r := kept.do(`{ client { id } }`, nil); len(r.Errors) > 0 {
			t.Fatalf("a client that kept its token, over the new clients' budget: %v", r.Errors)
		}
		s.clock.Advance(10 * time.Second)
		if r := s.browser().do(`{ client { id } }`, nil); len(r.Errors) > 0 {
			t.Fatalf("a new client in the next window: %v", r.Errors)
		}
	})
}
