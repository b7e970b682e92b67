package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"
)

// startReplica starts a second trustgate on the database of s, as another
// replica behind the same load balancer would run: same database, its own
// process state (policy enforcer, caches), its own port. It shares the test's
// clock, mailbox, owner key and application.
func startReplica(tb testing.TB, s *server) *server {
	tb.Helper()
	cfg := s.m.Config
	cfg.Addr = "127.0.0.1:0"
	logs := &bytes.Buffer{}
	r := &server{t: tb, clock: s.clock, mail: s.mail, ownerKey: s.ownerKey, appID: s.appID, pk: s.pk, log: logs}
	r.m = &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(&syncWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: s.clock.Now, Sender: s.mail}
	ctx := context.Background()
	if err := r.m.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := r.m.Run(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := r.m.Close(); err != nil {
			tb.Errorf("closing replica: %v", err)
		}
	})
	r.base = "http://" + r.m.Addr()
	return r
}

// propagationBound is how soon a role change made on one replica must hold on
// every other (issue 4).
const propagationBound = 2 * time.Second

// within polls check until it reports true or the bound passes, and returns
// how long that took.
func within(t *testing.T, bound time.Duration, what string, check func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !check() {
		if time.Since(start) > bound {
			t.Fatalf("%s: not within %s", what, bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

func TestPolicyPropagatesBetweenServers(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		a := mustStart(t, dbURL)
		b := startReplica(t, a)
		readSettings := `query($id: ID!) { application(id: $id) { settings { clientTrustEnabled } } }`
		allowedOnB := func(key string) bool {
			r := b.adminAs(key, readSettings, vars{"id": a.appID})
			if len(r.Errors) > 0 && r.code(t) != "permission_denied" {
				t.Fatalf("unexpected error on B: %+v", r.Errors)
			}
			return len(r.Errors) == 0
		}

		// A support key made on A: B must learn of the key's own grant first.
		keyID, key := a.createKey(t, "support", a.appID)
		d := within(t, propagationBound, "B accepts the new key's support role", func() bool {
			return len(b.adminAs(key, `query($id: ID!) { users(applicationId: $id) { edges { cursor } } }`, vars{"id": a.appID}).Errors) == 0
		})
		t.Logf("a new key's grant reached B after %s", d)
		if allowedOnB(key) {
			t.Fatal("support may read settings on B before any grant")
		}

		role := vars{"subject": keyID, "role": "admin", "applicationId": a.appID}
		t.Run("a role granted through A is enforced by B within 2 s", func(t *testing.T) {
			a.admin(`mutation($in: GrantRoleInput!) { grantRole(input: $in) { id } }`, vars{"in": role}).data(t)
			if !func() bool { r := a.adminAs(key, readSettings, vars{"id": a.appID}); return len(r.Errors) == 0 }() {
				t.Fatal("A itself does not apply its own grant at once")
			}
			d := within(t, propagationBound, "B allows settings:read after the grant", func() bool { return allowedOnB(key) })
			t.Logf("grant reached B after %s", d)
		})
		t.Run("a role revoked through A is enforced by B within 2 s", func(t *testing.T) {
			a.admin(`mutation($in: RevokeRoleInput!) { revokeRole(input: $in) }`, vars{"in": role}).data(t)
			d := within(t, propagationBound, "B denies settings:read after the revocation", func() bool { return !allowedOnB(key) })
			t.Logf("revocation reached B after %s", d)
		})
		t.Run("a key revoked through A is refused by B at once", func(t *testing.T) {
			a.admin(`mutation($id: ID!) { revokeAPIKey(id: $id) { id } }`, vars{"id": keyID}).data(t)
			r := b.adminAs(key, `{ viewer { actor } }`, nil)
			if got := r.code(t); got != "authentication_invalid" {
				t.Fatalf("code %s, want authentication_invalid", got)
			}
		})
	})
}
