package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/migrate"
)

func TestServeRefusesAStaleSchema(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		code := run(ctx, []string{"serve", "--database-url", dbURL, "--addr", "127.0.0.1:0"}, strings.NewReader(""), &out, &errOut)
		if code == 0 {
			t.Fatal("serve started on an unmigrated database")
		}
		if !strings.Contains(errOut.String(), "trustgate migrate up") {
			t.Fatalf("error does not name the fix: %q", errOut.String())
		}
	})
}

// TestAKeyFromTheCLIWorksAtOnce: a key (or operator) the command line makes
// holds its role on a running server from its first request. The server
// used to see the grant only at its next policy poll, up to a second later,
// so a script that created a key and used it at once got permission_denied
// (and a denial in the audit log).
func TestAKeyFromTheCLIWorksAtOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		for _, role := range []string{"owner", "auditor"} {
			key := s.cli(t, "keys", "create", "--role", role, "--app", s.appID, "--json")["key"].(string)
			r := s.adminAs(key, `query($id: ID!) { application(id: $id) { name } }`, vars{"id": s.appID})
			if len(r.Errors) > 0 {
				t.Fatalf("a %s key used at once: %v", role, r.Errors)
			}
		}
		// A key without the permission is still refused.
		key := s.cli(t, "keys", "create", "--role", "auditor", "--app", s.appID, "--json")["key"].(string)
		r := s.adminAs(key, `mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {clientTrustEnabled: false}) { clientTrustEnabled } }`, vars{"id": s.appID})
		if c := r.code(t); c != "permission_denied" {
			t.Fatalf("an auditor changing settings: %s, want permission_denied", c)
		}
	})
}

func TestCLICreateCommandsPrintJSON(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	app := s.cli(t, "apps", "create", "--name", "Imported", "--created-at", "2025-11-13T00:00:00Z", "--json")
	if !strings.HasPrefix(app["id"].(string), "app_") || !strings.HasPrefix(app["publishableKey"].(string), "pk_") {
		t.Fatalf("apps create = %v", app)
	}
	key := s.cli(t, "keys", "create", "--role", "auditor", "--app", app["id"].(string), "--json")
	if !strings.HasPrefix(key["key"].(string), "sk_") || key["role"] != "auditor" || key["applicationId"] != app["id"] {
		t.Fatalf("keys create = %v", key)
	}
	op := s.cli(t, "operators", "create", "--email", "Ops@Example.com", "--role", "admin", "--json")
	if op["email"] != "ops@example.com" || len(op["password"].(string)) < 20 {
		t.Fatalf("operators create = %v", op)
	}
	t.Run("the key works at once with its role", func(t *testing.T) {
		s.reloadPolicy(t)
		r := s.adminAs(key["key"].(string), `query($id: ID!) { application(id: $id) { name settings { clientTrustEnabled } } }`, vars{"id": app["id"]})
		got := r.data(t)["application"].(map[string]any)
		if got["settings"].(map[string]any)["clientTrustEnabled"] != false {
			t.Fatalf("an app created 2025-11-13 has Client Trust on: %v", got)
		}
	})
	t.Run("bad input is a clear error, not a crash", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"keys", "create", "--role", "wizard", "--database-url", s.m.Config.DatabaseURL}, strings.NewReader(""), &out, &errOut)
		if code == 0 || !strings.Contains(errOut.String(), "owner, admin, support, auditor") {
			t.Fatalf("exit %d, stderr %q", code, errOut.String())
		}
		for _, c := range []struct {
			args  []string
			stdin string
			want  string
		}{
			{[]string{"--email", "not-an-email", "--role", "admin"}, "", "--email: "},
			{[]string{"--email", "eve@example.com", "--role", "wizard"}, "", "--role: "},
			{[]string{"--email", "eve@example.com", "--role", "admin", "--app", "app_nope"}, "", "--app: "},
			{[]string{"--email", "eve@example.com", "--role", "admin"}, "password\n", "password: "},
			{[]string{"--email", "OPS@example.com", "--role", "support"}, "", "--email: An operator with the email ops@example.com already exists. Give it another role with grantRole"},
		} {
			out.Reset()
			errOut.Reset()
			args := append(append([]string{"operators", "create"}, c.args...), "--database-url", s.m.Config.DatabaseURL)
			code := run(context.Background(), args, strings.NewReader(c.stdin), &out, &errOut)
			if code == 0 || !strings.Contains(errOut.String(), c.want) {
				t.Errorf("operators create %v: exit %d, stderr %q, want an error naming %q", c.args, code, errOut.String(), c.want)
			}
		}
		if n := s.auditCount(t, "cli", "operators:create"); n != 1 {
			t.Errorf("%d operators:create audit events, want 1 (the refused ones create nothing)", n)
		}
		if n := s.auditCount(t, "cli", "applications:create"); n != 1 {
			t.Errorf("%d applications:create audit events by the CLI, want 1", n)
		}
	})
}

