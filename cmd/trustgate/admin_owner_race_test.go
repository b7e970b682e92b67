package main

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/apikey"
	"github.com/trustgate/trustgate/ent/auditevent"
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
		s := mustStart(t, dbURL, cheapHashes)
		s.cli(t, "operators", "create", "--email", "boss@example.com", "--role", "owner", "--json")
		_, boss := s.operatorUser(t, "boss@example.com")
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
// active key, or an enabled operator whose user is neither banned nor locked
// until an admin unlocks.
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
				operator.HasUserWith(user.Banned(false), user.Or(user.LockedAtIsNil(), user.LockoutExpiresAtNotNil()))).ExistX(ctx)
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

// TestLastOwnerCannotBeLockedOut: an admin's lock holds until an admin
// unlocks, so a locked operator signs in no more, as a banned one, and the
// dashboard session they had carries no powers meanwhile. An owner
// operator so locked does not count as the owner that keeps a revocation
// possible, and the last owner of every application cannot be locked (here:
// by their own dashboard session).
func TestLastOwnerCannotBeLockedOut(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	op := s.cli(t, "operators", "create", "--email", "boss@example.com", "--role", "owner", "--json")
	s.reloadPolicy(t)
	dash, boss := s.operatorUser(t, "boss@example.com")
	var harness string
	for _, k := range s.admin(`query { apiKeys { id role applicationId } }`, nil).data(t)["apiKeys"].([]any) {
		if k := k.(map[string]any); k["role"] == "owner" && k["applicationId"] == "*" {
			harness = k["id"].(string)
		}
	}
	const (
		lock       = `mutation($id: ID!) { lockUser(id: $id) { id } }`
		revokeRole = `mutation($s: String!) { revokeRole(input: {subject: $s, role: "owner", applicationId: "*"}) }`
	)
	jwt := s.operatorSession(t, "boss@example.com", op["password"].(string))
	asBoss := func(q string, v vars) result {
		return s.post(http.DefaultClient, map[string]string{"Authorization": "Bearer " + jwt, "X-Publishable-Key": dash.PublishableKey}, q, v)
	}

	// Two owners: boss may be locked, but then does not keep the harness
	// key's role revocable, nor act through the session they had: not
	// unlock themselves, nor revoke the role of the key that locked them.
	s.admin(lock, vars{"id": boss.ID}).data(t)
	if got := s.admin(revokeRole, vars{"s": harness}).code(t); got != "resource_forbidden" {
		t.Fatalf("revoking the last owner not locked out: got %s, want resource_forbidden", got)
	}
	for _, q := range []struct {
		doc string
		v   vars
	}{{`mutation($id: ID!) { unlockUser(id: $id) { id } }`, vars{"id": boss.ID}}, {revokeRole, vars{"s": harness}}} {
		if r := asBoss(q.doc, q.v); len(r.Errors) == 0 || r.code(t) != "authentication_invalid" {
			t.Fatalf("a locked operator's dashboard session: %v %v, want authentication_invalid", r.Data, r.Errors)
		}
	}
	if s.userRow(t, boss.ID).LockedAt == nil {
		t.Fatal("the locked operator unlocked themselves")
	}
	s.admin(`mutation($id: ID!) { unlockUser(id: $id) { id } }`, vars{"id": boss.ID}).data(t)

	// A lock that failures made, which ends by itself, takes no powers:
	// whoever knows an operator's address could otherwise take the control
	// plane from every operator by guessing passwords.
	now := s.clock.Now()
	if err := s.m.DB.Ent.User.UpdateOneID(boss.ID).SetLockedAt(now).SetLockoutExpiresAt(now.Add(time.Hour)).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	asBoss(`query { apiKeys { id } }`, nil).data(t)
	s.admin(`mutation($id: ID!) { unlockUser(id: $id) { id } }`, vars{"id": boss.ID}).data(t)

	// Boss, the last owner once the harness key's role is gone, cannot lock themselves.
	asBoss(revokeRole, vars{"s": harness}).data(t)
	s.reloadPolicy(t)
	if got := asBoss(lock, vars{"id": boss.ID}).code(t); got != "resource_forbidden" {
		t.Fatalf("locking the last owner: got %s, want resource_forbidden", got)
	}
	if s.userRow(t, boss.ID).LockedAt != nil {
		t.Fatal("the last owner was locked")
	}
}

