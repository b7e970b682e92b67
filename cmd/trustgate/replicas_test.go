package main

// Two replicas behind one load balancer on one PostgreSQL database (the
// production shape): one user's requests spread across both must meet one
// lockout, one set of budgets and single-use codes, as they would on one.

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/internal/device"
	"github.com/trustgate/trustgate/internal/ids"
	"github.com/trustgate/trustgate/internal/pgtest"
)

// twoReplicas starts a server on a fresh PostgreSQL database and a second
// replica on the same database.
func twoReplicas(t *testing.T, opts ...serverOption) (*server, *server) {
	t.Helper()
	a := mustStart(t, pgtest.URL(t), opts...)
	return a, startReplica(t, a)
}

// on is d (its cookies and headers) talking to replica r: the same device
// whose next request the load balancer sent to another replica.
func on(d *browser, r *server) *browser {
	other := *d
	other.s = r
	return &other
}

// settle waits out the replicas' application cache (appCacheTTL, on the
// real clock), so that a settings change made through one is seen by all.
func settle() { time.Sleep(1100 * time.Millisecond) }

func TestReplicasShareTheLockout(t *testing.T) {
	a, b := twoReplicas(t, cheapHashes)
	a.setSettings(t, vars{"clientTrustEnabled": false, "lockoutMaxAttempts": 6, "lockoutDurationSeconds": 600})
	settle()
	replicas := []*server{a, b}

	t.Run("sequential failures on both count once each and lock on either", func(t *testing.T) {
		id := a.newUser(t, vars{"emailAddress": "seq@example.com"})
		for i := range 5 {
			r := replicas[i%2]
			if got := r.browser().signIn("seq@example.com", "wrong password").code(t); got != "form_password_incorrect" {
				t.Fatalf("failure %d on replica %d: got %s, want form_password_incorrect", i+1, i%2, got)
			}
		}
		if got := a.failedAttempts(t, id); got != 5 {
			t.Fatalf("got %d failed attempts, want 5", got)
		}
		if v, ok := lockoutMeta(t, b.browser().signIn("seq@example.com", "wrong password")); !ok || v != float64(600) {
			t.Fatalf("the 6th failure on b: lockoutExpiresInSeconds %v, want 600", v)
		}
		a.clock.Advance(100 * time.Second)
		for i, r := range replicas {
			if v, ok := lockoutMeta(t, r.browser().signIn("seq@example.com", testPassword)); !ok || v != float64(500) {
				t.Fatalf("the right password on replica %d while locked: lockoutExpiresInSeconds %v, want 500", i, v)
			}
		}
		a.clock.Advance(501 * time.Second)
		d := a.browser()
		d.mustSession(t, "seq@example.com")
		if got := a.failedAttempts(t, id); got != 0 {
			t.Fatalf("after a sign-in on a: %d failed attempts, want 0", got)
		}
		if got := on(d, b).do(`{ me { id } }`, nil).data(t)["me"]; got == nil {
			t.Fatal("b does not know the session a created")
		}
	})

	t.Run("concurrent failures on both lose no count and lock at the threshold", func(t *testing.T) {
		id := a.newUser(t, vars{"emailAddress": "conc@example.com"})
		const n = 16
		codes := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { codes[i] = replicas[i%2].browser().signIn("conc@example.com", "wrong password").code(t) })
		}
		wg.Wait()
		failed := 0
		for _, e := range a.events(t, vars{"userId": id}) {
			if e.Kind == "password.failed" {
				failed++
			}
		}
		u := a.userRow(t, id)
		if u.FailedAttempts != failed {
			t.Fatalf("%d failed attempts counted, %d password.failed events: counts were lost", u.FailedAttempts, failed)
		}
		if u.LockedAt == nil || failed < 6 {
			t.Fatalf("after %d failures (answers %q): locked %v, want locked", failed, codes, u.LockedAt)
		}
		// Every one answered as a wrong password or a lock.
		for _, c := range codes {
			if c != "form_password_incorrect" && c != "user_locked" {
				t.Fatalf("answers %q", codes)
			}
		}
	})
}

