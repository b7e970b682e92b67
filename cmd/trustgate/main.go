// Command trustgate is the trustgate server and its administration CLI:
// serve, migrate up|status, apps create, keys create, operators create.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/trustgate/trustgate/internal/admin"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/httpserver"
	"github.com/trustgate/trustgate/internal/migrate"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/session"
	"github.com/trustgate/trustgate/policy"
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// signalContext returns a context canceled at the first SIGINT or SIGTERM;
// serve watches for a second one (withSignals).
func signalContext() (context.Context, func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := withSignals(context.Background(), sigs)
	return ctx, func() {
		signal.Stop(sigs)
		cancel()
	}
}

// withSignals returns a context canceled at the first signal on sigs. The
// signals after it are left on sigs, for serve's graceful shutdown to watch
// (secondSignal). Tests inject signals through it.
func withSignals(parent context.Context, sigs <-chan os.Signal) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	return context.WithValue(ctx, signalsKey{}, sigs), cancel
}

type signalsKey struct{}

const topUsage = `trustgate: a self-hosted authentication server with Client Trust.

Usage:
  trustgate serve                      run the HTTP server
  trustgate migrate up|status          apply or list the SQL migrations
  trustgate apps create --name N       create an application
  trustgate keys create --role R       create an admin API secret key
  trustgate signing-keys rotate        replace the session-token signing key
  trustgate secret export              print the generated root secret, to move it to TRUSTGATE_SECRET
  trustgate operators create --email E --role R   create a dashboard operator
  trustgate dev seed-events --count N  fill a database with synthetic sign-in events (benchmarks)
  trustgate dev stuffing-drill         replay a leaked-credential list against a local server
  trustgate dev loadtest               measure sign-in throughput and latency of a local server

Run "trustgate COMMAND --help" for the flags of a command.
`

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, topUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		// Two-word commands ("migrate up", "dev seed-events") are whatever the
		// commands map holds, including entries added by other files' init.
		if _, ok := commands[cmd+" "+rest[0]]; ok {
			cmd, rest = cmd+" "+rest[0], rest[1:]
		}
	}
	c, ok := commands[cmd]
	if !ok {
		if subs := subcommands(cmd); len(subs) > 0 {
			// "trustgate migrate", "trustgate migrate --help", "trustgate migrate bogus".
			w, code := stderr, 2
			switch {
			case len(rest) > 0 && (rest[0] == "-h" || rest[0] == "--help" || rest[0] == "help"):
				w, code = stdout, 0
			case len(rest) > 0:
				fmt.Fprintf(stderr, "trustgate %s: unknown subcommand %q\n\n", cmd, rest[0])
			}
			fmt.Fprintf(w, "Usage: trustgate %s SUBCOMMAND [flags]\n\n", cmd)
			for _, sub := range subs {
				fmt.Fprintf(w, "  trustgate %-22s %s\n", sub, firstSentence(commands[sub].summary))
			}
			fmt.Fprintf(w, "\nRun \"trustgate %s SUBCOMMAND --help\" for its flags.\n", cmd)
			return code
		}
		fmt.Fprintf(stderr, "trustgate: unknown command %q\n\n%s", cmd, topUsage)
		return 2
	}
	var cfg Config
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	envErrs := cfg.register(fs, c.settings...)
	var jsonOut bool
	if c.jsonFlag {
		fs.BoolVar(&jsonOut, "json", false, "print one JSON object instead of text")
	}
	extra := c.flags(fs)
	fs.Usage = usage(stdout, cmd, c.summary, fs)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "trustgate %s: unexpected argument %q (flags start with --; see trustgate %s --help)\n", cmd, fs.Arg(0), cmd)
		return 2
	}
	if errs := envProblems(fs, envErrs); len(errs) > 0 {
		fmt.Fprintf(stderr, "trustgate: bad environment:\n  %v\n", errors.Join(errs...))
		return 2
	}
	if err := cfg.Validate(c.settings...); err != nil {
		fmt.Fprintf(stderr, "trustgate: bad configuration:\n  %v\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	out := output{w: stdout, json: jsonOut}
	if err := c.run(ctx, &cfg, log, extra, stdin, out); err != nil {
		fmt.Fprintf(stderr, "trustgate %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// subcommands lists, sorted, the two-word commands whose first word is
// group ("migrate up", "migrate status" for "migrate").
func subcommands(group string) []string {
	var out []string
	for name := range commands {
		if strings.HasPrefix(name, group+" ") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// firstSentence is text up to the end of its first sentence or clause, on one line.
func firstSentence(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if i := strings.IndexAny(text, ".:;"); i >= 0 {
		return text[:i] + "."
	}
	return text
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(httpserver.LogHandler(slog.NewTextHandler(w, opts)))
	}
	return slog.New(httpserver.LogHandler(slog.NewJSONHandler(w, opts)))
}

// output prints a command's result as text or one JSON object.
type output struct {
	w    io.Writer
	json bool
}

func (o output) print(obj map[string]any, text string) error {
	if o.json {
		return json.NewEncoder(o.w).Encode(obj)
	}
	_, err := fmt.Fprintln(o.w, text)
	return err
}

type command struct {
	summary  string
	settings []string // config settings it takes; nil: all
	jsonFlag bool     // takes --json
	flags    func(fs *flag.FlagSet) map[string]*string
	run      func(ctx context.Context, cfg *Config, log *slog.Logger, f map[string]*string, stdin io.Reader, out output) error
}

var dbSettings = []string{"database-url", "secret", "log-level", "log-format", "dev"}

func noFlags(*flag.FlagSet) map[string]*string { return nil }

var commands = map[string]command{
	"serve": {
		summary: "Runs the HTTP server: GraphQL API, hosted pages, dashboard, JWKS, health and metrics.",
		flags:   noFlags,
		run:     serve,
	},
	"migrate up": {
		summary:  "Applies the pending SQL migrations in migrations/ to the database.",
		settings: []string{"database-url", "log-level", "log-format"},
		jsonFlag: true,
		flags:    noFlags,
		run: withDB(func(ctx context.Context, db *database.DB, out output) error {
			applied, err := migrate.Up(ctx, db)
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				return out.print(map[string]any{"applied": []string{}}, "The database is up to date.")
			}
			return out.print(map[string]any{"applied": applied}, "Applied: "+strings.Join(applied, ", "))
		}),
	},
	"migrate status": {
		summary:  "Lists the SQL migrations and whether each is applied.",
		settings: []string{"database-url", "log-level", "log-format"},
		jsonFlag: true,
		flags:    noFlags,
		run: withDB(func(ctx context.Context, db *database.DB, out output) error {
			list, err := migrate.Status(ctx, db)
			if err != nil {
				return err
			}
			// --json: {"migrations": [{"version","name","appliedAt"}], "pending": N},
			// appliedAt null while pending, for a deploy script to wait on.
			rows, lines, pending := make([]map[string]any, 0, len(list)), make([]string, 0, len(list)), 0
			for _, mg := range list {
				state, at := "pending", any(nil)
				if mg.AppliedAt != nil {
					state, at = "applied "+mg.AppliedAt.Format(time.RFC3339), mg.AppliedAt.UTC().Format(time.RFC3339)
				} else {
					pending++
				}
				rows = append(rows, map[string]any{"version": mg.Version, "name": mg.Name, "appliedAt": at})
				lines = append(lines, mg.Version+"_"+mg.Name+"\t"+state)
			}
			return out.print(map[string]any{"migrations": rows, "pending": pending}, strings.Join(lines, "\n"))
		}),
	},
	"apps create": {
		summary:  "Creates an application and prints its id and publishable key.",
		settings: dbSettings,
		jsonFlag: true,
		flags: func(fs *flag.FlagSet) map[string]*string {
			return map[string]*string{
				"name":       fs.String("name", "", "application name (required)"),
				"created-at": fs.String("created-at", "", "creation time (RFC 3339) for imports; decides the dated defaults"),
			}
		},
		run: appsCreate,
	},
	"signing-keys rotate": {
		summary: fmt.Sprintf("Creates a new session-token signing key and retires the previous one. The new key is in the JWKS at once "+
			"and signs from %d minutes later, once every JWKS cache and every replica has it; the previous key signs until then. "+
			"With --now, replicas sign with the new key within about a second. Tokens signed with a retired key keep verifying for 24 h, "+
			"or, with --previous revoke (a key that may have leaked; the new key signs at once), stop verifying at once here "+
			"and on the other replicas within about a second.",
			int(session.PublishDelay.Minutes())),
		settings: dbSettings,
		jsonFlag: true,
		flags: func(fs *flag.FlagSet) map[string]*string {
			return map[string]*string{
				"previous": fs.String("previous", "keep", "keep (retired keys verify tokens for 24 h) or revoke (delete them now; implies --now)"),
				"now":      boolFlag(fs, "now", "sign with the new key at once instead of after the publication delay"),
			}
		},
		run: signingKeysRotate,
	},
	"secret export": {
		summary: "Prints the root secret that serve generated and stored in the database while TRUSTGATE_SECRET was unset. " +
			"Set it as TRUSTGATE_SECRET on every replica and for every command; the first process started with it " +
			"deletes the stored copy, so that a dump of the database no longer holds the secret.",
		settings: []string{"database-url", "log-level", "log-format"},
		jsonFlag: true,
		flags:    noFlags,
		run: withDB(func(ctx context.Context, db *database.DB, out output) error {
			secret, ok, err := database.ConfigValue(ctx, db.Ent.ServerConfig, rootSecretKey)
			if err != nil {
				return err
			}
			if !ok {
				return errors.New("no root secret is stored in this database: its servers run with TRUSTGATE_SECRET, which only its operators hold")
			}
			return out.print(map[string]any{"secret": secret},
				"Set this as TRUSTGATE_SECRET on every replica and for every command; the first process started with it deletes the copy in the database:\n"+secret)
		}),
	},
	"keys create": {
		summary:  "Creates an admin API secret key (sk_…) bound to a role and prints it once.",
		settings: dbSettings,
		jsonFlag: true,
		flags: func(fs *flag.FlagSet) map[string]*string {
			return map[string]*string{
				"role": fs.String("role", "", "owner, admin, support or auditor (required)"),
				"app":  fs.String("app", policy.AllDomains, "application id, or * for all"),
				"name": fs.String("name", "", "a label for the key"),
			}
		},
		run: keysCreate,
	},
	"operators create": {
		summary:  "Creates a dashboard operator; the password is read from stdin, or generated and printed once.",
		settings: dbSettings,
		jsonFlag: true,
		flags: func(fs *flag.FlagSet) map[string]*string {
			return map[string]*string{
				"email": fs.String("email", "", "operator email (required)"),
				"role":  fs.String("role", "", "owner, admin, support or auditor (required)"),
				"app":   fs.String("app", policy.AllDomains, "application id, or * for all"),
			}
		},
		run: operatorsCreate,
	},
}

func serve(ctx context.Context, cfg *Config, log *slog.Logger, _ map[string]*string, _ io.Reader, _ output) error {
	m := &Main{Config: *cfg, Log: log}
	if err := m.Open(ctx); err != nil {
		if m.DB != nil {
			m.DB.Close()
		}
		return err
	}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	select {
	case err := <-closed:
		return err
	case sig := <-secondSignal(ctx):
		// The operator does not want to wait for the drain: cut the
		// connections off and exit now; m.Close finishes in the background
		// as far as the process lives.
		log.Error("second signal during the graceful shutdown: stopping at once", "signal", sig.String())
		m.server.Close()
		return fmt.Errorf("stopped at once by a second signal (%s); requests in flight were cut off", sig)
	}
}

// secondSignal returns the channel withSignals put in ctx, which holds the
// signals after the first; nil (never ready) when there is none.
func secondSignal(ctx context.Context) <-chan os.Signal {
	sigs, _ := ctx.Value(signalsKey{}).(<-chan os.Signal)
	return sigs
}

// openApp opens the database with migrations current and the services built (CLI commands).
func openApp(ctx context.Context, cfg *Config, log *slog.Logger) (*Main, error) {
	cfg.Addr = "127.0.0.1:0"
	m := &Main{Config: *cfg, Log: log}
	if err := m.Open(ctx); err != nil {
		if m.DB != nil {
			m.DB.Close()
		}
		return nil, err
	}
	if err := m.EnsureApplications(ctx); err != nil {
		m.DB.Close()
		return nil, err
	}
	return m, nil
}

func appsCreate(ctx context.Context, cfg *Config, log *slog.Logger, f map[string]*string, _ io.Reader, out output) error {
	if *f["name"] == "" {
		return errors.New("--name is required")
	}
	var at *time.Time
	if s := *f["created-at"]; s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return fmt.Errorf("--created-at %q: use RFC 3339, e.g. 2025-11-14T00:00:00Z", s)
		}
		at = &t
	}
	m, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer m.Close()
	app, err := m.Services.Admin.CreateApplication(asCLI(ctx), *f["name"], at)
	if err != nil {
		return err
	}
	return out.print(map[string]any{"id": app.ID, "publishableKey": app.PublishableKey},
		fmt.Sprintf("Application %s created.\n  id:              %s\n  publishable key: %s", app.Name, app.ID, app.PublishableKey))
}

// asCLI marks ctx as the command line's, for the audit log's actor.
func asCLI(ctx context.Context) context.Context {
	return request.With(ctx, &request.Info{Principal: &request.Principal{Subject: "cli", Actor: "cli"}})
}

// flagError names the command-line flag of an invalid-parameter error.
func flagError(err error) error {
	var e *apierr.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Param {
	case "role":
		return fmt.Errorf("--role: %s", e.LongMessage)
	case "applicationId":
		return fmt.Errorf("--app: %s", e.LongMessage)
	case "email":
		return fmt.Errorf("--email: %s", e.LongMessage)
	case "password":
		return fmt.Errorf("password: %s", e.LongMessage)
	}
	return err
}

func keysCreate(ctx context.Context, cfg *Config, log *slog.Logger, f map[string]*string, _ io.Reader, out output) error {
	m, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer m.Close()
	role, domain := *f["role"], *f["app"]
	key, raw, err := m.Services.Admin.CreateAPIKey(asCLI(ctx), *f["name"], role, domain)
	if err != nil {
		return flagError(err)
	}
	return out.print(map[string]any{"id": key.ID, "key": raw, "role": role, "applicationId": domain},
		fmt.Sprintf("API key %s created (role %s in %s). It is shown only once:\n%s", key.ID, role, domain, raw))
}

func signingKeysRotate(ctx context.Context, cfg *Config, log *slog.Logger, f map[string]*string, _ io.Reader, out output) error {
	previous := *f["previous"]
	if previous != "keep" && previous != "revoke" {
		return fmt.Errorf("--previous %q: use keep or revoke", previous)
	}
	m, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer m.Close()
	keys, ctx := m.Services.Sessions.Keys, asCLI(ctx)
	delay := session.PublishDelay
	if *f["now"] == "true" || previous == "revoke" {
		delay = 0
	}
	id, at, err := keys.RotateAfter(ctx, delay)
	if err != nil {
		return err
	}
	revoked := 0
	if previous == "revoke" {
		if revoked, err = keys.DropRetired(ctx); err != nil {
			return err
		}
	}
	var text string
	if delay > 0 {
		text = fmt.Sprintf("Signing key %s is published in the JWKS now and starts signing at %s (in %d minutes); until then replicas sign with the current key.",
			id, at.UTC().Format(time.RFC3339), int(delay.Minutes()))
	} else {
		text = fmt.Sprintf("Signing key %s is now current; replicas sign with it within about a second.", id)
	}
	switch {
	case previous == "revoke":
		text += fmt.Sprintf(" %d retired key(s) deleted: tokens they signed no longer verify.", revoked)
	case delay > 0:
		text += " Tokens signed with the previous key keep verifying for 24 h after that."
	default:
		text += " Tokens signed with the previous key keep verifying for 24 h."
	}
	return out.print(map[string]any{"id": id, "revoked": revoked, "startsSigningAt": at.UTC().Format(time.RFC3339)}, text)
}

// boolFlag defines a flag that takes no value (--now), stored in a command's
// flag map as "true" or "false".
func boolFlag(fs *flag.FlagSet, name, usage string) *string {
	v := "false"
	fs.BoolFunc(name, usage, func(s string) error {
		b, err := strconv.ParseBool(s)
		v = strconv.FormatBool(b)
		return err
	})
	fs.Lookup(name).DefValue = v
	return &v
}

func operatorsCreate(ctx context.Context, cfg *Config, log *slog.Logger, f map[string]*string, stdin io.Reader, out output) error {
	m, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer m.Close()
	password, generated, err := readPassword(stdin)
	if err != nil {
		return err
	}
	role, domain := *f["role"], *f["app"]
	op, err := m.Services.Admin.CreateOperator(asCLI(ctx), *f["email"], password, role, domain)
	if err != nil {
		return flagError(err)
	}
	// The JSON object has CONTRACT §1's shape either way; a password the
	// operator chose is not echoed back ("password": null).
	obj := map[string]any{"id": op.ID, "email": op.Email, "password": nil}
	text := fmt.Sprintf("Operator %s created (role %s in %s).", op.Email, role, domain)
	if generated {
		obj["password"] = password
		text += "\nGenerated password (shown only once): " + password
	}
	return out.print(obj, text)
}

// readPassword reads a password from piped stdin, or generates one when stdin is a terminal or empty.
func readPassword(stdin io.Reader) (string, bool, error) {
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return generatePassword(), true, nil
		}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return generatePassword(), true, nil
	}
	return line, false, nil
}

func generatePassword() string {
	return admin.NewPublishableKey()[3:] // 144 random bits, base64url
}
