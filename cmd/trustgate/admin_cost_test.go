package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// aliased repeats field under n aliases in one query document.
func aliased(n int, field string) string {
	var b strings.Builder
	b.WriteString("query($app: ID!) {")
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, field)
	}
	b.WriteString(" }")
	return b.String()
}

// costlyAdminDocuments are documents an auditor or support key may send that
// read many rows each: 15 aliases (the alias limit) of a 500-row page, with
// per-user lists and flags that each ran their own statements per row.
var costlyAdminDocuments = []struct{ name, query string }{
	{"users with per-user lists", aliased(15, `users(applicationId: $app, first: 500) { totalCount edges { node {
	  id totpEnabled backupCodeEnabled twoFactorEnabled factors { strategy } clients { id } sessions { id }
	  emailAddresses { id } phoneNumbers { id } } } }`)},
	{"users, one alias", aliased(1, `users(applicationId: $app, first: 500) { edges { node {
	  id factors { strategy } clients { id trusted } sessions { id status } } } }`)},
	{"sign-in events", aliased(15, `signInEvents(applicationId: $app, first: 500) { totalCount edges { node { id at kind outcome } } }`)},
	{"counts alone", aliased(15, `signInEvents(applicationId: $app, first: 1) { totalCount }`)},
}

// TestAdminListCostIsBounded: gqlgen's complexity counted each field once,
// whatever page size it asked, so one document of 15 aliases of a 500-row
// page, with per-user fields that each query per row, was well within the
// limit of 500 — and ran one statement or more per user per field. Such
// documents are refused now, as form_param_format_invalid naming the
// complexity, before any statement runs; the statements each would have run
// are logged (the measure of the refusal).
func TestAdminListCostIsBounded(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		for i := range 60 {
			s.createUser(t, fmt.Sprintf("cost%02d@example.com", i), fmt.Sprintf("+1555020%04d", i), testPassword)
		}
		s.seedHistory(t, s.appID, 600)
		_, key := s.createKey(t, "auditor", s.appID)
		s.recordStatements.Store(true)
		for _, d := range costlyAdminDocuments {
			r := s.adminAs(key, d.query, vars{"app": s.appID})
			stmts := len(s.statementsOf(r))
			rows := 0
			for _, v := range r.Data {
				conn, _ := v.(map[string]any)
				edges, _ := conn["edges"].([]any)
				rows += len(edges)
			}
			t.Logf("%s: %d statements, %d rows, errors %v", d.name, stmts, rows, r.Errors)
			if len(r.Errors) == 0 {
				t.Errorf("%s: answered (%d statements, %d rows), want it refused as too complex", d.name, stmts, rows)
				continue
			}
			if got := r.code(t); got != "form_param_format_invalid" || !strings.Contains(r.Errors[0].Message, "complexity") {
				t.Errorf("%s: %v, want form_param_format_invalid naming the complexity", d.name, r.Errors)
			}
			if stmts > 2 {
				t.Errorf("%s: refused after %d statements, want it refused before its resolvers run", d.name, stmts)
			}
		}
		// The dashboard's pages (web/src/dashboard/operations.ts) still
		// answer: the users list at 50, the charts' 500 sign-in events.
		for _, d := range []struct {
			name, query string
			first       int
		}{
			{"the dashboard's users page", dashboardUsers, 50},
			{"the dashboard's charts page", dashboardSignInEvents, 500},
		} {
			r := s.adminAs(key, d.query, vars{"applicationId": s.appID, "first": d.first})
			t.Logf("%s: %d statements, errors %v", d.name, len(s.statementsOf(r)), r.Errors)
			r.data(t)
		}
		// A page above 500 is refused by name, whatever it selects.
		for _, q := range []string{
			`query($app: ID!) { users(applicationId: $app, first: 501) { edges { node { id } } } }`,
			`query($app: ID!) { signInEvents(applicationId: $app, first: 100000) { totalCount } }`,
		} {
			r := s.adminAs(key, q, vars{"app": s.appID})
			if got := r.code(t); got != "form_param_format_invalid" || r.ext(t)["paramName"] != "first" {
				t.Errorf("%s: %v, want form_param_format_invalid naming first", q, r.Errors)
			}
		}
	})
}

// The documents of the dashboard's users and sign-in event pages
// (web/src/dashboard/operations.ts).
const (
	dashboardUsers = `query DashboardUsers($applicationId: ID!, $first: Int, $after: Cursor, $where: UserWhereInput) {
	  users(applicationId: $applicationId, first: $first, after: $after, where: $where) { totalCount pageInfo { hasNextPage endCursor }
	  edges { node { id username emailAddresses { id emailAddress verified } phoneNumbers { id phoneNumber verified reservedForSecondFactor }
	  primaryEmailAddressId primaryPhoneNumberId twoFactorEnabled locked lockoutExpiresInSeconds banned lastSignInAt createdAt } } } }`
	dashboardSignInEvents = `query DashboardSignInEvents($applicationId: ID!, $first: Int, $after: Cursor, $where: SignInEventWhereInput) {
	  signInEvents(applicationId: $applicationId, first: $first, after: $after, where: $where) { totalCount pageInfo { hasNextPage endCursor }
	  edges { node { id at signInId userId identifier clientId ipAddress userAgent kind strategy outcome reason } } } }`
)

