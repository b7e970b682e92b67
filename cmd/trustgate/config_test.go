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
		DatabaseURL: "sqlite://trustgate.db",
		SMTPURL:     "smtp://mailer:smtp-pass-123@mail.example.com:587",
		SMSURL:      "https://hooks.example.com/sms?token=sms-token-456",
	}
	got := c.String()
	for _, secret := range []string{"smtp-pass-123", "sms-token-456"} {
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

// TestCLIReportsEveryConfigProblemAtOnce: serve names every bad setting in
// one message, before it opens anything, each with the variable to fix.
func TestCLIReportsEveryConfigProblemAtOnce(t *testing.T) {
	for k, v := range map[string]string{
		"TRUSTGATE_SECRET": "short", "TRUSTGATE_SMTP_URL": "http://mail.example.com", "TRUSTGATE_SMS_URL": "ftp://sms.example.com",
		"TRUSTGATE_LOG_LEVEL": "loud", "TRUSTGATE_TOKEN_TTL": "1s", "TRUSTGATE_ADDR": "nowhere",
		"TRUSTGATE_PUBLIC_URL": "::bad", "TRUSTGATE_SMTP_FROM": "not an address",
	} {
		t.Setenv(k, v)
	}
	db := t.TempDir() + "/tg.db"
	code, _, errOut := runCLI(t, "serve", "--database-url", "sqlite://"+db)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, v := range []string{"TRUSTGATE_SECRET", "TRUSTGATE_SMTP_URL", "TRUSTGATE_SMS_URL", "TRUSTGATE_LOG_LEVEL",
		"TRUSTGATE_TOKEN_TTL", "TRUSTGATE_ADDR", "TRUSTGATE_PUBLIC_URL", "TRUSTGATE_SMTP_FROM"} {
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
