package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/auditevent"
	"github.com/trustgate/trustgate/policy"
)

// TestDashboardNeedsAGlobalOwner: the dashboard application's users are the
// operators, owners included. A global admin or support role may read
// there, but only an owner of every application may lock, ban or reset the
// MFA of an operator, or change the dashboard's settings; elsewhere the same
// roles keep their powers. The internal "?" domain is no application id.
func TestDashboardNeedsAGlobalOwner(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.cli(t, "operators", "create", "--email", "boss@example.com", "--role", "owner", "--json")
		dash, boss := s.operatorUser(t, "boss@example.com")
		_, adminKey := s.createKey(t, "admin", "")
		_, supportKey := s.createKey(t, "support", "")
		s.reloadPolicy(t)
		customer := s.newUser(t, vars{"emailAddress": "customer@example.com"})

		lock := `mutation($id: ID!) { lockUser(id: $id) { id } }`
		for _, c := range []struct {
			name, key, query string
			v                vars
		}{
			{"a global support key locks an owner", supportKey, lock, vars{"id": boss.ID}},
			{"a global support key resets an owner's MFA", supportKey, `mutation($id: ID!) { resetUserMfa(id: $id) { id } }`, vars{"id": boss.ID}},
			{"a global admin key bans an owner", adminKey, `mutation($id: ID!) { banUser(id: $id) { id } }`, vars{"id": boss.ID}},
			{"a global admin key weakens the dashboard's sign-in", adminKey,
				`mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {lockoutMaxAttempts: 1000}) { lockoutMaxAttempts } }`, vars{"id": dash.ID}},
			// The outbox holds the operators' codes: an owner's reset code
			// read there would make a global admin an owner.
			{"a global admin key reads the dashboard's outbox", adminKey,
				`query($id: ID!) { outbox(applicationId: $id) { id } }`, vars{"id": dash.ID}},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got := s.adminAs(c.key, c.query, c.v).code(t); got != "permission_denied" {
					t.Fatalf("got %s, want permission_denied", got)
				}
			})
		}
		if u := s.userRow(t, boss.ID); u.LockedAt != nil || u.Banned {
			t.Fatal("the owner operator was locked or banned")
		}

		t.Run("the dashboard offers a global admin only reads there", func(t *testing.T) {
			perms := func(app string) []any {
				return s.adminAs(adminKey, `query($a: ID) { viewer { permissions(applicationId: $a) } }`, vars{"a": app}).
					data(t)["viewer"].(map[string]any)["permissions"].([]any)
			}
			for _, p := range perms(dash.ID) {
				if !strings.HasSuffix(p.(string), ":read") || p == "outbox:read" {
					t.Errorf("viewer.permissions in the dashboard app offers %s", p)
				}
			}
			if !slices.Contains(perms(s.appID), any("users:lock")) {
				t.Error("viewer.permissions in an ordinary app lost users:lock")
			}
		})
		t.Run("the same roles still read the dashboard and act elsewhere", func(t *testing.T) {
			s.adminAs(supportKey, `query($id: ID!) { user(id: $id) { id } }`, vars{"id": boss.ID}).data(t)
			s.adminAs(supportKey, lock, vars{"id": customer}).data(t)
		})
		t.Run("a global owner acts on the dashboard", func(t *testing.T) {
			s.admin(lock, vars{"id": boss.ID}).data(t)
		})
		t.Run("a denial in no one application is recorded with none", func(t *testing.T) {
			id, key := s.createKey(t, "auditor", s.appID)
			s.admin(`mutation($s: String!, $a: ID!) { revokeRole(input: {subject: $s, role: "auditor", applicationId: $a}) }`,
				vars{"s": id, "a": s.appID}).data(t)
			s.reloadPolicy(t)
			if got := s.adminAs(key, `query { viewer { permissions } }`, nil).code(t); got != "permission_denied" {
				t.Fatalf("a key with no role reading viewer: got %s", got)
			}
			ev := s.admin(`query { auditEvents(first: 1) { edges { node { action applicationId } } } }`, nil).
				data(t)["auditEvents"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
			if ev["action"] != "permission_denied" || ev["applicationId"] != nil {
				t.Fatalf("newest audit event %v, want a permission_denied with no application", ev)
			}
		})
		t.Run("the internal ? domain is no application id", func(t *testing.T) {
			r := s.adminAs(adminKey, `query { auditEvents(applicationId: "?", first: 5) { edges { node { id } } } }`, nil)
			if got := r.code(t); got != "form_param_format_invalid" {
				t.Fatalf("auditEvents in ?: got %s, want form_param_format_invalid", got)
			}
		})
	})
}