// TestUsersPageStatementsDoNotGrowWithThePage: a users page asking each
// user's totpEnabled, backupCodeEnabled, twoFactorEnabled and factors ran
// statements per user (TOTP and unused backup codes, again for each field),
// although the page loads the users' TOTPs with it. The page's statements
// are the same for 10 users as for 20, half of them with a verified TOTP
// and unused backup codes, and the answers stay right.
func TestUsersPageStatementsDoNotGrowWithThePage(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		ctx := t.Context()
		mfa := map[string]bool{}
		for i := range 20 {
			id := s.createUser(t, fmt.Sprintf("page%02d@example.com", i), "", testPassword)
			if i%2 == 0 {
				continue
			}
			mfa[id] = true
			s.m.DB.Ent.Totp.Create().SetUserID(id).SetSecretSealed([]byte("sealed")).SetVerified(true).ExecX(ctx)
			s.m.DB.Ent.BackupCode.Create().SetUserID(id).SetCodeHash([]byte("spent")).SetUsedAt(s.clock.Now()).ExecX(ctx)
			s.m.DB.Ent.BackupCode.Create().SetUserID(id).SetCodeHash([]byte("unused")).ExecX(ctx)
		}
		// One user with only spent backup codes has none enabled.
		spent := s.createUser(t, "spent@example.com", "", testPassword)
		s.m.DB.Ent.BackupCode.Create().SetUserID(spent).SetCodeHash([]byte("spent")).SetUsedAt(s.clock.Now()).ExecX(ctx)
		_, key := s.createKey(t, "support", s.appID)
		q := `query($app: ID!, $n: Int) { users(applicationId: $app, first: $n) { edges { node {
		  id totpEnabled backupCodeEnabled twoFactorEnabled factors { strategy } } } } }`
		s.recordStatements.Store(true)
		statements := map[int]int{}
		for _, n := range []int{10, 21} {
			r := s.adminAs(key, q, vars{"app": s.appID, "n": n})
			edges := r.data(t)["users"].(map[string]any)["edges"].([]any)
			if len(edges) != n {
				t.Fatalf("first %d: %d users", n, len(edges))
			}
			for _, e := range edges {
				u := e.(map[string]any)["node"].(map[string]any)
				want := mfa[u["id"].(string)]
				var strategies []string
				for _, f := range u["factors"].([]any) {
					strategies = append(strategies, f.(map[string]any)["strategy"].(string))
				}
				wantFactors := ""
				if want {
					wantFactors = "totp backup_code"
				}
				if u["totpEnabled"] != want || u["backupCodeEnabled"] != want || u["twoFactorEnabled"] != want ||
					strings.Join(strategies, " ") != wantFactors {
					t.Errorf("user %v: %v, want MFA %v", u["id"], u, want)
				}
			}
			statements[n] = len(s.statementsOf(r))
		}
		t.Logf("statements: %v", statements)
		if statements[10] != statements[21] {
			t.Errorf("a page of 10 users ran %d statements, of 21 %d; want as many", statements[10], statements[21])
		}
	})
}

// TestUserClientsAreBounded: a user's clients (those it has sessions on or
// trusts) are listed most recently active first, each once, with whether
// the user trusts it, and at most userSessionsLimit of them, in a bounded
// number of statements: the client ids are not gathered into one list of
// parameters, which a user with enough clients would take past what the
// database accepts in one statement.
func TestUserClientsAreBounded(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		ctx := t.Context()
		db := s.m.DB.Ent
		id := s.createUser(t, "clients@example.com", "", testPassword)
		now := s.clock.Now().UTC().Truncate(time.Second)
		const n = 105
		var want []string // newest first
		trusted := map[string]bool{}
		for i := range n {
			d := db.Device.Create().SetApplicationID(s.appID).SetTokenHash([]byte(fmt.Sprintf("token-%03d", i))).
				SetLastActiveAt(now.Add(-time.Duration(i) * time.Minute)).SaveX(ctx)
			want = append(want, d.ID)
			if i%3 != 1 { // every third client only has sessions
				db.TrustedClient.Create().SetUserID(id).SetClientID(d.ID).ExecX(ctx)
				trusted[d.ID] = true
			}
			if i%3 != 0 { // two sessions on some: the client is listed once
				for range 1 + i%2 {
					db.Session.Create().SetApplicationID(s.appID).SetUserID(id).SetClientID(d.ID).
						SetLastActiveAt(now).SetExpireAt(now.Add(time.Hour)).ExecX(ctx)
				}
			}
		}
		// Another user's client on the same application is not this user's.
		other := s.createUser(t, "other@example.com", "", testPassword)
		d := db.Device.Create().SetApplicationID(s.appID).SetTokenHash([]byte("other")).SetLastActiveAt(now).SaveX(ctx)
		db.TrustedClient.Create().SetUserID(other).SetClientID(d.ID).ExecX(ctx)

		s.recordStatements.Store(true)
		r := s.admin(`query($id: ID!) { user(id: $id) { clients { id trusted trustedAt lastActiveAt } } }`, vars{"id": id})
		clients := r.data(t)["user"].(map[string]any)["clients"].([]any)
		var got []string
		for _, c := range clients {
			c := c.(map[string]any)
			cid := c["id"].(string)
			got = append(got, cid)
			if c["trusted"] != trusted[cid] || (c["trustedAt"] != nil) != trusted[cid] {
				t.Errorf("client %s: trusted %v, trustedAt %v; want trusted %v", cid, c["trusted"], c["trustedAt"], trusted[cid])
			}
		}
		if strings.Join(got, " ") != strings.Join(want[:100], " ") {
			t.Errorf("listed %d clients %v;\nwant the 100 most recently active, newest first: %v", len(got), got, want[:100])
		}
		if k := len(s.statementsOf(r)); k > 4 {
			t.Errorf("the user's clients took %d statements, want 4 (the user, read for the caller's scope and for the answer; its clients; their trust)", k)
		}
	})
}
