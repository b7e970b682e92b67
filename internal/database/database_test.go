package database_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/migrate"
	"github.com/trustgate/trustgate/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

// openSQLite opens a new SQLite database in a temporary directory, migrated.
// (Not ent's Schema.Create: on SQLite it turns foreign keys off and on again
// through the pool, which can leave a pooled connection with them off.)
func openSQLite(t testing.TB, opts ...database.Option) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "trustgate.db"), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrate.Up(ctx, db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// openPostgres opens a new PostgreSQL database, migrated.
func openPostgres(t testing.TB) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrate.Up(ctx, db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// writeTx is the unit of work of the concurrency tests: it reads the counter
// row before writing, which is the read-then-write shape that fails with
// "database is locked" when SQLite transactions start deferred, then inserts
// an application and stores the counter plus one.
func writeTx(ctx context.Context, db *database.DB, worker, i int) error {
	return db.Tx(ctx, func(tx *ent.Tx) error {
		b, err := tx.RateLimitBucket.Get(ctx, "counter")
		if err != nil {
			return fmt.Errorf("read counter: %w", err)
		}
		if _, err := tx.Application.Create().
			SetName(fmt.Sprintf("app %d/%d", worker, i)).
			SetPublishableKey(fmt.Sprintf("pk_test_%d_%d_%d", worker, i, time.Now().UnixNano())).
			Save(ctx); err != nil {
			return fmt.Errorf("insert application: %w", err)
		}
		return tx.RateLimitBucket.UpdateOne(b).SetCount(b.Count + 1).Exec(ctx)
	})
}

func createCounter(t testing.TB, db *database.DB) {
	t.Helper()
	now := time.Now()
	if err := db.Ent.RateLimitBucket.Create().SetID("counter").SetWindowStart(now).SetExpiresAt(now.Add(time.Hour)).Exec(context.Background()); err != nil {
		t.Fatalf("create counter: %v", err)
	}
}

// writeOne adds one to the counter with a lone statement through DB.Write,
// the way the rate limiter counts.
func writeOne(ctx context.Context, db *database.DB) error {
	return db.Write(ctx, func(s *sql.DB) error {
		var n int
		return s.QueryRowContext(ctx, `UPDATE rate_limit_buckets SET count = count + 1 WHERE key = 'counter' RETURNING count`).Scan(&n)
	})
}

// runWriters runs workers goroutines, worker w on dbFor(w), that each commit
// perWorker writes, alternately a write transaction (writeTx) and a lone
// statement (writeOne), and returns every error they met.
func runWriters(ctx context.Context, dbFor func(w int) *database.DB, workers, perWorker int) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			db := dbFor(w)
			for i := range perWorker {
				write := func() error { return writeTx(ctx, db, w, i) }
				if i%2 == 1 {
					write = func() error { return writeOne(ctx, db) }
				}
				if err := write(); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("worker %d, tx %d: %w", w, i, err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// TestSQLiteConcurrentWriters runs 8 goroutines × 50 writes, read-then-write
// transactions alternating with lone statements through DB.Write, first
// sharing one DB, then each with a DB of its own on the same file, as separate
// processes would (there DB.Tx's queue does not help, and SQLite's locking
// alone must keep them apart).
func TestSQLiteConcurrentWriters(t *testing.T) {
	const workers, perWorker = 8, 50
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "trustgate.db")
	open := func(t *testing.T) *database.DB {
		db, err := database.Open(ctx, url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	shared := open(t)
	if _, err := migrate.Up(ctx, shared); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	createCounter(t, shared)

	want, wantApps := 0, 0
	for _, tt := range []struct {
		name  string
		dbFor func(t *testing.T) func(w int) *database.DB
	}{
		{"one DB", func(*testing.T) func(int) *database.DB {
			return func(int) *database.DB { return shared }
		}},
		{"a DB per writer", func(t *testing.T) func(int) *database.DB {
			dbs := make([]*database.DB, workers)
			for i := range dbs {
				dbs[i] = open(t)
			}
			return func(w int) *database.DB { return dbs[w] }
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dbFor := tt.dbFor(t)
			start := time.Now()
			errs := runWriters(ctx, dbFor, workers, perWorker)
			t.Logf("%d transactions on %d goroutines in %v", workers*perWorker, workers, time.Since(start))
			for i, err := range errs {
				if i == 5 {
					t.Errorf("… and %d more errors", len(errs)-5)
					break
				}
				t.Errorf("%v", err)
			}
			want += workers * perWorker
			wantApps += workers * ((perWorker + 1) / 2) // the even writes, writeTx's
			if got := shared.Ent.Application.Query().CountX(ctx); got != wantApps {
				t.Errorf("applications: got %d, want %d", got, wantApps)
			}
			if got := shared.Ent.RateLimitBucket.GetX(ctx, "counter").Count; got != want {
				t.Errorf("counter: got %d, want %d (a lost update means transactions were not serialized)", got, want)
			}
		})
	}
}

// BenchmarkSQLiteMixed runs, from 8 goroutines, iterations of one write
// transaction and four reads for several pool sizes, and reports the p50,
// p99 and slowest latencies of each. It is what sqliteMaxOpenConns rests on.
func BenchmarkSQLiteMixed(b *testing.B) {
	for _, conns := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			ctx := context.Background()
			db := openSQLite(b, database.WithMaxOpenConns(conns))
			createCounter(b, db)
			var (
				n             atomic.Int64
				mu            sync.Mutex
				writes, reads []time.Duration
			)
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				w := int(n.Add(1))
				var ws, rs []time.Duration
				for i := 0; pb.Next(); i++ {
					start := time.Now()
					if err := writeTx(ctx, db, w, i); err != nil {
						b.Error(err)
					}
					ws = append(ws, time.Since(start))
					for range 4 {
						start := time.Now()
						if _, err := db.Ent.Application.Query().Limit(20).All(ctx); err != nil {
							b.Error(err)
						}
						rs = append(rs, time.Since(start))
					}
				}
				mu.Lock()
				writes, reads = append(writes, ws...), append(reads, rs...)
				mu.Unlock()
			})
			b.StopTimer()
			for name, ds := range map[string][]time.Duration{"write": writes, "read": reads} {
				slices.Sort(ds)
				at := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000 }
				b.ReportMetric(at(0.5), name+"-p50-ms")
				b.ReportMetric(at(0.99), name+"-p99-ms")
				b.ReportMetric(at(1), name+"-max-ms")
			}
		})
	}
}

