// Package ratelimit counts requests in fixed windows stored in the database,
// so every replica shares one budget per key and the count is exact under
// concurrency: each hit is a single atomic upsert that returns the new count.
// A bucket's key carries its window number, so no time is compared in SQL;
// expired buckets are pruned in the background.
package ratelimit

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"entgo.io/ent/dialect"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/ratelimitbucket"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/keyring"
)

// Rule is a budget: at most Limit hits per Window for one subject.
type Rule struct {
	Name   string
	Limit  int
	Window time.Duration
}

// Limiter checks rules against database counters.
type Limiter struct {
	DB  *database.DB
	Now func() time.Time
	// Keys keys the digest under which a subject is counted: buckets hold
	// no IP address or identifier in clear, and every key has one length.
	Keys *keyring.Keyring
}

// Decision is the outcome of one hit.
type Decision struct {
	Allowed bool
	// Count is the number of hits in the current window, this one included.
	Count int
	// RetryAfter is how long until the window ends (when not allowed).
	RetryAfter time.Duration
}

// RetryAfterSeconds rounds RetryAfter up to whole seconds, at least 1.
func (d Decision) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(d.RetryAfter.Seconds())))
}

// Hit counts one request of subject against rule and reports whether it is within budget.
func (l *Limiter) Hit(ctx context.Context, rule Rule, subject string) (Decision, error) {
	if rule.Limit <= 0 {
		return Decision{Allowed: true}, nil
	}
	now := l.Now().UTC()
	w := rule.Window.Nanoseconds()
	n := now.UnixNano() / w
	start := time.Unix(0, n*w).UTC()
	end := start.Add(rule.Window)
	digest := l.Keys.MAC(keyring.PurposeToken, []byte("rate-limit:"+subject))
	key := rule.Name + ":" + hex.EncodeToString(digest[:16]) + ":" + strconv.FormatInt(n, 36)
	q := `INSERT INTO rate_limit_buckets (key, window_start, count, expires_at) VALUES ($1, $2, 1, $3)
ON CONFLICT (key) DO UPDATE SET count = rate_limit_buckets.count + 1 RETURNING count`
	if l.DB.Dialect == dialect.SQLite {
		q = `INSERT INTO rate_limit_buckets (key, window_start, count, expires_at) VALUES (?, ?, 1, ?)
ON CONFLICT (key) DO UPDATE SET count = rate_limit_buckets.count + 1 RETURNING count`
	}
	// Through Tx, so that on SQLite the write waits its turn in the process's
	// write queue instead of racing other writers for the file lock.
	var count int
	err := l.DB.Tx(ctx, func(tx *ent.Tx) error {
		rows, err := tx.QueryContext(ctx, q, key, start, end)
		if err != nil {
			return err
		}
		defer rows.Close()
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return fmt.Errorf("no count returned")
		}
		return rows.Scan(&count)
	})
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: counting %s: %w", rule.Name, err)
	}
	d := Decision{Allowed: count <= rule.Limit, Count: count}
	if !d.Allowed {
		d.RetryAfter = end.Sub(now)
	}
	return d, nil
}

// Prune deletes buckets whose window has ended.
func (l *Limiter) Prune(ctx context.Context) (int, error) {
	var n int
	err := l.DB.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		n, err = tx.RateLimitBucket.Delete().Where(ratelimitbucket.ExpiresAtLT(l.Now().UTC().Add(-time.Minute))).Exec(ctx)
		return err
	})
	return n, err
}
