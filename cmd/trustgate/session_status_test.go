package main

import (
	"testing"
	"time"
)

// TestExpiredSessionReadsExpired: a session past its expireAt reads
// "expired" (Clerk's status), not "active", wherever it is still listed (an
// admin's user.sessions, which the dashboard filters by status to show the
// live ones); one that ended before it expired keeps its status.
func TestExpiredSessionReadsExpired(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.setSettings(t, vars{"clientTrustEnabled": false, "sessionLifetimeSeconds": 300})
	uid := s.newUser(t, vars{"emailAddress": "ada@example.com"})
	s.browser().mustSession(t, "ada@example.com")
	ended := s.browser()
	ended.mustSession(t, "ada@example.com")
	ended.do(`mutation { signOut }`, nil).data(t)
	statuses := func() map[string]int {
		r := s.admin(`query($id: ID!) { user(id: $id) { sessions { status } } }`, vars{"id": uid}).data(t)
		out := map[string]int{}
		for _, sess := range r["user"].(map[string]any)["sessions"].([]any) {
			out[sess.(map[string]any)["status"].(string)]++
		}
		return out
	}
	if got := statuses(); got["active"] != 1 || got["ended"] != 1 {
		t.Fatalf("before expiry: statuses %v, want one active and one ended", got)
	}
	s.clock.Advance(301 * time.Second)
	if got := statuses(); got["active"] != 0 || got["expired"] != 1 || got["ended"] != 1 {
		t.Fatalf("after expiry: statuses %v, want one expired and one ended, none active", got)
	}
}