func TestSQLiteSettings(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"busy_timeout": "10000",
		"synchronous":  "1", // NORMAL
	} {
		var got string
		if err := db.SQL.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s: got %q, want %q", pragma, got, want)
		}
	}
	if db.Dialect != dialect.SQLite {
		t.Errorf("Dialect: got %q, want %q", db.Dialect, dialect.SQLite)
	}

	t.Run("times are stored in UTC in SQLite's format", func(t *testing.T) {
		at := time.Date(2025, 3, 1, 12, 30, 0, 500_000_000, time.FixedZone("CET", 3600))
		db.Ent.RateLimitBucket.Create().SetID("t").SetWindowStart(at).SetExpiresAt(at).ExecX(ctx)
		var raw string
		if err := db.SQL.QueryRowContext(ctx, `SELECT CAST(window_start AS TEXT) FROM rate_limit_buckets WHERE key = 't'`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if want := "2025-03-01 11:30:00.5+00:00"; raw != want {
			t.Errorf("stored text: got %q, want %q", raw, want)
		}
		got := db.Ent.RateLimitBucket.GetX(ctx, "t").WindowStart
		if !got.Equal(at) {
			t.Errorf("read back: got %v, want %v", got, at)
		}
	})
}

func TestSQLiteInMemory(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"sqlite://:memory:", "sqlite://file::memory:?cache=shared"} {
		t.Run(u, func(t *testing.T) {
			db, err := database.Open(ctx, u)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer db.Close()
			if _, err := migrate.Up(ctx, db); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			createCounter(t, db)
			// Every query must see the one database the schema went into.
			if errs := runWriters(ctx, func(int) *database.DB { return db }, 4, 5); len(errs) > 0 {
				t.Fatalf("writers: %v", errs)
			}
			if got := db.Ent.Application.Query().CountX(ctx); got != 12 {
				t.Errorf("applications: got %d, want 12 (3 of each writer's 5 writes insert one)", got)
			}
			if got := db.Ent.RateLimitBucket.GetX(ctx, "counter").Count; got != 20 {
				t.Errorf("counter: got %d, want 20", got)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, url string
		want      []string // substrings of the error
	}{
		{"unsupported scheme", "mysql://root:hunter2@localhost/trustgate", []string{`unsupported database URL scheme "mysql"`, "sqlite://", "postgres://"}},
		{"no scheme", "host=localhost password=hunter2", []string{"must look like sqlite://PATH or postgres://"}},
		{"sqlite without slashes", "sqlite:trustgate.db", []string{"must look like sqlite://PATH"}},
		{"sqlite without a path", "sqlite://", []string{"sqlite URL has no path"}},
		{"sqlite with another time format", "sqlite:///tmp/tg.db?_time_format=", []string{"_time_format=", "needs _time_format=sqlite"}},
		{"sqlite in another time zone", "sqlite:///tmp/tg.db?_timezone=Europe/Paris", []string{"_timezone=Europe/Paris", "needs _timezone=UTC"}},
		{"sqlite directory that does not exist", "sqlite:///nonexistent-dir/x/trustgate.db", []string{"connect to sqlite:///nonexistent-dir/x/trustgate.db"}},
		{"postgres that does not answer", "postgres://trustgate:hunter2@127.0.0.1:1/trustgate?sslmode=disable&connect_timeout=2", []string{"connect to postgres://trustgate:xxxxx@127.0.0.1:1/trustgate"}},
		{"unparsable postgres URL", "postgres://trustgate:hun ter2@[::1/x", []string{"invalid postgres URL"}},
		// The user name is an address and the password 1/hunter2: url.Parse
		// reads host 127.0.0.1, port 1 and the path /hunter2@localhost/…,
		// which is refused before anything connects there.
		{"postgres password with a slash", "postgres://127.0.0.1:1/hunter2@localhost/trustgate?connect_timeout=2", []string{"invalid postgres URL", "cut it short", "%2F"}},
		{"postgres password with a hash", "postgres://127.0.0.1:1#hunter2@localhost/trustgate", []string{"invalid postgres URL", "cut it short"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := database.Open(ctx, tt.url)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q): got no error", tt.url)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			// With the slash, the misread port 1 is a piece of the password too.
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(tt.url, "1/hunter2") && strings.Contains(err.Error(), "127.0.0.1:1") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://trustgate:hunter2@db:5432/trustgate?sslmode=disable", "postgres://trustgate:xxxxx@db:5432/trustgate?sslmode=disable"},
		{"postgres://db/trustgate?user=tg&password=hunter2", "postgres://db/trustgate?password=xxxxx&user=tg"},
		{"postgres://trustgate@db/trustgate", "postgres://trustgate@db/trustgate"},
		{"postgres://trustgate:hun ter2@[::1/x", "<unparsable database URL>"},
	}
	for _, tt := range tests {
		if got := database.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRedactMisparsedUserinfo: a password holding an unencoded / ? or #
// ends the authority early, so url.Parse puts the user name and the start of
// the password in the host (u:1234, a valid host:port) and the rest of the
// password, up to the @, in the path, query or fragment. Redacted would print
// all of it; Redact prints a placeholder that says what to fix instead.
func TestRedactMisparsedUserinfo(t *testing.T) {
	for _, raw := range []string{
		"postgres://u:1234/s3cret@db.example.com/trustgate",
		"postgres://u:1234?s3cret@db.example.com/trustgate",
		"postgres://u:1234#s3cret@db.example.com/trustgate",
		"postgres://u:1234/s3c%72et@db.example.com/trustgate",
		"postgres:u:1234s3cret@db.example.com/trustgate",
	} {
		got := database.Redact(raw)
		if strings.Contains(got, "1234") || strings.Contains(got, "s3cret") || strings.Contains(got, "s3c%72et") {
			t.Errorf("Redact(%q) = %q: shows a piece of the password", raw, got)
		}
		if !strings.Contains(got, "%2F") {
			t.Errorf("Redact(%q) = %q: want a hint to percent-encode", raw, got)
		}
	}
}

func TestPostgresRedacted(t *testing.T) {
	raw := pgtest.URL(t)
	// pgtest's servers trust local connections, so any password is accepted.
	withPassword := strings.Replace(raw, "postgres://postgres@", "postgres://postgres:hunter2@", 1)
	if withPassword == raw {
		t.Skipf("cannot add a password to %s", raw)
	}
	db, err := database.Open(context.Background(), withPassword)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if db.Dialect != dialect.Postgres {
		t.Errorf("Dialect: got %q, want %q", db.Dialect, dialect.Postgres)
	}
	for _, s := range []string{db.Redacted(), db.String(), fmt.Sprint(db)} {
		if strings.Contains(s, "hunter2") || !strings.Contains(s, "xxxxx") {
			t.Errorf("got %q, want the password shown as xxxxx", s)
		}
	}
}

func TestTx(t *testing.T) {
	dbs := map[string]func(testing.TB) *database.DB{
		"sqlite":   func(tb testing.TB) *database.DB { return openSQLite(tb) },
		"postgres": openPostgres,
	}
	for name, open := range dbs {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			createApp := func(tx *ent.Tx, key string) {
				tx.Application.Create().SetName(key).SetPublishableKey(key).SaveX(ctx)
			}
			count := func() int { return db.Ent.Application.Query().CountX(ctx) }

			t.Run("commits when fn returns nil", func(t *testing.T) {
				if err := db.Tx(ctx, func(tx *ent.Tx) error { createApp(tx, "pk_commit"); return nil }); err != nil {
					t.Fatal(err)
				}
				if got := count(); got != 1 {
					t.Errorf("applications: got %d, want 1", got)
				}
			})
			t.Run("rolls back and returns fn's error unchanged", func(t *testing.T) {
				sentinel := errors.New("sentinel")
				err := db.Tx(ctx, func(tx *ent.Tx) error { createApp(tx, "pk_error"); return sentinel })
				if err != sentinel {
					t.Errorf("got error %v, want the sentinel itself", err)
				}
				if got := count(); got != 1 {
					t.Errorf("applications: got %d, want 1", got)
				}
			})
			t.Run("rolls back on panic and lets the panic continue", func(t *testing.T) {
				func() {
					defer func() {
						if p := recover(); p != "boom" {
							t.Errorf("recovered %v, want boom", p)
						}
					}()
					_ = db.Tx(ctx, func(tx *ent.Tx) error { createApp(tx, "pk_panic"); panic("boom") })
				}()
				if got := count(); got != 1 {
					t.Errorf("applications: got %d, want 1", got)
				}
				// The connection went back to the pool clean: a new
				// transaction works.
				if err := db.Tx(ctx, func(tx *ent.Tx) error { createApp(tx, "pk_after_panic"); return nil }); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// TestPostgresTxRetriesDeadlock makes two transactions lock two rows in
// opposite orders. PostgreSQL aborts one of them with a deadlock (40P01); Tx
// must run that one again so that both succeed.
func TestPostgresTxRetriesDeadlock(t *testing.T) {
	ctx := context.Background()
	db := openPostgres(t)
	now := time.Now()
	for _, id := range []string{"a", "b"} {
		db.Ent.RateLimitBucket.Create().SetID(id).SetWindowStart(now).SetExpiresAt(now).ExecX(ctx)
	}

	var (
		attempts   atomic.Int32
		firstLocks sync.WaitGroup // both hold their first row
		wg         sync.WaitGroup
		errs       [2]error
	)
	firstLocks.Add(2)
	for i, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
		wg.Go(func() {
			first := true
			errs[i] = db.Tx(ctx, func(tx *ent.Tx) error {
				attempts.Add(1)
				if err := tx.RateLimitBucket.UpdateOneID(order[0]).AddCount(1).Exec(ctx); err != nil {
					return err
				}
				if first {
					first = false
					firstLocks.Done()
					firstLocks.Wait()
				}
				return tx.RateLimitBucket.UpdateOneID(order[1]).AddCount(1).Exec(ctx)
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	if got := attempts.Load(); got < 3 {
		t.Errorf("attempts: got %d, want at least 3 (one transaction retried after the deadlock)", got)
	}
	for _, id := range []string{"a", "b"} {
		if got := db.Ent.RateLimitBucket.GetX(ctx, id).Count; got != 2 {
			t.Errorf("bucket %s: got count %d, want 2", id, got)
		}
	}
}

func TestPostgresTxGivesUp(t *testing.T) {
	ctx := context.Background()
	db := openPostgres(t)
	var runs int
	err := db.Tx(ctx, func(tx *ent.Tx) error {
		runs++
		// A real serialization failure from the server, every time.
		_, err := tx.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$`)
		return err
	})
	if runs != database.MaxTxAttempts {
		t.Errorf("runs: got %d, want %d", runs, database.MaxTxAttempts)
	}
	if err == nil || !strings.Contains(err.Error(), "aborted 5 times") {
		t.Errorf("got error %v, want one saying the transaction was aborted 5 times", err)
	}
}

// TestStatementObserver checks that the observer sees each statement's text
// and context, cached or not, and on both dialects.
func TestStatementObserver(t *testing.T) {
	type key struct{}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			url := "sqlite://" + filepath.Join(t.TempDir(), "observe.db")
			arg := "?"
			if name == "postgres" {
				url, arg = pgtest.URL(t), "$1"
			}
			var (
				mu   sync.Mutex
				seen []string
			)
			ctx := context.WithValue(context.Background(), key{}, "request 1")
			db, err := database.Open(context.Background(), url, database.WithStatementObserver(func(c context.Context, query string) {
				if c.Value(key{}) == "request 1" {
					mu.Lock()
					defer mu.Unlock()
					seen = append(seen, query)
				}
			}))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			queries := []string{
				"CREATE TABLE observed (v TEXT)",
				"INSERT INTO observed (v) VALUES (" + arg + ")",
				"SELECT count(*) FROM observed WHERE v = " + arg,
			}
			if _, err := db.SQL.ExecContext(ctx, queries[0]); err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second run comes from the statement cache
				if _, err := db.SQL.ExecContext(ctx, queries[1], "secret"); err != nil {
					t.Fatal(err)
				}
				var n int
				if err := db.SQL.QueryRowContext(ctx, queries[2], "secret").Scan(&n); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.SQL.ExecContext(context.Background(), "DROP TABLE observed"); err != nil {
				t.Fatal(err)
			}
			want := []string{queries[0], queries[1], queries[2], queries[1], queries[2]}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(seen, want) {
				t.Fatalf("observed %q, want %q", seen, want)
			}
		})
	}
}

// TestSQLiteWriterStats holds the write slot in one transaction while a
// second waits for it and a third gives up waiting, and checks what
// WriterStats counted: the holds, the wait (at least as long as the first
// transaction held the slot after the second asked), the caller that gave up,
// and the waiting gauge while they waited. PostgreSQL has no slot and counts
// nothing.
func TestSQLiteWriterStats(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	base := db.WriterStats()
	waitFor := func(what string, cond func(database.WriterStats) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(db.WriterStats()); {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: %+v", what, db.WriterStats())
			}
			time.Sleep(time.Millisecond)
		}
	}
	inside, leave := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.Tx(ctx, func(tx *ent.Tx) error {
			close(inside)
			<-leave
			return nil
		})
	}()
	<-inside
	second := make(chan error, 1)
	go func() { second <- db.Tx(ctx, func(tx *ent.Tx) error { return nil }) }()
	waitFor("the second writer to wait", func(s database.WriterStats) bool { return s.Waiting == base.Waiting+1 })

	cctx, cancel := context.WithCancel(ctx)
	third := make(chan error, 1)
	go func() { third <- db.Tx(cctx, func(tx *ent.Tx) error { return nil }) }()
	waitFor("the third writer to wait", func(s database.WriterStats) bool { return s.Waiting == base.Waiting+2 })
	cancel()
	if err := <-third; !errors.Is(err, context.Canceled) {
		t.Fatalf("third writer: got %v, want context.Canceled", err)
	}

	const held = 20 * time.Millisecond
	time.Sleep(held)
	close(leave)
	if err := errors.Join(<-first, <-second); err != nil {
		t.Fatal(err)
	}
	got := db.WriterStats()
	if n := got.Taken - base.Taken; n != 2 {
		t.Errorf("Taken: %d more, want 2", n)
	}
	if n := got.GaveUp - base.GaveUp; n != 1 {
		t.Errorf("GaveUp: %d more, want 1", n)
	}
	if got.Waiting != base.Waiting {
		t.Errorf("Waiting: %d, want %d once everyone is through", got.Waiting, base.Waiting)
	}
	if d := got.Wait - base.Wait; d < held {
		t.Errorf("Wait: %v more, want at least %v (the second writer waited that long)", d, held)
	}
	if d := got.Hold - base.Hold; d < held {
		t.Errorf("Hold: %v more, want at least %v (the first writer held the slot that long)", d, held)
	}

	pg := openPostgres(t)
	if err := pg.Tx(ctx, func(tx *ent.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if s := pg.WriterStats(); s != (database.WriterStats{}) {
		t.Errorf("PostgreSQL: %+v, want nothing counted", s)
	}
}