// TestRevokingAKeyNeedsEveryDomainItHolds: revoking a key ends every grant
// it holds, so an owner of one application may revoke a key made there only
// while the key holds no role elsewhere; a global owner may revoke any.
func TestRevokingAKeyNeedsEveryDomainItHolds(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	_, appOwner := s.createKey(t, "owner", s.appID)
	made := func() string {
		r := s.adminAs(appOwner, `mutation($a: ID) { createAPIKey(input: {role: "auditor", applicationId: $a}) { apiKey { id } } }`, vars{"a": s.appID})
		return r.data(t)["createAPIKey"].(map[string]any)["apiKey"].(map[string]any)["id"].(string)
	}
	revoke := `mutation($id: ID!) { revokeAPIKey(id: $id) { id } }`
	s.reloadPolicy(t)

	// revocable says beforehand what revokeAPIKey will answer, as the
	// dashboard shows Revoke only where it works.
	revocable := func(key, id string) any {
		t.Helper()
		for _, k := range s.adminAs(key, `query($a: ID) { apiKeys(applicationId: $a) { id revocable } }`, vars{"a": s.appID}).data(t)["apiKeys"].([]any) {
			if k := k.(map[string]any); k["id"] == id {
				return k["revocable"]
			}
		}
		t.Fatalf("key %s is not listed", id)
		return nil
	}

	local := made()
	if got := revocable(appOwner, local); got != true {
		t.Errorf("an app owner's own app key: revocable %v, want true", got)
	}
	s.adminAs(appOwner, revoke, vars{"id": local}).data(t)
	if got := revocable(appOwner, local); got != false {
		t.Errorf("a revoked key: revocable %v, want false", got)
	}

	promoted := made()
	s.admin(`mutation($in: GrantRoleInput!) { grantRole(input: $in) { id } }`,
		vars{"in": vars{"subject": promoted, "role": "owner", "applicationId": "*"}}).data(t)
	s.reloadPolicy(t)
	if got := revocable(appOwner, promoted); got != false {
		t.Errorf("an app owner, a key that holds a global role: revocable %v, want false", got)
	}
	if got := s.adminAs(appOwner, revoke, vars{"id": promoted}).code(t); got != "permission_denied" {
		t.Fatalf("an app owner revoking a key that holds a global role: got %s, want permission_denied", got)
	}
	if got := revocable(s.ownerKey, promoted); got != true {
		t.Errorf("a global owner, a key that holds a global role: revocable %v, want true", got)
	}
	s.admin(revoke, vars{"id": promoted}).data(t)
}

