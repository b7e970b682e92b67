package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/auditevent"
	"github.com/trustgate/trustgate/ent/signinevent"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/identifier"
)

// historyUntil is the newest seeded event: the test clock's now.
var historyUntil = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// seedHistory fills app with n events from dev seed-events over two days, and
// adds a burst of events that share one timestamp, so that pages break
// inside a run of equal times.
func (s *server) seedHistory(t testing.TB, appID string, n int) []*ent.SignInEvent {
	t.Helper()
	out := s.cli(t, "dev", "seed-events", "--count", fmt.Sprint(n), "--app", appID, "--users", "12", "--days", "2",
		"--until", historyUntil.Format(time.RFC3339), "--json")
	if out["inserted"] != float64(n) {
		t.Fatalf("seed-events inserted %v, want %d", out["inserted"], n)
	}
	ctx := context.Background()
	tie := historyUntil.Add(-30 * time.Hour)
	some, err := s.m.DB.Ent.SignInEvent.Query().Where(signinevent.ApplicationID(appID), signinevent.UserIDNotNil()).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	burst := make([]*ent.SignInEventCreate, 23)
	for i := range burst {
		burst[i] = s.m.DB.Ent.SignInEvent.Create().SetApplicationID(appID).SetAt(tie).SetKind(audit.KindPasswordFailed).
			SetOutcome(signinevent.OutcomeFailure).SetIPAddress("203.0.113.99").SetUserID(*some.UserID).
			SetIdentifier(some.Identifier).SetNillableIdentifierDigest(some.IdentifierDigest).SetNillableClientID(some.ClientID)
	}
	if err := s.m.DB.Ent.SignInEvent.CreateBulk(burst...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	all, err := s.m.DB.Ent.SignInEvent.Query().Where(signinevent.ApplicationID(appID)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Newest first, ties by id: the order the API promises.
	slices.SortFunc(all, func(a, b *ent.SignInEvent) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return all
}

// historyFilter is one SignInEventWhereInput with its meaning as a Go
// predicate, the oracle the API's answer is checked against.
type historyFilter struct {
	name  string
	where vars
	match func(e *ent.SignInEvent) bool
}

func historyFilters(s *server, all []*ent.SignInEvent) []historyFilter {
	// Filter values taken from the data: a busy user, one of their clients and
	// emails, a busy IP.
	count := func(key func(*ent.SignInEvent) string) string {
		n := map[string]int{}
		best := ""
		for _, e := range all {
			if k := key(e); k != "" {
				n[k]++
				if n[k] > n[best] {
					best = k
				}
			}
		}
		return best
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	userID := count(func(e *ent.SignInEvent) string { return deref(e.UserID) })
	clientID := count(func(e *ent.SignInEvent) string { return deref(e.ClientID) })
	ip := count(func(e *ent.SignInEvent) string { return e.IPAddress })
	rec := &audit.Recorder{Keys: s.m.Keys}
	digest := rec.IdentifierDigest("user3@example.com")
	from, to := historyUntil.Add(-36*time.Hour), historyUntil.Add(-12*time.Hour)
	eq := func(p *string, v string) bool { return p != nil && *p == v }
	return []historyFilter{
		{"no filter", nil, func(*ent.SignInEvent) bool { return true }},
		{"by user", vars{"userId": userID}, func(e *ent.SignInEvent) bool { return eq(e.UserID, userID) }},
		{"by identifier, as typed", vars{"identifier": "  User3@Example.COM "}, func(e *ent.SignInEvent) bool { return eq(e.IdentifierDigest, digest) }},
		{"by client", vars{"clientId": clientID}, func(e *ent.SignInEvent) bool { return eq(e.ClientID, clientID) }},
		{"by kind", vars{"kind": audit.KindPasswordFailed}, func(e *ent.SignInEvent) bool { return e.Kind == audit.KindPasswordFailed }},
		{"by outcome", vars{"outcome": "challenge"}, func(e *ent.SignInEvent) bool { return e.Outcome == signinevent.OutcomeChallenge }},
		{"by IP", vars{"ipAddress": ip}, func(e *ent.SignInEvent) bool { return e.IPAddress == ip }},
		{"by time range, from inclusive, to exclusive", vars{"from": from, "to": to},
			func(e *ent.SignInEvent) bool { return !e.At.Before(from) && e.At.Before(to) }},
		{"by user, outcome and time together", vars{"userId": userID, "outcome": "failure", "from": from},
			func(e *ent.SignInEvent) bool {
				return eq(e.UserID, userID) && e.Outcome == signinevent.OutcomeFailure && !e.At.Before(from)
			}},
		{"nothing matches", vars{"ipAddress": "192.0.2.250"}, func(*ent.SignInEvent) bool { return false }},
	}
}

func expectedIDs(all []*ent.SignInEvent, match func(*ent.SignInEvent) bool) []string {
	var ids []string
	for _, e := range all {
		if match(e) {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// pageThrough reads every page of signInEvents with page size n and returns the ids in order.
func (s *server) pageThrough(t *testing.T, key, appID string, where vars, n int) []string {
	t.Helper()
	var (
		ids   []string
		after any
	)
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("more than 1000 pages: the cursor does not advance")
		}
		conn := s.adminAs(key, `query($app: ID!, $n: Int, $after: Cursor, $w: SignInEventWhereInput) {
		  signInEvents(applicationId: $app, first: $n, after: $after, where: $w) {
		    edges { cursor node { id at } } pageInfo { hasNextPage endCursor } } }`,
			vars{"app": appID, "n": n, "after": after, "w": where}).data(t)["signInEvents"].(map[string]any)
		edges := conn["edges"].([]any)
		for _, e := range edges {
			ids = append(ids, e.(map[string]any)["node"].(map[string]any)["id"].(string))
		}
		info := conn["pageInfo"].(map[string]any)
		if info["hasNextPage"] != true {
			return ids
		}
		if len(edges) != n {
			t.Fatalf("page %d has %d edges and a next page, want %d", pages, len(edges), n)
		}
		after = info["endCursor"]
	}
}

func TestAdminSignInHistory(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		all := s.seedHistory(t, s.appID, 1500)
		_, auditor := s.createKey(t, "auditor", s.appID)
		for _, f := range historyFilters(s, all) {
			t.Run(f.name, func(t *testing.T) {
				want := expectedIDs(all, f.match)
				if f.name != "nothing matches" && len(want) == 0 {
					t.Fatal("the filter matches no seeded event: the test would prove nothing")
				}
				for _, n := range []int{7, 50} {
					got := s.pageThrough(t, auditor, s.appID, f.where, n)
					if !slices.Equal(got, want) {
						t.Fatalf("pages of %d: got %d events, want %d (first difference at %d)", n, len(got), len(want), firstDiff(got, want))
					}
				}
			})
		}
		t.Run("a cursor from another list is refused", func(t *testing.T) {
			r := s.adminAs(auditor, `query($app: ID!) { signInEvents(applicationId: $app, after: "bm90IGEgY3Vyc29y") { edges { cursor } } }`, vars{"app": s.appID})
			if len(r.Errors) == 0 {
				t.Fatal("a garbage cursor was accepted")
			}
		})
		t.Run("a malformed identifier filter is a parameter error", func(t *testing.T) {
			r := s.adminAs(auditor, `query($app: ID!) { signInEvents(applicationId: $app, where: {identifier: "not an identifier!"}) { edges { cursor } } }`, vars{"app": s.appID})
			if r.code(t) != "form_param_format_invalid" || r.ext(t)["paramName"] != "identifier" {
				t.Fatalf("got %v", r.Errors)
			}
		})
		t.Run("real sign-ins are recorded with the masked identifier", func(t *testing.T) {
			s.createUser(t, "grace@example.com", "", adminPassword)
			s.browser().signIn("grace@example.com", adminPassword)
			ev := s.events(t, vars{"identifier": "grace@example.com"})
			if len(ev) == 0 || ev[0].Kind != audit.KindSignInCreated || ev[0].Identifier != identifier.Mask("grace@example.com") || ev[0].IP != "127.0.0.1" {
				t.Fatalf("events = %+v", ev)
			}
		})
	})
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// exportCSV GETs the CSV export with headers and query parameters.
func (s *server) exportCSV(t *testing.T, headers map[string]string, params url.Values) (*http.Response, [][]string) {
	t.Helper()
	resp := s.getWith(t, "/admin/sign-in-events.csv?"+params.Encode(), headers)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		return resp, nil
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatalf("the export is not valid CSV: %v", err)
	}
	return resp, rows
}

func TestAdminSignInEventsCSV(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		// More events than one export batch, so the export crosses batch boundaries.
		all := s.seedHistory(t, s.appID, 11000)
		_, auditor := s.createKey(t, "auditor", s.appID)
		bearer := map[string]string{"Authorization": "Bearer " + auditor}

		t.Run("every event, newest first, in the GraphQL field order", func(t *testing.T) {
			resp, rows := s.exportCSV(t, bearer, url.Values{"applicationId": {s.appID}})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="sign-in-events-`+s.appID) || !strings.HasSuffix(cd, `.csv"`) {
				t.Errorf("Content-Disposition = %q", cd)
			}
			want := []string{"id", "at", "applicationId", "signInId", "userId", "identifier", "clientId", "ipAddress", "userAgent", "kind", "strategy", "outcome", "reason"}
			if !slices.Equal(rows[0], want) {
				t.Fatalf("header = %v", rows[0])
			}
			got := make([]string, 0, len(rows)-1)
			for _, r := range rows[1:] {
				got = append(got, r[0])
			}
			if ids := expectedIDs(all, func(*ent.SignInEvent) bool { return true }); !slices.Equal(got, ids) {
				t.Fatalf("exported %d rows, want %d (first difference at %d)", len(got), len(ids), firstDiff(got, ids))
			}
			e := all[0]
			if r := rows[1]; r[1] != e.At.UTC().Format(time.RFC3339Nano) || r[7] != e.IPAddress || r[9] != e.Kind || r[11] != string(e.Outcome) {
				t.Fatalf("first row %v does not describe %+v", r, e)
			}
		})
		t.Run("the filters of signInEvents apply", func(t *testing.T) {
			for _, f := range historyFilters(s, all) {
				params := url.Values{"applicationId": {s.appID}}
				for k, v := range f.where {
					if tm, ok := v.(time.Time); ok {
						v = tm.Format(time.RFC3339Nano)
					}
					params.Set(k, fmt.Sprint(v))
				}
				_, rows := s.exportCSV(t, bearer, params)
				var got []string
				for _, r := range rows[1:] {
					got = append(got, r[0])
				}
				if want := expectedIDs(all, f.match); !slices.Equal(got, want) {
					t.Errorf("%s: exported %d rows, want %d", f.name, len(got), len(want))
				}
			}
		})
		t.Run("cells are escaped and formulas neutralised", func(t *testing.T) {
			nasty := map[string]string{
				"=HYPERLINK(\"http://evil.example\",\"click\")": "'=HYPERLINK(\"http://evil.example\",\"click\")",
				"+1+2":                       "'+1+2",
				"-2+3":                       "'-2+3",
				"@SUM(A1:A9)":                "'@SUM(A1:A9)",
				"\tTAB":                      "'\tTAB",
				"Mozilla \"x\", with\nlines": "Mozilla \"x\", with\nlines",
				"Mozilla;=1+1;-2; ok;":       "Mozilla;'=1+1;'-2; ok;",
				// Whitespace or a line break before the formula does not
				// keep a spreadsheet from running it (OWASP CSV injection).
				"\n=HYPERLINK(\"http://evil.example\")": "'\n=HYPERLINK(\"http://evil.example\")",
				"\r=1+1":                                "'\r=1+1",
				" =1+1":                                 "' =1+1",
				"  \t+1":                                "'  \t'+1",
				// A tab-delimited import starts a cell at a tab (HTTP
				// allows one in a header), as ';' does in some locales.
				"Mozilla/5.0\t=cmd|' /C calc'!A0\tx": "Mozilla/5.0\t'=cmd|' /C calc'!A0\tx",
				"Mozilla/5.0\t@SUM(1+1)\t-2":         "Mozilla/5.0\t'@SUM(1+1)\t'-2",
				"\u00a0@SUM(A1:A9)":                  "'\u00a0@SUM(A1:A9)",
				"\x0b-2+3":                           "'\x0b-2+3",
				"Mozilla; \n=1+1; ok":                "Mozilla;' \n=1+1; ok",
				" Mozilla":                           " Mozilla",
			}
			ctx := context.Background()
			for ua := range nasty {
				s.m.DB.Ent.SignInEvent.Create().SetApplicationID(s.appID).SetAt(historyUntil.Add(time.Hour)).SetKind("sign_in.created").
					SetOutcome(signinevent.OutcomeInfo).SetUserAgent(ua).SetIPAddress("198.51.100.7").SetReason(ua).ExecX(ctx)
			}
			_, rows := s.exportCSV(t, bearer, url.Values{"applicationId": {s.appID}, "ipAddress": {"198.51.100.7"}})
			if len(rows) != len(nasty)+1 {
				t.Fatalf("%d rows, want %d", len(rows)-1, len(nasty))
			}
			for _, r := range rows[1:] {
				found := false
				for _, want := range nasty {
					found = found || r[8] == want
				}
				if !found || r[8] != r[12] {
					t.Errorf("user agent cell %q (reason %q) is not one of the neutralised values", r[8], r[12])
				}
			}
		})
		t.Run("an operator's dashboard session may export", func(t *testing.T) {
			op := s.cli(t, "operators", "create", "--email", "auditor@example.com", "--role", "auditor", "--app", s.appID, "--json")
			s.reloadPolicy(t)
			jwt := s.operatorSession(t, "auditor@example.com", op["password"].(string))
			for _, h := range []map[string]string{{"Authorization": "Bearer " + jwt}, {"Cookie": "__session=" + jwt}} {
				resp, rows := s.exportCSV(t, h, url.Values{"applicationId": {s.appID}, "kind": {audit.KindUserLocked}})
				if resp.StatusCode != http.StatusOK || len(rows) < 1 {
					t.Fatalf("status %d", resp.StatusCode)
				}
			}
			if n := s.auditCount(t, "operator:auditor@example.com", "events:read"); n != 2 {
				t.Fatalf("%d export audit events for the operator, want 2", n)
			}
		})
		t.Run("the audit event masks the identifier filter", func(t *testing.T) {
			if resp, _ := s.exportCSV(t, bearer, url.Values{"applicationId": {s.appID}, "identifier": {"alice.liddell@example.com"}}); resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			e := s.m.DB.Ent.AuditEvent.Query().Where(auditevent.Action("events:read")).Order(ent.Desc(auditevent.FieldID)).FirstX(context.Background())
			if e.After == nil || strings.Contains(*e.After, "alice") || !strings.Contains(*e.After, `"identifier":"a*`) || !strings.Contains(*e.After, "@example.com") {
				t.Errorf("the export's audit event: after = %v, want the identifier masked", e.After)
			}
		})
		t.Run("refusals", func(t *testing.T) {
			other := s.createApp(t, "Other", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
			otherID, otherKey := s.createKey(t, "auditor", other.id)
			_, support := s.createKey(t, "support", s.appID)
			s.createAppUser(t, other, "ada@example.com")
			user, sess := s.signInSession(t, other, "ada@example.com")
			userJWT := user.token(t, sess)
			for _, c := range []struct {
				name    string
				headers map[string]string
				params  url.Values
				status  int
				code    string
				param   string
			}{
				{"no credentials", nil, url.Values{"applicationId": {s.appID}}, 401, "authentication_invalid", ""},
				{"an unknown key", map[string]string{"Authorization": "Bearer sk_nope"}, url.Values{"applicationId": {s.appID}}, 401, "authentication_invalid", ""},
				{"a user's session", map[string]string{"Authorization": "Bearer " + userJWT}, url.Values{"applicationId": {other.id}}, 401, "authentication_invalid", ""},
				{"a key of another application", map[string]string{"Authorization": "Bearer " + otherKey}, url.Values{"applicationId": {s.appID}}, 403, "permission_denied", ""},
				{"no application", bearer, url.Values{}, 422, "form_param_missing", "applicationId"},
				{"every application", map[string]string{"Authorization": "Bearer " + otherKey}, url.Values{"applicationId": {"*"}}, 422, "form_param_format_invalid", "applicationId"},
				{"some application", map[string]string{"Authorization": "Bearer " + otherKey}, url.Values{"applicationId": {"?"}}, 422, "form_param_format_invalid", "applicationId"},
				{"a bad outcome", bearer, url.Values{"applicationId": {s.appID}, "outcome": {"maybe"}}, 422, "form_param_format_invalid", "outcome"},
				{"a bad time", bearer, url.Values{"applicationId": {s.appID}, "from": {"yesterday"}}, 422, "form_param_format_invalid", "from"},
				// Ignored, a misspelt filter would export the whole history.
				{"a misspelt filter", bearer, url.Values{"applicationId": {s.appID}, "user_id": {"user_x"}}, 422, "form_param_format_invalid", "user_id"},
			} {
				t.Run(c.name, func(t *testing.T) {
					resp, _ := s.exportCSV(t, c.headers, c.params)
					body, _ := io.ReadAll(resp.Body)
					if resp.StatusCode != c.status || !strings.Contains(string(body), `"code":"`+c.code+`"`) ||
						(c.param != "" && !strings.Contains(string(body), `"paramName":"`+c.param+`"`)) {
						t.Fatalf("status %d body %s, want %d %s", resp.StatusCode, body, c.status, c.code)
					}
				})
			}
			if n := s.auditCount(t, "key:"+otherID, "permission_denied"); n != 1 {
				t.Errorf("%d permission_denied audit events for the other application's key, want 1", n)
			}
			// support reads sign-in history, so it may export it too.
			if resp, _ := s.exportCSV(t, map[string]string{"Authorization": "Bearer " + support}, url.Values{"applicationId": {s.appID}, "kind": {"user.locked"}}); resp.StatusCode != 200 {
				t.Errorf("support: status %d, want 200", resp.StatusCode)
			}
		})
	})
}
