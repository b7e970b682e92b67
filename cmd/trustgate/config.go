package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/trustgate/trustgate/internal/keyring"
	"io"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/factor"
)

// Config is every setting of trustgate. It is filled from flags and
// TRUSTGATE_* environment variables (flags win); String redacts secrets.
type Config struct {
	Addr           string
	DatabaseURL    string
	Secret         string
	SMTPURL        string
	SMTPFrom       string
	SMSURL         string
	TrustedProxies string
	Dev            bool
	PublicURL      string
	LogLevel       string
	LogFormat      string
	TokenTTL       time.Duration
	HashWorkers    int
	Argon2Memory   uint
	Argon2Time     uint
	ShutdownGrace  time.Duration
	CodeSendFloor  time.Duration
	MetricsToken   string
	DBMaxConns     int
}

// setting documents one configuration value.
type setting struct {
	flag, env, def, help string
	secret               bool
}

// settings lists every setting with its env name and default (CONTRACT.md §1).
var settings = []setting{
	{flag: "addr", env: "TRUSTGATE_ADDR", def: "127.0.0.1:8080", help: "listen address"},
	{flag: "database-url", env: "TRUSTGATE_DATABASE_URL", def: "sqlite://trustgate.db", help: "sqlite://PATH (embedded) or postgres://… (production)", secret: true},
	{flag: "secret", env: "TRUSTGATE_SECRET", def: "", help: "root secret (base64url, ≥32 bytes) for signing keys and TOTP encryption; generated and stored in the database when unset (trustgate secret export moves it out)", secret: true},
	{flag: "smtp-url", env: "TRUSTGATE_SMTP_URL", def: "", help: "smtp://user:pass@host:port (STARTTLS when offered, required with credentials unless the host is localhost) or smtps://…; unset: the dev outbox in dev mode, else email fails with delivery_failed", secret: true},
	{flag: "smtp-from", env: "TRUSTGATE_SMTP_FROM", def: "trustgate <no-reply@localhost>", help: "sender address"},
	{flag: "sms-url", env: "TRUSTGATE_SMS_URL", def: "", help: "HTTP endpoint that receives SMS as JSON {to, body, kind}; unset: the dev outbox in dev mode, else texts fail with delivery_failed", secret: true},
	{flag: "database-max-conns", env: "TRUSTGATE_DATABASE_MAX_CONNS", def: "20", help: "PostgreSQL connections each replica may open (0: 20); replicas × this must stay below the server's max_connections (SQLite: ignored)"},
	{flag: "trusted-proxies", env: "TRUSTGATE_TRUSTED_PROXIES", def: "", help: "comma-separated CIDRs of load balancers whose X-Forwarded-For is honoured"},
	{flag: "dev", env: "TRUSTGATE_DEV", def: "false", help: "dev mode: auto-migrate, default application, outbox in the log, introspection"},
	{flag: "public-url", env: "TRUSTGATE_PUBLIC_URL", def: "", help: "external base URL; the issuer (iss) of session tokens (default http://ADDR)"},
	{flag: "log-level", env: "TRUSTGATE_LOG_LEVEL", def: "info", help: "debug, info, warn or error"},
	{flag: "log-format", env: "TRUSTGATE_LOG_FORMAT", def: "json", help: "json or text"},
	{flag: "token-ttl", env: "TRUSTGATE_TOKEN_TTL", def: "60s", help: "lifetime of session JWTs"},
	{flag: "hash-workers", env: "TRUSTGATE_HASH_WORKERS", def: "0", help: "password hashes run at once (0: one per CPU)"},
	{flag: "argon2-memory-kib", env: "TRUSTGATE_ARGON2_MEMORY_KIB", def: "19456", help: "argon2id memory cost in KiB (OWASP: 19456)"},
	{flag: "argon2-time", env: "TRUSTGATE_ARGON2_TIME", def: "2", help: "argon2id iterations (OWASP: 2)"},
	{flag: "shutdown-grace", env: "TRUSTGATE_SHUTDOWN_GRACE", def: "15s", help: "how long serve waits for requests in flight on shutdown"},
	{flag: "metrics-token", env: "TRUSTGATE_METRICS_TOKEN", def: "", help: "bearer token GET /metrics requires (Authorization: Bearer …), at least 32 characters; unset: /metrics needs no credentials, so route it from your monitoring network only", secret: true},
	{flag: "code-send-floor", env: "TRUSTGATE_CODE_SEND_FLOOR", def: "1s", help: "with enumeration protection, the least time a sign-in code prepare or a sign-up verification prepare takes, code sent or not, so that the mail server's or SMS gateway's time does not tell which identifiers have accounts; 0 turns it off"},
}

