package main

import (
	"testing"
	"time"
)

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

// TestSessionInactivityTurnedOffAtTheNextToken: "one turned off gives an
// active session its lifetime back at its next token" (SECURITY.md), also
// when that token comes within 30 s of the last recorded activity.
func TestSessionInactivityTurnedOffAtTheNextToken(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "sessionLifetimeSeconds": 3600, "sessionInactivityTimeoutSeconds": 600})
		uid := s.newUser(t, vars{"emailAddress": "ada@example.com"})
		start := s.clock.Now()
		d := s.browser()
		id := d.mustSession(t, "ada@example.com")
		s.setSettings(t, vars{"sessionInactivityTimeoutSeconds": nil})
		s.clock.Advance(10 * time.Second)
		d.token(t, id)
		r := s.admin(`query($id: ID!) { user(id: $id) { sessions { id expireAt } } }`, vars{"id": uid}).data(t)
		for _, x := range r["user"].(map[string]any)["sessions"].([]any) {
			if m := x.(map[string]any); m["id"] == id {
				if exp, _ := time.Parse(time.RFC3339Nano, m["expireAt"].(string)); !exp.Equal(start.Add(3600 * time.Second)) {
					t.Fatalf("expireAt %v after the token, want the lifetime's end %v", exp, start.Add(3600*time.Second))
				}
			}
		}
	})
}
