// Package dbtest opens migrated databases for tests: a fresh SQLite file and
// a fresh PostgreSQL database from pgtest. A test package that uses it runs
// its tests through pgtest.RunMain.
package dbtest

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	atlasmigrate "ariga.io/atlas/sql/migrate"

	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/migrate"
	"github.com/trustgate/trustgate/internal/pgtest"
	"github.com/trustgate/trustgate/migrations"
)

// Each runs fn as a subtest (or sub-benchmark) on a migrated SQLite and a
// migrated PostgreSQL database, each closed when its subtest ends.
func Each[T interface {
	testing.TB
	Run(name string, f func(T)) bool
}](t T, fn func(t T, db *database.DB)) {
	t.Run("sqlite", func(t T) { fn(t, Open(t, "sqlite://"+filepath.Join(t.TempDir(), "tg.db"))) })
	t.Run("postgres", func(t T) { fn(t, Open(t, pgtest.URL(t))) })
}

// Open opens url, migrates it, and closes it when tb ends.
func Open(tb testing.TB, url string) *database.DB {
	tb.Helper()
	db := openMigrated(tb, url)
	tb.Cleanup(func() { db.Close() })
	return db
}

// Migrate applies every migration to url's database, for a test that then
// starts a server or replicas on it.
func Migrate(tb testing.TB, url string) {
	tb.Helper()
	openMigrated(tb, url).Close()
}

func openMigrated(tb testing.TB, url string) *database.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := migrate.Up(ctx, db); err != nil {
		db.Close()
		tb.Fatal(err)
	}
	return db
}

// MigrationsDir is a writable copy of the embedded migrations of dialect,
// for tests that add or change a migration (migrate.WithFS).
func MigrationsDir(t testing.TB, dialect string) fstest.MapFS {
	t.Helper()
	fsys, err := migrations.FS(dialect)
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		out[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// SQLFiles returns the names of the .sql files in dir, in order.
func SQLFiles(dir fstest.MapFS) []string {
	var names []string
	for n := range dir {
		if strings.HasSuffix(n, ".sql") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Rehash rewrites dir's atlas.sum for its current files, as migrategen would.
func Rehash(t testing.TB, dir fstest.MapFS) {
	t.Helper()
	var files []atlasmigrate.File
	for _, n := range SQLFiles(dir) {
		files = append(files, atlasmigrate.NewLocalFile(n, dir[n].Data))
	}
	sum, err := atlasmigrate.NewHashFile(files)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sum.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	dir[atlasmigrate.HashFileName] = &fstest.MapFile{Data: b}
}
