package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// The startup log prints Config.String; no secret of a delivery URL may reach it.
func TestConfigStringRedactsDeliveryURLs(t *testing.T) {
	c := Config{
		DatabaseURL:  "sqlite://trustgate.db",
		SMTPURL:      "smtp://mailer:smtp-pass-123@mail.example.com:587",
		SMSURL:       "https://hooks.example.com/sms?token=sms-token-456",
		MetricsToken: "metrics-token-789-abcdefghijklmnopqrstuvwxyz",
	}
	got := c.String()
	for _, secret := range []string{"smtp-pass-123", "sms-token-456", "metrics-token-789"} {
		if strings.Contains(got, secret) {
			t.Errorf("Config.String() = %q, contains the secret %q", got, secret)
		}
	}
	for _, want := range []string{"mail.example.com:587", "hooks.example.com/sms"} {
		if !strings.Contains(got, want) {
			t.Errorf("Config.String() = %q, want it to still name %q", got, want)
		}
	}
}

// TestConfigStringHidesMisparsedUserinfo: a password holding an unencoded /
// makes url.Parse read user:1234 as host:port and the rest of the password
// as the path; the startup log must show neither piece of any URL.
func TestConfigStringHidesMisparsedUserinfo(t *testing.T) {
	c := Config{
		DatabaseURL: "postgres://tg:1111/db-s3cret@db.example.com/trustgate",
		SMTPURL:     "smtp://mailer:2222/smtp-s3cret@mail.example.com:587",
		SMSURL:      "https://hook:3333/sms-s3cret@hooks.example.com/sms",
	}
	got := c.String()
	for _, secret := range []string{"1111", "db-s3cret", "2222", "smtp-s3cret", "3333", "sms-s3cret"} {
		if strings.Contains(got, secret) {
			t.Errorf("Config.String() = %q, contains %q of a password", got, secret)
		}
	}
}