// fields maps a setting's flag name to where its value goes.
func (c *Config) fields() map[string]any {
	return map[string]any{
		"addr": &c.Addr, "database-url": &c.DatabaseURL, "secret": &c.Secret, "smtp-url": &c.SMTPURL,
		"smtp-from": &c.SMTPFrom, "sms-url": &c.SMSURL, "trusted-proxies": &c.TrustedProxies, "dev": &c.Dev,
		"public-url": &c.PublicURL, "log-level": &c.LogLevel, "log-format": &c.LogFormat, "token-ttl": &c.TokenTTL,
		"hash-workers": &c.HashWorkers, "argon2-memory-kib": &c.Argon2Memory, "argon2-time": &c.Argon2Time,
		"shutdown-grace": &c.ShutdownGrace, "code-send-floor": &c.CodeSendFloor, "metrics-token": &c.MetricsToken,
		"database-max-conns": &c.DBMaxConns,
	}
}

// register adds the named settings (all when names is empty) to fs, each
// with its built-in default and then the value of its environment variable,
// which the flag parses as it would on the command line. It returns the
// problems found in the environment values of those settings, by flag name
// (a flag given on the command line makes its variable's problem moot: see
// envProblems); a value that does not parse leaves the built-in default.
func (c *Config) register(fs *flag.FlagSet, names ...string) map[string]error {
	errs := map[string]error{}
	fields := c.fields()
	// Settings a command does not take still get their env or default value.
	hidden := flag.NewFlagSet("hidden", flag.ContinueOnError)
	defer func() { _ = hidden.Parse(nil) }()
	for _, s := range settings {
		fs := fs
		if len(names) > 0 && !contains(names, s.flag) {
			fs = hidden
		}
		want := ""
		switch p := fields[s.flag].(type) {
		case *string:
			fs.StringVar(p, s.flag, s.def, s.help)
		case *bool:
			b, _ := strconv.ParseBool(s.def)
			fs.BoolVar(p, s.flag, b, s.help)
			want = "a boolean (true or false)"
		case *int:
			n, _ := strconv.Atoi(s.def)
			fs.IntVar(p, s.flag, n, s.help)
			want = "a number"
		case *uint:
			n, _ := strconv.ParseUint(s.def, 10, 32)
			fs.UintVar(p, s.flag, uint(n), s.help)
			want = "a number"
		case *time.Duration:
			d, _ := time.ParseDuration(s.def)
			fs.DurationVar(p, s.flag, d, s.help)
			want = "a duration like 60s"
		}
		if v, ok := os.LookupEnv(s.env); ok {
			// A value the flag refuses leaves the field at its default.
			if err := fs.Set(s.flag, v); err != nil && fs != hidden {
				errs[s.flag] = fmt.Errorf("%s=%q: not %s", s.env, v, want)
			}
		}
	}
	return errs
}

