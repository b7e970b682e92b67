package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/apikey"
	"github.com/trustgate/trustgate/ent/application"
	"github.com/trustgate/trustgate/ent/auditevent"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/ent/operator"
	"github.com/trustgate/trustgate/ent/roleassignment"
	"github.com/trustgate/trustgate/ent/user"
)

// TestLastOwnerStaysUnderConcurrency: of two owners of every application, a
// ban of one and a revocation of the other that run at the same moment
// cannot both succeed. Each checks that an owner is left; without the two
// checks running one after the other, each saw the other's owner still
// standing (PostgreSQL's read committed) and both committed, leaving no
// owner. Here the ban is held, after its check and before its commit, until
// the revocation has answered (or 2 s, where the revocation waits for it).
func TestLastOwnerStaysUnderConcurrency(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		s := mustStart(t, dbURL, cheapHashes)
		s.cli(t, "operators", "create", "--email", "boss@example.com", "--role", "owner", "--json")
		dash := s.m.DB.Ent.Application.Query().Where(application.Dashboard(true)).OnlyX(ctx)
		boss := s.m.DB.Ent.EmailAddress.Query().
			Where(emailaddress.ApplicationID(dash.ID), emailaddress.EmailAddress("boss@example.com")).QueryUser().OnlyX(ctx)
		second, secondKey := s.createKey(t, "owner", "")
		s.reloadPolicy(t)
		// The harness's own owner key goes: boss and the second key are the owners left.
		for _, k := range s.admin(`query { apiKeys { id role applicationId } }`, nil).data(t)["apiKeys"].([]any) {
			if k := k.(map[string]any); k["role"] == "owner" && k["applicationId"] == "*" && k["id"] != second {
				s.adminAs(secondKey, `mutation($id: ID!) { revokeAPIKey(id: $id) { id } }`, vars{"id": k["id"]}).data(t)
			}
		}
		s.reloadPolicy(t)

		checked, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		s.m.DB.Ent.AuditEvent.Use(func(next ent.Mutator) ent.Mutator {
			return hook.AuditEventFunc(func(ctx context.Context, m *ent.AuditEventMutation) (ent.Value, error) {
				if a, _ := m.Action(); a == "users:ban" {
					once.Do(func() { close(checked) })
					select {
					case <-release:
					case <-time.After(2 * time.Second):
					}
				}
				return next.Mutate(ctx, m)
			})
		})

		var ban, revoke result
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			ban = s.adminAs(secondKey, `mutation($id: ID!) { banUser(id: $id) { id } }`, vars{"id": boss.ID})
		}()
		select {
		case <-checked:
		case <-time.After(10 * time.Second):
			t.Fatal("the ban never reached its audit event")
		}
		revoke = s.adminAs(secondKey, `mutation($s: String!) { revokeRole(input: {subject: $s, role: "owner", applicationId: "*"}) }`,
			vars{"s": second})
		close(release)
		wg.Wait()

		if len(ban.Errors) == 0 && len(revoke.Errors) == 0 {
			t.Errorf("both the ban of one owner and the revocation of the other succeeded")
		}
		if n := liveOwners(t, s); n == 0 {
			t.Fatalf("no owner of every application is left (ban %v, revocation %v)", ban.Errors, revoke.Errors)
		}
	})
}

// liveOwners counts the owners of every application that can still act: an
// active key, or an enabled operator whose user is not banned.
func liveOwners(tb testing.TB, s *server) int {
	tb.Helper()
	ctx := context.Background()
	n := 0
	for _, g := range s.m.DB.Ent.RoleAssignment.Query().Where(roleassignment.Role("owner"), roleassignment.Domain("*")).AllX(ctx) {
		var live bool
		if strings.HasPrefix(g.Subject, "ak_") {
			live = s.m.DB.Ent.APIKey.Query().Where(apikey.ID(g.Subject), apikey.RevokedAtIsNil()).ExistX(ctx)
		} else {
			live = s.m.DB.Ent.Operator.Query().Where(operator.Email(g.Subject), operator.DisabledAtIsNil(),
				operator.HasUserWith(user.Banned(false))).ExistX(ctx)
		}
		if live {
			n++
		}
	}
	return n
}

// TestRevokingARevokedKeyChangesNothing: a key is revoked once. Revoking it
// again moved its revokedAt to the second call and audited a second
// revocation whose before said it had not been revoked; now the second call
// answers the key as it is and audits nothing, as revokeSession does for a
// session that has ended.
func TestRevokingARevokedKeyChangesNothing(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	id, _ := s.createKey(t, "support", s.appID)
	const revoke = `mutation($id: ID!) { revokeAPIKey(id: $id) { id revokedAt } }`
	first := s.admin(revoke, vars{"id": id}).data(t)["revokeAPIKey"].(map[string]any)["revokedAt"]
	audits := s.m.DB.Ent.AuditEvent.Query().Where(auditevent.Action("keys:revoke"), auditevent.TargetID(id)).CountX(context.Background())
	s.clock.Advance(time.Hour)
	again := s.admin(revoke, vars{"id": id}).data(t)["revokeAPIKey"].(map[string]any)["revokedAt"]
	if again != first {
		t.Errorf("revokedAt moved from %v to %v", first, again)
	}
	if n := s.m.DB.Ent.AuditEvent.Query().Where(auditevent.Action("keys:revoke"), auditevent.TargetID(id)).CountX(context.Background()); n != audits {
		t.Errorf("%d keys:revoke audit events after revoking twice, want %d", n, audits)
	}
}