// TestLastOwnerStays: a revocation that would leave no owner of every
// application (an active key or enabled operator with the owner role in *)
// is refused, whether it revokes the role or the key.
func TestLastOwnerStays(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	var first string // the harness's own owner key
	for _, k := range s.admin(`query { apiKeys { id role applicationId } }`, nil).data(t)["apiKeys"].([]any) {
		if k := k.(map[string]any); k["role"] == "owner" && k["applicationId"] == "*" {
			first = k["id"].(string)
		}
	}
	second, secondKey := s.createKey(t, "owner", "")
	s.reloadPolicy(t)
	revokeRole := `mutation($s: String!) { revokeRole(input: {subject: $s, role: "owner", applicationId: "*"}) }`
	// With two owners, either may go.
	s.adminAs(secondKey, revokeRole, vars{"s": first}).data(t)
	s.reloadPolicy(t)
	for name, r := range map[string]result{
		"revoking the last owner's role": s.adminAs(secondKey, revokeRole, vars{"s": second}),
		"revoking the last owner's key":  s.adminAs(secondKey, `mutation($id: ID!) { revokeAPIKey(id: $id) { id } }`, vars{"id": second}),
	} {
		if got := r.code(t); got != "resource_forbidden" {
			t.Errorf("%s: got %s, want resource_forbidden", name, got)
		}
	}
	// Each refusal rolled its change back, and is in the audit log.
	got := refusals(t, s)
	slices.Sort(got) // the two were made in map order
	if want := []string{"key:" + second + " keys:revoke " + second, "key:" + second + " roles:revoke " + second}; !slices.Equal(got, want) {
		t.Errorf("refusals in the audit log: %q, want %q", got, want)
	}
	s.reloadPolicy(t)
	s.adminAs(secondKey, `query { apiKeys { id } }`, nil).data(t) // still an owner

	// Revocations that touch no owner in * go ahead, even where no active
	// owner in * is left to keep (here the last one revoked behind the
	// API's back, as a database restore might leave it).
	key := func(role string) (id, secret string) {
		r := s.adminAs(secondKey, `mutation($r: String!, $a: ID) { createAPIKey(input: {role: $r, applicationId: $a}) { key apiKey { id } } }`,
			vars{"r": role, "a": s.appID}).data(t)["createAPIKey"].(map[string]any)
		return r["apiKey"].(map[string]any)["id"].(string), r["key"].(string)
	}
	_, appOwner := key("owner")
	auditor, _ := key("auditor")
	s.m.DB.Ent.APIKey.UpdateOneID(second).SetRevokedAt(s.clock.Now()).ExecX(context.Background())
	s.reloadPolicy(t)
	s.adminAs(appOwner, `mutation($id: ID!) { revokeAPIKey(id: $id) { id } }`, vars{"id": auditor}).data(t)
}

// TestLastOwnerCannotBeBanned: a banned operator signs in no more. A banned
// owner does not count as the owner that keeps a revocation possible, and
// the last owner of every application cannot be banned (here: by their own
// dashboard session).
func TestLastOwnerCannotBeBanned(t *testing.T) {
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
		ban        = `mutation($id: ID!) { banUser(id: $id) { id } }`
		revokeRole = `mutation($s: String!) { revokeRole(input: {subject: $s, role: "owner", applicationId: "*"}) }`
	)
	// Two owners (the harness key and boss): boss may be banned, but then
	// does not keep the harness key's role revocable.
	s.admin(ban, vars{"id": boss.ID}).data(t)
	if got := s.admin(revokeRole, vars{"s": harness}).code(t); got != "resource_forbidden" {
		t.Fatalf("revoking the last unbanned owner: got %s, want resource_forbidden", got)
	}
	s.admin(`mutation($id: ID!) { unbanUser(id: $id) { id } }`, vars{"id": boss.ID}).data(t)

	// Boss, an owner again, revokes the harness key's role and is the last
	// owner; banning themselves is refused.
	jwt := s.operatorSession(t, "boss@example.com", op["password"].(string))
	asBoss := func(q string, v vars) result {
		return s.post(http.DefaultClient, map[string]string{"Authorization": "Bearer " + jwt, "X-Publishable-Key": dash.PublishableKey}, q, v)
	}
	asBoss(revokeRole, vars{"s": harness}).data(t)
	s.reloadPolicy(t)
	if got := asBoss(ban, vars{"id": boss.ID}).code(t); got != "resource_forbidden" {
		t.Fatalf("banning the last owner: got %s, want resource_forbidden", got)
	}
	if s.userRow(t, boss.ID).Banned {
		t.Fatal("the last owner was banned")
	}
	if got := refusals(t, s); len(got) != 2 || !strings.HasSuffix(got[1], " users:ban "+boss.ID) {
		t.Fatalf("refusals in the audit log: %q, want the harness's role revocation and boss's ban of themselves", got)
	}
}

