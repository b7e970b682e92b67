package migrate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"github.com/trustgate/trustgate/internal/database"
)

// advisoryLockKey is the PostgreSQL advisory lock Up holds while it runs; its
// bytes spell "trustgat".
const advisoryLockKey int64 = 0x7472757374676174

// cleanupTimeout bounds the statements Up runs on its way out (unlocking,
// turning foreign keys back on), which must run even when ctx is done.
const cleanupTimeout = 10 * time.Second

var createTable = map[string]string{
	dialect.SQLite: `CREATE TABLE IF NOT EXISTS ` + Table + ` (
	version TEXT NOT NULL PRIMARY KEY,
	name TEXT NOT NULL,
	checksum TEXT NOT NULL,
	applied_at DATETIME NOT NULL
)`,
	dialect.Postgres: `CREATE TABLE IF NOT EXISTS ` + Table + ` (
	version text NOT NULL PRIMARY KEY,
	name text NOT NULL,
	checksum text NOT NULL,
	applied_at timestamptz NOT NULL
)`,
}

// Up applies the pending migrations in order, each in its own transaction,
// and returns the names of the files it applied (none when the database is
// current). It stops at the first migration that fails, which is rolled
// back; the ones before it stay applied.
func Up(ctx context.Context, db *database.DB, opts ...Option) (applied []string, err error) {
	src, err := load(db, opts)
	if err != nil {
		return nil, err
	}
	// One connection for the whole run: the advisory lock and SQLite's
	// foreign_keys pragma belong to a connection.
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Close()

	if db.Dialect == dialect.Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, advisoryLockKey); err != nil {
			return nil, fmt.Errorf("migrate: take the migration lock: %w", err)
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			if _, uerr := conn.ExecContext(cctx, `SELECT pg_advisory_unlock($1)`, advisoryLockKey); uerr != nil {
				// The lock goes with the session: close it rather than
				// return a connection holding the lock to the pool.
				discard(conn)
				err = errors.Join(err, fmt.Errorf("migrate: release the migration lock: %w", uerr))
			}
		}()
	}

	if _, err := conn.ExecContext(ctx, createTable[db.Dialect]); err != nil {
		return nil, fmt.Errorf("migrate: create the %s table: %w", Table, err)
	}
	rows, err := readApplied(ctx, conn, db.Dialect)
	if err != nil {
		return nil, err
	}
	state, err := src.verify(rows)
	if err != nil {
		return nil, err
	}
	for i, f := range src.files {
		if state[i].AppliedAt != nil {
			continue
		}
		ran, err := apply(ctx, conn, db.Dialect, src, f)
		if err != nil {
			return applied, err
		}
		if ran {
			applied = append(applied, f.Name())
		}
	}
	return applied, nil
}

// apply runs one migration file and records it, in one transaction. It
// reports false, having done nothing, when the file was applied meanwhile by
// another process.
func apply(ctx context.Context, conn *sql.Conn, dia string, src *source, f atlasmigrate.File) (ran bool, err error) {
	name := src.path(f)
	stmts, err := f.Stmts()
	if err != nil {
		return false, fmt.Errorf("migrate: %s: split into statements: %w", name, err)
	}

	if dia == dialect.SQLite {
		// Atlas rebuilds an SQLite table to change it (create a copy, copy
		// the rows, drop the old one); with foreign keys enforced, dropping
		// it would delete or reject the rows that reference it. The pragma
		// is a no-op inside a transaction, so it is turned off around it.
		if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = off`); err != nil {
			return false, fmt.Errorf("migrate: turn foreign keys off for %s: %w", name, err)
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			if _, ferr := conn.ExecContext(cctx, `PRAGMA foreign_keys = on`); ferr != nil {
				// Never hand a connection without foreign keys back to
				// the pool.
				discard(conn)
				err = errors.Join(err, fmt.Errorf("migrate: turn foreign keys back on: %w", ferr))
			}
		}()
	}

	// On SQLite this is BEGIN IMMEDIATE (see package database): the write
	// lock is held from here, so the check below cannot race another
	// process applying the same file.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: %s: begin: %w", name, err)
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()

	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+Table+` WHERE version = `+placeholder(dia, 1), f.Version()).Scan(&done); err != nil {
		return false, fmt.Errorf("migrate: %s: %w", name, err)
	}
	if done > 0 {
		return false, nil
	}

	var before map[string]bool
	if dia == dialect.SQLite {
		if before, err = fkViolations(ctx, tx); err != nil {
			return false, fmt.Errorf("migrate: %s: %w", name, err)
		}
	}
	for i, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("migrate: %s, statement %d of %d: %w\n%s", name, i+1, len(stmts), err, abbreviate(stmt))
		}
	}
	if dia == dialect.SQLite {
		after, err := fkViolations(ctx, tx)
		if err != nil {
			return false, fmt.Errorf("migrate: %s: %w", name, err)
		}
		var added []string
		for v := range after {
			if !before[v] {
				added = append(added, v)
			}
		}
		if len(added) > 0 {
			return false, fmt.Errorf("migrate: %s leaves rows that violate foreign keys (table, rowid, parent, key): %s",
				name, strings.Join(added, "; "))
		}
	}

	record := `INSERT INTO ` + Table + ` (version, name, checksum, applied_at) VALUES (` +
		placeholder(dia, 1) + `, ` + placeholder(dia, 2) + `, ` + placeholder(dia, 3) + `, ` + placeholder(dia, 4) + `)`
	if _, err := tx.ExecContext(ctx, record, f.Version(), f.Desc(), checksum(f), time.Now().UTC()); err != nil {
		return false, fmt.Errorf("migrate: %s: record it in %s: %w", name, Table, err)
	}
	committed = true
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate: %s: commit: %w", name, err)
	}
	return true, nil
}

// fkViolations returns SQLite's foreign-key violations, one string each.
func fkViolations(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return nil, fmt.Errorf("check foreign keys: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var table, parent string
		var rowid, fkid sql.NullInt64
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return nil, fmt.Errorf("check foreign keys: %w", err)
		}
		out[fmt.Sprintf("%s, %v, %s, %v", table, rowid.Int64, parent, fkid.Int64)] = true
	}
	return out, rows.Err()
}

// placeholder returns the n-th bind parameter in dia's syntax.
func placeholder(dia string, n int) string {
	if dia == dialect.Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// abbreviate shortens a statement for an error message.
func abbreviate(stmt string) string {
	const max = 300
	if len(stmt) > max {
		return stmt[:max] + "…"
	}
	return stmt
}

// discard makes database/sql close conn instead of returning it to the pool.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}
