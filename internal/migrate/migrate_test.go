package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/migrate"
	"github.com/trustgate/trustgate/internal/pgtest"
	"github.com/trustgate/trustgate/migrations"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

// target is one kind of database the tests run against: newURL returns the
// URL of a new, empty database.
type target struct {
	name   string
	newURL func(t *testing.T) string
}

var targets = []target{
	{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "trustgate.db") }},
	{"postgres", func(t *testing.T) string { return pgtest.URL(t) }},
}

// forEach runs test once per target, each with a new, empty database.
func forEach(t *testing.T, test func(t *testing.T, db *database.DB, url string)) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			url := tg.newURL(t)
			test(t, open(t, url), url)
		})
	}
}

func open(t *testing.T, url string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func label(db *database.DB) string {
	name, _ := migrations.DirName(db.Dialect)
	return "migrations/" + name
}

func with(db *database.DB, dir fstest.MapFS) migrate.Option {
	return migrate.WithFS(dir, label(db))
}

func up(t *testing.T, db *database.DB, opts ...migrate.Option) []string {
	t.Helper()
	applied, err := migrate.Up(context.Background(), db, opts...)
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	return applied
}

func wantErr(t *testing.T, err error, substrings ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", substrings)
	}
	for _, s := range substrings {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

// TestMigrationsMatchEntSchema is the drift test: every migration applied to
// an empty database must give exactly the schema ent/schema describes. When
// it fails, ent/schema was changed without a migration: run
// `go run ./cmd/migrategen -name <change>` and commit what it writes.
func TestMigrationsMatchEntSchema(t *testing.T) {
	forEach(t, func(t *testing.T, db *database.DB, _ string) {
		ctx := context.Background()
		applied := up(t, db)
		if want := dbtest.SQLFiles(dbtest.MigrationsDir(t, db.Dialect)); !slices.Equal(applied, want) {
			t.Errorf("applied %q, want every migration %q", applied, want)
		}
		drift, err := migrate.Drift(ctx, db)
		if err != nil {
			t.Fatalf("Drift: %v", err)
		}
		if len(drift) > 0 {
			t.Errorf("the migrations in %s do not produce ent/schema; run `go run ./cmd/migrategen -name <change>` and commit the result. Missing:\n%s",
				label(db), strings.Join(drift, "\n"))
		}
	})
}

// TestDriftDetectsMissingChanges proves that the drift test can fail: a
// migration that drops an index and a column ent/schema has, and adds a table
// it does not, gives a database that differs from ent/schema, and Drift says
// how.
func TestDriftDetectsMissingChanges(t *testing.T) {
	forEach(t, func(t *testing.T, db *database.DB, _ string) {
		ctx := context.Background()
		dir := dbtest.MigrationsDir(t, db.Dialect)
		dir["29990101000000_undo.sql"] = &fstest.MapFile{Data: []byte(
			"DROP INDEX applications_publishable_key_key;\n" +
				"ALTER TABLE applications DROP COLUMN updates;\n" +
				"CREATE TABLE stray (id integer);\n")}
		dbtest.Rehash(t, dir)
		up(t, db, with(db, dir))

		drift, err := migrate.Drift(ctx, db)
		if err != nil {
			t.Fatalf("Drift: %v", err)
		}
		all := strings.Join(drift, "\n")
		for _, want := range []string{"applications_publishable_key_key", "updates", `table "stray"`} {
			if !strings.Contains(all, want) {
				t.Errorf("drift does not mention %s:\n%s", want, all)
			}
		}
	})
}

func TestUpIsIdempotent(t *testing.T) {
	forEach(t, func(t *testing.T, db *database.DB, _ string) {
		ctx := context.Background()
		if first := up(t, db); len(first) == 0 {
			t.Fatal("the first Up applied nothing")
		}
		if again := up(t, db); len(again) != 0 {
			t.Errorf("the second Up applied %q, want nothing", again)
		}
		if err := migrate.Check(ctx, db); err != nil {
			t.Errorf("Check after Up: %v", err)
		}
		var rows int
		if err := db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM "+migrate.Table).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if want := len(dbtest.SQLFiles(dbtest.MigrationsDir(t, db.Dialect))); rows != want {
			t.Errorf("%s has %d rows, want %d", migrate.Table, rows, want)
		}
	})
}

func TestStatusAndPending(t *testing.T) {
	forEach(t, func(t *testing.T, db *database.DB, _ string) {
		ctx := context.Background()
		real := dbtest.SQLFiles(dbtest.MigrationsDir(t, db.Dialect))

		t.Run("an empty database has every migration pending", func(t *testing.T) {
			status, err := migrate.Status(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if len(status) != len(real) {
				t.Fatalf("Status: got %d migrations, want %d", len(status), len(real))
			}
			for _, m := range status {
				if m.AppliedAt != nil {
					t.Errorf("%s: got applied at %v, want pending", m.File(), m.AppliedAt)
				}
			}
			pending, err := migrate.Pending(ctx, db)
			if err != nil || len(pending) != len(real) {
				t.Errorf("Pending: got %v, %v; want %d migrations", pending, err, len(real))
			}
			err = migrate.Check(ctx, db)
			wantErr(t, err, `run "trustgate migrate up"`, real[0])
			if !errors.Is(err, migrate.ErrPending) {
				t.Errorf("Check: got %v, want an error wrapping ErrPending", err)
			}
		})

		up(t, db)
		dir := dbtest.MigrationsDir(t, db.Dialect)
		dir["29990101000000_add_widgets.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE widgets (id integer NOT NULL PRIMARY KEY);\n")}
		dbtest.Rehash(t, dir)

		t.Run("a new migration is pending and the rest applied", func(t *testing.T) {
			status, err := migrate.Status(ctx, db, with(db, dir))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range status {
				state := "applied"
				if m.AppliedAt == nil {
					state = "pending"
				} else if m.AppliedAt.IsZero() {
					t.Errorf("%s: applied at the zero time", m.File())
				}
				got = append(got, m.File()+" "+state)
			}
			var want []string
			for _, f := range real {
				want = append(want, f+" applied")
			}
			want = append(want, "29990101000000_add_widgets.sql pending")
			if !slices.Equal(got, want) {
				t.Errorf("Status: got %q, want %q", got, want)
			}
			pending, err := migrate.Pending(ctx, db, with(db, dir))
			if err != nil || len(pending) != 1 || pending[0].Version != "29990101000000" || pending[0].Name != "add_widgets" {
				t.Errorf("Pending: got %+v, %v; want 29990101000000 add_widgets", pending, err)
			}
			wantErr(t, migrate.Check(ctx, db, with(db, dir)), "1 migration(s) pending", "29990101000000_add_widgets.sql", `run "trustgate migrate up"`)
		})

		t.Run("Up applies only the new migration", func(t *testing.T) {
			if got := up(t, db, with(db, dir)); !slices.Equal(got, []string{"29990101000000_add_widgets.sql"}) {
				t.Errorf("Up: got %q, want the new migration only", got)
			}
			if err := migrate.Check(ctx, db, with(db, dir)); err != nil {
				t.Errorf("Check: %v", err)
			}
		})

		t.Run("a migration the build does not have is an error", func(t *testing.T) {
			_, err := migrate.Status(ctx, db)
			wantErr(t, err, "29990101000000_add_widgets.sql", "newer trustgate")
			_, err = migrate.Up(ctx, db)
			wantErr(t, err, "29990101000000_add_widgets.sql", "newer trustgate")
		})
	})
}

func TestTamperedMigrations(t *testing.T) {
	forEach(t, func(t *testing.T, db *database.DB, _ string) {
		ctx := context.Background()
		up(t, db)
		init := dbtest.SQLFiles(dbtest.MigrationsDir(t, db.Dialect))[0]
		path := label(db) + "/" + init

		t.Run("an applied migration edited after it was applied", func(t *testing.T) {
			dir := dbtest.MigrationsDir(t, db.Dialect)
			dir[init] = &fstest.MapFile{Data: append(dir[init].Data, "-- an afterthought\n"...)}
			dbtest.Rehash(t, dir) // as if the editor also regenerated atlas.sum
			for name, call := range map[string]func() error{
				"Up":     func() error { _, err := migrate.Up(ctx, db, with(db, dir)); return err },
				"Status": func() error { _, err := migrate.Status(ctx, db, with(db, dir)); return err },
				"Check":  func() error { return migrate.Check(ctx, db, with(db, dir)) },
			} {
				err := call()
				if err == nil {
					t.Errorf("%s: got no error", name)
					continue
				}
				if !strings.Contains(err.Error(), path+" was changed after it was applied") {
					t.Errorf("%s: error %q does not name %s as changed", name, err, path)
				}
			}
		})

		t.Run("a file that does not match atlas.sum", func(t *testing.T) {
			dir := dbtest.MigrationsDir(t, db.Dialect)
			dir[init] = &fstest.MapFile{Data: append(dir[init].Data, "-- an afterthought\n"...)}
			_, err := migrate.Up(ctx, db, with(db, dir))
			wantErr(t, err, path, "atlas.sum", "edited")
		})

		t.Run("a missing atlas.sum", func(t *testing.T) {
			dir := dbtest.MigrationsDir(t, db.Dialect)
			delete(dir, atlasmigrate.HashFileName)
			_, err := migrate.Up(ctx, db, with(db, dir))
			wantErr(t, err, "atlas.sum is missing")
		})
	})
}

func TestFailedMigrationRollsBack(t *testing.T) {
	forEach(t, func(t *testing.T, db *database.DB, _ string) {
		ctx := context.Background()
		up(t, db)
		dir := dbtest.MigrationsDir(t, db.Dialect)
		dir["29990101000000_broken.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE half_done (id integer);\nINSERT INTO no_such_table VALUES (1);\n")}
		dbtest.Rehash(t, dir)
		_, err := migrate.Up(ctx, db, with(db, dir))
		wantErr(t, err, label(db)+"/29990101000000_broken.sql", "statement 2 of 2", "no_such_table")

		var n int
		q := `SELECT count(*) FROM sqlite_master WHERE name = 'half_done'`
		if db.Dialect == dialect.Postgres {
			q = `SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'`
		}
		if err := db.SQL.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Error("the first statement of the failed migration was not rolled back")
		}
		pending, err := migrate.Pending(ctx, db, with(db, dir))
		if err != nil || len(pending) != 1 {
			t.Errorf("Pending: got %v, %v; want the broken migration", pending, err)
		}
	})
}

