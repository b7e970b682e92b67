package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
)

// EnvURL names the environment variable that points the tests at an existing
// PostgreSQL server instead of a throwaway one. Its value is a connection URL
// of a role that may create databases, e.g.
// postgres://postgres@localhost:5432/postgres?sslmode=disable.
const EnvURL = "TRUSTGATE_TEST_POSTGRES_URL"

// EnvRequire names the environment variable that, when set to 1, turns a
// missing PostgreSQL installation from a skipped test into a failed one.
const EnvRequire = "TRUSTGATE_REQUIRE_POSTGRES"

// ErrNoPostgres reports that no PostgreSQL server binaries were found on this
// machine.
var ErrNoPostgres = errors.New("no PostgreSQL server binaries (initdb, postgres) found on PATH or in /usr/lib/postgresql/*/bin")

// opTimeout bounds each CREATE DATABASE and DROP DATABASE.
const opTimeout = 30 * time.Second

// admin is a connection to a server on which test databases are created.
type admin struct {
	db   *sql.DB
	base *url.URL // the admin URL; test database URLs differ only in the path
}

var (
	localOnce  sync.Once
	localSrv   *server
	localAdmin *admin
	localErr   error

	externalMu     sync.Mutex
	externalAdmins = map[string]*admin{}
)

// URL returns the connection URL of a new, empty database for this test,
// dropped (with any connections still open to it) when the test and its
// subtests have finished. URL is safe to call from parallel tests.
func URL(tb testing.TB) string {
	tb.Helper()
	adm, err := serverAdmin()
	if err != nil {
		unavailable(tb, err)
		return ""
	}

	name, err := randomName()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := adm.db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		// FORCE ends connections the test left open (an unclosed *sql.DB),
		// which would otherwise make the drop fail.
		if _, err := adm.db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})

	u := *adm.base
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// unavailable skips the test when PostgreSQL is not installed, unless
// EnvRequire says it must be, and fails it on any other error.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, ErrNoPostgres) && os.Getenv(EnvRequire) != "1" {
		tb.Skipf("pgtest: %v; install PostgreSQL or set %s (set %s=1 to fail instead of skipping)", err, EnvURL, EnvRequire)
		return
	}
	tb.Fatalf("pgtest: %v", err)
}

// RunMain runs the tests of m, stops the server that URL started, if any, and
// exits with the tests' status. Use it as the whole of a package's TestMain:
//
//	func TestMain(m *testing.M) { pgtest.RunMain(m) }
func RunMain(m *testing.M) {
	code := m.Run()
	if err := stopLocal(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// serverAdmin returns the admin connection of the server that test databases
// live on, starting the throwaway server on first use.
func serverAdmin() (*admin, error) {
	if raw := os.Getenv(EnvURL); raw != "" {
		return externalAdmin(raw)
	}
	localOnce.Do(func() {
		localSrv, localErr = startLocal()
		if localErr != nil {
			return
		}
		localAdmin, localErr = openAdmin(localSrv.adminURL())
		if localErr != nil {
			localErr = errors.Join(localErr, localSrv.stop())
			localSrv = nil
		}
	})
	if localErr == nil && localAdmin == nil {
		return nil, errors.New("the throwaway server was already stopped by RunMain")
	}
	return localAdmin, localErr
}

// externalAdmin returns the (cached) admin connection to the server named by
// EnvURL.
func externalAdmin(raw string) (*admin, error) {
	externalMu.Lock()
	defer externalMu.Unlock()
	if adm, ok := externalAdmins[raw]; ok {
		return adm, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The url.Error would quote the URL, password included.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("%s is not a valid URL: %v", EnvURL, err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("%s must be a postgres:// URL, got scheme %q", EnvURL, u.Scheme)
	}
	q := u.Query()
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
		u.RawQuery = q.Encode()
	}
	adm, err := openAdmin(u)
	if err != nil {
		return nil, fmt.Errorf("server named by %s: %w", EnvURL, err)
	}
	externalAdmins[raw] = adm
	return adm, nil
}

// openAdmin connects to the server at u and checks that it answers.
func openAdmin(u *url.URL) (*admin, error) {
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	return &admin{db: db, base: u}, nil
}

// stopLocal closes the admin connection and stops the throwaway server, if
// one was started.
func stopLocal() error {
	var errs []error
	if localAdmin != nil {
		errs = append(errs, localAdmin.db.Close())
		localAdmin = nil
	}
	if localSrv != nil {
		errs = append(errs, localSrv.stop())
		localSrv = nil
	}
	return errors.Join(errs...)
}

// randomName returns a fresh database name, t_ and 16 hex digits.
func randomName() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	return "t_" + hex.EncodeToString(b), nil
}