func TestDashboardHasNoSignUp(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	resp, err := http.Get(s.base + "/dashboard/config.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cfg struct{ PublishableKey string }
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil || cfg.PublishableKey == "" {
		t.Fatalf("dashboard config: %v %+v", err, cfg)
	}
	d := s.browser()
	d.pk = cfg.PublishableKey
	r := d.do(`mutation { signUpCreate(input: {emailAddress: "mallory@example.com", password: "correct horse battery"}) { id } }`, nil)
	if got := r.code(t); got != "resource_forbidden" {
		t.Fatalf("sign-up on the dashboard application: code = %s, want resource_forbidden", got)
	}
}

// TestServeOutsideDevDeletesDevOutbox: a database that served in dev mode
// kept whole messages, codes included; serving it outside dev mode deletes
// them and keeps the envelopes stored without a body.
func TestServeOutsideDevDeletesDevOutbox(t *testing.T) {
	url := "sqlite://" + t.TempDir() + "/tg.db"
	dev := mustStart(t, url, func(c *Config) { c.Dev = true })
	ctx := context.Background()
	store := &delivery.EntOutbox{DB: dev.m.DB}
	msg := delivery.Message{Channel: "email", To: "ada@example.com", Kind: "verification_code", Subject: "Your code", Text: "Your code is 123456"}
	if err := delivery.NewOutboxSender(store, dev.m.Log, true).Send(ctx, msg); err != nil {
		t.Fatal(err)
	}
	// Outside dev mode the outbox keeps the envelope and reports the send failed (nobody reads it).
	if err := delivery.NewOutboxSender(store, dev.m.Log, false).Send(ctx, msg); !errors.Is(err, delivery.ErrDeliveryFailed) {
		t.Fatalf("an outbox send outside dev mode: %v, want ErrDeliveryFailed", err)
	}

	prod := mustStart(t, url)
	rows, err := prod.m.DB.Ent.OutboxMessage.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Text != delivery.WithheldBody || strings.Contains(rows[0].Text, "123456") {
		t.Fatalf("outbox after serving outside dev mode: %+v, want only the message stored without its body", rows)
	}
	if !strings.Contains(prod.log.String(), "deleted its outbox messages") {
		t.Error("the deletion was not logged")
	}
}

// TestSigningKeyRotation: `trustgate signing-keys rotate` makes a new key
// (pre-published: it signs later, TestRotateCLI); a token signed with the
// previous one keeps verifying (--previous keep, the default) until
// `--previous revoke` makes another key current and deletes the retired keys,
// after which every replica refuses it within a minute (its key cache) and
// a fresh token verifies. Tokens live 10 minutes here, so that only the key
// decides.
func TestSigningKeyRotation(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes, func(c *Config) { c.TokenTTL = 10 * time.Minute })
	s.setSettings(t, vars{"clientTrustEnabled": false})
	s.createUser(t, "ada@example.com", "", testPassword)
	d := s.browser()
	sid := d.mustSession(t, "ada@example.com")
	signedIn := func() bool { return d.do(`{ me { id } }`, nil).data(t)["me"] != nil }
	before := s.cli(t, "signing-keys", "rotate", "--json")
	s.clock.Advance(61 * time.Second) // past the server's key cache
	if !signedIn() {
		t.Fatal("a token signed before a plain rotation was refused")
	}
	after := s.cli(t, "signing-keys", "rotate", "--previous", "revoke", "--json")
	if after["id"] == before["id"] || after["revoked"].(float64) < 2 {
		t.Fatalf("rotations: %v then %v, want a new key and the retired ones deleted", before, after)
	}
	s.clock.Advance(61 * time.Second)
	if signedIn() {
		t.Fatal("a token signed with a revoked key still verified")
	}
	d.token(t, sid)
	if !signedIn() {
		t.Fatal("a token signed after the revocation was refused")
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"signing-keys", "rotate", "--previous", "maybe", "--database-url", s.m.Config.DatabaseURL},
		strings.NewReader(""), &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "keep or revoke") {
		t.Fatalf("--previous maybe: exit %d, %s", code, errOut.String())
	}
}

