package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"

	"github.com/trustgate/trustgate/ent"
)

// MaxTxAttempts is how many times Tx runs its function on PostgreSQL before it
// gives up on a transaction the server keeps aborting as a serialization
// failure or deadlock.
const MaxTxAttempts = 5

// Tx runs fn in a transaction and commits it if fn returns nil. It rolls the
// transaction back if fn returns an error (which Tx returns unchanged) or
// panics (after which the panic continues).
//
// On PostgreSQL, when the server aborts the transaction with a serialization
// failure (SQLSTATE 40001) or a deadlock (40P01), whether fn or the commit saw
// it, Tx rolls back, waits a few randomised milliseconds and runs fn again in
// a new transaction, up to MaxTxAttempts runs in all. fn must therefore be
// safe to run more than once: it may only change the database through tx, and
// anything else it does (sending mail, filling a variable of the caller's)
// must be repeatable or happen after Tx returns.
//
// On SQLite nothing is retried: write transactions take the write lock at
// BEGIN, so they do not deadlock and there is no serialization failure to
// retry. Tx runs one transaction at a time per DB (the others wait for their
// turn, or until ctx is done) and the database's busy timeout covers writers
// in other processes. fn must not call Tx itself: the inner call would be a
// transaction of its own, and on SQLite it would wait for the outer one
// forever.
func (db *DB) Tx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	release, err := db.takeWriteSlot(ctx)
	if err != nil {
		return err
	}
	defer release()
	return db.retry(ctx, func() error { return db.runTx(ctx, fn) })
}

// retry runs run until it returns anything but a PostgreSQL serialization
// failure or deadlock, MaxTxAttempts runs at most on PostgreSQL and one on
// SQLite, waiting a few randomised milliseconds between runs.
func (db *DB) retry(ctx context.Context, run func() error) error {
	attempts := 1
	if db.Dialect == dialect.Postgres {
		attempts = MaxTxAttempts
	}
	backoff := 5 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := run()
		if err == nil || !isRetryable(err) {
			return err
		}
		if attempt == attempts {
			return fmt.Errorf("database: transaction aborted %d times: %w", attempts, err)
		}
		// Jitter keeps two transactions that collided from colliding again
		// in step.
		wait := backoff/2 + rand.N(backoff)
		backoff *= 2
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// Write runs fn against the connection pool outside any transaction, at its
// turn among the writers: on SQLite it holds the write slot Tx holds, so the
// write does not race a transaction for the file lock. Each statement fn runs
// commits on its own, so fn should run exactly one: a single atomic statement,
// such as an upsert that returns what it wrote, needs no BEGIN and COMMIT
// around it (one round trip to PostgreSQL instead of three). Like Tx, it runs
// fn again after a serialization failure or deadlock (possible under a
// stricter default_transaction_isolation than PostgreSQL's read committed):
// the failed statement changed nothing.
func (db *DB) Write(ctx context.Context, fn func(*sql.DB) error) error {
	release, err := db.takeWriteSlot(ctx)
	if err != nil {
		return err
	}
	defer release()
	return db.retry(ctx, func() error { return fn(db.SQL) })
}

// takeWriteSlot waits for the SQLite write slot, or until ctx is done, and
// returns the function that gives it back. On PostgreSQL it does nothing.
func (db *DB) takeWriteSlot(ctx context.Context) (release func(), err error) {
	if db.writeSlot == nil {
		return func() {}, nil
	}
	w := &db.writer
	asked := time.Now()
	w.waiting.Add(1)
	select {
	case db.writeSlot <- struct{}{}:
	case <-ctx.Done():
		w.waiting.Add(-1)
		w.gaveUp.Add(1)
		w.waitNanos.Add(int64(time.Since(asked)))
		return nil, ctx.Err()
	}
	took := time.Now()
	w.waiting.Add(-1)
	w.waitNanos.Add(int64(took.Sub(asked)))
	return func() {
		w.holdNanos.Add(int64(time.Since(took)))
		w.taken.Add(1)
		<-db.writeSlot
	}, nil
}

// WriterStats is how the SQLite write slot has been used since Open: each
// write transaction (and each DB.Write) holds it from before its BEGIN to
// after its COMMIT, one at a time. The rate of Hold over wall time is the
// fraction of time the database had a writer: near 1, writes queue behind
// each other, and the rate of Wait over Taken is how long each one waited.
// On PostgreSQL, which has no such slot, it is all zero.
type WriterStats struct {
	Taken   int64         // write slots given back
	GaveUp  int64         // callers whose context ended while they waited
	Waiting int64         // callers waiting now
	Wait    time.Duration // summed time callers waited for the slot
	Hold    time.Duration // summed time the slot was held (by the Taken)
}

type writerCounters struct {
	taken, gaveUp, waiting, waitNanos, holdNanos atomic.Int64
}

// WriterStats returns the write slot's counters.
func (db *DB) WriterStats() WriterStats {
	w := &db.writer
	return WriterStats{
		Taken: w.taken.Load(), GaveUp: w.gaveUp.Load(), Waiting: w.waiting.Load(),
		Wait: time.Duration(w.waitNanos.Load()), Hold: time.Duration(w.holdNanos.Load()),
	}
}

// runTx runs fn once in a transaction.
func (db *DB) runTx(ctx context.Context, fn func(tx *ent.Tx) error) (err error) {
	tx, err := db.Ent.Tx(ctx)
	if err != nil {
		return fmt.Errorf("database: begin transaction: %w", err)
	}
	done := false
	defer func() {
		if done {
			return
		}
		// Runs on a returned error and while a panic unwinds; the panic
		// continues after the rollback.
		if rerr := tx.Rollback(); rerr != nil && err != nil {
			err = fmt.Errorf("%w (and the rollback failed: %v)", err, rerr)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	// A commit ends the transaction whether it succeeds or fails.
	done = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("database: commit: %w", err)
	}
	return nil
}

// isRetryable reports whether err is a PostgreSQL serialization failure or
// deadlock, after which the whole transaction may be run again.
func isRetryable(err error) bool {
	var st interface{ SQLState() string }
	if !errors.As(err, &st) {
		return false
	}
	switch st.SQLState() {
	case "40001", "40P01":
		return true
	}
	return false
}

// AfterCommit runs f once tx has committed, and not at all when the commit
// fails or tx is rolled back: for what must count only what the database
// kept (a metric of the rows a transaction wrote).
func AfterCommit(tx *ent.Tx, f func()) {
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			f()
			return nil
		})
	})
}
