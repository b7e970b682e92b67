package retention

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/device"
	"github.com/trustgate/trustgate/ent/identifierlockout"
	"github.com/trustgate/trustgate/ent/outboxmessage"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/ent/sessionverification"
	"github.com/trustgate/trustgate/ent/signin"
	"github.com/trustgate/trustgate/ent/signinevent"
	"github.com/trustgate/trustgate/ent/signup"
	entverification "github.com/trustgate/trustgate/ent/verification"
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

// How long expired state is kept before a pass deletes it.
const (
	// FlowGrace is how long a sign-in or sign-up is kept after it expired,
	// with the verifications it points to, and how long a code that was
	// never verified is kept after it expired: a day, for support to look a
	// flow up and for replicas' clocks to disagree. No step can act on
	// either by then.
	FlowGrace = 24 * time.Hour
	// ClientIdle is how long a client that holds no session (of any status)
	// and no trust is kept unused.
	ClientIdle = 30 * 24 * time.Hour
	// OutboxAge is how long the outbox keeps a message.
	OutboxAge = 7 * 24 * time.Hour
	// CounterIdle is how long the lockout counter of an identifier that
	// names no account is kept after its last failure, unless it is locked.
	CounterIdle = 30 * 24 * time.Hour
)

// Result is what one pass did.
type Result struct {
	// Skipped reports that another replica holds the lock or finished a pass
	// less than half an interval ago; nothing was deleted.
	Skipped bool
	// Deleted counts the events deleted per application id.
	Deleted map[string]int
	// Expired counts the rows of expired state deleted per table:
	// sign_ins, sign_ups, session_verifications, verifications (the codes
	// deleted on their own, not those deleted with their flow), clients,
	// outbox_messages and identifier_lockouts.
	Expired map[string]int
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
		if len(res.Expired) > 0 {
			args := make([]any, 0, 2*len(res.Expired))
			for _, table := range slices.Sorted(maps.Keys(res.Expired)) {
				args = append(args, table, res.Expired[table])
			}
			p.Log.InfoContext(ctx, "deleted expired state", args...)
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
	return res, database.SetConfigValue(ctx, p.DB.Ent.ServerConfig, lastRunKey, now.UTC().Format(time.RFC3339Nano))
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
	value, ok, err := database.ConfigValue(ctx, p.DB.Ent.ServerConfig, lastRunKey)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	return t, err == nil, nil
}

// prune deletes, application by application, the events older than now
// minus the application's eventRetentionDays, and the expired state of
// sign-ins (expired), a batch per transaction.
func (p *Pruner) prune(ctx context.Context, now time.Time) (Result, error) {
	res := Result{Deleted: map[string]int{}, Expired: map[string]int{}}
	apps, err := p.DB.Ent.Application.Query().All(ctx)
	if err != nil {
		return res, fmt.Errorf("retention: listing applications: %w", err)
	}
	var errs []error
	// A password reset's new password staged on a sign-in that expired
	// before completing is of no more use. An hour's margin keeps this
	// replica's clock from racing another's completion; the partial index
	// signin_expire_at_staged_password holds just these rows. The sign-in
	// itself goes a day later (expired).
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
		n, err := p.drain(ctx, func(tx *ent.Tx, limit int) (int, error) {
			ids, err := tx.SignInEvent.Query().
				Where(signinevent.ApplicationID(app.ID), signinevent.AtLT(cutoff)).
				Limit(limit).IDs(ctx)
			if err != nil || len(ids) == 0 {
				return 0, err
			}
			return tx.SignInEvent.Delete().Where(signinevent.IDIn(ids...)).Exec(ctx)
		})
		if n > 0 {
			res.Deleted[app.ID] += n
		}
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("retention: pruning %s: %w", app.ID, err))
		}
	}
	for _, sw := range p.sweeps(ctx, now, apps) {
		n, err := sw.run()
		if n > 0 {
			res.Expired[sw.table] += n
		}
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("retention: deleting expired %s: %w", sw.table, err))
		}
	}
	return res, errors.Join(errs...)
}

// limit is the batch size.
func (p *Pruner) limit() int {
	if p.BatchSize > 0 {
		return p.BatchSize
	}
	return DefaultBatchSize
}

