package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent/auditevent"
)

// auditNode is one AuditEvent of the auditEvents query.
type auditNode struct {
	ID, At, Actor, Action, TargetType, TargetID, IPAddress string
	ApplicationID, Before, After                           *string
}

// auditLog reads the newest audit events (of appID, or all when empty) as key.
func (s *server) auditLog(tb testing.TB, key, appID string, first int, after any) ([]auditNode, map[string]any) {
	tb.Helper()
	v := vars{"first": first, "after": after}
	if appID != "" {
		v["app"] = appID
	}
	conn := s.adminAs(key, `query($app: ID, $first: Int, $after: Cursor) { auditEvents(applicationId: $app, first: $first, after: $after) {
	  edges { node { id at actor action targetType targetId applicationId ipAddress before after } }
	  pageInfo { hasNextPage endCursor } } }`, v).data(tb)["auditEvents"].(map[string]any)
	var out []auditNode
	for _, e := range conn["edges"].([]any) {
		raw, _ := json.Marshal(e.(map[string]any)["node"])
		var n auditNode
		if err := json.Unmarshal(raw, &n); err != nil {
			tb.Fatal(err)
		}
		out = append(out, n)
	}
	return out, conn["pageInfo"].(map[string]any)
}

// jsonObject decodes before/after text.
func jsonObject(tb testing.TB, s *string) map[string]any {
	tb.Helper()
	if s == nil {
		tb.Fatal("before/after is null")
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(*s), &m); err != nil {
		tb.Fatalf("before/after %q is not a JSON object: %v", *s, err)
	}
	return m
}

