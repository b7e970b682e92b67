package main

import (
	"context"
	"testing"
	"time"
)

// TestSessionInactivityTimeout: with sessionInactivityTimeoutSeconds set, a
// session expires that long after its last token (Clerk's inactivity
// timeout), each token moving the expiry on, never past the end of the
// session's maximum lifetime; sessions from a sign-up get it too. A
// timeout turned on or shortened ends a session idle for longer at its
// next token (expired at its last activity plus the timeout), and one
// turned off gives an active session its lifetime back at its next token.
func TestSessionInactivityTimeout(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "sessionLifetimeSeconds": 3600, "sessionInactivityTimeoutSeconds": 600})
		uid := s.newUser(t, vars{"emailAddress": "ada@example.com"})

		type sess struct {
			status             string
			lastActive, expire time.Time
		}
		readOf := func(t *testing.T, uid, id string) sess {
			t.Helper()
			r := s.admin(`query($id: ID!) { user(id: $id) { sessions { id status lastActiveAt expireAt } } }`, vars{"id": uid}).data(t)
			for _, x := range r["user"].(map[string]any)["sessions"].([]any) {
				if m := x.(map[string]any); m["id"] == id {
					last, _ := time.Parse(time.RFC3339Nano, m["lastActiveAt"].(string))
					exp, _ := time.Parse(time.RFC3339Nano, m["expireAt"].(string))
					return sess{m["status"].(string), last, exp}
				}
			}
			t.Fatalf("session %s not listed", id)
			return sess{}
		}
		read := func(t *testing.T, id string) sess { t.Helper(); return readOf(t, uid, id) }
		wantExpiry := func(t *testing.T, id string, want time.Time) {
			t.Helper()
			if got := read(t, id); got.status != "active" || !got.expire.Equal(want) {
				t.Fatalf("session: %+v, want active until %v", got, want)
			}
		}
		refused := func(t *testing.T, d *browser, id string) {
			t.Helper()
			r := d.do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt } }`, vars{"s": id})
			if got := r.code(t); got != "authentication_invalid" {
				t.Fatalf("sessionTokenCreate of an inactive session: got %q (data %v), want authentication_invalid", got, r.Data)
			}
		}

		t.Run("each token moves the expiry on, within the lifetime", func(t *testing.T) {
			start := s.clock.Now()
			d := s.browser()
			id := d.mustSession(t, "ada@example.com")
			wantExpiry(t, id, start.Add(600*time.Second))
			s.clock.Advance(500 * time.Second)
			d.token(t, id)
			wantExpiry(t, id, start.Add(1100*time.Second))
			s.clock.Advance(599 * time.Second)
			d.token(t, id)
			wantExpiry(t, id, start.Add(1699*time.Second))
			s.clock.Advance(601 * time.Second)
			refused(t, d, id)
			if got := read(t, id); got.status != "expired" || !got.expire.Equal(start.Add(1699*time.Second)) {
				t.Fatalf("after 601 s without a token: %+v, want expired at %v", got, start.Add(1699*time.Second))
			}

			start = s.clock.Now()
			busy := s.browser()
			id = busy.mustSession(t, "ada@example.com")
			for range 7 {
				s.clock.Advance(500 * time.Second)
				busy.token(t, id)
			}
			wantExpiry(t, id, start.Add(3600*time.Second)) // at 3500 s: the lifetime's end, not 4100 s
			s.clock.Advance(101 * time.Second)
			refused(t, busy, id)
		})

		t.Run("a sign-up's session", func(t *testing.T) {
			start := s.clock.Now()
			d := s.browser()
			su := d.do(`mutation { signUpCreate(input: {emailAddress: "grace@example.com", password: "another good passphrase"}) { id status } }`, nil).
				data(t)["signUpCreate"].(map[string]any)
			d.do(`mutation($id: ID!) { signUpPrepareVerification(id: $id, strategy: "email_code") { status } }`, vars{"id": su["id"]}).data(t)
			done := d.do(`mutation($id: ID!, $c: String!) { signUpAttemptVerification(id: $id, strategy: "email_code", code: $c) { status createdSessionId } }`,
				vars{"id": su["id"], "c": s.mail.code(t, "grace@example.com")}).data(t)["signUpAttemptVerification"].(map[string]any)
			if done["status"] != "complete" {
				t.Fatalf("sign-up: %v", done)
			}
			id := done["createdSessionId"].(string)
			if got := readOf(t, s.userIDByEmail(t, "grace@example.com"), id); !got.expire.Equal(start.Add(600 * time.Second)) {
				t.Fatalf("the sign-up's session: %+v, want it to expire at %v", got, start.Add(600*time.Second))
			}
			s.clock.Advance(601 * time.Second)
			refused(t, d, id)
		})

		t.Run("turned on or shortened: a session idle for longer expires at its next token", func(t *testing.T) {
			s.setSettings(t, vars{"sessionInactivityTimeoutSeconds": nil})
			idle, active := s.browser(), s.browser()
			idleID, activeID := idle.mustSession(t, "ada@example.com"), active.mustSession(t, "ada@example.com")
			last := read(t, idleID).lastActive
			s.clock.Advance(700 * time.Second)
			active.token(t, activeID)
			s.clock.Advance(100 * time.Second)
			s.setSettings(t, vars{"sessionInactivityTimeoutSeconds": 600})
			refused(t, idle, idleID)
			if got := read(t, idleID); got.status != "expired" || !got.expire.Equal(last.Add(600*time.Second)) {
				t.Fatalf("the idle session: %+v, want expired at its last activity + 600 s (%v)", got, last.Add(600*time.Second))
			}
			active.token(t, activeID)
			wantExpiry(t, activeID, s.clock.Now().Add(600*time.Second))
		})

		t.Run("turned off: the lifetime again at the next token, even within 30 s of the last", func(t *testing.T) {
			s.setSettings(t, vars{"sessionInactivityTimeoutSeconds": 600})
			start := s.clock.Now()
			d := s.browser()
			id := d.mustSession(t, "ada@example.com")
			s.setSettings(t, vars{"sessionInactivityTimeoutSeconds": nil})
			s.clock.Advance(10 * time.Second)
			d.token(t, id)
			wantExpiry(t, id, start.Add(3600*time.Second))
			s.clock.Advance(500 * time.Second)
			d.token(t, id)
			wantExpiry(t, id, start.Add(3600*time.Second))
		})

		t.Run("a session from before lifetimes were kept keeps its expiry as its lifetime", func(t *testing.T) {
			s.setSettings(t, vars{"sessionInactivityTimeoutSeconds": nil})
			d := s.browser()
			id := d.mustSession(t, "ada@example.com")
			end := read(t, id).expire
			if err := s.m.DB.Ent.Session.UpdateOneID(id).ClearLifetimeEndsAt().Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			s.setSettings(t, vars{"sessionInactivityTimeoutSeconds": 600})
			s.clock.Advance(100 * time.Second)
			d.token(t, id)
			wantExpiry(t, id, s.clock.Now().Add(600*time.Second))
			s.setSettings(t, vars{"sessionInactivityTimeoutSeconds": nil})
			s.clock.Advance(100 * time.Second)
			d.token(t, id)
			wantExpiry(t, id, end)
		})
	})
}

// TestSessionInactivityAccountMutationsKeepSliding: a session that mints a
// token every 50 s (as Clerk's SDK) and makes an account change 10 s
// before each token is active throughout, and must not expire at the
// inactivity deadline set by its first token. stillActive (the account
// mutations' conditional write) moves last_active_at without moving
// expire_at, and Token writes only when last_active_at is over 30 s old.
func TestSessionInactivityAccountMutationsKeepSliding(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "sessionLifetimeSeconds": 3600, "sessionInactivityTimeoutSeconds": 600})
		s.newUser(t, vars{"emailAddress": "ada@example.com"})
		d := s.browser()
		id := d.mustSession(t, "ada@example.com")
		pw := []string{testPassword, "another good passphrase 1"}
		for i := range 20 { // 1000 s of activity, every token within 50 s of the last
			s.clock.Advance(40 * time.Second)
			d.do(`mutation($c: String!, $n: String!) { passwordUpdate(current: $c, new: $n) }`,
				vars{"c": pw[i%2], "n": pw[(i+1)%2]}).data(t)
			s.clock.Advance(10 * time.Second)
			r := d.do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt } }`, vars{"s": id})
			if len(r.Errors) > 0 {
				t.Fatalf("token at %d s, 50 s after the last one: %v", (i+1)*50, r.Errors)
			}
			d.bearer = r.data(t)["sessionTokenCreate"].(map[string]any)["jwt"].(string)
		}
	})
}

