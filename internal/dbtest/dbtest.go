// Package dbtest opens migrated databases for tests: a fresh SQLite file and
// a fresh PostgreSQL database from pgtest. A test package that uses it runs
// its tests through pgtest.RunMain.
package dbtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/migrate"
	"github.com/trustgate/trustgate/internal/pgtest"
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
	ctx := context.Background()
	db, err := database.Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := migrate.Up(ctx, db); err != nil {
		tb.Fatal(err)
	}
	return db
}