// refusals lists, oldest first, the audit log's changes that were refused
// because they would leave no owner of every application, as "actor action
// target".
func refusals(tb testing.TB, s *server) []string {
	tb.Helper()
	events := s.m.DB.Ent.AuditEvent.Query().Order(ent.Asc(auditevent.FieldAt), ent.Asc(auditevent.FieldID)).AllX(context.Background())
	var out []string
	for _, ev := range events {
		if ev.After != nil && strings.Contains(*ev.After, `"refused"`) {
			out = append(out, ev.Actor+" "+ev.Action+" "+ev.TargetID)
		}
	}
	return out
}

// TestKeysGetRolesOnlyAtHome: an owner of one application cannot grant a
// role there to another application's key (which would stop that key's own
// owner from revoking it) nor tell such a key from an id that names none:
// both answer permission_denied. An owner of every application can, and
// the key's own owner may grant it roles at home.
func TestKeysGetRolesOnlyAtHome(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	b := s.createApp(t, "B", time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC))
	_, ownerA := s.createKey(t, "owner", s.appID)
	_, ownerB := s.createKey(t, "owner", b.id)
	s.reloadPolicy(t)
	keyOfB := s.adminAs(ownerB, `mutation($a: ID) { createAPIKey(input: {role: "support", applicationId: $a}) { apiKey { id } } }`, vars{"a": b.id}).
		data(t)["createAPIKey"].(map[string]any)["apiKey"].(map[string]any)["id"].(string)
	grant := func(key, subject, app string) result {
		return s.adminAs(key, `mutation($in: GrantRoleInput!) { grantRole(input: $in) { id } }`,
			vars{"in": vars{"subject": subject, "role": "auditor", "applicationId": app}})
	}
	for _, subject := range []string{keyOfB, "ak_01jzzzzzzzzzzzzzzzzzzzzzzz"} {
		if got := grant(ownerA, subject, s.appID).code(t); got != "permission_denied" {
			t.Fatalf("A's owner grants %s a role in A: %s, want permission_denied", subject, got)
		}
	}
	grant(ownerB, keyOfB, b.id).data(t)
	s.reloadPolicy(t)
	s.adminAs(ownerB, `mutation($id: ID!) { revokeAPIKey(id: $id) { id } }`, vars{"id": keyOfB}).data(t)

	other := s.adminAs(ownerB, `mutation($a: ID) { createAPIKey(input: {role: "support", applicationId: $a}) { apiKey { id } } }`, vars{"a": b.id}).
		data(t)["createAPIKey"].(map[string]any)["apiKey"].(map[string]any)["id"].(string)
	s.admin(`mutation($in: GrantRoleInput!) { grantRole(input: $in) { id } }`,
		vars{"in": vars{"subject": other, "role": "auditor", "applicationId": s.appID}}).data(t)
}

// TestGrantToAnEmailIsAnInvitation: an owner of one application may grant a
// role there to any operator email, one that names no operator yet
// included (the role waits for the operator), so the answer does not tell
// the server's operators apart. In every application ("*") the operator
// must exist: a phantom owner would count toward the owners who must stay.
func TestGrantToAnEmailIsAnInvitation(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.cli(t, "operators", "create", "--email", "boss@example.com", "--role", "owner", "--json")
	_, ownerA := s.createKey(t, "owner", s.appID)
	s.reloadPolicy(t)
	grant := func(key, email, app string) result {
		return s.adminAs(key, `mutation($in: GrantRoleInput!) { grantRole(input: $in) { role applicationId } }`,
			vars{"in": vars{"subject": email, "role": "auditor", "applicationId": app}})
	}
	known, unknown := grant(ownerA, "boss@example.com", s.appID), grant(ownerA, "newcomer@example.com", s.appID)
	if fmt.Sprint(known.Errors, known.Data) != fmt.Sprint(unknown.Errors, unknown.Data) || len(unknown.Errors) > 0 {
		t.Fatalf("an operator's email answers %v %v, a stranger's %v %v; want both granted alike", known.Errors, known.Data, unknown.Errors, unknown.Data)
	}
	// Created as support (which may not read the audit log); the auditor
	// role that waited for them may.
	s.cli(t, "operators", "create", "--email", "newcomer@example.com", "--role", "support", "--app", s.appID, "--json")
	s.reloadPolicy(t)
	if !s.m.Policy.Allowed("newcomer@example.com", s.appID, policy.AuditRead) {
		t.Fatal("the operator created later lacks the role that waited for them")
	}
	if got := grant(s.ownerKey, "ghost@example.com", "*").code(t); got != "form_param_format_invalid" {
		t.Fatalf("a role in every application for an email with no operator: %s, want form_param_format_invalid", got)
	}
}

