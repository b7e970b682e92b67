package pgtest

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/lib/pq"
)

func TestMain(m *testing.M) { RunMain(m) }

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// serverURL is dsn pointed at the server's postgres database, which outlives
// the test databases.
func serverURL(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", dsn, err)
	}
	u.Path = "/postgres"
	return u.String()
}

func databaseExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatalf("look up database %s: %v", name, err)
	}
	return n == 1
}

func TestURL(t *testing.T) {
	t.Run("two URLs are distinct empty databases", func(t *testing.T) {
		a, b := URL(t), URL(t)
		if a == b {
			t.Fatalf("got the same URL twice: %s", a)
		}
		names := map[string]bool{}
		for _, dsn := range []string{a, b} {
			db := open(t, dsn)
			var name string
			var tables int
			if err := db.QueryRow(`SELECT current_database()`).Scan(&name); err != nil {
				t.Fatalf("connect to %s: %v", dsn, err)
			}
			if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`).Scan(&tables); err != nil {
				t.Fatalf("count tables in %s: %v", name, err)
			}
			if tables != 0 {
				t.Errorf("database %s: got %d tables, want 0", name, tables)
			}
			names[name] = true
		}
		if len(names) != 2 {
			t.Errorf("got databases %v, want two different ones", names)
		}
	})

	t.Run("a table created in one database is absent in the other", func(t *testing.T) {
		a, b := open(t, URL(t)), open(t, URL(t))
		if _, err := a.Exec(`CREATE TABLE widgets (id int PRIMARY KEY)`); err != nil {
			t.Fatalf("create table: %v", err)
		}
		for _, tc := range []struct {
			name string
			db   *sql.DB
			want bool
		}{{"first", a, true}, {"second", b, false}} {
			var got bool
			if err := tc.db.QueryRow(`SELECT to_regclass('public.widgets') IS NOT NULL`).Scan(&got); err != nil {
				t.Fatalf("%s database: %v", tc.name, err)
			}
			if got != tc.want {
				t.Errorf("%s database has widgets: got %v, want %v", tc.name, got, tc.want)
			}
		}
	})

	t.Run("the database is dropped after the test, even with a connection left open", func(t *testing.T) {
		var dsn, name string
		t.Run("user", func(t *testing.T) {
			dsn = URL(t)
			// Deliberately not closed before the cleanup runs.
			db, err := sql.Open("postgres", dsn)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(`SELECT current_database()`).Scan(&name); err != nil {
				t.Fatalf("connect: %v", err)
			}
		})
		if name == "" {
			t.Fatal("the inner test did not get a database")
		}
		server := open(t, serverURL(t, dsn))
		if databaseExists(t, server, name) {
			t.Errorf("database %s: got present after the test's cleanup, want dropped", name)
		}
		err := open(t, dsn).Ping()
		if err == nil {
			t.Errorf("connect to %s after cleanup: got no error, want database does not exist", name)
		}
	})

	t.Run("parallel tests each get their own database", func(t *testing.T) {
		names := make(chan string, 8)
		t.Run("group", func(t *testing.T) {
			for i := range cap(names) {
				t.Run(strconv.Itoa(i), func(t *testing.T) {
					t.Parallel()
					var name string
					if err := open(t, URL(t)).QueryRow(`SELECT current_database()`).Scan(&name); err != nil {
						t.Fatalf("connect: %v", err)
					}
					names <- name
				})
			}
		})
		close(names)
		seen := map[string]bool{}
		for n := range names {
			seen[n] = true
		}
		if len(seen) != cap(names) {
			t.Errorf("got %d distinct databases, want %d", len(seen), cap(names))
		}
	})

	t.Run("an existing server named by the environment is used as given", func(t *testing.T) {
		given, err := url.Parse(serverURL(t, URL(t)))
		if err != nil {
			t.Fatal(err)
		}
		q := given.Query()
		q.Set("application_name", "pgtest_external")
		given.RawQuery = q.Encode()
		t.Setenv(EnvURL, given.String())

		var dsn, name string
		t.Run("user", func(t *testing.T) {
			dsn = URL(t)
			var app string
			if err := open(t, dsn).QueryRow(`SELECT current_database(), current_setting('application_name')`).Scan(&name, &app); err != nil {
				t.Fatalf("connect to %s: %v", dsn, err)
			}
			if app != "pgtest_external" {
				t.Errorf("application_name: got %q, want the one from %s, pgtest_external", app, EnvURL)
			}
		})
		got, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if got.Host != given.Host || got.Path != "/"+name {
			t.Errorf("got URL %s, want host %s and path /%s", dsn, given.Host, name)
		}
		if databaseExists(t, open(t, given.String()), name) {
			t.Errorf("database %s on the given server: got present after cleanup, want dropped", name)
		}
	})
}

func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	install := func(version string, names ...string) string {
		dir := filepath.Join(root, version, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	notOnPath := func(string) (string, error) { return "", exec.ErrNotFound }

	if _, _, err := findBinaries(notOnPath, root); !errors.Is(err, ErrNoPostgres) {
		t.Errorf("no installation: got %v, want ErrNoPostgres", err)
	}

	install("9.6", "initdb", "postgres")
	install("13", "initdb", "postgres")
	v15 := install("15", "initdb") // incomplete: no postgres
	initdb, postgres, err := findBinaries(notOnPath, root)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "13", "bin"); filepath.Dir(initdb) != want || filepath.Dir(postgres) != want {
		t.Errorf("newest complete version: got %s and %s, want both in %s", initdb, postgres, want)
	}

	install("15", "postgres")
	if initdb, _, _ := findBinaries(notOnPath, root); filepath.Dir(initdb) != v15 {
		t.Errorf("15 beside 9.6 and 13: got %s, want it from %s", initdb, v15)
	}

	// A PATH entry that is a symlink into another version's directory wins
	// over the versioned directories, and its target's postgres is used.
	pathDir := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(pathDir, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(pathDir, "initdb")
	if err := os.Symlink(filepath.Join(root, "9.6", "bin", "initdb"), link); err != nil {
		t.Fatal(err)
	}
	onPath := func(string) (string, error) { return link, nil }
	initdb, postgres, err = findBinaries(onPath, root)
	if want := filepath.Join(root, "9.6", "bin"); err != nil || filepath.Dir(initdb) != want || filepath.Dir(postgres) != want {
		t.Errorf("initdb on PATH linked to 9.6: got %s, %s, %v, want both in %s", initdb, postgres, err, want)
	}
}

func TestReapStale(t *testing.T) {
	tmp := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatalf("run a process that exits: %v", err)
	}
	dirs := map[string]bool{ // directory name -> want it kept
		dirPrefix + strconv.Itoa(dead.Process.Pid) + "-1": false,
		dirPrefix + strconv.Itoa(os.Getppid()) + "-2":     true,
		dirPrefix + strconv.Itoa(os.Getpid()) + "-3":      true,
		dirPrefix + "notapid-4":                           true,
	}
	for name := range dirs {
		if err := os.MkdirAll(filepath.Join(tmp, name, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	reapStale(tmp)
	for name, want := range dirs {
		_, err := os.Stat(filepath.Join(tmp, name))
		if got := err == nil; got != want {
			t.Errorf("%s kept: got %v, want %v", name, got, want)
		}
	}
}

// outcomeTB records how a test ended instead of ending it.
type outcomeTB struct {
	testing.TB
	skipped, failed string
}

func (o *outcomeTB) Helper()                           {}
func (o *outcomeTB) Skipf(format string, args ...any)  { o.skipped = fmt.Sprintf(format, args...) }
func (o *outcomeTB) Fatalf(format string, args ...any) { o.failed = fmt.Sprintf(format, args...) }

func TestUnavailable(t *testing.T) {
	other := errors.New("initdb failed")
	for _, tc := range []struct {
		name     string
		err      error
		require  string
		wantSkip bool
	}{
		{"missing PostgreSQL skips the test", ErrNoPostgres, "", true},
		{"missing PostgreSQL fails the test when it is required", ErrNoPostgres, "1", false},
		{"a broken PostgreSQL fails the test", other, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvRequire, tc.require)
			var o outcomeTB
			unavailable(&o, tc.err)
			if gotSkip := o.skipped != ""; gotSkip != tc.wantSkip || (o.failed != "") == tc.wantSkip {
				t.Errorf("got skipped %q and failed %q, want skipped %v", o.skipped, o.failed, tc.wantSkip)
			}
			if msg := o.skipped + o.failed; !strings.Contains(msg, tc.err.Error()) {
				t.Errorf("message: got %q, want it to say %q", msg, tc.err)
			}
		})
	}
}
