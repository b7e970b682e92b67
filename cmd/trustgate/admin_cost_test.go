package main

import (
	"fmt"
	"strings"
	"testing"
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
