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

// TestEndingAnExpiredSessionKeepsItExpired: a session past its expireAt has
// already ended (Clerk's "expired"); a later revocation or sign-out leaves it
// so. An admin's revokeSession of it answers it as it is and audits nothing,
// the user's sessionRevoke and signOut do not turn it "revoked" or "ended",
// and a ban leaves it too and counts only the sessions it actually ended.
func TestEndingAnExpiredSessionKeepsItExpired(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "sessionLifetimeSeconds": 300})
		uid := s.newUser(t, vars{"emailAddress": "ada@example.com"})
		old := make([]*browser, 4)
		oldIDs := make([]string, 4)
		for i := range old {
			old[i] = s.browser()
			oldIDs[i] = old[i].mustSession(t, "ada@example.com")
		}
		s.clock.Advance(200 * time.Second)
		live := s.browser()
		liveID := live.mustSession(t, "ada@example.com")
		s.clock.Advance(101 * time.Second) // the old sessions expired; the live one has 99 s left
		live.token(t, liveID)

		status := func(id string) string {
			t.Helper()
			r := s.admin(`query($id: ID!) { user(id: $id) { sessions { id status } } }`, vars{"id": uid}).data(t)
			for _, sess := range r["user"].(map[string]any)["sessions"].([]any) {
				if m := sess.(map[string]any); m["id"] == id {
					return m["status"].(string)
				}
			}
			t.Fatalf("session %s not listed", id)
			return ""
		}
		audits := func(action string) int {
			t.Helper()
			n := 0
			nodes, _ := s.auditLog(t, s.ownerKey, s.appID, 100, nil)
			for _, a := range nodes {
				if a.Action == action {
					n++
				}
			}
			return n
		}

		r := s.admin(`mutation($id: ID!) { revokeSession(id: $id) { status } }`, vars{"id": oldIDs[0]}).data(t)
		if got := r["revokeSession"].(map[string]any)["status"]; got != "expired" {
			t.Errorf("admin revokeSession of an expired session answers %v, want expired", got)
		}
		if got := status(oldIDs[0]); got != "expired" {
			t.Errorf("after an admin's revokeSession: status %s, want expired", got)
		}
		if n := audits("sessions:revoke"); n != 0 {
			t.Errorf("revoking an expired session wrote %d sessions:revoke audit events, want 0", n)
		}

		r = live.do(`mutation($id: ID!) { sessionRevoke(id: $id) { status } }`, vars{"id": oldIDs[1]}).data(t)
		if got := r["sessionRevoke"].(map[string]any)["status"]; got != "expired" {
			t.Errorf("the user's sessionRevoke of an expired session answers %v, want expired", got)
		}
		if got := status(oldIDs[1]); got != "expired" {
			t.Errorf("after the user's sessionRevoke: status %s, want expired", got)
		}

		old[2].do(`mutation { signOut }`, nil).data(t)
		if got := status(oldIDs[2]); got != "expired" {
			t.Errorf("after signOut on its client: status %s, want expired", got)
		}

		s.admin(`mutation($id: ID!) { banUser(id: $id) { id } }`, vars{"id": uid}).data(t)
		nodes, _ := s.auditLog(t, s.ownerKey, s.appID, 1, nil)
		if len(nodes) != 1 || nodes[0].Action != "users:ban" {
			t.Fatalf("newest audit event %v, want users:ban", nodes)
		}
		if got := jsonObject(t, nodes[0].After)["sessionsRevoked"]; got != 1.0 {
			t.Errorf("ban audit sessionsRevoked = %v, want 1 (the live session only)", got)
		}
		if got := status(liveID); got != "revoked" {
			t.Errorf("the live session after the ban: status %s, want revoked", got)
		}
		for _, id := range oldIDs {
			if got := status(id); got != "expired" {
				t.Errorf("expired session %s after the ban: status %s, want expired", id, got)
			}
		}
	})
}
