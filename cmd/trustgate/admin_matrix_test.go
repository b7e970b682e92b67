package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent/application"
	"github.com/trustgate/trustgate/policy"
)

// The role × admin-operation matrix of CONTRACT.md §5, written here
// independently of policy/policy.csv: the test fails when the policy grants or
// withholds something the contract does not.
//
// Reading of the contract where it is silent: every role may see itself
// (viewer) and the applications it has a role in (id and name; settings are a
// separate permission), since the dashboard cannot place the caller otherwise.
// Applications, roles and API keys are the owner's alone; "read everything of
// its apps" gives admin the outbox, role assignments and API key lists of its
// apps. Server-wide operations (creating applications, keys for all
// applications, the audit log of every application) need a grant in "*".
var contractAllows = map[string][]string{
	"owner": {"*"},
	"admin": {"viewer", "applications", "application", "application.settings", "application.updates", "users", "user",
		"signInEvents", "auditEvents", "outbox", "roleAssignments", "apiKeys",
		"updateAppSettings", "setAppUpdate", "createUser", "lockUser", "unlockUser", "banUser", "unbanUser",
		"resetUserMfa", "revokeSession", "revokeTrustedClients"},
	"support": {"viewer", "applications", "application", "users", "user", "signInEvents",
		"lockUser", "unlockUser", "resetUserMfa", "revokeSession", "revokeTrustedClients"},
	"auditor": {"viewer", "applications", "application", "application.settings", "application.updates", "users", "user",
		"signInEvents", "auditEvents"},
}

func contractAllowed(role, op string) bool {
	list := contractAllows[role]
	return slices.Contains(list, "*") || slices.Contains(list, op)
}

// adminTarget is one application of the matrix with the objects the
// operations act on.
type adminTarget struct {
	app     adminApp
	userID  string
	email   string
	subject string // an API key id to grant roles to
}

// signInOnce signs the target's user in from a new browser, so that it has
// a sign-in history.
func (x *adminTarget) signInOnce(t *testing.T, s *server) {
	t.Helper()
	s.signInSession(t, x.app, x.email)
}

// adminOp is one admin field and how to call it against a target.
type adminOp struct {
	name  string
	query string
	// scope: "app" (acts on the target application), "server" (server-wide:
	// only a grant in "*" allows it) or "self" (the caller's own view).
	scope    string
	mutation bool
	// byID: the operation finds its object by id. In an application the
	// caller holds no role in, it answers resource_not_found, as for an id
	// that names nothing.
	byID bool
	vars func(t *testing.T, s *server, x *adminTarget) vars
}

