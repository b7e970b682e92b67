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