func TestAdminAuditLog(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		// The test client stands behind a trusted proxy that names the real caller.
		s := mustStart(t, dbURL, func(c *Config) { c.TrustedProxies = "127.0.0.1/32" })
		viaProxy := func(key, query string, v vars) result {
			return s.post(http.DefaultClient, map[string]string{"Authorization": "Bearer " + key, "X-Forwarded-For": "203.0.113.7"}, query, v)
		}
		adminID, adminKey := s.createKey(t, "admin", s.appID)
		supportID, supportKey := s.createKey(t, "support", s.appID)
		userID := s.createUser(t, "lin@example.com", "", adminPassword)
		newest := func(t *testing.T) auditNode {
			t.Helper()
			ev, _ := s.auditLog(t, s.ownerKey, s.appID, 1, nil)
			if len(ev) == 0 {
				t.Fatal("no audit events")
			}
			return ev[0]
		}

		t.Run("a settings change records who, what, where from, and the changed fields before and after", func(t *testing.T) {
			viaProxy(adminKey, `mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {clientTrustEnabled: false, codeTtlSeconds: 600}) { clientTrustEnabled } }`,
				vars{"id": s.appID}).data(t)
			ev := newest(t)
			if ev.Actor != "key:"+adminID || ev.Action != "settings:update" || ev.TargetType != "application" || ev.TargetID != s.appID ||
				ev.ApplicationID == nil || *ev.ApplicationID != s.appID || ev.IPAddress != "203.0.113.7" {
				t.Fatalf("event = %+v", ev)
			}
			// codeTtlSeconds was already 600: only what changed is recorded.
			before, after := jsonObject(t, ev.Before), jsonObject(t, ev.After)
			if len(before) != 1 || before["clientTrustEnabled"] != true || len(after) != 1 || after["clientTrustEnabled"] != false {
				t.Fatalf("before %v after %v, want only clientTrustEnabled true → false", before, after)
			}
			if at := mustTime(t, ev.At); time.Since(at) > time.Minute {
				t.Fatalf("at = %q", ev.At)
			}
		})
		t.Run("a user change names the user and its state before and after", func(t *testing.T) {
			viaProxy(supportKey, `mutation($id: ID!) { lockUser(id: $id) { id } }`, vars{"id": userID}).data(t)
			ev := newest(t)
			if ev.Actor != "key:"+supportID || ev.Action != "users:lock" || ev.TargetType != "user" || ev.TargetID != userID {
				t.Fatalf("event = %+v", ev)
			}
			if jsonObject(t, ev.Before)["locked"] != false || jsonObject(t, ev.After)["locked"] != true {
				t.Fatalf("before %s after %s", *ev.Before, *ev.After)
			}
		})
		t.Run("a role grant records subject, role and application", func(t *testing.T) {
			s.admin(`mutation($in: GrantRoleInput!) { grantRole(input: $in) { id } }`,
				vars{"in": vars{"subject": supportID, "role": "auditor", "applicationId": s.appID}}).data(t)
			ev := newest(t)
			after := jsonObject(t, ev.After)
			if ev.Action != "roles:grant" || after["subject"] != supportID || after["role"] != "auditor" || after["applicationId"] != s.appID {
				t.Fatalf("event = %+v after %v", ev, after)
			}
		})
		t.Run("a denial records the permission that was refused", func(t *testing.T) {
			r := viaProxy(supportKey, `mutation($id: ID!) { banUser(id: $id) { id } }`, vars{"id": userID})
			if r.code(t) != "permission_denied" {
				t.Fatalf("code %s", r.code(t))
			}
			ev := newest(t)
			if ev.Actor != "key:"+supportID || ev.Action != "permission_denied" || ev.TargetType != "permission" ||
				ev.TargetID != "users:ban" || ev.IPAddress != "203.0.113.7" || ev.ApplicationID == nil || *ev.ApplicationID != s.appID {
				t.Fatalf("event = %+v", ev)
			}
		})
		t.Run("auditEvents pages newest first without gaps", func(t *testing.T) {
			all, _ := s.auditLog(t, s.ownerKey, s.appID, 500, nil)
			var paged []auditNode
			var after any
			for {
				page, info := s.auditLog(t, s.ownerKey, s.appID, 3, after)
				paged = append(paged, page...)
				if info["hasNextPage"] != true {
					break
				}
				after = info["endCursor"]
			}
			if len(paged) != len(all) || len(all) < 5 {
				t.Fatalf("%d events in pages of 3, %d in one page", len(paged), len(all))
			}
			for i := range all {
				if paged[i].ID != all[i].ID {
					t.Fatalf("event %d: %s in pages, %s in one page", i, paged[i].ID, all[i].ID)
				}
				if i > 0 && mustTime(t, all[i].At).After(mustTime(t, all[i-1].At)) {
					t.Fatalf("event %d is newer than event %d", i, i-1)
				}
			}
		})
		t.Run("an admin reads its application's log; the server-wide log is the global owner's", func(t *testing.T) {
			if ev, _ := s.auditLog(t, adminKey, s.appID, 50, nil); len(ev) == 0 {
				t.Fatal("admin sees no events of its application")
			}
			if r := s.adminAs(adminKey, `{ auditEvents { edges { cursor } } }`, nil); r.code(t) != "permission_denied" {
				t.Fatalf("code %s", r.code(t))
			}
			ev, _ := s.auditLog(t, s.ownerKey, "", 500, nil)
			seen := map[string]bool{}
			for _, e := range ev {
				seen[e.Action] = true
			}
			// keys:create of the harness's CLI key has no application: only the server-wide log holds it.
			if !seen["keys:create"] || !seen["applications:create"] {
				t.Fatalf("server-wide log actions = %v", seen)
			}
		})
	})
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// TestPermissionDenialsAreAuditedOncePerMinute: a key that keeps calling a
// field its role does not allow is refused every time, but the audit log
// gets one permission_denied event per key, permission and application per
// minute, counted in the database so that replicas share the bound; it
// cannot fill the audit log.
func TestPermissionDenialsAreAuditedOncePerMinute(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		supportID, supportKey := s.createKey(t, "support", s.appID)
		auditorID, auditorKey := s.createKey(t, "auditor", s.appID)
		replica := startReplica(t, s)
		update := `mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {lockoutMaxAttempts: 50}) { lockoutMaxAttempts } }`
		deny := func(srv *server, key, query string, v vars) {
			t.Helper()
			if got := srv.adminAs(key, query, v).code(t); got != "permission_denied" {
				t.Fatalf("got %s, want permission_denied", got)
			}
		}
		denials := func(id string) int { t.Helper(); return s.auditCount(t, "key:"+id, "permission_denied") }

		for range 20 {
			deny(s, supportKey, update, vars{"id": s.appID})
			deny(replica, supportKey, update, vars{"id": s.appID})
		}
		if n := denials(supportID); n != 1 {
			t.Fatalf("%d permission_denied events after 40 denials of one field in a minute, want 1", n)
		}
		deny(s, auditorKey, update, vars{"id": s.appID})
		if n := denials(auditorID); n != 1 {
			t.Fatalf("another key's denial: %d events, want 1", n)
		}
		deny(replica, supportKey, `mutation { createApplication(input: {name: "Nope"}) { id } }`, nil)
		if n := denials(supportID); n != 2 {
			t.Fatalf("a denial of another permission: %d events, want 2", n)
		}
		// Aliases of one field are one field; made-up application ids,
		// where the key holds no role, are one domain.
		s.clock.Advance(time.Minute)
		deny(s, supportKey, `mutation($id: ID!) { a: updateAppSettings(applicationId: $id, input: {lockoutMaxAttempts: 50}) { lockoutMaxAttempts }
		  b: updateAppSettings(applicationId: $id, input: {lockoutMaxAttempts: 60}) { lockoutMaxAttempts } }`, vars{"id": s.appID})
		for i := range 20 {
			deny(replica, supportKey, `query($id: ID!) { users(applicationId: $id, first: 1) { totalCount } }`, vars{"id": fmt.Sprintf("app_madeup%d", i)})
		}
		if n := denials(supportID); n != 4 {
			t.Fatalf("denials a minute later: %d events, want 4", n)
		}
	})
}