// TestInvitationsLapse: a role granted to an email with no operator waits
// for that operator 7 days (admin.InvitationTTL), not for ever: an operator
// created with the email later, perhaps by someone else once the address
// changed hands, gets none of it, and the lapsed grant is gone. Granting it
// again renews it; a pending grant is listed and can be revoked.
func TestInvitationsLapse(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		_, ownerA := s.createKey(t, "owner", s.appID)
		s.reloadPolicy(t)
		grant := func(email string) map[string]any {
			return s.adminAs(ownerA, `mutation($in: GrantRoleInput!) { grantRole(input: $in) { id createdAt } }`,
				vars{"in": vars{"subject": email, "role": "auditor", "applicationId": s.appID}}).data(t)["grantRole"].(map[string]any)
		}
		listed := func(email string) bool {
			for _, ra := range s.adminAs(ownerA, `query($a: ID) { roleAssignments(applicationId: $a) { subject role } }`,
				vars{"a": s.appID}).data(t)["roleAssignments"].([]any) {
				if ra.(map[string]any)["subject"] == email {
					return true
				}
			}
			return false
		}
		createOperator := func(email string) {
			t.Helper()
			if _, err := s.m.Services.Admin.CreateOperator(context.Background(), email, adminPassword, "support", s.appID); err != nil {
				t.Fatal(err)
			}
			s.reloadPolicy(t)
		}
		first := map[string]map[string]any{}
		for _, email := range []string{"prompt@example.com", "late@example.com", "renewed@example.com", "withdrawn@example.com"} {
			first[email] = grant(email)
			if !listed(email) {
				t.Fatalf("the pending grant to %s is not listed", email)
			}
		}
		if !s.adminAs(ownerA, `mutation($in: RevokeRoleInput!) { revokeRole(input: $in) }`,
			vars{"in": vars{"subject": "withdrawn@example.com", "role": "auditor", "applicationId": s.appID}}).data(t)["revokeRole"].(bool) ||
			listed("withdrawn@example.com") {
			t.Fatal("a pending grant was not revoked")
		}

		s.clock.Advance(6 * 24 * time.Hour)
		createOperator("prompt@example.com")
		if !s.m.Policy.Allowed("prompt@example.com", s.appID, policy.AuditRead) {
			t.Fatal("an operator created 6 days after the grant lacks the role")
		}
		// Granting again renews a grant alike whether the email names an
		// operator or not, so the answer does not tell them apart.
		for _, email := range []string{"renewed@example.com", "prompt@example.com"} {
			again := grant(email)
			if again["id"] != first[email]["id"] || again["createdAt"] == first[email]["createdAt"] {
				t.Fatalf("%s granted again: %v, first %v; want the same id, renewed", email, again, first[email])
			}
		}

		s.clock.Advance(2 * 24 * time.Hour)
		createOperator("late@example.com")
		if s.m.Policy.Allowed("late@example.com", s.appID, policy.AuditRead) {
			t.Fatal("an operator created 8 days after the grant holds the role that waited for the email")
		}
		if !s.m.Policy.Allowed("late@example.com", s.appID, policy.UsersRead) {
			t.Fatal("the operator lacks the role it was created with")
		}
		for _, ra := range s.adminAs(ownerA, `query($a: ID) { roleAssignments(applicationId: $a) { subject role } }`,
			vars{"a": s.appID}).data(t)["roleAssignments"].([]any) {
			if m := ra.(map[string]any); m["subject"] == "late@example.com" && m["role"] == "auditor" {
				t.Fatal("the lapsed grant is still listed")
			}
		}
		createOperator("renewed@example.com")
		if !s.m.Policy.Allowed("renewed@example.com", s.appID, policy.AuditRead) {
			t.Fatal("an operator created 2 days after the grant was renewed lacks the role")
		}
	})
}