// drain runs batch, one write transaction at a time, until it deletes fewer
// rows than the batch size, and returns how many it deleted. It suits rows
// that all go once found: every batch starts over from the first.
func (p *Pruner) drain(ctx context.Context, batch func(tx *ent.Tx, limit int) (int, error)) (int, error) {
	total := 0
	for {
		var n int
		err := p.DB.Tx(ctx, func(tx *ent.Tx) error {
			var err error
			n, err = batch(tx, p.limit())
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < p.limit() {
			return total, nil
		}
	}
}

// A cursor is where walk's last page ended, in its index's order.
type cursor struct {
	at time.Time
	id string
}

// walk deletes what page finds, for sweeps that keep some of the rows
// their index range holds. page reads up to limit candidates after the
// cursor (nil for the first page), outside any write transaction, and
// returns their ids and where it stopped; del deletes, in a write
// transaction, those of ids that still qualify. The cursor moves past the
// rows kept, so each is read once a pass instead of by every batch, and on
// SQLite no read holds the write lock. It returns how many rows del deleted.
func (p *Pruner) walk(ctx context.Context, page func(after *cursor, limit int) ([]string, *cursor, error), del func(tx *ent.Tx, ids []string) (int, error)) (int, error) {
	total := 0
	var after *cursor
	for {
		ids, next, err := page(after, p.limit())
		if err != nil || len(ids) == 0 {
			return total, err
		}
		var n int
		if err := p.DB.Tx(ctx, func(tx *ent.Tx) error {
			n, err = del(tx, ids)
			return err
		}); err != nil {
			return total, err
		}
		total += n
		if len(ids) < p.limit() {
			return total, nil
		}
		after = next
	}
}

// A sweep deletes a table's expired rows and returns how many went.
type sweep struct {
	table string
	run   func() (int, error)
}

// sweeps are the deletions of expired state a pass makes after the events:
// what sign-ins, sign-ups and codes leave behind once over, and the clients
// that credential stuffing leaves by the million (one per attempt without a
// cookie), so that an attack does not grow the database for ever. Their
// history stays in the sign-in events.
func (p *Pruner) sweeps(ctx context.Context, now time.Time, apps []*ent.Application) []sweep {
	over := now.Add(-FlowGrace)
	out := []sweep{
		p.flowSweep(ctx, "sign_ins", func(tx *ent.Tx, limit int) ([]string, []string, error) {
			sis, err := tx.SignIn.Query().Where(signin.ExpireAtLT(over)).Limit(limit).
				Select(signin.FieldID, signin.FieldFirstFactorVerificationID, signin.FieldSecondFactorVerificationID).All(ctx)
			var ids, codes []string
			for _, si := range sis {
				ids = append(ids, si.ID)
				codes = appendSet(codes, si.FirstFactorVerificationID, si.SecondFactorVerificationID)
			}
			return ids, codes, err
		}, func(tx *ent.Tx, ids []string) (int, error) {
			return tx.SignIn.Delete().Where(signin.IDIn(ids...)).Exec(ctx)
		}),
		p.flowSweep(ctx, "sign_ups", func(tx *ent.Tx, limit int) ([]string, []string, error) {
			sus, err := tx.SignUp.Query().Where(signup.ExpireAtLT(over)).Limit(limit).
				Select(signup.FieldID, signup.FieldEmailVerificationID, signup.FieldPhoneVerificationID).All(ctx)
			var ids, codes []string
			for _, su := range sus {
				ids = append(ids, su.ID)
				codes = appendSet(codes, su.EmailVerificationID, su.PhoneVerificationID)
			}
			return ids, codes, err
		}, func(tx *ent.Tx, ids []string) (int, error) {
			return tx.SignUp.Delete().Where(signup.IDIn(ids...)).Exec(ctx)
		}),
		p.flowSweep(ctx, "session_verifications", func(tx *ent.Tx, limit int) ([]string, []string, error) {
			svs, err := tx.SessionVerification.Query().Where(sessionverification.ExpireAtLT(over)).Limit(limit).
				Select(sessionverification.FieldID, sessionverification.FieldCodeVerificationID).All(ctx)
			var ids, codes []string
			for _, sv := range svs {
				ids = append(ids, sv.ID)
				codes = appendSet(codes, sv.CodeVerificationID)
			}
			return ids, codes, err
		}, func(tx *ent.Tx, ids []string) (int, error) {
			return tx.SessionVerification.Delete().Where(sessionverification.IDIn(ids...)).Exec(ctx)
		}),
		// Codes no flow will accept any more: never verified and expired a
		// day ago. A verified one proves a sign-up's address or a reset's
		// code for as long as its flow lives, and goes with the flow; one
		// that proved a phone number stays with it.
		{"verifications", func() (int, error) {
			stale := entverification.And(entverification.ExpireAtLT(over), entverification.StatusNEQ(entverification.StatusVerified))
			return p.walk(ctx, func(after *cursor, limit int) ([]string, *cursor, error) {
				q := p.DB.Ent.Verification.Query().Where(stale)
				if after != nil {
					q.Where(entverification.Or(entverification.ExpireAtGT(after.at),
						entverification.And(entverification.ExpireAtEQ(after.at), entverification.IDGT(after.id))))
				}
				vs, err := q.Order(ent.Asc(entverification.FieldExpireAt), ent.Asc(entverification.FieldID)).Limit(limit).
					Select(entverification.FieldID, entverification.FieldExpireAt).All(ctx)
				if err != nil || len(vs) == 0 {
					return nil, nil, err
				}
				last := vs[len(vs)-1]
				return ids(vs, func(v *ent.Verification) string { return v.ID }), &cursor{*last.ExpireAt, last.ID}, nil
			}, func(tx *ent.Tx, ids []string) (int, error) {
				return tx.Verification.Delete().Where(entverification.IDIn(ids...), stale).Exec(ctx)
			})
		}},
	}
	// Lockout counters of identifiers that name no account, idle for
	// CounterIdle and not locked (a lock an admin would lift on an account
	// stays, as it would there).
	forgotten := identifierlockout.And(identifierlockout.UpdatedAtLT(now.Add(-CounterIdle)),
		identifierlockout.Or(identifierlockout.LockedAtIsNil(),
			identifierlockout.And(identifierlockout.LockoutExpiresAtNotNil(), identifierlockout.LockoutExpiresAtLT(now))))
	out = append(out, p.batchSweep(ctx, "identifier_lockouts", func(tx *ent.Tx, limit int) ([]string, error) {
		return tx.IdentifierLockout.Query().Where(forgotten).Limit(limit).IDs(ctx)
	}, func(tx *ent.Tx, ids []string) (int, error) {
		return tx.IdentifierLockout.Delete().Where(identifierlockout.IDIn(ids...), forgotten).Exec(ctx)
	}))
	idle, old := now.Add(-ClientIdle), now.Add(-OutboxAge)
	for _, app := range apps {
		// A client nobody signed in on (no session of any status) and no
		// user trusts, unused for ClientIdle: every flow it held has
		// expired, and a browser that comes back simply gets a new one
		// (device.Resolve also when this runs between its read and its
		// touch of the client). Every client is created active.
		unused := device.And(device.ApplicationID(app.ID), device.LastActiveAtLT(idle),
			device.Not(device.HasSessions()), device.Not(device.HasTrusts()))
		out = append(out, sweep{"clients", func() (int, error) {
			return p.walk(ctx, func(after *cursor, limit int) ([]string, *cursor, error) {
				q := p.DB.Ent.Device.Query().Where(unused)
				if after != nil {
					q.Where(device.Or(device.LastActiveAtGT(after.at), device.And(device.LastActiveAtEQ(after.at), device.IDGT(after.id))))
				}
				ds, err := q.Order(ent.Asc(device.FieldLastActiveAt), ent.Asc(device.FieldID)).Limit(limit).
					Select(device.FieldID, device.FieldLastActiveAt).All(ctx)
				if err != nil || len(ds) == 0 {
					return nil, nil, err
				}
				last := ds[len(ds)-1]
				return ids(ds, func(d *ent.Device) string { return d.ID }), &cursor{*last.LastActiveAt, last.ID}, nil
			}, func(tx *ent.Tx, ids []string) (int, error) {
				return tx.Device.Delete().Where(device.IDIn(ids...), unused).Exec(ctx)
			})
		}})
		out = append(out, p.outboxSweep(ctx, outboxmessage.ApplicationID(app.ID), old))
	}
	return append(out, p.outboxSweep(ctx, outboxmessage.ApplicationIDIsNil(), old))
}

// outboxSweep deletes the outbox messages of scope older than before.
func (p *Pruner) outboxSweep(ctx context.Context, scope predicate.OutboxMessage, before time.Time) sweep {
	return p.batchSweep(ctx, "outbox_messages", func(tx *ent.Tx, limit int) ([]string, error) {
		return tx.OutboxMessage.Query().Where(scope, outboxmessage.CreatedAtLT(before)).Limit(limit).IDs(ctx)
	}, func(tx *ent.Tx, ids []string) (int, error) {
		return tx.OutboxMessage.Delete().Where(outboxmessage.IDIn(ids...)).Exec(ctx)
	})
}

// batchSweep deletes from table, a batch per transaction, the rows pick
// finds, until it finds none.
func (p *Pruner) batchSweep(ctx context.Context, table string, pick func(tx *ent.Tx, limit int) ([]string, error), del func(tx *ent.Tx, ids []string) (int, error)) sweep {
	return sweep{table, func() (int, error) {
		return p.drain(ctx, func(tx *ent.Tx, limit int) (int, error) {
			ids, err := pick(tx, limit)
			if err != nil || len(ids) == 0 {
				return 0, err
			}
			return del(tx, ids)
		})
	}}
}

// ids maps rows to their ids.
func ids[T any](rows []T, id func(T) string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = id(r)
	}
	return out
}

// appendSet appends the ids that are set.
func appendSet(to []string, ids ...*string) []string {
	for _, id := range ids {
		if id != nil {
			to = append(to, *id)
		}
	}
	return to
}

// flowSweep deletes expired flows (sign-ins or sign-ups), a batch per
// transaction: read finds up to limit of them, with the verifications they
// point to, and del deletes the flows; then the verifications go, whatever
// their state (a password's verification has no expiry, a verified code
// proved the flow's address). An expired flow never comes back to life, so
// the flows read are the flows deleted.
func (p *Pruner) flowSweep(ctx context.Context, table string, read func(tx *ent.Tx, limit int) (ids, codes []string, err error), del func(tx *ent.Tx, ids []string) (int, error)) sweep {
	return sweep{table, func() (int, error) {
		return p.drain(ctx, func(tx *ent.Tx, limit int) (int, error) {
			ids, codes, err := read(tx, limit)
			if err != nil || len(ids) == 0 {
				return 0, err
			}
			n, err := del(tx, ids)
			if err != nil || len(codes) == 0 {
				return n, err
			}
			_, err = tx.Verification.Delete().Where(entverification.IDIn(codes...)).Exec(ctx)
			return n, err
		})
	}}
}