// envProblems returns the problems register found, but of the settings
// whose flag fs was given: the flag wins over the variable.
func envProblems(fs *flag.FlagSet, found map[string]error) []error {
	fs.Visit(func(f *flag.Flag) { delete(found, f.Name) })
	var out []error
	for _, s := range settings {
		if err, ok := found[s.flag]; ok {
			out = append(out, err)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// usage prints every setting of fs with its env name and default.
func usage(w io.Writer, command, summary string, fs *flag.FlagSet) func() {
	return func() {
		fmt.Fprintf(w, "Usage: trustgate %s [flags]\n\n%s\n\nFlags (each also read from its environment variable; flags win):\n", command, summary)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fs.VisitAll(func(f *flag.Flag) {
			env, def := "", f.DefValue
			for _, s := range settings {
				if s.flag == f.Name {
					env, def = s.env, s.def
				}
			}
			if def == "" {
				def = "unset"
			}
			fmt.Fprintf(tw, "  --%s\t%s\tdefault %s\t%s\n", f.Name, env, def, f.Usage)
		})
		tw.Flush()
	}
}

// Validate reports every problem of the configuration at once: of the named
// settings (flag names, as a command's settings list them), or of all when
// names is empty. Values are checked as the server will use them (the
// secret decoded, the SMTP and SMS URLs parsed, the listen address split),
// so that a mistake is named at start-up, with the variable to fix, and not
// later, one at a time, after the database was written to.
func (c *Config) Validate(names ...string) error {
	var errs []error
	for _, r := range c.rules() {
		if len(names) > 0 && !contains(names, r.setting) {
			continue
		}
		if err := r.check(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// rule checks one setting's value.
type rule struct {
	setting string // its flag name
	check   func() error
}

func (c *Config) rules() []rule {
	return []rule{
		{"addr", func() error {
			if c.Addr == "" {
				return errors.New("TRUSTGATE_ADDR is empty")
			}
			if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
				return fmt.Errorf("TRUSTGATE_ADDR=%q: use host:port, such as 127.0.0.1:8080 or :8080", c.Addr)
			}
			return nil
		}},
		{"database-url", func() error {
			if !strings.HasPrefix(c.DatabaseURL, "sqlite://") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
				return errors.New("TRUSTGATE_DATABASE_URL must start with sqlite:// or postgres://")
			}
			return nil
		}},
		{"secret", func() error {
			if c.Secret == "" {
				return nil // generated and stored in the database, with a warning
			}
			if _, err := keyring.DecodeRoot(c.Secret); err != nil {
				return fmt.Errorf("TRUSTGATE_SECRET: %w (generate one with: head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')", err)
			}
			return nil
		}},
		{"smtp-url", func() error {
			if c.SMTPURL == "" {
				return nil
			}
			if _, err := delivery.ParseSMTPURL(c.SMTPURL); err != nil {
				return fmt.Errorf("TRUSTGATE_SMTP_URL: %w", err)
			}
			return nil
		}},
		{"smtp-from", func() error {
			if c.SMTPFrom == "" {
				return nil
			}
			if _, err := netmail.ParseAddress(c.SMTPFrom); err != nil {
				return fmt.Errorf("TRUSTGATE_SMTP_FROM=%q: not an email address such as \"trustgate <no-reply@example.com>\" (%v)", c.SMTPFrom, err)
			}
			return nil
		}},
		{"sms-url", func() error {
			if c.SMSURL == "" {
				return nil
			}
			if _, err := delivery.NewSMSHookSender(c.SMSURL); err != nil {
				return fmt.Errorf("TRUSTGATE_SMS_URL: %w", err)
			}
			return nil
		}},
		{"public-url", func() error {
			if c.PublicURL == "" {
				return nil
			}
			u, err := url.Parse(c.PublicURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("TRUSTGATE_PUBLIC_URL=%q: use an absolute http(s) URL such as https://auth.example.com", c.PublicURL)
			}
			return nil
		}},
		{"trusted-proxies", func() error {
			_, err := c.proxies()
			return err
		}},
		{"log-level", func() error {
			switch c.LogLevel {
			case "debug", "info", "warn", "error":
				return nil
			}
			return fmt.Errorf("TRUSTGATE_LOG_LEVEL=%q: use debug, info, warn or error", c.LogLevel)
		}},
		{"log-format", func() error {
			if c.LogFormat != "json" && c.LogFormat != "text" {
				return fmt.Errorf("TRUSTGATE_LOG_FORMAT=%q: use json or text", c.LogFormat)
			}
			return nil
		}},
		{"token-ttl", func() error {
			if c.TokenTTL < 10*time.Second || c.TokenTTL > time.Hour {
				return fmt.Errorf("TRUSTGATE_TOKEN_TTL=%s: must be between 10s and 1h", c.TokenTTL)
			}
			return nil
		}},
		{"argon2-memory-kib", func() error {
			if c.Argon2Memory < 7168 {
				return fmt.Errorf("TRUSTGATE_ARGON2_MEMORY_KIB=%d: below OWASP's minimum of 7168 KiB", c.Argon2Memory)
			}
			// The hasher takes a uint32: a larger value would wrap around
			// to a weak one.
			if c.Argon2Memory > factor.MaxArgon2Memory {
				return fmt.Errorf("TRUSTGATE_ARGON2_MEMORY_KIB=%d: above the maximum of %d KiB (4 GiB)", c.Argon2Memory, factor.MaxArgon2Memory)
			}
			return nil
		}},
		{"argon2-time", func() error {
			if c.Argon2Time < 1 || c.Argon2Time > 20 {
				return fmt.Errorf("TRUSTGATE_ARGON2_TIME=%d: must be between 1 and 20", c.Argon2Time)
			}
			return nil
		}},
		{"code-send-floor", func() error {
			if c.CodeSendFloor < 0 || c.CodeSendFloor > 10*time.Second {
				return fmt.Errorf("TRUSTGATE_CODE_SEND_FLOOR=%s: must be between 0 and 10s", c.CodeSendFloor)
			}
			return nil
		}},
		{"shutdown-grace", func() error {
			// 0 cuts off requests in flight at once, as asked; a negative
			// value would do the same by mistake.
			if c.ShutdownGrace < 0 {
				return fmt.Errorf("TRUSTGATE_SHUTDOWN_GRACE=%s: must be 0 or more", c.ShutdownGrace)
			}
			return nil
		}},
		{"metrics-token", func() error {
			// Prometheus sends it with every scrape: a short one is guessed
			// at the endpoint's pace.
			if c.MetricsToken != "" && len(c.MetricsToken) < MinMetricsToken {
				return fmt.Errorf("TRUSTGATE_METRICS_TOKEN: %d characters, want at least %d (e.g. openssl rand -base64 32)", len(c.MetricsToken), MinMetricsToken)
			}
			return nil
		}},
		{"database-max-conns", func() error {
			if c.DBMaxConns < 0 || c.DBMaxConns > 1000 {
				return fmt.Errorf("TRUSTGATE_DATABASE_MAX_CONNS=%d: must be between 1 and 1000 (0: 20)", c.DBMaxConns)
			}
			return nil
		}},
		{"hash-workers", func() error {
			if c.HashWorkers < 0 || c.HashWorkers > 256 {
				return fmt.Errorf("TRUSTGATE_HASH_WORKERS=%d: must be between 0 and 256", c.HashWorkers)
			}
			return nil
		}},
	}
}

func (c *Config) proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(c.TrustedProxies, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			if a, err := netip.ParseAddr(part); err == nil {
				out = append(out, unmapPrefix(netip.PrefixFrom(a, a.BitLen())))
				continue
			}
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("TRUSTGATE_TRUSTED_PROXIES: %q is not a CIDR like 10.0.0.0/8", part)
		}
		out = append(out, unmapPrefix(p).Masked())
	}
	return out, nil
}

// unmapPrefix is p with an IPv4-mapped IPv6 prefix (::ffff:10.0.0.0/104)
// written as the IPv4 prefix it covers (10.0.0.0/8): peers and forwarded
// addresses are compared unmapped, so the mapped form would match nothing.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// proxyWarnings are the start-up warnings about TRUSTGATE_TRUSTED_PROXIES:
// a range that holds every address of its family (0.0.0.0/0, ::/0) believes
// whatever X-Forwarded-For any client of that family sends, so its first
// address, which the client writes, becomes the request's IP, and the
// per-IP budgets count nothing.
func proxyWarnings(proxies []netip.Prefix) []string {
	var out []string
	for _, p := range proxies {
		if p.Bits() == 0 {
			family := "IPv6"
			if p.Addr().Is4() {
				family = "IPv4"
			}
			out = append(out, "TRUSTGATE_TRUSTED_PROXIES holds "+p.String()+", every "+family+" address: any such client can choose its IP with X-Forwarded-For, "+
				"and the per-IP rate limits and the sign-in history's IPs are the client's to write. List only the proxies in front of trustgate.")
		}
	}
	return out
}

// MinMetricsToken is the shortest TRUSTGATE_METRICS_TOKEN accepted.
const MinMetricsToken = 32

// String prints the configuration with secrets redacted.
func (c Config) String() string {
	red := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "REDACTED"
	}
	return fmt.Sprintf("addr=%s database=%s secret=%s smtp=%s sms=%s dev=%t public_url=%s metrics_token=%s",
		c.Addr, database.Redact(c.DatabaseURL), red(c.Secret), redactURL(c.SMTPURL), redactURL(c.SMSURL), c.Dev, c.PublicURL, red(c.MetricsToken))
}

func redactURL(raw string) string {
	if raw == "" {
		return "unset"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a valid URL)"
	}
	return delivery.RedactURL(u)
}
