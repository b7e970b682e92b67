package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/serverconfig"
)

// DB is an open database: the ent client and the *sql.DB beneath it.
type DB struct {
	// Ent is the ent client, on the dialect of the URL.
	Ent *ent.Client
	// SQL is the connection pool Ent uses, for work ent does not do (the
	// migration runner, health checks).
	SQL *sql.DB
	// Dialect is dialect.SQLite or dialect.Postgres.
	Dialect string

	redacted string
	// writeSlot, on SQLite, lets one Tx at a time into the database; see
	// sqliteMaxOpenConns.
	writeSlot chan struct{}
	// writer counts the write slot's use (WriterStats).
	writer writerCounters
	// warnings are what the server should log at start-up about the
	// database (Warnings).
	warnings []string
}

// Warnings are the problems found opening the database that do not stop it
// from serving (an SQLite file other users may read), for the server to
// log at start-up.
func (db *DB) Warnings() []string { return db.warnings }

// Option changes how Open configures the connection pool.
type Option func(*options)

type options struct {
	maxOpen         int // 0: the dialect's default
	postgresMaxOpen int // 0: maxOpen
	observe         func(ctx context.Context, query string)
}

// WithStatementObserver calls observe before each statement the pool runs,
// with the statement's context and its text (never its arguments, which may
// be secrets); not for BEGIN and COMMIT. It is for tests and debugging: the
// tests count the statements a request runs with it.
func WithStatementObserver(observe func(ctx context.Context, query string)) Option {
	return func(o *options) { o.observe = observe }
}

// WithMaxOpenConns caps the number of open connections. The default is 20 on
// PostgreSQL and sqliteMaxOpenConns on SQLite; an in-memory SQLite database
// always has exactly one connection, since each connection would see a
// database of its own.
func WithMaxOpenConns(n int) Option {
	return func(o *options) { o.maxOpen = n }
}

// WithPostgresMaxOpenConns caps the open connections of a PostgreSQL pool
// (0: WithMaxOpenConns's, else 20) and leaves an SQLite pool as it is: the
// TRUSTGATE_DATABASE_MAX_CONNS setting, which concerns the server's share of
// PostgreSQL's max_connections.
func WithPostgresMaxOpenConns(n int) Option {
	return func(o *options) { o.postgresMaxOpen = n }
}

// Open connects to the database named by rawURL (see the package
// documentation for the URL forms), checks that it answers, and returns it
// with an ent client on the matching dialect. Open does not create or migrate
// the schema.
func Open(ctx context.Context, rawURL string, opts ...Option) (*DB, error) {
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		// The value is not echoed: it may be a key=value DSN with a password.
		return nil, errors.New(`database: the database URL must look like sqlite://PATH or postgres://…`)
	}
	var (
		db  *DB
		err error
	)
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		db, err = openSQLite(rawURL[len(scheme)+len("://"):], o)
	case "postgres", "postgresql":
		db, err = openPostgres(rawURL, o)
	default:
		return nil, fmt.Errorf("database: unsupported database URL scheme %q: want sqlite://PATH or postgres://…", scheme)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.SQL.Close()
		return nil, err
	}
	db.Ent = ent.NewClient(ent.Driver(entsql.OpenDB(db.Dialect, db.SQL)))
	return db, nil
}

// Ping checks that the database answers; its error names the database as
// Redacted does, and leaves out the driver's error for a URL that parsed
// into the wrong parts (Misread), which names the misread host:port, a
// piece of the password.
func (db *DB) Ping(ctx context.Context) error {
	err := db.SQL.PingContext(ctx)
	switch {
	case err == nil:
		return nil
	case db.redacted == MisreadURL:
		return fmt.Errorf("database: connect to %s failed", db.redacted)
	}
	return fmt.Errorf("database: connect to %s: %w", db.redacted, err)
}

// Close closes the ent client and the connection pool.
func (db *DB) Close() error {
	if db.Ent != nil {
		return db.Ent.Close()
	}
	return db.SQL.Close()
}

// Redacted returns the database URL with any password replaced by "xxxxx",
// fit for logs and error messages.
func (db *DB) Redacted() string { return db.redacted }

// String returns Redacted, so that printing a DB never shows a password.
func (db *DB) String() string { return db.redacted }

// IsSQLite reports whether db is an SQLite database.
func (db *DB) IsSQLite() bool { return db.Dialect == dialect.SQLite }

// IsPostgres reports whether db is a PostgreSQL database.
func (db *DB) IsPostgres() bool { return db.Dialect == dialect.Postgres }

