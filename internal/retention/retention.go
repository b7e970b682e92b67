package retention

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/serverconfig"
	"github.com/trustgate/trustgate/ent/signin"
	"github.com/trustgate/trustgate/ent/signinevent"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/settings"
)

// LockKey is the PostgreSQL advisory lock that one pruning replica holds.
const LockKey int64 = 0x7472_7573_7467_0001 // "trustg" + 1

// lastRunKey is the server_configs row holding when pruning last finished.
const lastRunKey = "retention_last_run"

// Defaults of a Pruner's zero fields.
const (
	DefaultInterval  = time.Hour
	DefaultDelay     = time.Minute
	DefaultBatchSize = 5000
)

// Pruner deletes sign-in events older than their application's retention.
type Pruner struct {
	DB  *database.DB
	Now func() time.Time
	Log *slog.Logger
	// Interval is how often pruning runs across all replicas (DefaultInterval).
	Interval time.Duration
	// Delay is how long Run waits after start-up before the first pass
	// (DefaultDelay), so a fleet restart does not prune at once everywhere.
	Delay time.Duration
	// BatchSize is how many events one transaction deletes (DefaultBatchSize),
	// so pruning never holds long locks or a long transaction.
	BatchSize int
}

// Result is what one pass did.
type Result struct {
	// Skipped reports that another replica holds the lock or finished a pass
	// less than half an interval ago; nothing was deleted.
	Skipped bool
	// Deleted counts the events deleted per application id.
	Deleted map[string]int
}

// Total is the number of events the pass deleted.
func (r Result) Total() int {
	n := 0
	for _, d := range r.Deleted {
		n += d
	}
	return n
}

func (p *Pruner) interval() time.Duration {
	if p.Interval > 0 {
		return p.Interval
	}
	return DefaultInterval
}

// Run prunes after Delay and then every Interval until ctx ends.
func (p *Pruner) Run(ctx context.Context) {
	delay := p.Delay
	if delay <= 0 {
		delay = DefaultDelay
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := p.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			p.Log.ErrorContext(ctx, "pruning sign-in events", "error", err)
		case err == nil && res.Total() > 0:
			p.Log.InfoContext(ctx, "pruned sign-in events past retention", "deleted", res.Total(), "applications", len(res.Deleted))
		}
		t.Reset(p.interval())
	}
}

// RunOnce runs one pass unless another replica is running one or finished
// one less than half an interval ago.
func (p *Pruner) RunOnce(ctx context.Context) (Result, error) {
	if p.DB.IsPostgres() {
		unlock, ok, err := p.lock(ctx)
		if err != nil || !ok {
			return Result{Skipped: true}, err
		}
		defer unlock()
	}
	now := p.Now()
	if last, ok, err := p.lastRun(ctx); err != nil {
		return Result{}, err
	} else if ok && now.Sub(last) < p.interval()/2 && !now.Before(last) {
		return Result{Skipped: true}, nil
	}
	res, err := p.prune(ctx, now)
	if err != nil {
		return res, err
	}
	err = p.DB.Ent.ServerConfig.Create().SetID(lastRunKey).SetValue(now.UTC().Format(time.RFC3339Nano)).
		OnConflictColumns(serverconfig.FieldID).UpdateNewValues().Exec(ctx)
	return res, err
}

// lock takes the session-level advisory lock on a connection of its own,
// without waiting; unlock releases it and returns the connection.
func (p *Pruner) lock(ctx context.Context) (unlock func(), ok bool, err error) {
	conn, err := p.DB.SQL.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("retention: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", LockKey).Scan(&ok); err != nil || !ok {
		conn.Close()
		if err != nil {
			err = fmt.Errorf("retention: taking the advisory lock: %w", err)
		}
		return nil, false, err
	}
	return func() {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", LockKey)
		if err != nil {
			// A pooled connection must never keep the lock: drop it instead.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, true, nil
}

func (p *Pruner) lastRun(ctx context.Context) (time.Time, bool, error) {
	row, err := p.DB.Ent.ServerConfig.Get(ctx, lastRunKey)
	if ent.IsNotFound(err) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("retention: reading the last run: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, row.Value)
	return t, err == nil, nil
}

// prune deletes, application by application, the events older than now
// minus the application's eventRetentionDays, a batch per transaction.
func (p *Pruner) prune(ctx context.Context, now time.Time) (Result, error) {
	res := Result{Deleted: map[string]int{}}
	apps, err := p.DB.Ent.Application.Query().All(ctx)
	if err != nil {
		return res, fmt.Errorf("retention: listing applications: %w", err)
	}
	batch := p.BatchSize
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	var errs []error
	// A password reset's new password staged on a sign-in that expired
	// before completing is of no more use. An hour's margin keeps this
	// replica's clock from racing another's completion; the partial index
	// signin_expire_at_staged_password holds just these rows.
	if err := p.DB.Tx(ctx, func(tx *ent.Tx) error {
		return tx.SignIn.Update().
			Where(signin.NewPasswordHashNotNil(), signin.ExpireAtLT(now.Add(-time.Hour))).
			ClearNewPasswordHash().Exec(ctx)
	}); err != nil {
		errs = append(errs, fmt.Errorf("retention: clearing expired sign-ins' staged passwords: %w", err))
	}
	for _, app := range apps {
		set, err := settings.Effective(app.CreatedAt, app.Updates, app.Settings)
		if err != nil {
			errs = append(errs, fmt.Errorf("retention: settings of %s: %w", app.ID, err))
			continue
		}
		cutoff := now.Add(-time.Duration(set.EventRetentionDays) * 24 * time.Hour)
		for {
			var n int
			err := p.DB.Tx(ctx, func(tx *ent.Tx) error {
				ids, err := tx.SignInEvent.Query().
					Where(signinevent.ApplicationID(app.ID), signinevent.AtLT(cutoff)).
					Limit(batch).IDs(ctx)
				if err != nil || len(ids) == 0 {
					n = 0
					return err
				}
				n, err = tx.SignInEvent.Delete().Where(signinevent.IDIn(ids...)).Exec(ctx)
				return err
			})
			if err != nil {
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				errs = append(errs, fmt.Errorf("retention: pruning %s: %w", app.ID, err))
				break
			}
			if n > 0 {
				res.Deleted[app.ID] += n
			}
			if n < batch {
				break
			}
		}
	}
	return res, errors.Join(errs...)
}