// TestCLIReportsEveryConfigProblemAtOnce: serve names every bad setting in
// one message, before it opens anything, each with the variable to fix.
func TestCLIReportsEveryConfigProblemAtOnce(t *testing.T) {
	for k, v := range map[string]string{
		"TRUSTGATE_SECRET": "short", "TRUSTGATE_SMTP_URL": "http://mail.example.com", "TRUSTGATE_SMS_URL": "ftp://sms.example.com",
		"TRUSTGATE_LOG_LEVEL": "loud", "TRUSTGATE_TOKEN_TTL": "1s", "TRUSTGATE_ADDR": "nowhere",
		"TRUSTGATE_PUBLIC_URL": "::bad", "TRUSTGATE_SMTP_FROM": "not an address", "TRUSTGATE_METRICS_TOKEN": "guessable",
		"TRUSTGATE_DATABASE_MAX_CONNS": "5000",
	} {
		t.Setenv(k, v)
	}
	db := t.TempDir() + "/tg.db"
	code, _, errOut := runCLI(t, "serve", "--database-url", "sqlite://"+db)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, v := range []string{"TRUSTGATE_SECRET", "TRUSTGATE_SMTP_URL", "TRUSTGATE_SMS_URL", "TRUSTGATE_LOG_LEVEL",
		"TRUSTGATE_TOKEN_TTL", "TRUSTGATE_ADDR", "TRUSTGATE_PUBLIC_URL", "TRUSTGATE_SMTP_FROM", "TRUSTGATE_METRICS_TOKEN",
		"TRUSTGATE_DATABASE_MAX_CONNS"} {
		if !strings.Contains(errOut, v) {
			t.Errorf("the report does not name %s:\n%s", v, errOut)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("serve created the database before reporting its configuration")
	}
}

// TestCLIEnvironmentScope: a flag wins over a bad variable, and a command
// is not refused for a variable it does not use.
func TestCLIEnvironmentScope(t *testing.T) {
	db := "sqlite://" + t.TempDir() + "/tg.db"
	t.Setenv("TRUSTGATE_TOKEN_TTL", "abc")
	t.Setenv("TRUSTGATE_SMTP_URL", "http://mail.example.com")
	if code, _, errOut := runCLI(t, "migrate", "status", "--database-url", db); code != 0 {
		t.Fatalf("migrate status with a bad TRUSTGATE_TOKEN_TTL and SMTP URL it does not use: exit %d: %s", code, errOut)
	}
	t.Setenv("TRUSTGATE_LOG_LEVEL", "loud")
	if code, _, errOut := runCLI(t, "migrate", "status", "--database-url", db, "--log-level", "info"); code != 0 {
		t.Fatalf("a bad TRUSTGATE_LOG_LEVEL overridden by --log-level: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "migrate", "status", "--database-url", db); code != 2 || !strings.Contains(errOut, "TRUSTGATE_LOG_LEVEL") {
		t.Fatalf("a bad TRUSTGATE_LOG_LEVEL it uses: exit %d: %s", code, errOut)
	}
}

// TestCLIUsageErrors: a command group lists its subcommands, and a stray
// argument is named instead of being ignored.
func TestCLIUsageErrors(t *testing.T) {
	code, out, _ := runCLI(t, "migrate", "--help")
	if code != 0 || !strings.Contains(out, "trustgate migrate up") || !strings.Contains(out, "trustgate migrate status") {
		t.Fatalf("migrate --help: exit %d: %s", code, out)
	}
	if code, _, errOut := runCLI(t, "migrate", "sideways"); code != 2 || !strings.Contains(errOut, `unknown subcommand "sideways"`) {
		t.Fatalf("migrate sideways: exit %d: %s", code, errOut)
	}
	db := "sqlite://" + t.TempDir() + "/tg.db"
	if code, _, errOut := runCLI(t, "migrate", "status", "extra", "--database-url", db); code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Fatalf("migrate status extra: exit %d: %s", code, errOut)
	}
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestCLIErrorsQuoteNoPartOfAURLSecret: a password or token holding a
// character a URL reserves (/ ? #, common in generated SMTP passwords such as
// base64 ones) makes the URL unparsable or parse into the wrong parts; the
// error, which goes to stderr and so to the logs, must still name the
// variable to fix without quoting any piece of the secret.
func TestCLIErrorsQuoteNoPartOfAURLSecret(t *testing.T) {
	db := "sqlite://" + t.TempDir() + "/tg.db"
	cases := []struct {
		env, value string
		secrets    []string
	}{
		{"TRUSTGATE_SMTP_URL", "smtp://apikey:Zm9vYmFy/c2VjcmV0@smtp.example.com:587", []string{"Zm9vYmFy", "c2VjcmV0"}},
		{"TRUSTGATE_SMTP_URL", "smtp://apikey:pa55w0rd?c2VjcmV0@smtp.example.com", []string{"pa55w0rd", "c2VjcmV0"}},
		{"TRUSTGATE_SMTP_URL", "smtp://apikey:123456/c2VjcmV0@smtp.example.com", []string{"123456", "c2VjcmV0"}},
		{"TRUSTGATE_SMTP_URL", "smtp://apikey:1234/c2VjcmV0@smtp.example.com", []string{"1234", "c2VjcmV0"}},
		{"TRUSTGATE_SMS_URL", "https://hook:t0k3nA#t0k3nB@sms.example.com/send", []string{"t0k3nA", "t0k3nB"}},
	}
	for _, c := range cases {
		t.Setenv(c.env, c.value)
		code, _, errOut := runCLI(t, "serve", "--database-url", db)
		os.Unsetenv(c.env)
		if code != 2 || !strings.Contains(errOut, c.env) {
			t.Errorf("%s=%s: exit %d, want 2 and the variable named: %s", c.env, c.value, code, errOut)
		}
		for _, s := range c.secrets {
			if strings.Contains(errOut, s) {
				t.Errorf("%s=%s: the error quotes %q of the secret:\n%s", c.env, c.value, s, errOut)
			}
		}
	}
	code, _, errOut := runCLI(t, "migrate", "status", "--database-url", "postgres://app:hunter2/x@localhost/trustgate")
	if code == 0 || strings.Contains(errOut, "hunter2") {
		t.Errorf("a postgres URL whose password holds a slash: exit %d, error %q quotes the password", code, errOut)
	}
}

// TestCLIRefusesANegativeShutdownGrace: a negative grace period would make
// every shutdown cut off the requests in flight at once; it is refused with
// the variable to fix, as the other durations are.
func TestCLIRefusesANegativeShutdownGrace(t *testing.T) {
	db := "sqlite://" + t.TempDir() + "/tg.db"
	code, _, errOut := runCLI(t, "serve", "--database-url", db, "--shutdown-grace", "-5s")
	if code != 2 || !strings.Contains(errOut, "TRUSTGATE_SHUTDOWN_GRACE") {
		t.Fatalf("serve --shutdown-grace -5s: exit %d, want 2 naming TRUSTGATE_SHUTDOWN_GRACE: %s", code, errOut)
	}
}

// TestCLIRefusesAnArgon2MemoryBeyondTheHasher: the memory cost is checked
// as the hasher takes it (a uint32 of KiB, at most factor.MaxArgon2Memory).
// 2^32+8 KiB passed the 7168 KiB floor and was then truncated to an 8 KiB
// argon2id, silently; 100000000 KiB failed later with an error naming no
// variable.
func TestCLIRefusesAnArgon2MemoryBeyondTheHasher(t *testing.T) {
	db := "sqlite://" + t.TempDir() + "/tg.db"
	for _, v := range []string{"4294967304", "100000000"} {
		code, _, errOut := runCLI(t, "serve", "--database-url", db, "--argon2-memory-kib", v)
		if code != 2 || !strings.Contains(errOut, "TRUSTGATE_ARGON2_MEMORY_KIB") {
			t.Errorf("serve --argon2-memory-kib %s: exit %d, want 2 naming TRUSTGATE_ARGON2_MEMORY_KIB: %s", v, code, errOut)
		}
	}
}

// TestTrustedProxies: IPv4-mapped IPv6 forms of TRUSTGATE_TRUSTED_PROXIES
// are read as the IPv4 ranges they cover (peers are compared unmapped, so
// the mapped form would match nothing), and a range holding every address,
// which believes any client's X-Forwarded-For, is warned about at start-up.
func TestTrustedProxies(t *testing.T) {
	c := Config{TrustedProxies: "::ffff:10.0.0.0/104, ::ffff:192.0.2.1, 10.1.0.0/16, 2001:db8::/32"}
	got, err := c.proxies()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.1/32", "10.1.0.0/16", "2001:db8::/32"}
	var strs []string
	for _, p := range got {
		strs = append(strs, p.String())
	}
	if strings.Join(strs, " ") != strings.Join(want, " ") {
		t.Fatalf("proxies = %v, want %v", strs, want)
	}
	if w := proxyWarnings(got); len(w) != 0 {
		t.Fatalf("warnings for ranges of proxies: %q", w)
	}
	for _, all := range []string{"0.0.0.0/0", "::/0", "::ffff:0.0.0.0/96"} {
		c.TrustedProxies = "10.0.0.0/8," + all
		ps, err := c.proxies()
		if err != nil {
			t.Fatal(err)
		}
		if w := proxyWarnings(ps); len(w) != 1 || !strings.Contains(w[0], "X-Forwarded-For") {
			t.Fatalf("%s: warnings %q, want one about X-Forwarded-For", all, w)
		}
	}
}

// TestDatabasePoolSize: the PostgreSQL pool was fixed at 20 connections per
// replica, so five replicas took a default max_connections (100).
// TRUSTGATE_DATABASE_MAX_CONNS sets it; SQLite keeps its own.
func TestDatabasePoolSize(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes, func(c *Config) { c.DBMaxConns = 3 })
		got := s.m.DB.SQL.Stats().MaxOpenConnections
		if s.m.DB.IsPostgres() && got != 3 {
			t.Errorf("PostgreSQL pool of %d connections, want 3", got)
		}
		if s.m.DB.IsSQLite() && got == 3 {
			t.Errorf("the SQLite pool took the PostgreSQL setting")
		}
	})
}
