package database

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"

	"github.com/lib/pq"
)

// stmtCacheSize bounds the prepared statements each connection keeps. ent
// builds a few dozen distinct statements for the sign-in engine; IN lists of
// varying length make more, and the least recently used are closed.
const stmtCacheSize = 256

// cachingConnector opens connections of drv that keep their prepared
// statements. ent sends every query as text with arguments, so without it
// SQLite parses and plans each statement again on every call (a quarter of the
// CPU of a sign-in step, measured) and lib/pq spends a round trip on a parse
// before each execution. A statement is cached when it has arguments: the
// statements without any are migrations, pragmas and transaction control, run
// rarely, some of them scripts that cannot be prepared.
type cachingConnector struct {
	drv     driver.Driver
	dsn     string
	observe func(ctx context.Context, query string) // WithStatementObserver; may be nil
}

func (c cachingConnector) Connect(context.Context) (driver.Conn, error) {
	// Neither lib/pq's driver nor modernc's is a DriverContext.
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: conn, stmts: map[string]*list.Element{}, lru: list.New(), observe: c.observe}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.drv }

// cachingConn is a driver connection with a statement cache. database/sql
// uses a connection from one goroutine at a time, so it needs no lock.
type cachingConn struct {
	driver.Conn
	stmts map[string]*list.Element // query → element of lru holding a *cachedStmt
	lru   *list.List               // front: most recently used

	observe func(ctx context.Context, query string)
}

// preparedStmt is a statement that runs with a context, as both drivers' do.
type preparedStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

type cachedStmt struct {
	query string
	stmt  preparedStmt
	// busy: rows of this statement are open. The statement cannot run again
	// until they are closed; a query meanwhile runs uncached.
	busy bool
	// stale: PostgreSQL refused the statement's plan; prepare it again.
	stale bool
}

// stmt returns the cached statement for query, preparing it on first use. It
// returns nil when the query should run uncached.
func (c *cachingConn) stmt(ctx context.Context, query string, nargs int) (*cachedStmt, error) {
	if nargs == 0 {
		return nil, nil
	}
	if e, ok := c.stmts[query]; ok {
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		if !cs.stale {
			c.lru.MoveToFront(e)
			return cs, nil
		}
		_ = c.drop(e)
	}
	if c.lru.Len() >= stmtCacheSize && !c.evict() {
		return nil, nil
	}
	prep, ok := c.Conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, nil
	}
	prepared, err := prep.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := prepared.(preparedStmt)
	if !ok {
		_ = prepared.Close() // a driver without context methods runs uncached
		return nil, nil
	}
	cs := &cachedStmt{query: query, stmt: st}
	c.stmts[query] = c.lru.PushFront(cs)
	return cs, nil
}

// evict closes the least recently used statement that is not busy.
func (c *cachingConn) evict() bool {
	for e := c.lru.Back(); e != nil; e = e.Prev() {
		if cs := e.Value.(*cachedStmt); !cs.busy {
			c.drop(e)
			return true
		}
	}
	return false
}

func (c *cachingConn) drop(e *list.Element) error {
	cs := c.lru.Remove(e).(*cachedStmt)
	delete(c.stmts, cs.query)
	return cs.stmt.Close()
}

// markStale marks a statement that PostgreSQL will not run again, as err
// says: a migration changed the result type of its cached plan (SQLSTATE
// 0A000). The next call prepares it afresh; closing it now could fail inside
// the aborted transaction.
func (cs *cachedStmt) markStale(err error) {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "0A000" {
		cs.stale = true
	}
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.observe != nil {
		c.observe(ctx, query)
	}
	cs, err := c.stmt(ctx, query, len(args))
	if err != nil {
		return nil, err
	}
	if cs != nil {
		r, err := cs.stmt.ExecContext(ctx, args)
		cs.markStale(err)
		return r, err
	}
	if ex, ok := c.Conn.(driver.ExecerContext); ok {
		return ex.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.observe != nil {
		c.observe(ctx, query)
	}
	cs, err := c.stmt(ctx, query, len(args))
	if err != nil {
		return nil, err
	}
	if cs != nil {
		rows, err := cs.stmt.QueryContext(ctx, args)
		cs.markStale(err)
		if err != nil {
			return nil, err
		}
		cs.busy = true
		return &cachedRows{Rows: rows, cs: cs}, nil
	}
	if q, ok := c.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

// Close closes the cached statements, then the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for e := c.lru.Front(); e != nil; e = c.lru.Front() {
		errs = append(errs, c.drop(e))
	}
	return errors.Join(append(errs, c.Conn.Close())...)
}

// The optional interfaces of the wrapped connection, passed through.

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	//lint:ignore SA1019 the same fallback database/sql itself uses
	return c.Conn.Begin()
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// cachedRows frees its statement for the next call when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	r.cs.busy = false
	return r.Rows.Close()
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}
