package main

// Helpers of the admin_* tests (the control plane of issue 4): applications
// with chosen creation dates, role-bound API keys, signed-in sessions to
// revoke, and reads of the audit log straight from the database.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent/auditevent"
)

// adminPassword is the password of the users the admin tests create.
const adminPassword = "correct horse battery staple"

// adminSeq makes the names the admin tests create unique within a test binary.
var adminSeq atomic.Int64

func adminUnique(prefix string) string { return fmt.Sprintf("%s%d", prefix, adminSeq.Add(1)) }

// adminApp is an application an admin test created.
type adminApp struct {
	id, pk string
}

// createApp creates an application through the owner key with the given
// creation date and lifts its per-IP rate limits (every test request comes
// from 127.0.0.1).
func (s *server) createApp(tb testing.TB, name string, createdAt time.Time) adminApp {
	tb.Helper()
	a := s.admin(`mutation($n: String!, $at: Time) { createApplication(input: {name: $n, createdAt: $at}) { id publishableKey } }`,
		vars{"n": name, "at": createdAt}).data(tb)["createApplication"].(map[string]any)
	app := adminApp{id: a["id"].(string), pk: a["publishableKey"].(string)}
	s.liftRateLimits(tb, app.id)
	return app
}

// liftRateLimits raises the per-IP budgets of an application directly in its
// stored overrides, without an audit event.
func (s *server) liftRateLimits(tb testing.TB, appID string) {
	tb.Helper()
	ctx := context.Background()
	app, err := s.m.DB.Ent.Application.Get(ctx, appID)
	if err != nil {
		tb.Fatal(err)
	}
	next := map[string]json.RawMessage{}
	for k, v := range app.Settings {
		next[k] = v
	}
	for _, k := range []string{"rateLimitSignInsPerIp", "rateLimitAttemptsPerIp", "rateLimitCodeSendsPerIp", "rateLimitIdentifierPerMinute", "rateLimitMessagesPerRecipientPerHour"} {
		next[k] = json.RawMessage("100000")
	}
	if err := s.m.DB.Ent.Application.UpdateOneID(appID).SetSettings(next).Exec(ctx); err != nil {
		tb.Fatal(err)
	}
}

// createKey creates an sk_ key with role in appID (or * for all) through the
// owner key and returns its id and secret.
func (s *server) createKey(tb testing.TB, role, appID string) (id, key string) {
	tb.Helper()
	r := s.admin(`mutation($r: String!, $a: ID) { createAPIKey(input: {role: $r, applicationId: $a}) { key apiKey { id } } }`,
		vars{"r": role, "a": appID}).data(tb)["createAPIKey"].(map[string]any)
	return r["apiKey"].(map[string]any)["id"].(string), r["key"].(string)
}

// createAppUser creates a user with a verified email and adminPassword in app.
func (s *server) createAppUser(tb testing.TB, app adminApp, email string) string {
	tb.Helper()
	u := s.admin(`mutation($id: ID!, $in: CreateUserInput!) { createUser(applicationId: $id, input: $in) { id } }`,
		vars{"id": app.id, "in": vars{"emailAddress": email, "password": adminPassword}}).data(tb)["createUser"].(map[string]any)
	return u["id"].(string)
}

// signInSession signs email in to app from a new browser (the application
// must have Client Trust off) and returns the browser and the session id.
func (s *server) signInSession(tb testing.TB, app adminApp, email string) (*browser, string) {
	tb.Helper()
	b := s.browser()
	b.pk = app.pk
	si := signInObj(tb, b.signIn(email, adminPassword), "signInCreate")
	if si["status"] != "complete" {
		tb.Fatalf("sign-in of %s: status %v, want complete (is Client Trust off?)", email, si["status"])
	}
	return b, si["createdSessionId"].(string)
}

// auditCount counts audit events by actor (e.g. "key:ak_…") and action ("" for any).
func (s *server) auditCount(tb testing.TB, actor, action string) int {
	tb.Helper()
	q := s.m.DB.Ent.AuditEvent.Query().Where(auditevent.Actor(actor))
	if action != "" {
		q.Where(auditevent.Action(action))
	}
	n, err := q.Count(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// getWith sends GET path with headers and returns the response (the caller closes it).
func (s *server) getWith(tb testing.TB, path string, headers map[string]string) *http.Response {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

// adminJSON is v as JSON text, for comparing decoded values.
func adminJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// operatorSession signs an operator in to the dashboard application (passing
// Client Trust with the emailed code) and returns a session JWT.
func (s *server) operatorSession(tb testing.TB, email, password string) string {
	tb.Helper()
	b, sessionID := s.operatorBrowser(tb, email, password)
	return b.token(tb, sessionID)
}

// operatorBrowser signs an operator in to the dashboard application from a
// new browser (passing Client Trust with the emailed code) and returns the
// browser, its publishable key set to the dashboard's, and the session's id.
func (s *server) operatorBrowser(tb testing.TB, email, password string) (*browser, string) {
	tb.Helper()
	resp := s.getWith(tb, "/dashboard/config.json", nil)
	var cfg struct{ PublishableKey string }
	err := json.NewDecoder(resp.Body).Decode(&cfg)
	resp.Body.Close()
	if err != nil || cfg.PublishableKey == "" {
		tb.Fatalf("dashboard config: %v %+v", err, cfg)
	}
	b := s.browser()
	b.pk = cfg.PublishableKey
	si := signInObj(tb, b.signIn(email, password), "signInCreate")
	if si["status"] == "needs_client_trust" {
		b.prepareSecond(si["id"].(string), "email_code").data(tb)
		si = signInObj(tb, b.attemptSecond(si["id"].(string), "email_code", s.mail.code(tb, email)), "signInAttemptSecondFactor")
	}
	if si["status"] != "complete" {
		tb.Fatalf("operator sign-in: status %v", si["status"])
	}
	return b, si["createdSessionId"].(string)
}
