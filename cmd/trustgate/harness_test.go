package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/application"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/pgtest"
	"github.com/trustgate/trustgate/internal/request"
)

func TestMain(m *testing.M) {
	// The hash-flood test re-executes this binary as a real `trustgate serve`
	// process, so that it can measure the server's own peak memory.
	if os.Getenv("TRUSTGATE_TEST_SERVE") == "1" {
		ctx, stop := signalContext()
		defer stop()
		os.Exit(run(ctx, []string{"serve"}, os.Stdin, os.Stdout, os.Stderr))
	}
	pgtest.RunMain(m)
}

// forEachDB runs fn as a subtest on the embedded SQLite and on PostgreSQL.
func forEachDB(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, "sqlite://"+filepath.Join(t.TempDir(), "trustgate.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, pgtest.URL(t))
	})
}

// clock is a settable clock shared by every service of a test server.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// mailbox captures every email and SMS the server sends.
type mailbox struct {
	mu   sync.Mutex
	msgs []delivery.Message
	// fail makes Send fail (delivery outage) while set.
	fail bool
	// also receives every message too (the dev outbox, in dev mode).
	also delivery.Sender
	// inTx counts the messages written in the sender's transaction.
	inTx int
	// delay, if set, runs in each Send: a slow mail server or SMS gateway.
	delay func()
	// via, if set, gets each message Send recorded, with Send's context, and
	// its answer is Send's: a real sender (an SMS hook) behind the capture.
	via delivery.Sender
}

func (b *mailbox) Send(ctx context.Context, m delivery.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail {
		return fmt.Errorf("%w: simulated outage", delivery.ErrDeliveryFailed)
	}
	if b.delay != nil {
		b.delay()
	}
	b.msgs = append(b.msgs, m)
	if b.via != nil {
		return b.via.Send(ctx, m)
	}
	if b.also != nil {
		return b.also.Send(context.Background(), m)
	}
	return nil
}

// SendTx records m and writes it in tx when also is the dev outbox, as the
// server's own outbox sender would (delivery.TxSender).
func (b *mailbox) SendTx(ctx context.Context, tx *ent.Tx, m delivery.Message) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.also == nil {
		return false, nil
	}
	if b.fail {
		return true, fmt.Errorf("%w: simulated outage", delivery.ErrDeliveryFailed)
	}
	done, err := delivery.SendTx(ctx, b.also, tx, m)
	if done && err == nil {
		b.msgs = append(b.msgs, m)
		b.inTx++
	}
	return done, err
}

func (b *mailbox) setFail(v bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail = v
}

var codeRe = regexp.MustCompile(`\b\d{6}\b`)

// last returns the newest message sent to, or fails.
func (b *mailbox) last(tb testing.TB, to string) delivery.Message {
	tb.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.msgs) - 1; i >= 0; i-- {
		if b.msgs[i].To == to {
			return b.msgs[i]
		}
	}
	tb.Fatalf("no message was sent to %s", to)
	return delivery.Message{}
}

// code returns the one-time code of the newest message sent to.
func (b *mailbox) code(tb testing.TB, to string) string {
	tb.Helper()
	m := b.last(tb, to)
	c := codeRe.FindString(m.Text)
	if c == "" {
		tb.Fatalf("message to %s has no code: %q", to, m.Text)
	}
	return c
}

func (b *mailbox) count(to string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.msgs {
		if m.To == to {
			n++
		}
	}
	return n
}

// server is a running trustgate for one test.
type server struct {
	t     testing.TB
	m     *Main
	base  string
	clock *clock
	mail  *mailbox
	// ownerKey is an sk_ key with the owner role in every application.
	ownerKey string
	// appID and pk are the test application's.
	appID, pk string
	log       *bytes.Buffer
	logw      *syncWriter

	// statements holds, once recordStatements is set, the text of every
	// statement the server ran for a request, by the request's X-Request-Id.
	recordStatements atomic.Bool
	stmtMu           sync.Mutex
	statements       map[string][]string
}

// statementsOf returns the statements the server ran answering r, recorded
// since s.recordStatements was set.
func (s *server) statementsOf(r result) []string {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	return s.statements[r.header.Get("X-Request-Id")]
}