func adminOps() []adminOp {
	app := func(t *testing.T, s *server, x *adminTarget) vars { return vars{"id": x.app.id} }
	user := func(t *testing.T, s *server, x *adminTarget) vars { return vars{"id": x.userID} }
	return []adminOp{
		{name: "viewer", scope: "self", query: `{ viewer { actor roles { role applicationId } permissions } }`},
		{name: "applications", scope: "self", query: `{ applications { id name } }`},
		{name: "application", scope: "app", vars: app, query: `query($id: ID!) { application(id: $id) { id name publishableKey createdAt } }`},
		{name: "application.settings", scope: "app", vars: app, query: `query($id: ID!) { application(id: $id) { id settings { clientTrustEnabled lockoutMaxAttempts } } }`},
		{name: "application.updates", scope: "app", vars: app, query: `query($id: ID!) { application(id: $id) { id updates { key enabled } } }`},
		{name: "users", scope: "app", vars: app, query: `query($id: ID!) { users(applicationId: $id, first: 5) { edges { node { id } } } }`},
		{name: "user", scope: "app", byID: true, vars: user, query: `query($id: ID!) { user(id: $id) { id emailAddresses { emailAddress } sessions { id } clients { id } factors { strategy } } }`},
		{name: "signInEvents", scope: "app", vars: app, query: `query($id: ID!) { signInEvents(applicationId: $id, first: 5) { edges { node { id kind } } } }`},
		{name: "auditEvents", scope: "app", vars: app, query: `query($id: ID) { auditEvents(applicationId: $id, first: 5) { edges { node { id action } } } }`},
		{name: "auditEvents", scope: "server", query: `{ auditEvents(first: 5) { edges { node { id } } } }`},
		{name: "outbox", scope: "app", vars: app, query: `query($id: ID!) { outbox(applicationId: $id) { id } }`},
		{name: "roleAssignments", scope: "app", vars: app, query: `query($id: ID) { roleAssignments(applicationId: $id) { id role } }`},
		{name: "roleAssignments", scope: "server", query: `{ roleAssignments { id } }`},
		{name: "apiKeys", scope: "app", vars: app, query: `query($id: ID) { apiKeys(applicationId: $id) { id role } }`},
		{name: "apiKeys", scope: "server", query: `{ apiKeys { id } }`},

		{name: "createApplication", scope: "server", mutation: true, query: `mutation { createApplication(input: {name: "Another"}) { id } }`},
		{name: "updateAppSettings", scope: "app", mutation: true, vars: app,
			query: `mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {notifyNewDevice: true}) { notifyNewDevice } }`},
		{name: "setAppUpdate", scope: "app", mutation: true, vars: app,
			query: `mutation($id: ID!) { setAppUpdate(applicationId: $id, key: "lockout_10_attempts", enabled: null) { id } }`},
		{name: "createUser", scope: "app", mutation: true,
			vars: func(t *testing.T, s *server, x *adminTarget) vars {
				return vars{"id": x.app.id, "e": adminUnique("created") + "@example.com"}
			},
			query: `mutation($id: ID!, $e: String!) { createUser(applicationId: $id, input: {emailAddress: $e}) { id } }`},
		{name: "lockUser", scope: "app", byID: true, mutation: true, vars: user, query: `mutation($id: ID!) { lockUser(id: $id) { id locked } }`},
		{name: "unlockUser", scope: "app", byID: true, mutation: true, vars: user, query: `mutation($id: ID!) { unlockUser(id: $id) { id locked } }`},
		{name: "banUser", scope: "app", byID: true, mutation: true, vars: user, query: `mutation($id: ID!) { banUser(id: $id) { id banned } }`},
		{name: "unbanUser", scope: "app", byID: true, mutation: true, vars: user, query: `mutation($id: ID!) { unbanUser(id: $id) { id banned } }`},
		{name: "resetUserMfa", scope: "app", byID: true, mutation: true, vars: user, query: `mutation($id: ID!) { resetUserMfa(id: $id) { id twoFactorEnabled } }`},
		{name: "revokeSession", scope: "app", byID: true, mutation: true,
			vars: func(t *testing.T, s *server, x *adminTarget) vars {
				// A fresh session each time, so that every allowed call revokes (and audits) something.
				_, sess := s.signInSession(t, x.app, x.email)
				return vars{"id": sess}
			},
			query: `mutation($id: ID!) { revokeSession(id: $id) { id status } }`},
		{name: "revokeTrustedClients", scope: "app", byID: true, mutation: true,
			vars:  func(t *testing.T, s *server, x *adminTarget) vars { return vars{"id": x.userID} },
			query: `mutation($id: ID!) { revokeTrustedClients(userId: $id) { id } }`},
		{name: "grantRole", scope: "app", mutation: true,
			vars: func(t *testing.T, s *server, x *adminTarget) vars {
				return vars{"in": vars{"subject": x.subject, "role": "auditor", "applicationId": x.app.id}}
			},
			query: `mutation($in: GrantRoleInput!) { grantRole(input: $in) { id role applicationId } }`},
		{name: "revokeRole", scope: "app", mutation: true,
			vars: func(t *testing.T, s *server, x *adminTarget) vars {
				in := vars{"subject": x.subject, "role": "support", "applicationId": x.app.id}
				s.admin(`mutation($in: GrantRoleInput!) { grantRole(input: $in) { id } }`, vars{"in": in}).data(t)
				return vars{"in": in}
			},
			query: `mutation($in: RevokeRoleInput!) { revokeRole(input: $in) }`},
		{name: "createAPIKey", scope: "app", mutation: true, vars: app,
			query: `mutation($id: ID) { createAPIKey(input: {role: "auditor", applicationId: $id}) { key apiKey { id } } }`},
		{name: "createAPIKey", scope: "server", mutation: true,
			query: `mutation { createAPIKey(input: {role: "auditor"}) { key apiKey { id } } }`},
		{name: "revokeAPIKey", scope: "app", byID: true, mutation: true,
			vars: func(t *testing.T, s *server, x *adminTarget) vars {
				id, _ := s.createKey(t, "support", x.app.id)
				return vars{"id": id}
			},
			query: `mutation($id: ID!) { revokeAPIKey(id: $id) { id revokedAt } }`},
	}
}

