// Package ratelimit counts requests in fixed windows stored in the database,
// so every replica shares one budget per key and the count is exact under
// concurrency: each hit is a single atomic upsert that returns the new count.
// A bucket's key carries its window number, so no time is compared in SQL;
// expired buckets are pruned in the background.
//
// The first refusal of a window is recorded as a rate_limited sign-in event
// right after the count that made it, so the sign-in history shows a flood
// (which IP, which account) without one extra row per refused request.
package ratelimit

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/ratelimitbucket"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/settings"
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
	// Events records the first refusal of each window (optional).
	Events *audit.Recorder

	refused *prometheus.CounterVec
}

// New returns a limiter whose refusals are counted in the metric
// trustgate_rate_limited_total (the Limiter is its prometheus.Collector).
func New(db *database.DB, now func() time.Time, keys *keyring.Keyring, events *audit.Recorder) *Limiter {
	return &Limiter{DB: db, Now: now, Keys: keys, Events: events, refused: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trustgate_rate_limited_total", Help: "Requests refused by a rate limit, by rule.",
	}, []string{"rule"})}
}

// Describe implements prometheus.Collector.
func (l *Limiter) Describe(ch chan<- *prometheus.Desc) { l.refused.Describe(ch) }

// Collect implements prometheus.Collector.
func (l *Limiter) Collect(ch chan<- prometheus.Metric) { l.refused.Collect(ch) }

// Spend is one hit to count: the rule, the subject counted under it (an
// application-scoped IP or identifier), and the sign-in event recorded when
// this hit is the window's first refusal. The event's kind, outcome and
// reason are set by Allow.
type Spend struct {
	Rule    Rule
	Subject string
	Event   audit.SignInEvent
}

// Allow counts one hit and returns nil while the subject is within budget.
// Otherwise it returns too_many_requests with meta.retryAfterSeconds, and
// sets the request's Retry-After header.
func (l *Limiter) Allow(ctx context.Context, sp Spend) error {
	d, err := l.Hit(ctx, sp.Rule, sp.Subject)
	if err != nil {
		return err
	}
	if d.Allowed {
		return nil
	}
	if err := l.refusal(sp, d, func(e audit.SignInEvent) error { return l.recordFirstRefusal(ctx, e) }); err != nil {
		return err
	}
	secs := d.RetryAfterSeconds()
	request.From(ctx).SetRetryAfter(secs)
	return apierr.New(apierr.TooManyRequests).WithMeta("retryAfterSeconds", secs)
}

// AllowIdentifier spends one hit of the per-identifier budget of the
// application with settings set: it stops many IPs guessing one account, and
// signInCreate and signUpCreate share it. e names the application, the
// normalised identifier counted and what the window's first refusal records.
func (l *Limiter) AllowIdentifier(ctx context.Context, set *settings.Settings, e audit.SignInEvent) error {
	return l.allowIdentifier(ctx, set, e, e.ApplicationID+":"+e.Identifier)
}

// AllowTrustedIdentifier is AllowIdentifier for a sign-in from a client the
// account already trusts, from a budget of its own of the same size. Its
// own, so that an attacker spending the account's budget from new devices
// cannot lock the owner out of their own device (ASVS 6.1.1: no malicious
// lockout by design); a budget all the same, since such a sign-in hashes in
// the pool's priority lane: an account's trusted devices (an attacker's own
// account among them, its password right and its second factor left
// unanswered, which counts toward no lockout) may not fill that lane without
// bound and starve everyone else's trusted devices.
func (l *Limiter) AllowTrustedIdentifier(ctx context.Context, set *settings.Settings, e audit.SignInEvent) error {
	return l.allowIdentifier(ctx, set, e, e.ApplicationID+":trusted:"+e.Identifier)
}

// allowIdentifier spends one hit of a per-identifier budget counted under subject.
func (l *Limiter) allowIdentifier(ctx context.Context, set *settings.Settings, e audit.SignInEvent, subject string) error {
	rule := Rule{Name: "identifier", Limit: set.RateLimitIdentifierPerMinute, Window: time.Minute}
	return l.Allow(ctx, Spend{Rule: rule, Subject: subject, Event: e})
}

// AllowRecipient spends one message of the request's application's
// per-recipient budget for to, a normalised email address or phone number:
// the codes and notices one recipient may get in an hour, however many IPs
// and sign-ins ask. It bounds mail bombing and SMS pumping, which the per-IP
// budgets cannot when the requests come from many addresses. Outside an
// application's request it spends nothing.
func (l *Limiter) AllowRecipient(ctx context.Context, to string) error {
	sp, ok := recipientSpend(ctx, to)
	if !ok {
		return nil
	}
	return l.Allow(ctx, sp)
}

// SpendRecipientTx is AllowRecipient inside tx, for a message that is
// skipped, not refused, over budget (the new-device notice): it reports
// whether the message may go, and the count commits or rolls back with tx
// (SpendTx).
func (l *Limiter) SpendRecipientTx(ctx context.Context, tx *ent.Tx, to string) (bool, error) {
	sp, ok := recipientSpend(ctx, to)
	if !ok {
		return true, nil
	}
	return l.SpendTx(ctx, tx, sp)
}