// TestNoSenderWarningsOnlyWhenServing: outside dev mode, serve warns about a
// channel with no sender (its codes fail with delivery_failed) and about an
// issuer taken from the listening address (TRUSTGATE_PUBLIC_URL unset); a
// command that serves nothing, such as keys create, does not.
func TestNoSenderWarningsOnlyWhenServing(t *testing.T) {
	url := "sqlite://" + t.TempDir() + "/tg.db"
	t.Setenv("TRUSTGATE_DATABASE_URL", url)
	if code, _, stderr := runCLI(t, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: %d %s", code, stderr)
	}
	serveOnly := []string{"TRUSTGATE_SMTP_URL is not set", "TRUSTGATE_SMS_URL is not set", "TRUSTGATE_PUBLIC_URL is not set"}
	code, _, stderr := runCLI(t, "keys", "create", "--role", "owner")
	if code != 0 || slices.ContainsFunc(serveOnly, func(w string) bool { return strings.Contains(stderr, w) }) {
		t.Fatalf("keys create: exit %d, stderr %s; want 0 and none of serve's warnings", code, stderr)
	}
	var logs bytes.Buffer
	m := &Main{Config: Config{Addr: "127.0.0.1:0", DatabaseURL: url, LogLevel: "info", LogFormat: "text", TokenTTL: time.Minute,
		Argon2Memory: 19456, Argon2Time: 2, ShutdownGrace: time.Second, SMTPFrom: "trustgate <no-reply@localhost>"},
		Log: slog.New(slog.NewTextHandler(&logs, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, want := range serveOnly {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("serve's log lacks %q:\n%s", want, logs.String())
		}
	}
}

// TestServeSecondSignalStopsAtOnce: the first SIGINT or SIGTERM drains the
// requests in flight for up to TRUSTGATE_SHUTDOWN_GRACE; a second one stops
// serve at once, with a non-zero exit code and a log line saying so, instead
// of being swallowed while the drain runs its course.
func TestServeSecondSignalStopsAtOnce(t *testing.T) {
	url := "sqlite://" + t.TempDir() + "/tg.db"
	if code, _, errOut := runCLI(t, "migrate", "up", "--database-url", url); code != 0 {
		t.Fatalf("migrate up: exit %d: %s", code, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	sigs := make(chan os.Signal, 1)
	ctx, stop := withSignals(context.Background(), sigs)
	defer stop()
	logs := &syncWriter{w: &bytes.Buffer{}}
	logText := func() string {
		logs.mu.Lock()
		defer logs.mu.Unlock()
		return logs.w.(*bytes.Buffer).String()
	}
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"serve", "--database-url", url, "--addr", addr, "--shutdown-grace", "1m"},
			strings.NewReader(""), io.Discard, logs)
	}()
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil && resp.StatusCode == http.StatusOK {
			resp.Body.Close()
			break
		}
		if i > 200 {
			t.Fatalf("serve did not start: %s", logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A request still arriving: the drain waits for it (here until the
	// server's 10 s header timeout, well within the grace).
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: trustgate\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)

	sigs <- os.Interrupt
	for i := 0; !strings.Contains(logText(), "shutting down"); i++ {
		if i > 100 {
			t.Fatalf("no shutdown after the first signal: %s", logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case code := <-exited:
		t.Fatalf("serve exited (%d) without draining the request in flight", code)
	case <-time.After(300 * time.Millisecond):
	}

	sigs <- syscall.SIGTERM
	select {
	case code := <-exited:
		if code == 0 {
			t.Errorf("exit code 0 after a second signal, want non-zero")
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("serve still draining 3 s after a second signal: %s", logText())
	}
	if !strings.Contains(logText(), "stopping at once") {
		t.Errorf("no log line says the second signal stopped serve at once:\n%s", logText())
	}
}

// TestReadyzShowsOnlyAReasonClass: /readyz needs no credentials, so its 503
// body names only the class of the problem, never the checker's error (a
// driver message, host or user name, the migration files); the whole error
// goes to the log at WARN, once per change rather than once per probe.
func TestReadyzShowsOnlyAReasonClass(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		readyz := func() (int, map[string]string) {
			t.Helper()
			resp, err := http.Get(s.base + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]string
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, body
		}
		warnings := func(msg string) int {
			n := 0
			for _, line := range strings.Split(s.logText(), "\n") {
				if strings.Contains(line, "level=WARN") && strings.Contains(line, msg) {
					n++
				}
			}
			return n
		}
		if code, body := readyz(); code != http.StatusOK || body["status"] != "ready" {
			t.Fatalf("readyz: %d %v, want 200 ready", code, body)
		}
		exec := func(q string) {
			t.Helper()
			if _, err := s.m.DB.SQL.Exec(q); err != nil {
				t.Fatal(err)
			}
		}

		// The migrations table unreadable: the driver's error names the column.
		exec(`ALTER TABLE ` + migrate.Table + ` RENAME COLUMN checksum TO checksum_renamed`)
		for range 2 {
			code, body := readyz()
			if code != http.StatusServiceUnavailable || body["reason"] != "schema check failed" {
				t.Errorf("readyz with an unreadable migrations table: %d %v, want 503 and reason \"schema check failed\"", code, body)
			}
			if strings.Contains(fmt.Sprint(body), "checksum") || strings.Contains(fmt.Sprint(body), migrate.Table) {
				t.Errorf("readyz body %v shows the checker's error", body)
			}
		}
		if n := warnings("checksum"); n != 1 {
			t.Errorf("%d WARN lines with the checker's error after two probes, want 1:\n%s", n, s.logText())
		}
		exec(`ALTER TABLE ` + migrate.Table + ` RENAME COLUMN checksum_renamed TO checksum`)

		// A migration pending: the class, not the file names.
		exec(`DELETE FROM ` + migrate.Table + ` WHERE version = (SELECT max(version) FROM ` + migrate.Table + `)`)
		code, body := readyz()
		if code != http.StatusServiceUnavailable || body["reason"] != "migrations pending" || strings.Contains(fmt.Sprint(body), ".sql") {
			t.Errorf("readyz with a migration pending: %d %v, want 503 and only reason \"migrations pending\"", code, body)
		}
		if n := warnings("pending"); n != 1 {
			t.Errorf("%d WARN lines for the pending migration, want 1:\n%s", n, s.logText())
		}
	})
}

// TestMigrateStatusJSON: `migrate status --json` prints one object a deploy
// script can wait on: every migration with its version, name and time
// applied (null while pending), and how many are pending.
func TestMigrateStatusJSON(t *testing.T) {
	url := "sqlite://" + t.TempDir() + "/tg.db"
	status := func() (pending float64, migrations []any) {
		t.Helper()
		code, out, errOut := runCLI(t, "migrate", "status", "--json", "--database-url", url)
		var got struct {
			Pending    *float64
			Migrations []any
		}
		if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || got.Pending == nil {
			t.Fatalf("migrate status --json: exit %d, %v: %s %s", code, err, out, errOut)
		}
		return *got.Pending, got.Migrations
	}
	pending, before := status()
	if len(before) == 0 || pending != float64(len(before)) {
		t.Fatalf("a new database: %v pending of %d migrations, want all", pending, len(before))
	}
	for _, m := range before {
		if m := m.(map[string]any); m["appliedAt"] != nil || m["version"] == "" || m["name"] == "" {
			t.Fatalf("a pending migration: %v", m)
		}
	}
	if code, _, errOut := runCLI(t, "migrate", "up", "--database-url", url); code != 0 {
		t.Fatalf("migrate up: exit %d: %s", code, errOut)
	}
	pending, after := status()
	if pending != 0 || len(after) != len(before) {
		t.Fatalf("after migrate up: %v pending, %d migrations, want 0 of %d", pending, len(after), len(before))
	}
	for _, m := range after {
		at, _ := m.(map[string]any)["appliedAt"].(string)
		if _, err := time.Parse(time.RFC3339, at); err != nil {
			t.Errorf("an applied migration: %v", m)
		}
	}
}