func TestReplicasShareTheBudgets(t *testing.T) {
	a, b := twoReplicas(t, cheapHashes)
	a.setOverrides(t, map[string]any{"rateLimitIdentifierPerMinute": 4, "rateLimitMessagesPerRecipientPerHour": 3})
	a.setSettings(t, vars{"clientTrustEnabled": false})
	settle()
	replicas := []*server{a, b}

	t.Run("the per-identifier budget", func(t *testing.T) {
		a.newUser(t, vars{"emailAddress": "budget@example.com"})
		for i := range 4 {
			if r := replicas[i%2].browser().signIn("budget@example.com", "wrong password"); r.code(t) != "form_password_incorrect" {
				t.Fatalf("sign-in %d: got %s", i+1, r.code(t))
			}
		}
		a.clock.Advance(10 * time.Second)
		var retry []any
		for i, r := range replicas {
			res := r.browser().signIn("budget@example.com", "wrong password")
			if got := res.code(t); got != "too_many_requests" {
				t.Fatalf("the 5th sign-in on replica %d: got %s, want too_many_requests", i, got)
			}
			meta, _ := res.ext(t)["meta"].(map[string]any)
			retry = append(retry, meta["retryAfterSeconds"], res.header.Get("Retry-After"))
		}
		if retry[0] != retry[2] || retry[1] != retry[3] {
			t.Fatalf("the replicas' Retry-After differ: %v", retry)
		}
	})

	t.Run("the per-recipient message budget", func(t *testing.T) {
		a.newUser(t, vars{"emailAddress": "inbox@example.com"})
		sent := 0
		for i := range 4 {
			d := replicas[i%2].browser()
			si := signInObj(t, d.create(vars{"identifier": "inbox@example.com"}), "signInCreate")
			r := d.prepareFirstWith(si["id"].(string), factorInput(si["supportedFirstFactors"], "email_code"))
			if len(r.Errors) == 0 {
				sent++
			} else if got := r.code(t); got != "too_many_requests" {
				t.Fatalf("prepare %d: got %s", i+1, got)
			}
		}
		if sent != 3 || a.mail.count("inbox@example.com") != 3 {
			t.Fatalf("%d codes sent (%d messages) to one address across two replicas, want 3", sent, a.mail.count("inbox@example.com"))
		}
	})
}

