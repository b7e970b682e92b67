// Command migrategen writes the versioned SQL migration that brings
// migrations/sqlite and migrations/postgres up to ent/schema. Run it from
// the repository root after changing ent/schema:
//
//	go run ./cmd/migrategen -name add_user_nickname
//
// For each dialect it replays the existing migrations on an empty throwaway
// database, diffs the result with ent/schema (ent's versioned-migration diff
// with Atlas) and writes VERSION_NAME.sql, with the same version for both
// dialects, and the updated atlas.sum. The SQLite database is in memory. The
// PostgreSQL one is on the server named by -postgres-url (a role that may
// create databases; a database is created and dropped on it) or, without
// it, on a throwaway server that internal/pgtest starts with initdb and
// postgres from the local PostgreSQL installation.
//
// When ent/schema matches the migrations already, nothing is written.
// Review the generated SQL before committing it: ent's diff does not drop
// tables of removed schemas; write such a migration by hand and run
// migrategen with -rehash to update atlas.sum.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/lib/pq"

	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/migrate"
	"github.com/trustgate/trustgate/internal/pgtest"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "migrategen:", err)
		os.Exit(1)
	}
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

func run(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("migrategen", flag.ContinueOnError)
	name := fl.String("name", "", "name of the new migration, e.g. add_user_nickname (lower case, digits, _)")
	root := fl.String("dir", "migrations", "the migrations directory, holding sqlite/ and postgres/")
	pgURL := fl.String("postgres-url", os.Getenv(pgtest.EnvURL), "PostgreSQL server to create the throwaway database on (default $"+pgtest.EnvURL+", else a throwaway server)")
	dialects := fl.String("dialects", "sqlite,postgres", "comma-separated dialects to generate for")
	rehash := fl.Bool("rehash", false, "only rewrite each dialect's atlas.sum from its files (after writing a migration by hand)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fl.Args())
	}
	if _, err := os.Stat(filepath.Join(*root, "migrations.go")); err != nil {
		return fmt.Errorf("%s/migrations.go not found: run from the repository root or pass -dir", *root)
	}
	var which []string
	for _, d := range strings.Split(*dialects, ",") {
		switch d = strings.TrimSpace(d); d {
		case "sqlite", "postgres":
			which = append(which, d)
		default:
			return fmt.Errorf("unknown dialect %q in -dialects (want sqlite, postgres)", d)
		}
	}

	if *rehash {
		for _, d := range which {
			dir, err := atlasmigrate.NewLocalDir(filepath.Join(*root, d))
			if err != nil {
				return err
			}
			sum, err := dir.Checksum()
			if err != nil {
				return err
			}
			if err := atlasmigrate.WriteSumFile(dir, sum); err != nil {
				return err
			}
			fmt.Printf("%s: rewrote %s\n", d, filepath.Join(*root, d, atlasmigrate.HashFileName))
		}
		return nil
	}
	if !validName.MatchString(*name) {
		return errors.New("-name is required: lower-case letters, digits and _, e.g. -name add_user_nickname")
	}

	// One version for every dialect, so that a schema change has the same
	// version everywhere.
	version := time.Now().UTC().Format("20060102150405")
	for _, d := range which {
		dirPath := filepath.Join(*root, d)
		if err := os.MkdirAll(dirPath, 0o755); err != nil {
			return err
		}
		dir, err := atlasmigrate.NewLocalDir(dirPath)
		if err != nil {
			return err
		}
		var file string
		switch d {
		case "sqlite":
			file, err = generateSQLite(ctx, dir, *name, version)
		case "postgres":
			file, err = generatePostgres(ctx, dir, *name, version, *pgURL)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		if file == "" {
			fmt.Printf("%s: no changes: %s already matches ent/schema\n", d, dirPath)
			continue
		}
		fmt.Printf("%s: wrote %s\n", d, filepath.Join(dirPath, file))
	}
	return nil
}

func generateSQLite(ctx context.Context, dir atlasmigrate.Dir, name, version string) (string, error) {
	db, err := database.Open(ctx, "sqlite://:memory:")
	if err != nil {
		return "", err
	}
	defer db.Close()
	return migrate.Generate(ctx, db, dir, name, version)
}

func generatePostgres(ctx context.Context, dir atlasmigrate.Dir, name, version, serverURL string) (string, error) {
	dbURL, cleanup, err := throwawayPostgres(ctx, serverURL)
	if err != nil {
		return "", err
	}
	defer cleanup()
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	return migrate.Generate(ctx, db, dir, name, version)
}

// throwawayPostgres returns the URL of a new, empty database and a function
// that drops it. On serverURL when given; otherwise pgtest starts a server
// (see pgtest's documentation), which stops when this program exits.
func throwawayPostgres(ctx context.Context, serverURL string) (string, func(), error) {
	if serverURL == "" {
		return pgtestURL()
	}
	admin, err := database.Open(ctx, serverURL)
	if err != nil {
		return "", nil, err
	}
	dbName := fmt.Sprintf("trustgate_migrategen_%d", time.Now().UnixNano())
	if _, err := admin.SQL.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(dbName)); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create a throwaway database on %s: %w", admin.Redacted(), err)
	}
	u, _ := url.Parse(serverURL) // Open parsed it already.
	u.Path = "/" + dbName
	u.RawPath = ""
	cleanup := func() {
		if _, err := admin.SQL.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(dbName)+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "migrategen: drop the throwaway database %s: %v\n", dbName, err)
		}
		admin.Close()
	}
	return u.String(), cleanup, nil
}

// pgtestURL gets a database from pgtest, whose API is made for tests: it
// takes a testing.TB for its failure and cleanup calls, which runTB provides.
func pgtestURL() (string, func(), error) {
	tb := &runTB{}
	var u string
	done := make(chan struct{})
	// Fatalf and Skipf end the goroutine that calls them, as in a test.
	go func() {
		defer close(done)
		u = pgtest.URL(tb)
	}()
	<-done
	if tb.err != nil {
		tb.cleanup()
		return "", nil, fmt.Errorf("start a throwaway PostgreSQL server (or pass -postgres-url): %w", tb.err)
	}
	return u, tb.cleanup, nil
}

// runTB is the part of testing.TB that pgtest.URL uses, outside a test.
// Embedding the interface satisfies the rest, which pgtest does not call.
type runTB struct {
	testing.TB
	err      error
	cleanups []func()
}

func (*runTB) Helper() {}

func (tb *runTB) Cleanup(f func()) { tb.cleanups = append(tb.cleanups, f) }

func (tb *runTB) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "migrategen: "+format+"\n", args...)
}

func (tb *runTB) Fatalf(format string, args ...any) {
	tb.err = fmt.Errorf(format, args...)
	runtime.Goexit()
}

func (tb *runTB) Skipf(format string, args ...any) { tb.Fatalf(format, args...) }

func (tb *runTB) cleanup() {
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
}
