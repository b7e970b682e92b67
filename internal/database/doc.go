// Package database opens trustgate's database, SQLite or PostgreSQL, from a
// URL and hands out an ent client configured for a server.
//
// Open accepts two kinds of URL:
//
//   - sqlite://PATH, an embedded SQLite database (the pure-Go driver
//     modernc.org/sqlite) at a relative or absolute path, e.g.
//     sqlite://trustgate.db or sqlite:///var/lib/trustgate/trustgate.db.
//     sqlite://:memory: gives a private in-memory database on one connection,
//     for tests and throwaway work. Every connection runs in WAL mode with
//     foreign keys on, a 10 s busy timeout, synchronous=NORMAL, times stored
//     in UTC in SQLite's own text format, and write transactions that take
//     the write lock at BEGIN (BEGIN IMMEDIATE), so that concurrent writers
//     queue instead of failing with "database is locked".
//   - postgres://… or postgresql://…, a PostgreSQL server through
//     github.com/lib/pq. The URL is passed to lib/pq as given (sslmode and the
//     other parameters are lib/pq's).
//
// DB.Tx runs a function in a transaction and, on PostgreSQL, runs it again
// when the server aborts it as a serialization failure or deadlock. DB.Write
// runs one statement that is atomic on its own (an upsert that returns its
// count) without a transaction around it, in the same turn-taking among
// SQLite writers.
//
// Each connection keeps up to 256 prepared statements (stmtcache.go): ent
// sends every query as text, which SQLite would parse and plan on every call
// and lib/pq would execute in two round trips. Statements with arguments are
// prepared once per connection and reused; a PostgreSQL plan that a migration
// invalidated fails once and is prepared again on its next use. Named
// prepared statements live on a server connection, so behind PgBouncer run
// session pooling, or transaction pooling only with PgBouncer 1.21 or later
// and max_prepared_statements set.
//
// The URL may carry a password; DB.Redacted and DB.String hide it, and errors
// returned by Open never contain it.
package database