func TestReplicasSpendCodesOnce(t *testing.T) {
	a, b := twoReplicas(t, cheapHashes)
	a.setSettings(t, vars{"clientTrustEnabled": true, "lockoutMaxAttempts": 100})
	settle()
	id := a.newUser(t, vars{"emailAddress": "once@example.com"})
	// race runs step on a and on b at once, n times each, and returns how
	// many succeeded.
	race := func(n int, step func(r *server, i int) result) int {
		var mu sync.Mutex
		won := 0
		var wg sync.WaitGroup
		for i := range 2 * n {
			r := []*server{a, b}[i%2]
			wg.Go(func() {
				if res := step(r, i); len(res.Errors) == 0 {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return won
	}

	t.Run("a Client Trust code", func(t *testing.T) {
		d, sid, _ := ctChallenge(t, a, "once@example.com")
		code := a.mail.code(t, "once@example.com")
		before := a.sessionCount(t, id)
		if won := race(3, func(r *server, _ int) result { return on(d, r).attemptSecond(sid, "email_code", code) }); won != 1 {
			t.Fatalf("%d attempts passed with one code, want 1", won)
		}
		if got := a.sessionCount(t, id) - before; got != 1 {
			t.Fatalf("%d sessions from one code, want 1", got)
		}
	})

	home := a.browser()
	home.token(t, home.passClientTrust(t, "once@example.com", testPassword, "email_code", "once@example.com")["createdSessionId"].(string))
	secret, backup := home.enrollTOTP(t)
	a.clock.Advance(30 * time.Second)

	t.Run("a TOTP code, on two sign-ins", func(t *testing.T) {
		ds := make([]*browser, 4)
		sids := make([]string, 4)
		for i := range ds {
			ds[i], sids[i] = mfaSignIn(t, []*server{a, b}[i%2], "once@example.com")
		}
		code := totpNow(a, secret, 0)
		if won := race(2, func(r *server, i int) result { return on(ds[i], r).attemptSecond(sids[i], "totp", code) }); won != 1 {
			t.Fatalf("%d sign-ins passed with one TOTP code, want 1", won)
		}
	})

	t.Run("a backup code, on two sign-ins", func(t *testing.T) {
		ds := make([]*browser, 4)
		sids := make([]string, 4)
		for i := range ds {
			ds[i], sids[i] = mfaSignIn(t, []*server{a, b}[i%2], "once@example.com")
		}
		if won := race(2, func(r *server, i int) result { return on(ds[i], r).attemptSecond(sids[i], "backup_code", backup[0]) }); won != 1 {
			t.Fatalf("%d sign-ins passed with one backup code, want 1", won)
		}
	})
}

func TestReplicasAgreeOnSessionsAndClients(t *testing.T) {
	a, b := twoReplicas(t, cheapHashes)
	a.setSettings(t, vars{"clientTrustEnabled": false})
	settle()
	id := a.newUser(t, vars{"emailAddress": "sess@example.com"})

	t.Run("a session revoked on a is refused by b at once", func(t *testing.T) {
		d := a.browser()
		sid := d.mustSession(t, "sess@example.com")
		if !on(d, b).signedIn(t) {
			t.Fatal("b refuses a's session")
		}
		a.admin(`mutation($id: ID!) { revokeSession(id: $id) { id } }`, vars{"id": sid}).data(t)
		if got := on(d, b).do(`{ me { id } }`, nil).data(t)["me"]; got != nil {
			t.Fatal("b still accepts a revoked session's token")
		}
		if got := on(d, b).do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt } }`, vars{"s": sid}).code(t); got != "authentication_invalid" {
			t.Fatalf("b minting a token of a revoked session: got %s, want authentication_invalid", got)
		}
	})

	t.Run("a user banned on a is refused by b at once", func(t *testing.T) {
		d := b.browser()
		d.mustSession(t, "sess@example.com")
		a.admin(`mutation($id: ID!) { banUser(id: $id) { id } }`, vars{"id": id}).data(t)
		if d.signedIn(t) {
			t.Fatal("b still accepts the session of a user banned on a")
		}
		if got := b.browser().signIn("sess@example.com", testPassword).code(t); got != "user_banned" {
			t.Fatalf("sign-in on b of a user banned on a: got %s, want user_banned", got)
		}
		a.admin(`mutation($id: ID!) { unbanUser(id: $id) { id } }`, vars{"id": id}).data(t)
	})

	t.Run("a client token rotated on a is refused by b within the grace", func(t *testing.T) {
		planted, victim := plantedToken(t, a)
		sid := signInObj(t, victim.signIn("sess@example.com", testPassword), "signInCreate")["createdSessionId"].(string)
		if victim.header["X-Client-Token"] == planted {
			t.Fatal("no new client token")
		}
		old := b.browser()
		old.header = map[string]string{"X-Client-Token": planted}
		r := old.do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt } }`, vars{"s": sid})
		if got := r.code(t); got != "client_state_invalid" {
			t.Fatalf("b, the replaced token: got %s, want client_state_invalid", got)
		}
		on(victim, b).token(t, sid)
		a.clock.Advance(device.RotatedGrace + time.Second)
		if tok := old.do(`{ client { id } }`, nil).header.Get("X-Client-Token"); tok == "" || tok == planted {
			t.Fatal("after the grace b did not give the old token a new client")
		}
	})
}

// clockAhead makes the sign-in events replica r writes carry ids minted on a
// clock d ahead of the others', as a replica whose clock runs ahead does
// (ids.New reads the host's clock; NTP keeps hosts within milliseconds,
// not within the gap between two requests).
func clockAhead(r *server, d time.Duration) {
	r.m.DB.Ent.SignInEvent.Use(func(next ent.Mutator) ent.Mutator {
		return hook.SignInEventFunc(func(ctx context.Context, m *ent.SignInEventMutation) (ent.Value, error) {
			if m.Op().Is(ent.OpCreate) {
				m.SetID(ids.At("sie", time.Now().Add(d)))
			}
			return next.Mutate(ctx, m)
		})
	})
}

// TestSecondFactorFailureNoticeAcrossReplicas: the failed-second-factor
// notice goes out once per sign-in, at its first wrong second factor,
// whichever replicas ran the steps and however their clocks disagree: a
// code mistyped at the first factor on one replica does not silence it,
// and a second failure on another does not send it again.
func TestSecondFactorFailureNoticeAcrossReplicas(t *testing.T) {
	a, b := twoReplicas(t, cheapHashes)
	const email, kind = "skew@example.com", "security_notice"
	a.newUser(t, vars{"emailAddress": email})
	owner := a.browser()
	owner.passClientTrust(t, email, testPassword, "email_code", email)
	owner.mustSession(t, email)
	secret, _ := owner.enrollTOTP(t)
	clockAhead(a, time.Second)

	t.Run("a first-factor slip on the replica ahead", func(t *testing.T) {
		base := a.mail.countKind(email, kind)
		d := b.browser()
		si := signInObj(t, d.create(vars{"identifier": email}), "signInCreate")
		id := si["id"].(string)
		signInObj(t, d.prepareFirstWith(id, factorInput(si["supportedFirstFactors"], "email_code")), "signInPrepareFirstFactor")
		code := a.mail.code(t, email)
		if got := on(d, a).attemptFirstWith(id, vars{"strategy": "email_code", "code": wrongCode(code)}).code(t); got != "form_code_incorrect" {
			t.Fatalf("a wrong first-factor code on a: got %s, want form_code_incorrect", got)
		}
		if si := signInObj(t, d.attemptFirstWith(id, vars{"strategy": "email_code", "code": code}), "signInAttemptFirstFactor"); si["status"] != "needs_second_factor" {
			t.Fatalf("the right code on b: got status %v, want needs_second_factor", si["status"])
		}
		if got := d.attemptSecond(id, "totp", wrongCode(totpNow(a, secret, 0))).code(t); got != "form_code_incorrect" {
			t.Fatalf("a wrong TOTP on b: got %s, want form_code_incorrect", got)
		}
		if got := a.mail.countKind(email, kind) - base; got != 1 {
			t.Errorf("the sign-in's first wrong second factor, after a first-factor slip on a replica ahead: got %d notices, want 1", got)
		}
	})

	t.Run("failures on the replica behind", func(t *testing.T) {
		base := a.mail.countKind(email, kind)
		d := a.browser()
		si := signInObj(t, d.signIn(email, testPassword), "signInCreate")
		if si["status"] != "needs_second_factor" {
			t.Fatalf("the password on a: got status %v, want needs_second_factor", si["status"])
		}
		id := si["id"].(string)
		for i := range 3 {
			if got := on(d, b).attemptSecond(id, "totp", wrongCode(totpNow(a, secret, 0))).code(t); got != "form_code_incorrect" {
				t.Fatalf("wrong TOTP %d on b: got %s, want form_code_incorrect", i+1, got)
			}
		}
		if got := a.mail.countKind(email, kind) - base; got != 1 {
			t.Errorf("three wrong second factors of one sign-in, on a replica behind the one that asked for them: got %d notices, want 1", got)
		}
	})
}