// TestAdminRoleMatrix calls every admin field as every role, with a key
// bound to application A, on A's objects and on B's. A key of A never
// reaches B; within A, exactly what CONTRACT.md §5 allows is allowed; every
// denial is permission_denied and an audit event and changes nothing; every
// allowed mutation is audited and changes nothing of B's.
// TestAdminMatrixCoversTheSchema keeps adminOps naming every guarded field.
func TestAdminRoleMatrix(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, func(c *Config) { c.Dev = true }) // dev: the outbox field answers
		// Created before 2025-11-14: Client Trust is off, so sign-ins complete with a password.
		before := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		targets := map[string]*adminTarget{}
		for _, name := range []string{"A", "B"} {
			x := &adminTarget{app: s.createApp(t, "App "+name, before), email: strings.ToLower("someone@"+name) + ".example.com"}
			x.userID = s.createAppUser(t, x.app, x.email)
			x.subject, _ = s.createKey(t, "support", x.app.id)
			targets[name] = x
		}
		a, b := targets["A"], targets["B"]
		keys := map[string][2]string{}
		for _, role := range []string{"owner", "admin", "support", "auditor"} {
			id, key := s.createKey(t, role, a.app.id)
			keys[role] = [2]string{id, key}
		}

		check := func(t *testing.T, role string, op adminOp, x *adminTarget, want bool) {
			t.Helper()
			keyID, key := keys[role][0], keys[role][1]
			actor := "key:" + keyID
			var v vars
			if op.vars != nil {
				v = op.vars(t, s, x)
			}
			if !want {
				// A denial alike to one audited less than a minute ago is not
				// audited again (TestPermissionDenialsAreAuditedOncePerMinute).
				s.clock.Advance(time.Minute)
			}
			denials, all := s.auditCount(t, actor, "permission_denied"), s.auditCount(t, actor, "")
			everything, theirs := s.adminState(t, ""), s.adminState(t, b.app.id)
			r := s.adminAs(key, op.query, v)
			if got := s.adminState(t, b.app.id); x != b && got != theirs {
				// A's key acting in A changes nothing of B's.
				t.Fatalf("%s as %s in A changed B's state:\nbefore %s\nafter  %s", op.name, role, theirs, got)
			}
			if !want {
				if got := s.adminState(t, ""); got != everything {
					t.Fatalf("%s as %s: denied, but the state changed:\nbefore %s\nafter  %s", op.name, role, everything, got)
				}
				if len(r.Errors) == 0 {
					t.Fatalf("%s as %s: allowed (data %v), want permission_denied", op.name, role, r.Data)
				}
				want := "permission_denied"
				if op.byID && x != a {
					want = "resource_not_found"
				}
				if got := r.code(t); got != want {
					t.Fatalf("%s as %s: code %s, want %s", op.name, role, got, want)
				}
				if got := s.auditCount(t, actor, "permission_denied"); got != denials+1 {
					t.Fatalf("%s as %s: %d new permission_denied audit events, want 1", op.name, role, got-denials)
				}
				return
			}
			if len(r.Errors) > 0 {
				t.Fatalf("%s as %s: got errors %+v, want allowed", op.name, role, r.Errors)
			}
			if got := s.auditCount(t, actor, "permission_denied"); got != denials {
				t.Fatalf("%s as %s: allowed but a denial was audited", op.name, role)
			}
			if op.mutation && s.auditCount(t, actor, "") <= all {
				t.Fatalf("%s as %s: the mutation wrote no audit event", op.name, role)
			}
		}

		for _, role := range []string{"owner", "admin", "support", "auditor"} {
			t.Run(role, func(t *testing.T) {
				for _, op := range adminOps() {
					switch op.scope {
					case "self":
						t.Run(op.name, func(t *testing.T) { check(t, role, op, nil, true) })
					case "server":
						t.Run(op.name+" (server-wide)", func(t *testing.T) { check(t, role, op, nil, false) })
					case "app":
						t.Run(op.name+" in own app", func(t *testing.T) { check(t, role, op, a, contractAllowed(role, op.name)) })
						t.Run(op.name+" in another app", func(t *testing.T) { check(t, role, op, b, false) })
					}
				}
			})
		}

		t.Run("another application's object answers as an id that names nothing", func(t *testing.T) {
			_, owner := keys["owner"][0], keys["owner"][1]
			for _, op := range adminOps() {
				if !op.byID {
					continue
				}
				id := op.vars(t, s, b)["id"]
				theirs := s.adminAs(owner, op.query, vars{"id": id})
				none := s.adminAs(owner, op.query, vars{"id": "01JZZZZZZZZZZZZZZZZZZZZZZZ"})
				if fmt.Sprint(theirs.Errors, theirs.Data) != fmt.Sprint(none.Errors, none.Data) {
					t.Errorf("%s: B's object answers %+v %v, a missing one %+v %v", op.name, theirs.Errors, theirs.Data, none.Errors, none.Data)
				}
			}
		})
		t.Run("an owner of every application may do the server-wide operations", func(t *testing.T) {
			for _, op := range adminOps() {
				if op.scope == "server" {
					if r := s.admin(op.query, nil); len(r.Errors) > 0 {
						t.Errorf("%s as global owner: %+v", op.name, r.Errors)
					}
				}
			}
		})
		t.Run("filters that name B's objects find nothing in A", func(t *testing.T) {
			b.signInOnce(t, s)
			for role, k := range keys {
				for _, c := range []struct {
					name, query string
					v           vars
				}{
					{"users by B's user id", `query($a: ID!, $q: String) { users(applicationId: $a, where: {query: $q}) { edges { node { id } } } }`,
						vars{"a": a.app.id, "q": b.userID}},
					{"users by B's email", `query($a: ID!, $q: String) { users(applicationId: $a, where: {query: $q}) { edges { node { id } } } }`,
						vars{"a": a.app.id, "q": b.email}},
					{"signInEvents by B's user", `query($a: ID!, $u: ID) { signInEvents(applicationId: $a, where: {userId: $u}) { edges { node { id } } } }`,
						vars{"a": a.app.id, "u": b.userID}},
				} {
					r := s.adminAs(k[1], c.query, c.v)
					if len(r.Errors) > 0 {
						t.Errorf("%s as %s: %+v", c.name, role, r.Errors)
						continue
					}
					for _, conn := range r.Data {
						if edges := conn.(map[string]any)["edges"].([]any); len(edges) != 0 {
							t.Errorf("%s as %s: %v, want nothing", c.name, role, edges)
						}
					}
				}
				// The CSV export: B's history is refused, and A's filtered by B's user is empty.
				bearer := map[string]string{"Authorization": "Bearer " + k[1]}
				s.clock.Advance(time.Minute)
				denials := s.auditCount(t, "key:"+k[0], "permission_denied")
				if resp, _ := s.exportCSV(t, bearer, url.Values{"applicationId": {b.app.id}}); resp.StatusCode != http.StatusForbidden {
					t.Errorf("CSV export of B as %s: status %d, want 403", role, resp.StatusCode)
				}
				if got := s.auditCount(t, "key:"+k[0], "permission_denied"); got != denials+1 {
					t.Errorf("CSV export of B as %s: %d denials audited, want 1", role, got-denials)
				}
				if resp, rows := s.exportCSV(t, bearer, url.Values{"applicationId": {a.app.id}, "userId": {b.userID}}); resp.StatusCode != http.StatusOK || len(rows) != 1 {
					t.Errorf("CSV export of A by B's user as %s: status %d, %d rows, want the header alone", role, resp.StatusCode, len(rows))
				}
			}
		})
		t.Run("applications lists only the applications the key has a role in", func(t *testing.T) {
			for role, k := range keys {
				apps := s.adminAs(k[1], `{ applications { id } }`, nil).data(t)["applications"].([]any)
				if len(apps) != 1 || apps[0].(map[string]any)["id"] != a.app.id {
					t.Errorf("%s key of A sees %v, want only %s", role, apps, a.app.id)
				}
			}
		})
		t.Run("viewer reports the permissions of the key in its application", func(t *testing.T) {
			for role, k := range keys {
				got := s.adminAs(k[1], `query($a: ID) { viewer { permissions(applicationId: $a) } }`, vars{"a": a.app.id}).
					data(t)["viewer"].(map[string]any)["permissions"].([]any)
				has := func(p string) bool { return slices.Contains(got, any(p)) }
				if has("settings:update") != contractAllowed(role, "updateAppSettings") || has("users:lock") != contractAllowed(role, "lockUser") {
					t.Errorf("%s: permissions %v disagree with the contract", role, got)
				}
			}
		})
	})
}