// recipientSpend is the hit of the request's application's per-recipient
// budget for to; false outside an application's request.
func recipientSpend(ctx context.Context, to string) (Spend, bool) {
	rq := request.From(ctx)
	if rq.App == nil {
		return Spend{}, false
	}
	rule := Rule{Name: "recipient", Limit: rq.Settings.RateLimitMessagesPerRecipientPerHour, Window: time.Hour}
	e := audit.SignInEvent{ApplicationID: rq.App.ID, Identifier: to}
	return Spend{Rule: rule, Subject: e.ApplicationID + ":to:" + to, Event: e}, true
}

// SpendTx counts one hit of sp inside tx, the caller's write transaction,
// and reports whether it was within budget; the count commits or rolls back
// with the step that spends it, and costs that step one statement rather
// than a write of its own. Over budget, the window's first refusal is
// recorded in tx too. Unlike Allow it answers no error and sets no
// Retry-After: it is for spends that only skip something, never refuse the
// request.
func (l *Limiter) SpendTx(ctx context.Context, tx *ent.Tx, sp Spend) (bool, error) {
	if sp.Rule.Limit <= 0 {
		return true, nil
	}
	q, args, end, now := l.bucket(sp.Rule, sp.Subject)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("ratelimit: counting %s: %w", sp.Rule.Name, err)
	}
	var count int
	if rows.Next() {
		err = rows.Scan(&count)
	} else {
		err = rows.Err()
	}
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("ratelimit: counting %s: %w", sp.Rule.Name, err)
	}
	d := decide(sp.Rule, count, end, now)
	if d.Allowed {
		return true, nil
	}
	return false, l.refusal(sp, d, func(e audit.SignInEvent) error { return l.Events.Record(ctx, tx, e) })
}

// refusal accounts for a hit of sp that d refused: the window's first
// refusal is recorded through record as a rate_limited event (when the
// limiter has Events), and the refusal is counted in the metric.
func (l *Limiter) refusal(sp Spend, d Decision, record func(audit.SignInEvent) error) error {
	if d.Count == sp.Rule.Limit+1 && l.Events != nil {
		e := sp.Event
		e.Kind, e.Outcome, e.Reason = audit.KindRateLimited, audit.Failure, sp.Rule.Name
		if err := record(e); err != nil {
			return fmt.Errorf("ratelimit: recording the first refusal of %s: %w", sp.Rule.Name, err)
		}
	}
	if l.refused != nil {
		l.refused.WithLabelValues(sp.Rule.Name).Inc()
	}
	return nil
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

// recordTimeout bounds how long recording a window's first refusal may wait
// (on SQLite, for its turn among the writers) once its request is gone.
const recordTimeout = 10 * time.Second

// recordFirstRefusal writes e, the rate_limited event of a window. Exactly
// one hit per window is the first over the limit, so the event is written
// once, right after the count that made it, and not given up when the client
// hangs up: a flood whose requests are dropped the moment they are counted
// must still show in the history.
func (l *Limiter) recordFirstRefusal(ctx context.Context, e audit.SignInEvent) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	return l.DB.Tx(ctx, func(tx *ent.Tx) error { return l.Events.Record(ctx, tx, e) })
}

// Hit counts one request of subject against rule and reports whether it is within budget.
func (l *Limiter) Hit(ctx context.Context, rule Rule, subject string) (Decision, error) {
	if rule.Limit <= 0 {
		return Decision{Allowed: true}, nil
	}
	q, args, end, now := l.bucket(rule, subject)
	// One statement on its own, atomic without a transaction: on SQLite it
	// waits its turn among the writers instead of racing a transaction for the
	// file lock; on PostgreSQL it is a single round trip.
	var count int
	err := l.DB.Write(ctx, func(db *sql.DB) error {
		return db.QueryRowContext(ctx, q, args...).Scan(&count)
	})
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: counting %s: %w", rule.Name, err)
	}
	return decide(rule, count, end, now), nil
}

// bucket is the upsert that counts one hit of subject under rule in the
// current window, with its arguments, the window's end and the time read.
func (l *Limiter) bucket(rule Rule, subject string) (q string, args []any, end, now time.Time) {
	now = l.Now().UTC()
	w := rule.Window.Nanoseconds()
	n := now.UnixNano() / w
	start := time.Unix(0, n*w).UTC()
	end = start.Add(rule.Window)
	digest := l.Keys.MAC(keyring.PurposeToken, []byte("rate-limit:"+subject))
	key := rule.Name + ":" + hex.EncodeToString(digest[:16]) + ":" + strconv.FormatInt(n, 36)
	q = `INSERT INTO rate_limit_buckets (key, window_start, count, expires_at) VALUES ($1, $2, 1, $3)
ON CONFLICT (key) DO UPDATE SET count = rate_limit_buckets.count + 1 RETURNING count`
	if l.DB.Dialect == dialect.SQLite {
		q = `INSERT INTO rate_limit_buckets (key, window_start, count, expires_at) VALUES (?, ?, 1, ?)
ON CONFLICT (key) DO UPDATE SET count = rate_limit_buckets.count + 1 RETURNING count`
	}
	return q, []any{key, start, end}, end, now
}

// decide is the decision on the count's hit in a window ending at end.
func decide(rule Rule, count int, end, now time.Time) Decision {
	d := Decision{Allowed: count <= rule.Limit, Count: count}
	if !d.Allowed {
		d.RetryAfter = end.Sub(now)
	}
	return d
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