// TestTokenForASessionEndedMeanwhile: a session revoked between
// sessionTokenCreate's read of it and its write of the session's activity
// gets no token: the write is conditional on the session still active and
// unexpired, so it neither mints for the revoked session nor moves its
// expiry.
func TestTokenForASessionEndedMeanwhile(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "sessionInactivityTimeoutSeconds": 600})
		s.newUser(t, vars{"emailAddress": "ada@example.com"})
		d := s.browser()
		id := d.mustSession(t, "ada@example.com")
		before, err := s.m.DB.Ent.Session.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(time.Minute) // the next token records activity
		fired := afterNextRead(s.m.DB.Ent.Session, func() {
			s.admin(`mutation($id: ID!) { revokeSession(id: $id) { status } }`, vars{"id": id}).data(t)
		})
		r := d.do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt } }`, vars{"s": id})
		if !fired() {
			t.Fatal("sessionTokenCreate read no session")
		}
		if got := r.code(t); got != "authentication_invalid" {
			t.Fatalf("a token for a session revoked meanwhile: got %q (data %v), want authentication_invalid", got, r.Data)
		}
		row, err := s.m.DB.Ent.Session.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if row.Status != "revoked" || !row.ExpireAt.Equal(before.ExpireAt) {
			t.Fatalf("the revoked session: status %s, expires %v; want revoked, its expiry unmoved", row.Status, row.ExpireAt)
		}
	})
}