// URLError describes why url.Parse refused a URL that may hold a password
// or token, quoting no piece of it: url.Error quotes the whole URL, and its
// inner error a piece of it ("invalid port \":pass\" after host" when a
// password holds a slash), so quoted parts are dropped and a hint to
// percent-encode is added.
func URLError(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	msg := strings.Join(strings.Fields(quotedPart.ReplaceAllString(err.Error(), "")), " ")
	return msg + URLEncodeHint
}

// URLEncodeHint ends the errors of a URL that may hold a secret.
const URLEncodeHint = " (percent-encode / ? # @ : in a user name, password or token: %2F %3F %23 %40 %3A)"

var quotedPart = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// MisreadURL is printed instead of a URL for which Misread is true.
const MisreadURL = "<URL not shown: it has an @ after its host, so a / ? or # in its user name, password or token " +
	"cut it short and the secret would show" + URLEncodeHint + ">"

// Misread reports whether url.Parse may have put a piece of u's user
// information where u.Redacted shows it: an unencoded / ? or # in a password
// ends the authority early, so postgres://u:1234/x@host/db reads as host
// u:1234 (a valid host:port) and path /x@host/db, with no user information.
// The sign is an unencoded @ after the authority (in the path, query or
// fragment; %40 is not one) or an opaque URL (postgres:u:pass@host). Such a URL must be printed as
// MisreadURL, not in part, since its host holds a piece of the secret too.
func Misread(u *url.URL) bool {
	return u.Opaque != "" || strings.Contains(u.EscapedPath(), "@") ||
		strings.Contains(u.RawQuery, "@") || strings.Contains(u.EscapedFragment(), "@")
}

// CutShort reports whether u surely lost its user information to a / or #
// in it: no user information parsed, and an unencoded @ in the path or the
// fragment, where no service URL of trustgate's (a database, the SMS hook)
// has one. Such a URL names the wrong host (postgres://u:1234/x@host/db goes
// to u:1234) and would hand it the rest of the password as a path, so it is
// refused, not used. An @ in the query is not enough: it is common there
// (?from=alerts@example.com); Misread still keeps such a URL out of the logs.
func CutShort(u *url.URL) bool {
	return u.User == nil && (strings.Contains(u.EscapedPath(), "@") || strings.Contains(u.EscapedFragment(), "@"))
}

// CutShortError is the error for a URL that is CutShort.
const CutShortError = "it has an @ after its host and no user name, so a / or # in its user name or password cut it short" + URLEncodeHint

// Redact returns rawURL with its password, in the user information or in a
// query parameter whose name contains "password", replaced by "xxxxx". A
// value that does not parse as a URL is replaced whole, since it may hold a
// password in a form Redact cannot see, and so is one that parses into the
// wrong parts (Misread).
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable database URL>"
	}
	if Misread(u) {
		return MisreadURL
	}
	q := u.Query()
	changed := false
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// The server_configs rows hold what every replica shares outside the
// schema's own tables: a generated root secret and its check value, version
// markers that tell replicas to reload, the times of periodic work.
// ConfigValue, SetConfigValue and AddConfigValue read and write them, on a
// client or within a transaction (tx.ServerConfig).

// ConfigValue returns the value of the server_configs row key, and whether
// there is such a row.
func ConfigValue(ctx context.Context, c *ent.ServerConfigClient, key string) (string, bool, error) {
	row, err := c.Query().Where(serverconfig.ID(key)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("reading server_configs %s: %w", key, err)
	}
	return row.Value, true, nil
}

// SetConfigValue writes value to the server_configs row key, creating it if
// needed. Within a transaction the row stays locked until it ends, so the
// write also orders transactions that make it.
func SetConfigValue(ctx context.Context, c *ent.ServerConfigClient, key, value string) error {
	if err := c.Create().SetID(key).SetValue(value).OnConflictColumns(serverconfig.FieldID).UpdateNewValues().Exec(ctx); err != nil {
		return fmt.Errorf("writing server_configs %s: %w", key, err)
	}
	return nil
}

// AddConfigValue creates the server_configs row key with value unless there
// is one; the row there, whoever wrote it, wins (read it with ConfigValue).
func AddConfigValue(ctx context.Context, c *ent.ServerConfigClient, key, value string) error {
	// ON CONFLICT DO NOTHING returns no row, which ent reports as
	// sql.ErrNoRows: the row was there, as wanted.
	err := c.Create().SetID(key).SetValue(value).OnConflictColumns(serverconfig.FieldID).DoNothing().Exec(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("creating server_configs %s: %w", key, err)
	}
	return nil
}