type serverOption func(*Config)

// mustStart migrates a fresh database and starts trustgate on port 0 with a
// fake clock and a capturing mailbox. The application it creates is dated
// 2026-08-01, so Client Trust is on and lockout is at 10 attempts.
func mustStart(tb testing.TB, dbURL string, opts ...serverOption) *server {
	tb.Helper()
	ctx := context.Background()
	dbtest.Migrate(tb, dbURL)
	cfg := Config{
		Addr: "127.0.0.1:0", DatabaseURL: dbURL, LogLevel: "debug", LogFormat: "text",
		TokenTTL: time.Minute, Argon2Memory: 19456, Argon2Time: 2, ShutdownGrace: 5 * time.Second,
		SMTPFrom: "trustgate <no-reply@localhost>",
	}
	for _, o := range opts {
		o(&cfg)
	}
	logs := &bytes.Buffer{}
	s := &server{t: tb, clock: &clock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}, mail: &mailbox{}, log: logs}
	s.logw = &syncWriter{w: logs}
	s.m = &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(s.logw, &slog.HandlerOptions{Level: slog.LevelDebug})), Now: s.clock.Now, Sender: s.mail}
	s.statements = map[string][]string{}
	s.m.DBOptions = []database.Option{database.WithStatementObserver(func(ctx context.Context, query string) {
		if id := request.From(ctx).RequestID; id != "" && s.recordStatements.Load() {
			s.stmtMu.Lock()
			defer s.stmtMu.Unlock()
			s.statements[id] = append(s.statements[id], query)
		}
	})}
	if err := s.m.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	if cfg.Dev {
		s.mail.also = delivery.NewOutboxSender(&delivery.EntOutbox{DB: s.m.DB}, s.m.Log, true)
	}
	if err := s.m.Run(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		// The browsers share http.DefaultTransport, which may hold a connection
		// it dialed but never used; the server's graceful shutdown waits 5 s
		// for such a connection (golang/go#22682), longer than the grace here.
		http.DefaultClient.CloseIdleConnections()
		if err := s.m.Close(); err != nil {
			tb.Errorf("closing server: %v", err)
		}
		if tb.Failed() && os.Getenv("TRUSTGATE_TEST_LOGS") != "" {
			tb.Logf("server log:\n%s", logs.String())
		}
	})
	s.base = "http://" + s.m.Addr()
	s.ownerKey = s.cli(tb, "keys", "create", "--role", "owner", "--json")["key"].(string)
	s.reloadPolicy(tb)
	created := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	app := s.admin(`mutation($n: String!, $at: Time) { createApplication(input: {name: $n, createdAt: $at}) { id publishableKey } }`,
		vars{"n": "Test app", "at": created}).data(tb)["createApplication"].(map[string]any)
	s.appID, s.pk = app["id"].(string), app["publishableKey"].(string)
	// Tests all come from 127.0.0.1: lift the per-IP budgets of the test app;
	// the rate-limit tests lower them again on purpose.
	s.setOverrides(tb, map[string]any{"rateLimitSignInsPerIp": 100000, "rateLimitAttemptsPerIp": 100000,
		"rateLimitCodeSendsPerIp": 100000, "rateLimitIdentifierPerMinute": 100000, "rateLimitMessagesPerRecipientPerHour": 100000})
	return s
}

// setOverrides writes settings overrides of the test app directly (for
// settings the GraphQL input does not expose, or to skip the audit trail).
func (s *server) setOverrides(tb testing.TB, values map[string]any) {
	tb.Helper()
	ctx := context.Background()
	app, err := s.m.DB.Ent.Application.Get(ctx, s.appID)
	if err != nil {
		tb.Fatal(err)
	}
	next := map[string]json.RawMessage{}
	for k, v := range app.Settings {
		next[k] = v
	}
	for k, v := range values {
		b, _ := json.Marshal(v)
		next[k] = b
	}
	if err := s.m.DB.Ent.Application.UpdateOneID(s.appID).SetSettings(next).Exec(ctx); err != nil {
		tb.Fatal(err)
	}
}

