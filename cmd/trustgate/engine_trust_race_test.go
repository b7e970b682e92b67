package main

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/ent/trustedclient"
)

// TestTrustRevokedDuringASignInStaysRevoked: a sign-in on a trusted client
// reads the trust after the password hash, in its transaction, and completes.
// A revocation that commits after that read and before the completion (an
// admin's, the user's, a password change elsewhere) must stand: the sign-in,
// begun trusted, completes, but it does not re-create the trust, so the
// client's next sign-in meets Client Trust. The completion used to upsert
// the trust and so undid the revocation. PostgreSQL only: on SQLite a
// sign-in's transaction holds the write lock, so nothing commits inside it.
func TestTrustRevokedDuringASignInStaysRevoked(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		if !strings.HasPrefix(dbURL, "postgres") {
			t.Skip("SQLite runs one write transaction at a time")
		}
		s := mustStart(t, dbURL, cheapHashes)
		uid := s.newUser(t, vars{"emailAddress": "ada@example.com"})
		d := s.browser()
		d.passClientTrust(t, "ada@example.com", testPassword, "email_code", "ada@example.com")

		// The revocation commits while the sign-in creates its session, after
		// it has read the trust and before it refreshes it.
		var once sync.Once
		var revoked int
		var revokeErr error
		s.m.DB.Ent.Session.Use(func(next ent.Mutator) ent.Mutator {
			return hook.SessionFunc(func(ctx context.Context, m *ent.SessionMutation) (ent.Value, error) {
				if u, _ := m.UserID(); u == uid && m.Op().Is(ent.OpCreate) {
					once.Do(func() {
						revoked, revokeErr = s.m.DB.Ent.TrustedClient.Delete().Where(trustedclient.UserID(uid)).Exec(context.Background())
					})
				}
				return next.Mutate(ctx, m)
			})
		})
		if st := signInObj(t, d.signIn("ada@example.com", testPassword), "signInCreate")["status"]; st != "complete" {
			t.Fatalf("the trusted sign-in: status %v, want complete", st)
		}
		if revokeErr != nil || revoked != 1 {
			t.Fatalf("the revocation inside the sign-in: %d rows, %v; want 1 row", revoked, revokeErr)
		}
		if s.m.DB.Ent.TrustedClient.Query().Where(trustedclient.UserID(uid)).ExistX(context.Background()) {
			t.Fatal("the sign-in re-created the trust revoked while it ran")
		}
		if st := signInObj(t, d.signIn("ada@example.com", testPassword), "signInCreate")["status"]; st != "needs_client_trust" {
			t.Fatalf("the next sign-in on the client: status %v, want needs_client_trust", st)
		}
	})
}