// TestConcurrentUp runs Up from several replicas (each its own pool) on one
// database at once: every migration must be applied exactly once and no
// replica may fail.
func TestConcurrentUp(t *testing.T) {
	forEach(t, func(t *testing.T, _ *database.DB, url string) {
		const replicas = 4
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			applied []string
			errs    []error
		)
		dbs := make([]*database.DB, replicas)
		for i := range dbs {
			dbs[i] = open(t, url)
		}
		for _, db := range dbs {
			wg.Go(func() {
				got, err := migrate.Up(context.Background(), db)
				mu.Lock()
				defer mu.Unlock()
				applied = append(applied, got...)
				if err != nil {
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			t.Errorf("Up: %v", err)
		}
		slices.Sort(applied)
		if want := dbtest.SQLFiles(dbtest.MigrationsDir(t, dbs[0].Dialect)); !slices.Equal(applied, want) {
			t.Errorf("applied across replicas: got %q, want each migration once: %q", applied, want)
		}
	})
}

// TestSQLiteRebuildKeepsReferencingRows checks that an SQLite migration that
// rebuilds a table (how Atlas changes SQLite tables) runs with foreign keys
// off: with them on, dropping the old users table would cascade to the email
// addresses that reference it.
func TestSQLiteRebuildKeepsReferencingRows(t *testing.T) {
	ctx := context.Background()
	db := open(t, "sqlite://"+filepath.Join(t.TempDir(), "trustgate.db"))
	up(t, db)
	app := db.Ent.Application.Create().SetName("a").SetPublishableKey("pk_a").SaveX(ctx)
	user := db.Ent.User.Create().SetApplicationID(app.ID).SaveX(ctx)
	db.Ent.EmailAddress.Create().SetApplicationID(app.ID).SetEmailAddress("a@example.com").SetUser(user).SaveX(ctx)

	var create string
	if err := db.SQL.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = 'users'`).Scan(&create); err != nil {
		t.Fatal(err)
	}
	rebuild := strings.Replace(create, "CREATE TABLE `users`", "CREATE TABLE `new_users`", 1) + ";\n" +
		"INSERT INTO `new_users` SELECT * FROM `users`;\n" +
		"DROP TABLE `users`;\n" +
		"ALTER TABLE `new_users` RENAME TO `users`;\n"
	dir := dbtest.MigrationsDir(t, db.Dialect)
	dir["29990101000000_rebuild_users.sql"] = &fstest.MapFile{Data: []byte(rebuild)}
	dbtest.Rehash(t, dir)
	up(t, db, with(db, dir))

	if n := db.Ent.EmailAddress.Query().CountX(ctx); n != 1 {
		t.Errorf("email addresses after rebuilding users: got %d, want 1", n)
	}
	// Foreign keys are back on for the connection the migration used: hold
	// every connection of the pool at once and check each.
	func() {
		var conns []*sql.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for range 4 {
			c, err := db.SQL.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			var on int
			if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil {
				t.Fatal(err)
			}
			if on != 1 {
				t.Error("a pooled connection has foreign keys off after a migration")
			}
		}
	}()

	t.Run("a migration that leaves a dangling reference is rejected", func(t *testing.T) {
		dir := dbtest.MigrationsDir(t, db.Dialect)
		dir["29990101000000_rebuild_users.sql"] = &fstest.MapFile{Data: []byte(rebuild)}
		dir["29990102000000_orphan.sql"] = &fstest.MapFile{Data: []byte("DELETE FROM `users`;\n")}
		dbtest.Rehash(t, dir)
		_, err := migrate.Up(ctx, db, with(db, dir))
		wantErr(t, err, "29990102000000_orphan.sql", "violate foreign keys", "email_addresses")
		if n := db.Ent.User.Query().CountX(ctx); n != 1 {
			t.Errorf("users after the rejected migration: got %d, want 1", n)
		}
	})
}

func ExampleCheck() {
	ctx := context.Background()
	db, err := database.Open(ctx, "sqlite://:memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	fmt.Println(errors.Is(migrate.Check(ctx, db), migrate.ErrPending))
	if _, err := migrate.Up(ctx, db); err != nil {
		panic(err)
	}
	fmt.Println(migrate.Check(ctx, db))
	// Output:
	// true
	// <nil>
}