// reloadPolicy makes the server see grants made by CLI commands at once
// instead of at its next policy poll.
func (s *server) reloadPolicy(tb testing.TB) {
	tb.Helper()
	if err := s.m.Policy.Reload(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// operatorUser returns the built-in dashboard application and the user
// that the operator with email is in it.
func (s *server) operatorUser(tb testing.TB, email string) (*ent.Application, *ent.User) {
	tb.Helper()
	ctx := context.Background()
	dash := s.m.DB.Ent.Application.Query().Where(application.Dashboard(true)).OnlyX(ctx)
	u := s.m.DB.Ent.EmailAddress.Query().
		Where(emailaddress.ApplicationID(dash.ID), emailaddress.EmailAddress(email)).QueryUser().OnlyX(ctx)
	return dash, u
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// logText returns the server log so far; safe while requests are running.
func (s *server) logText() string {
	s.logw.mu.Lock()
	defer s.logw.mu.Unlock()
	return s.log.String()
}

// cli runs a trustgate subcommand against the test database and decodes its --json output.
func (s *server) cli(tb testing.TB, args ...string) map[string]any {
	tb.Helper()
	var out, errOut bytes.Buffer
	full := append(args, "--database-url", s.m.Config.DatabaseURL)
	if s.m.Config.Secret != "" {
		full = append(full, "--secret", s.m.Config.Secret)
	}
	if code := run(context.Background(), full, strings.NewReader(""), &out, &errOut); code != 0 {
		tb.Fatalf("trustgate %v: exit %d: %s", args, code, errOut.String())
	}
	var obj map[string]any
	if err := json.Unmarshal(out.Bytes(), &obj); err != nil {
		tb.Fatalf("trustgate %v: output %q is not JSON: %v", args, out.String(), err)
	}
	return obj
}

type vars map[string]any

// result is a GraphQL response.
type result struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	header http.Header
	status int
}

// data returns the data of a successful response, or fails.
func (r result) data(tb testing.TB) map[string]any {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("unexpected GraphQL errors: %+v", r.Errors)
	}
	return r.Data
}

// code returns the error code of a failed response, or fails.
func (r result) code(tb testing.TB) string {
	tb.Helper()
	if len(r.Errors) == 0 {
		tb.Fatalf("expected an error, got data %v", r.Data)
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// ext returns the extensions of the first error.
func (r result) ext(tb testing.TB) map[string]any {
	tb.Helper()
	if len(r.Errors) == 0 {
		tb.Fatalf("expected an error, got data %v", r.Data)
	}
	return r.Errors[0].Extensions
}

// device is one browser: its own cookie jar, so its own __client.
type browser struct {
	s      *server
	http   *http.Client
	pk     string
	bearer string
	header map[string]string
}

// browser returns a fresh browser for the test application.
func (s *server) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}, pk: s.pk}
}