// TestAdminCredentials checks the two credential boundaries of CONTRACT.md
// §2: frontend operations never accept an sk_ key, and admin fields never
// accept a user session.
func TestAdminCredentials(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	app := s.createApp(t, "Old app", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	s.createAppUser(t, app, "ada@example.com")
	user, sess := s.signInSession(t, app, "ada@example.com")
	jwt := user.token(t, sess)

	t.Run("frontend operations reject secret keys", func(t *testing.T) {
		h := map[string]string{"Authorization": "Bearer " + s.ownerKey, "X-Publishable-Key": app.pk}
		for _, q := range []string{
			`mutation { signInCreate(input: {identifier: "ada@example.com", password: "correct horse battery staple"}) { id } }`,
			`mutation { signUpCreate(input: {emailAddress: "eve@example.com", password: "correct horse battery staple"}) { id } }`,
		} {
			if got := s.post(user.http, h, q, nil).code(t); got != "authentication_invalid" {
				t.Errorf("%s with an sk_ key: code %s, want authentication_invalid", q, got)
			}
		}
		// The key is no identity here either: no client is made for it, and it is nobody.
		if r := s.post(user.http, h, `{ client { id } }`, nil); len(r.Errors) == 0 || r.header.Get("X-Client-Token") != "" {
			t.Errorf("client with an sk_ key: got %v (token %q), want an error and no client", r.Data, r.header.Get("X-Client-Token"))
		}
		// Not "signed out" either (null): the key is the wrong credential here (ERRORS.md).
		if got := s.post(user.http, h, `{ me { id } }`, nil).code(t); got != "authentication_invalid" {
			t.Errorf("me with an sk_ key: code %s, want authentication_invalid", got)
		}
	})
	t.Run("admin fields reject user sessions", func(t *testing.T) {
		for _, h := range []map[string]string{
			{"Authorization": "Bearer " + jwt, "X-Publishable-Key": app.pk},
			{"Cookie": "__session=" + jwt, "X-Publishable-Key": app.pk},
		} {
			for _, q := range []string{`{ applications { id } }`, `{ viewer { actor } }`,
				`query($id: ID!) { users(applicationId: $id) { edges { node { id } } } }`} {
				r := s.post(user.http, h, q, vars{"id": app.id})
				if got := r.code(t); got != "authentication_invalid" {
					t.Errorf("%s with a user session: code %s, want authentication_invalid", q, got)
				}
			}
		}
	})
	t.Run("admin fields reject unknown and revoked keys", func(t *testing.T) {
		id, key := s.createKey(t, "admin", app.id)
		s.admin(`mutation($id: ID!) { revokeAPIKey(id: $id) { id } }`, vars{"id": id}).data(t)
		for _, k := range []string{key, "sk_not_a_key"} {
			if got := s.adminAs(k, `{ applications { id } }`, nil).code(t); got != "authentication_invalid" {
				t.Errorf("code %s, want authentication_invalid", got)
			}
		}
	})
}

// TestDashboardRoleMatrix calls every admin field that acts in one
// application on the dashboard application (whose users are the operators)
// as keys holding each role in every application (*): a global admin,
// support or auditor reads there what CONTRACT.md §5 lets it read anywhere,
// but changes nothing and reads no outbox (its codes are the operators');
// a global owner does everything. Every denial is permission_denied, audited,
// and changes nothing.
func TestDashboardRoleMatrix(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes, func(c *Config) { c.Dev = true })
	d := s.m.DB.Ent.Application.Query().Where(application.Dashboard(true)).OnlyX(context.Background())
	x := &adminTarget{app: adminApp{id: d.ID, pk: d.PublishableKey}, email: "member@dashboard.example.com"}
	// Sign-ins complete with a password (revokeSession needs sessions to revoke).
	s.admin(`mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {clientTrustEnabled: false}) { clientTrustEnabled } }`,
		vars{"id": d.ID}).data(t)
	s.liftRateLimits(t, d.ID)
	x.userID = s.createAppUser(t, x.app, x.email)
	x.subject, _ = s.createKey(t, "support", d.ID)
	keys := map[string][2]string{}
	for _, role := range policy.Roles {
		id, key := s.createKey(t, role, "")
		keys[role] = [2]string{id, key}
	}
	s.reloadPolicy(t)
	for _, role := range policy.Roles {
		t.Run(role, func(t *testing.T) {
			for _, op := range adminOps() {
				if op.scope != "app" {
					continue
				}
				t.Run(op.name, func(t *testing.T) {
					want := role == "owner" || (contractAllowed(role, op.name) && !op.mutation && op.name != "outbox")
					var v vars
					if op.vars != nil {
						v = op.vars(t, s, x)
					}
					s.clock.Advance(time.Minute) // every denial audited (TestPermissionDenialsAreAuditedOncePerMinute)
					actor := "key:" + keys[role][0]
					denials, before := s.auditCount(t, actor, "permission_denied"), s.adminState(t, "")
					r := s.adminAs(keys[role][1], op.query, v)
					if want {
						if len(r.Errors) > 0 {
							t.Fatalf("got errors %+v, want allowed", r.Errors)
						}
						return
					}
					if len(r.Errors) == 0 {
						t.Fatalf("allowed (data %v), want permission_denied", r.Data)
					}
					if got := r.code(t); got != "permission_denied" {
						t.Fatalf("code %s, want permission_denied", got)
					}
					if got := s.auditCount(t, actor, "permission_denied"); got != denials+1 {
						t.Fatalf("%d new permission_denied audit events, want 1", got-denials)
					}
					if after := s.adminState(t, ""); after != before {
						t.Fatalf("denied, but the state changed:\nbefore %s\nafter  %s", before, after)
					}
				})
			}
		})
	}
}