// TestDashboardLockoutEnds: the dashboard application's lockout must end by
// itself. Its users are the operators, and anyone may type an owner's email
// with wrong passwords at its sign-in: with lockoutDurationSeconds null (or
// years), that would lock the last owner out of the control plane for good,
// where no one is left to unlock them. Such a change is refused with
// resource_forbidden on lockoutDurationSeconds; a bounded lockout of at most
// a day is accepted, and other applications may still lock until unlocked.
// A dashboard that stored null before the refusal existed reads, and locks,
// as a day.
func TestDashboardLockoutEnds(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.cli(t, "operators", "create", "--email", "boss@example.com", "--role", "owner", "--json")
	s.reloadPolicy(t)
	dash, _ := s.operatorUser(t, "boss@example.com")
	update := func(appID string, d any) result {
		return s.admin(`mutation($id: ID!, $d: Int) { updateAppSettings(applicationId: $id, input: {lockoutDurationSeconds: $d}) { lockoutDurationSeconds } }`,
			vars{"id": appID, "d": d})
	}
	for _, d := range []any{nil, 10 * 365 * 24 * 3600, 24*3600 + 1} {
		r := update(dash.ID, d)
		if r.code(t) != "resource_forbidden" || r.ext(t)["paramName"] != "lockoutDurationSeconds" {
			t.Fatalf("dashboard lockoutDurationSeconds %v: got %+v (data %v), want resource_forbidden on lockoutDurationSeconds", d, r.Errors, r.Data)
		}
	}
	if set, _ := s.appSettings(t, dash.ID); set["lockoutDurationSeconds"] != float64(3600) {
		t.Fatalf("the dashboard's lockoutDurationSeconds changed to %v", set["lockoutDurationSeconds"])
	}
	update(dash.ID, 24*3600).data(t)
	// A change of another setting of the dashboard still goes through.
	s.admin(`mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {lockoutMaxAttempts: 20}) { lockoutMaxAttempts } }`,
		vars{"id": dash.ID}).data(t)
	if got := update(s.appID, nil).data(t)["updateAppSettings"].(map[string]any)["lockoutDurationSeconds"]; got != nil {
		t.Fatalf("another application's lockoutDurationSeconds = %v, want null", got)
	}

	// A dashboard that stored null before the refusal existed reads, and
	// locks, for a day at most.
	s.admin(`mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {lockoutMaxAttempts: 5}) { lockoutMaxAttempts } }`,
		vars{"id": dash.ID}).data(t)
	app, err := s.m.DB.Ent.Application.Get(context.Background(), dash.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored := maps.Clone(app.Settings)
	stored["lockoutDurationSeconds"] = json.RawMessage("null")
	if err := s.m.DB.Ent.Application.UpdateOneID(dash.ID).SetSettings(stored).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Minute) // past the server's cache of applications
	if set, _ := s.appSettings(t, dash.ID); set["lockoutDurationSeconds"] != float64(24*3600) {
		t.Fatalf("a stored null reads lockoutDurationSeconds %v, want %d", set["lockoutDurationSeconds"], 24*3600)
	}
	d := s.browser()
	d.pk = dash.PublishableKey
	for range 5 {
		d.signIn("boss@example.com", "not-the-password")
	}
	_, boss := s.operatorUser(t, "boss@example.com")
	if boss.LockedAt == nil || boss.LockoutExpiresAt == nil || boss.LockoutExpiresAt.Sub(*boss.LockedAt) != 24*time.Hour {
		t.Fatalf("after 5 wrong passwords: locked at %v until %v, want a lock of a day", boss.LockedAt, boss.LockoutExpiresAt)
	}
}
