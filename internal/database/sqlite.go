package database

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"entgo.io/ent/dialect"
	"modernc.org/sqlite"
)

// sqliteMaxOpenConns is the size of the pool for a file-backed SQLite
// database.
//
// SQLite lets one writer in at a time whatever the pool size; in WAL mode
// readers run beside it. Every write transaction starts with BEGIN IMMEDIATE,
// so a writer either gets the write lock at once or waits for it in SQLite's
// busy handler (up to busyTimeoutMillis); it never holds a read snapshot and
// then fails to upgrade it (SQLITE_BUSY / SQLITE_BUSY_SNAPSHOT, the "database
// is locked" that busy_timeout does not cover). With that, no pool size gives
// lock errors while the queue of writers drains within the busy timeout:
// TestSQLiteConcurrentWriters (8 goroutines × 50 read-then-write
// transactions) has zero errors through one DB and through a DB per writer
// (as separate processes would be), where deferred transactions fail by the
// hundred.
//
// The size is then a matter of latency. SQLite's busy handler polls with
// sleeps of up to 100 ms, so writers waiting there are served late and out of
// order: with 8 connections and 8 busy writers, the slowest transaction took
// 0.25–0.9 s against 10–60 ms with one connection. So DB.Tx also queues its
// transactions in Go, one at a time (DB.writeSlot), where the next starts as
// soon as the last commits, and the pool only has to serve readers beside that
// writer, plus the odd write outside DB.Tx. With that queue,
// BenchmarkSQLiteMixed (16 goroutines, each iteration one write transaction
// and four reads, on 2 cores) measured 2, 4 and 8 connections alike (reads at
// a p50 of ~0.1 ms, writes at a p99 of 20–60 ms, within run-to-run noise),
// while 1 connection made reads wait behind writes (p50 0.4–0.8 ms). Four
// leaves room for readers without adding pollers.
const sqliteMaxOpenConns = 4

// busyTimeoutMillis is how long an SQLite statement waits for a lock held by
// another connection before it fails with SQLITE_BUSY.
const busyTimeoutMillis = 10000

// sqliteDefaults are the DSN parameters (modernc.org/sqlite's, compatible
// with mattn/go-sqlite3's) every connection is opened with, unless the URL
// sets the same parameter itself.
var sqliteDefaults = [][2]string{
	// First, so that the pragmas after it wait for locks instead of failing.
	{"_busy_timeout", fmt.Sprint(busyTimeoutMillis)},
	{"_foreign_keys", "1"},
	{"_journal_mode", "WAL"},
	// NORMAL is durable in WAL mode except for the last transactions before
	// a power loss; it never corrupts the database.
	{"_synchronous", "NORMAL"},
	// BEGIN IMMEDIATE for read-write transactions (read-only ones stay
	// deferred): see sqliteMaxOpenConns.
	{"_txlock", "immediate"},
	// Times are written in UTC as "2006-01-02 15:04:05.999999999+00:00", so
	// that comparing the stored text (which is what SQLite does for
	// expires_at < ?) orders them correctly. The driver's default is
	// time.Time.String, whose zone and monotonic clock reading break that.
	{"_time_format", "sqlite"},
	{"_timezone", "UTC"},
}

// sqliteDefault returns the value sqliteDefaults gives key.
func sqliteDefault(key string) string {
	for _, kv := range sqliteDefaults {
		if kv[0] == key {
			return kv[1]
		}
	}
	return ""
}

// openSQLite opens the database at target, the part of a sqlite:// URL after
// the scheme: a path, ":memory:", or an SQLite "file:" URI, optionally
// followed by ?driver parameters.
func openSQLite(target string, o *options) (*DB, error) {
	path, rawQuery, _ := strings.Cut(target, "?")
	if path == "" {
		return nil, errors.New(`database: sqlite URL has no path: want sqlite://PATH, e.g. sqlite://trustgate.db or sqlite:///var/lib/trustgate/trustgate.db`)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("database: sqlite URL parameters: %w", err)
	}
	memory := isMemory(path, q)
	// Stored times are compared as text (expiries, the copy of a user's
	// password_updated_at a sign-in completes on): a URL may not change
	// how they are written.
	for _, key := range []string{"_time_format", "_timezone"} {
		if want := sqliteDefault(key); q.Has(key) && q.Get(key) != want {
			return nil, fmt.Errorf("database: sqlite URL sets %s=%s: trustgate needs %s=%s (it compares stored times as text)", key, q.Get(key), key, want)
		}
	}
	for _, kv := range sqliteDefaults {
		if memory && kv[0] == "_journal_mode" {
			// An in-memory database keeps its journal in memory.
			continue
		}
		if !q.Has(kv[0]) {
			q.Set(kv[0], kv[1])
		}
	}
	var warnings []string
	if !memory && !strings.HasPrefix(path, "file:") {
		warnings = privateFile(path)
	}
	// Encode sorts the keys; the driver applies busy_timeout first anyway.
	dsn := path + "?" + q.Encode()
	sqlDB := sql.OpenDB(cachingConnector{drv: &sqlite.Driver{}, dsn: dsn, observe: o.observe})

	maxOpen := sqliteMaxOpenConns
	if o.maxOpen > 0 {
		maxOpen = o.maxOpen
	}
	if memory {
		// Each connection to :memory: is a database of its own, and the
		// database is gone when its last connection closes.
		maxOpen = 1
	}
	// Every connection stays open: there is no server to move to, and an
	// idle connection costs only its page cache.
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxOpen)
	return &DB{SQL: sqlDB, Dialect: dialect.SQLite, redacted: "sqlite://" + target, writeSlot: make(chan struct{}, 1), warnings: warnings}, nil
}

// privateFile creates the database file at path, when there is none yet,
// readable and writable by its owner alone: it holds the password hashes,
// the sealed signing keys and TOTP secrets and, while TRUSTGATE_SECRET is
// unset, the root secret that unseals them. SQLite gives the -wal and -shm
// files it creates beside it the same mode. A file that exists keeps its
// mode (an operator may have chosen it), with a warning when other users
// may read it. Anything else (a directory that does not exist) is left to
// SQLite to report when the database is first used.
func privateFile(path string) (warnings []string) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_ = f.Close()
		return nil
	}
	if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o077 != 0 {
		return []string{fmt.Sprintf("the database file %s has mode %s: other users of this machine may read it, and it holds the password hashes, "+
			"the sealed signing keys and, while TRUSTGATE_SECRET is unset, the secret that unseals them. chmod 600 it (and its -wal and -shm files).", path, info.Mode().Perm())}
	}
	return nil
}

// isMemory reports whether an SQLite path names an in-memory database.
func isMemory(path string, q url.Values) bool {
	return path == ":memory:" ||
		strings.HasPrefix(path, "file::memory:") ||
		(strings.HasPrefix(path, "file:") && q.Get("mode") == "memory") ||
		q.Get("vfs") == "memdb"
}