// TestDenialsOfAGlobalRoleInMadeUpAppsAreBounded: a key whose role is in
// every application (*) holds it in any application id, made up or not, so
// its denials in made-up ids must still be bounded together: one audit
// event a minute, not one per id.
func TestDenialsOfAGlobalRoleInMadeUpAppsAreBounded(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		auditorID, auditorKey := s.createKey(t, "auditor", "*")
		for i := range 20 {
			r := s.adminAs(auditorKey, `mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {lockoutMaxAttempts: 50}) { lockoutMaxAttempts } }`,
				vars{"id": fmt.Sprintf("app_madeup%d", i)})
			if got := r.code(t); got != "permission_denied" {
				t.Fatalf("got %s, want permission_denied", got)
			}
		}
		if n := s.auditCount(t, "key:"+auditorID, "permission_denied"); n != 1 {
			t.Fatalf("%d permission_denied events after 20 denials in made-up applications, want 1", n)
		}
	})
}

// TestForeignDenialsStayOutOfTheApplicationsLog: a denial in application A
// of a principal with no role there was written into A's audit log. The
// bound is per principal, and B's owner makes as many keys of B as it
// likes, so B could write without bound into the log A's auditors read
// (found by a review: 25 keys, 75 rows in 100 ms). Such denials go to the
// server-wide log, naming the application.
func TestForeignDenialsStayOutOfTheApplicationsLog(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	b := s.createApp(t, "Tenant B", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	_, bOwner := s.createKey(t, "owner", b.id)
	const keys = 5
	for i := range keys {
		key := s.adminAs(bOwner, `mutation($a: ID, $n: String) { createAPIKey(input: {role: "auditor", applicationId: $a, name: $n}) { key } }`,
			vars{"a": b.id, "n": fmt.Sprintf("k%d", i)}).data(t)["createAPIKey"].(map[string]any)["key"].(string)
		if got := s.adminAs(key, `query($a: ID!) { users(applicationId: $a, first: 1) { totalCount } }`, vars{"a": s.appID}).code(t); got != "permission_denied" {
			t.Fatalf("got %s, want permission_denied", got)
		}
	}
	ctx := context.Background()
	denials := s.m.DB.Ent.AuditEvent.Query().Where(auditevent.Action("permission_denied"), auditevent.ActorHasPrefix("key:"))
	if n := denials.Clone().Where(auditevent.ApplicationID(s.appID)).CountX(ctx); n != 0 {
		t.Errorf("B's keys wrote %d rows into A's audit log, want 0", n)
	}
	rows := denials.Clone().Where(auditevent.ApplicationIDIsNil()).AllX(ctx)
	if len(rows) != keys {
		t.Fatalf("%d server-wide denial rows, want %d", len(rows), keys)
	}
	for _, ev := range rows {
		if ev.After == nil || jsonObject(t, ev.After)["applicationId"] != s.appID {
			t.Errorf("denial %+v does not name the application it was in", ev)
		}
	}
}