func (s *server) post(c *http.Client, headers map[string]string, query string, v vars) result {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": v})
	req, _ := http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, val := range headers {
		req.Header.Set(k, val)
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r result
	if err := json.Unmarshal(raw, &r); err != nil {
		s.t.Fatalf("response %d %q is not JSON: %v", resp.StatusCode, raw, err)
	}
	r.header, r.status = resp.Header, resp.StatusCode
	s.m.Notices.Wait() // the notices the request left to send in the background, sent
	return r
}

// do posts a GraphQL document as this device.
func (d *browser) do(query string, v vars) result {
	d.s.t.Helper()
	h := map[string]string{"X-Publishable-Key": d.pk}
	if d.bearer != "" {
		h["Authorization"] = "Bearer " + d.bearer
	}
	for k, v := range d.header {
		h[k] = v
	}
	r := d.s.post(d.http, h, query, v)
	d.adoptClientToken(r)
	return r
}

// adoptClientToken keeps a client token the server sent (a new client's,
// or the one a sign-in rotated to) where this device sends its token by
// hand, as the SDK's header mode and a browser do; the cookie jar keeps
// it otherwise.
func (d *browser) adoptClientToken(r result) {
	tok := r.header.Get("X-Client-Token")
	if tok == "" {
		return
	}
	if _, ok := d.header["X-Client-Token"]; ok {
		d.header["X-Client-Token"] = tok
	}
	if c, ok := d.header["Cookie"]; ok && strings.HasPrefix(c, "__client=") {
		d.header["Cookie"] = "__client=" + tok
	}
}

// admin posts a GraphQL document with the owner key.
func (s *server) admin(query string, v vars) result {
	s.t.Helper()
	return s.adminAs(s.ownerKey, query, v)
}

func (s *server) adminAs(key, query string, v vars) result {
	s.t.Helper()
	return s.post(http.DefaultClient, map[string]string{"Authorization": "Bearer " + key}, query, v)
}

// setSettings updates the test application's settings.
func (s *server) setSettings(tb testing.TB, in vars) {
	tb.Helper()
	s.admin(`mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { clientTrustEnabled } }`,
		vars{"id": s.appID, "in": in}).data(tb)
}

// createUser creates a user with a verified email (and phone) and a password.
func (s *server) createUser(tb testing.TB, email, phone, password string) string {
	tb.Helper()
	in := vars{"password": password}
	if email != "" {
		in["emailAddress"] = email
	}
	if phone != "" {
		in["phoneNumber"] = phone
	}
	u := s.admin(`mutation($id: ID!, $in: CreateUserInput!) { createUser(applicationId: $id, input: $in) { id } }`,
		vars{"id": s.appID, "in": in}).data(tb)["createUser"].(map[string]any)
	return u["id"].(string)
}

const signInFields = `id status identifier clientTrustState createdSessionId
  supportedFirstFactors { strategy safeIdentifier emailAddressId phoneNumberId primary }
  supportedSecondFactors { strategy safeIdentifier emailAddressId phoneNumberId primary }
  firstFactorVerification { status strategy attempts expireAt }
  secondFactorVerification { status strategy attempts expireAt }`

// signIn runs signInCreate with identifier and password.
func (d *browser) signIn(identifier, password string) result {
	d.s.t.Helper()
	return d.do(`mutation($i: String!, $p: String!) { signInCreate(input: {identifier: $i, password: $p}) { `+signInFields+` } }`,
		vars{"i": identifier, "p": password})
}

func (d *browser) prepareSecond(id, strategy string) result {
	d.s.t.Helper()
	return d.do(`mutation($id: ID!, $s: String!) { signInPrepareSecondFactor(id: $id, input: {strategy: $s}) { `+signInFields+` } }`,
		vars{"id": id, "s": strategy})
}

func (d *browser) attemptSecond(id, strategy, code string) result {
	d.s.t.Helper()
	return d.do(`mutation($id: ID!, $s: String!, $c: String!) { signInAttemptSecondFactor(id: $id, input: {strategy: $s, code: $c}) { `+signInFields+` } }`,
		vars{"id": id, "s": strategy, "c": code})
}

// token mints a session JWT for sessionID and uses it for later requests.
func (d *browser) token(tb testing.TB, sessionID string) string {
	tb.Helper()
	r := d.do(`mutation($s: ID!) { sessionTokenCreate(sessionId: $s) { jwt expiresAt } }`, vars{"s": sessionID}).data(tb)
	d.bearer = r["sessionTokenCreate"].(map[string]any)["jwt"].(string)
	return d.bearer
}

// signInObj extracts the named mutation's SignIn.
func signInObj(tb testing.TB, r result, field string) map[string]any {
	tb.Helper()
	return r.data(tb)[field].(map[string]any)
}

// strategies lists the strategies of a factor list.
func strategies(list any) []string {
	var out []string
	for _, f := range list.([]any) {
		out = append(out, f.(map[string]any)["strategy"].(string))
	}
	return out
}

// preflight sends a CORS preflight for a POST to /graphql from origin, with
// the publishable key pk unless it is "", and returns the response (its
// body closed).
func (s *server) preflight(tb testing.TB, origin, pk string) *http.Response {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodOptions, s.base+"/graphql", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	if pk != "" {
		req.Header.Set("X-Publishable-Key", pk)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// mustGetStatus GETs url and returns the answer's status code.
func mustGetStatus(tb testing.TB, url string) int {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
