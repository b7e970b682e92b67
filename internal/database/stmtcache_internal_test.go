package database

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/trustgate/trustgate/internal/pgtest"
)

// oneConn opens the database at url and returns one connection of its pool,
// so that every call of a test lands on the same statement cache.
func oneConn(t *testing.T, url string) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// cached returns the statements c's cache holds, by query.
func cached(t *testing.T, c *sql.Conn) map[string]*cachedStmt {
	t.Helper()
	out := map[string]*cachedStmt{}
	if err := c.Raw(func(dc any) error {
		cc, ok := dc.(*cachingConn)
		if !ok {
			return fmt.Errorf("the driver connection is a %T, not a *cachingConn", dc)
		}
		for q, e := range cc.stmts {
			out[q] = e.Value.(*cachedStmt)
		}
		if len(out) != cc.lru.Len() {
			return fmt.Errorf("%d statements in the map, %d in the LRU list", len(out), cc.lru.Len())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func scanInt(t *testing.T, c *sql.Conn, query string, args ...any) int {
	t.Helper()
	var n int
	if err := c.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	return n
}

func TestStatementCache(t *testing.T) {
	dbs := map[string]string{
		"sqlite":   "sqlite://" + filepath.Join(t.TempDir(), "cache.db"),
		"postgres": "",
	}
	for name, url := range dbs {
		t.Run(name, func(t *testing.T) {
			if url == "" {
				url = pgtest.URL(t)
			}
			ctx := context.Background()
			c := oneConn(t, url)
			arg := "?"
			if name == "postgres" {
				arg = "$1"
			}
			add := "SELECT " + arg + " + 1"

			t.Run("a statement with arguments is prepared once and reused", func(t *testing.T) {
				for i := range 3 {
					if got := scanInt(t, c, add, i); got != i+1 {
						t.Fatalf("got %d, want %d", got, i+1)
					}
				}
				first := cached(t, c)[add]
				if first == nil {
					t.Fatalf("%q is not cached: %v", add, cached(t, c))
				}
				scanInt(t, c, add, 7)
				if again := cached(t, c)[add]; again != first {
					t.Error("the statement was prepared again")
				}
				if _, err := c.ExecContext(ctx, "SELECT 1"); err != nil {
					t.Fatal(err)
				}
				if _, ok := cached(t, c)["SELECT 1"]; ok {
					t.Error("a statement without arguments was cached")
				}
			})

			t.Run("the cache is bounded, least recently used out first", func(t *testing.T) {
				scanInt(t, c, add, 1)
				for i := range stmtCacheSize + 20 {
					q := fmt.Sprintf("SELECT %s + %d", arg, i)
					if got := scanInt(t, c, q, 1); got != i+1 {
						t.Fatalf("%s: got %d, want %d", q, got, i+1)
					}
				}
				got := cached(t, c)
				if len(got) != stmtCacheSize {
					t.Errorf("got %d cached statements, want %d", len(got), stmtCacheSize)
				}
				if _, ok := got[add]; ok {
					t.Error("the least recently used statement is still cached")
				}
				if _, ok := got[fmt.Sprintf("SELECT %s + %d", arg, stmtCacheSize+19)]; !ok {
					t.Error("the most recently used statement is not cached")
				}
				if n := scanInt(t, c, add, 41); n != 42 {
					t.Errorf("an evicted statement: got %d, want 42", n)
				}
			})

			if name == "sqlite" {
				t.Run("a statement whose rows are open runs uncached meanwhile", func(t *testing.T) {
					q := "SELECT value FROM json_each(?)"
					rows, err := c.QueryContext(ctx, q, "[1,2,3]")
					if err != nil {
						t.Fatal(err)
					}
					if !rows.Next() {
						t.Fatal("no first row")
					}
					if !cached(t, c)[q].busy {
						t.Error("the statement is not marked busy while its rows are open")
					}
					if n := scanInt(t, c, "SELECT count(*) FROM json_each(?)", "[1,2,3,4]"); n != 4 {
						t.Errorf("another statement: got %d, want 4", n)
					}
					if n := scanInt(t, c, q, "[9]"); n != 9 {
						t.Errorf("the same statement again: got %d, want 9", n)
					}
					var sum, v int
					for ok := true; ok; ok = rows.Next() {
						if err := rows.Scan(&v); err != nil {
							t.Fatal(err)
						}
						sum += v
					}
					if err := rows.Close(); err != nil {
						t.Fatal(err)
					}
					if sum != 6 {
						t.Errorf("the first rows: got sum %d, want 6", sum)
					}
					if cached(t, c)[q].busy {
						t.Error("the statement stays busy after its rows are closed")
					}
					if n := scanInt(t, c, q, "[5]"); n != 5 {
						t.Errorf("after closing: got %d, want 5", n)
					}
				})
			}

			if name == "postgres" {
				t.Run("a plan a migration invalidated is prepared again", func(t *testing.T) {
					for _, q := range []string{"CREATE TABLE plans (id int PRIMARY KEY, v int)", "INSERT INTO plans VALUES (1, 10)"} {
						if _, err := c.ExecContext(ctx, q); err != nil {
							t.Fatal(err)
						}
					}
					q := "SELECT * FROM plans WHERE id = $1"
					var id, v, w int
					if err := c.QueryRowContext(ctx, q, 1).Scan(&id, &v); err != nil || v != 10 {
						t.Fatalf("got %d, %v; want 10", v, err)
					}
					if _, err := c.ExecContext(ctx, "ALTER TABLE plans ADD COLUMN w int DEFAULT 20"); err != nil {
						t.Fatal(err)
					}
					// PostgreSQL refuses the old plan once (its result type
					// changed); the statement is then prepared again.
					if err := c.QueryRowContext(ctx, q, 1).Scan(&id, &v, &w); err != nil {
						t.Logf("first call after the migration: %v", err)
						if !cached(t, c)[q].stale {
							t.Fatal("the refused statement is not marked stale")
						}
						if err := c.QueryRowContext(ctx, q, 1).Scan(&id, &v, &w); err != nil {
							t.Fatalf("second call after the migration: %v", err)
						}
					}
					if w != 20 {
						t.Errorf("got w = %d, want 20", w)
					}
				})
			}
		})
	}
}
