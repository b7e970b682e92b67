// Package migrate applies trustgate's versioned SQL migrations (package
// migrations) to a database and reports which are applied.
//
// Up applies every pending migration file in name order, each in a
// transaction of its own, and records it in the table trustgate_migrations
// (version, name, checksum, applied_at), which it creates itself. Before
// anything runs it checks the directory against its atlas.sum and every
// applied migration against the checksum recorded when it was applied: an
// edited migration is an error that names the file, as is a migration the
// database has but this build does not (a database newer than the binary).
//
// Two replicas may run Up at once. On PostgreSQL the whole run holds a
// session-level advisory lock (pg_advisory_lock), so the second waits and
// then finds nothing to do. On SQLite each file's transaction takes the
// write lock at BEGIN (BEGIN IMMEDIATE) and checks again, inside it, that the
// file was not applied meanwhile. SQLite migrations run with foreign-key
// enforcement off, since the table rebuilds Atlas generates for SQLite would
// otherwise cascade deletes, and PRAGMA foreign_keys cannot change inside a
// transaction; before committing, Up checks that the migration left no
// foreign-key violation behind that was not there before (as Atlas does).
//
// Check is what `trustgate serve` calls: it fails, saying to run
// `trustgate migrate up`, when migrations are pending.
//
// Generate and Drift compare a database with ent/schema: Generate writes the
// migration that brings the migration directory up to ent/schema (used by
// cmd/migrategen), and Drift lists what a migrated database lacks (used by the
// tests to prove that the migrations produce exactly ent/schema).
package migrate