// TestOperatorSessionNeedsNoPublishableKey: an operator's dashboard session
// JWT is an admin credential on its own (CONTRACT §2), as an sk_ key is,
// with one other application on the server or several.
func TestOperatorSessionNeedsNoPublishableKey(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	op := s.cli(t, "operators", "create", "--email", "boss@example.com", "--role", "owner", "--json")
	s.reloadPolicy(t)
	jwt := s.operatorSession(t, "boss@example.com", op["password"].(string))
	bare := func() result {
		return s.post(http.DefaultClient, map[string]string{"Authorization": "Bearer " + jwt}, `query { applications { id } }`, nil)
	}
	if r := bare(); len(r.Errors) > 0 {
		t.Fatalf("the operator's JWT alone, one other application: %v", r.Errors)
	}
	s.createApp(t, "Second", s.clock.Now())
	if r := bare(); len(r.Errors) > 0 {
		t.Fatalf("the operator's JWT alone, two other applications: %v", r.Errors)
	}
	// A customer's session stays a customer's: no admin field answers it.
	s.setSettings(t, vars{"clientTrustEnabled": false})
	d := s.browser()
	s.newUser(t, vars{"emailAddress": "ada@example.com"})
	userJWT := d.token(t, d.mustSession(t, "ada@example.com"))
	r := s.post(http.DefaultClient, map[string]string{"Authorization": "Bearer " + userJWT}, `query { applications { id } }`, nil)
	if got := r.code(t); got != "authentication_invalid" && got != "permission_denied" {
		t.Fatalf("a customer's JWT on an admin field: %s", got)
	}
}

// TestOperatorPasswordFromStdin: `operators create` takes the password piped
// on stdin, which then signs the operator in, and its --json object keeps the
// contract's shape {"id","email","password"} with "password": null, since
// only a generated password is printed.
func TestOperatorPasswordFromStdin(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	var out, errOut bytes.Buffer
	args := []string{"operators", "create", "--email", "boss@example.com", "--role", "owner", "--json", "--database-url", s.m.Config.DatabaseURL}
	if code := run(context.Background(), args, strings.NewReader("chosen-by-the-operator-1\n"), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var obj map[string]any
	if err := json.Unmarshal(out.Bytes(), &obj); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if pw, ok := obj["password"]; !ok || pw != nil || obj["email"] != "boss@example.com" || obj["id"] == nil {
		t.Fatalf(`want {"id","email","password": null}, got %s`, out.String())
	}
	if strings.Contains(out.String()+errOut.String(), "chosen-by-the-operator-1") {
		t.Fatal("the piped password was printed")
	}
	s.reloadPolicy(t)
	if s.operatorSession(t, "boss@example.com", "chosen-by-the-operator-1") == "" {
		t.Fatal("no session with the piped password")
	}
}

// TestOperatorEmailLikeAKeyID: an operator whose address starts with ak_,
// like an API key's id, is still an operator: roles can be granted to them
// and, as an owner of every application, they keep the harness key's owner
// role revocable.
func TestOperatorEmailLikeAKeyID(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	s.cli(t, "operators", "create", "--email", "ak_boss@example.com", "--role", "owner", "--json")
	s.reloadPolicy(t)
	s.admin(`mutation($a: ID!) { grantRole(input: {subject: "ak_boss@example.com", role: "support", applicationId: $a}) { id } }`,
		vars{"a": s.appID}).data(t)
	var harness string
	for _, k := range s.admin(`query { apiKeys { id role applicationId } }`, nil).data(t)["apiKeys"].([]any) {
		if k := k.(map[string]any); k["role"] == "owner" && k["applicationId"] == "*" {
			harness = k["id"].(string)
		}
	}
	s.admin(`mutation($s: String!) { revokeRole(input: {subject: $s, role: "owner", applicationId: "*"}) }`, vars{"s": harness}).data(t)
}
