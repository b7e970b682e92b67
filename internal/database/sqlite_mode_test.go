//go:build unix

package database_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/migrate"
)

// TestSQLiteFileIsPrivate: a new SQLite database file, and the -wal and -shm
// files SQLite makes beside it, are readable by their owner alone (they
// hold password hashes and keys); an existing file keeps its mode, with a
// warning when other users may read it.
func TestSQLiteFileIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	db, err := database.Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	if w := db.Warnings(); len(w) != 0 {
		t.Fatalf("warnings for a new file: %q", w)
	}
	for _, name := range []string{"new.db", "new.db-wal", "new.db-shm"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want -rw-------", name, perm)
		}
	}
	db.Close()

	shared := filepath.Join(dir, "shared.db")
	if err := os.WriteFile(shared, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err = database.Open(ctx, "sqlite://"+shared)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if w := db.Warnings(); len(w) != 1 || !strings.Contains(w[0], "chmod 600") || !strings.Contains(w[0], "-rw-r--r--") {
		t.Fatalf("warnings for a file other users may read: %q", w)
	}
	if info, _ := os.Stat(shared); info.Mode().Perm() != 0o644 {
		t.Fatalf("an existing file's mode changed to %v", info.Mode().Perm())
	}
}
