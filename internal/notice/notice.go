// Package notice sends the emails that tell a user what happened to their
// account, as opposed to the codes they asked for: the sign-in from a new
// device and the security notices (a password, second factor, backup codes
// or primary address changed). A notice is part of the change it tells of
// but never a condition of it: it spends the address's message budget and
// is written in the change's transaction, to the dev outbox or, for any
// other sender, as a PendingNotice. That row is sent in the background (an
// SMTP server can take seconds: no response waits for it) once the
// transaction has committed and its caller has let go of it (on SQLite, of
// the write slot), and deleted once delivered. A delivery that fails, or a
// process that stopped before delivering, leaves the row to the retry
// worker that every replica runs (Notifier.RetryDue, every RetryEvery): it
// tries again with a growing backoff and gives up after MaxAge. A budget
// spent skips the notice (logged), and the change stands either way.
//
// Delivery is at least once: a process that stops between handing a
// message to the mail server and deleting its row sends it again after the
// lease.
package notice

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/pendingnotice"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/device"
	"github.com/trustgate/trustgate/internal/ratelimit"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/settings"
)

const (
	// Lease is how long a worker holds a notice it took, and the change
	// that wrote it holds it from its Send: longer than one delivery attempt
	// (attemptTimeout), so no two replicas send it at once.
	Lease = 2 * time.Minute
	// FirstRetry is the wait after the first failed delivery; each further
	// failure doubles it, up to MaxRetry.
	FirstRetry = time.Minute
	// MaxRetry bounds the wait between two attempts.
	MaxRetry = time.Hour
	// MaxAge is how long a notice is retried: one still undelivered a day
	// after the change is stale news, and is dropped (logged as an error).
	MaxAge = 24 * time.Hour
	// RetryEvery is how often serve looks for notices due again (RetryDue).
	RetryEvery = 30 * time.Second
	// retryBatch is how many due notices one round takes.
	retryBatch = 20
	// attemptTimeout bounds one delivery attempt whatever the sender's
	// own timeout (delivery.DefaultTimeout for SMTP), well within Lease.
	attemptTimeout = Lease / 2
	// MaxSending bounds the first attempts under way at once in a process:
	// beyond it (a wave of new-device sign-ins), a notice is left to the
	// retry worker, which takes it once the lease its change gave it ends.
	MaxSending = 16
)

// Notifier sends notices.
type Notifier struct {
	DB     *database.DB
	Sender delivery.Sender
	// Limiter holds the per-recipient message budget a notice spends, as a
	// code does, so that repeated changes (or sign-ins from fresh clients)
	// cannot flood an inbox; nil spends none.
	Limiter *ratelimit.Limiter
	Log     *slog.Logger
	Now     func() time.Time

	attempts *prometheus.CounterVec // by outcome; see NewNotifier
	sending  chan struct{}          // one per first attempt under way, MaxSending at most
	mu       sync.Mutex
	idle     *sync.Cond // signalled when the last first attempt under way ends
	inFlight int
}

// NewNotifier returns a Notifier whose deliveries /metrics counts, as
// trustgate_notice_deliveries_total{outcome="sent|failed|rejected|abandoned"}.
func NewNotifier(db *database.DB, sender delivery.Sender, limiter *ratelimit.Limiter, log *slog.Logger, now func() time.Time) *Notifier {
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trustgate_notice_deliveries_total",
		Help: "Attempts to deliver a notice (new-device sign-in, security change) after its change committed, by outcome: sent, failed (retried later), rejected (the mail server refused the recipient for good: dropped) or abandoned (still undelivered a day after the change: dropped).",
	}, []string{"outcome"})
	for _, outcome := range []string{"sent", "failed", "rejected", "abandoned"} {
		attempts.WithLabelValues(outcome) // at 0 from the start, for alerts on their rate
	}
	n := &Notifier{DB: db, Sender: sender, Limiter: limiter, Log: log, Now: now, attempts: attempts,
		sending: make(chan struct{}, MaxSending)}
	n.idle = sync.NewCond(&n.mu)
	return n
}

// Describe implements prometheus.Collector.
func (n *Notifier) Describe(ch chan<- *prometheus.Desc) { n.attempts.Describe(ch) }

// Collect implements prometheus.Collector.
func (n *Notifier) Collect(ch chan<- prometheus.Metric) { n.attempts.Collect(ch) }

func (n *Notifier) count(outcome string) { n.attempts.WithLabelValues(outcome).Inc() }

// Send sends msg as part of tx; what and userID name it in the log (never
// the message, which names the address). It returns what is left to do once
// tx has committed and the caller's DB.Tx has returned (to start the first
// delivery attempt, in the background; nil when nothing is), which the
// caller must run then and only then. Only an error of tx itself (the
// budget's or the row's statement) is returned: the caller's transaction
// cannot go on after one.
func (n *Notifier) Send(ctx context.Context, tx *ent.Tx, msg delivery.Message, what, userID string) (after func(), err error) {
	if n.Limiter != nil {
		ok, err := n.Limiter.SpendRecipientTx(ctx, tx, msg.To)
		if err != nil {
			return nil, err
		}
		if !ok {
			n.Log.InfoContext(ctx, what+" not sent: the address's message budget is spent", "user_id", userID)
			return nil, nil
		}
	}
	done, err := delivery.SendTx(ctx, n.Sender, tx, msg)
	if errors.Is(err, delivery.ErrDeliveryFailed) {
		// Outside dev mode the outbox stands for an SMTP server nobody
		// configured: the notice reached no one, but the change stands.
		n.Log.WarnContext(ctx, what+" not sent", "user_id", userID, "error", err)
		return nil, nil
	}
	if err != nil || done {
		return nil, err
	}
	now := n.Now()
	row, err := tx.PendingNotice.Create().
		SetNillableApplicationID(nonEmpty(msg.ApplicationID)).SetUserID(userID).SetWhat(what).
		SetChannel(string(msg.Channel)).SetTo(msg.To).SetKind(msg.Kind).
		SetSubject(msg.Subject).SetText(msg.Text).SetHTML(msg.HTML).
		SetCreatedAt(now).SetNextAttemptAt(now.Add(Lease)).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	bg := context.WithoutCancel(ctx)
	return func() { n.start(bg, row) }, nil
}

// start makes the first attempt at the notice p holds in the background,
// so that no response waits for a mail server; with MaxSending under way
// already, it leaves p to RetryDue.
func (n *Notifier) start(ctx context.Context, p *ent.PendingNotice) {
	select {
	case n.sending <- struct{}{}:
	default:
		n.Log.InfoContext(ctx, p.What+" left to the retry worker: "+strconv.Itoa(MaxSending)+" notices being sent", "user_id", p.UserID, "notice_id", p.ID)
		return
	}
	n.mu.Lock()
	n.inFlight++
	n.mu.Unlock()
	go func() {
		defer func() {
			<-n.sending
			n.mu.Lock()
			if n.inFlight--; n.inFlight == 0 {
				n.idle.Broadcast()
			}
			n.mu.Unlock()
		}()
		n.deliver(ctx, p)
	}()
}

// Wait returns once the first attempts under way have ended (each is bounded
// by the sender's timeout): before the database closes at shutdown, and in
// tests after each request.
func (n *Notifier) Wait() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for n.inFlight > 0 {
		n.idle.Wait()
	}
}

// deliver makes one attempt at the notice p holds, which the caller has
// taken (written it, or moved it on by the lease): it deletes p once sent,
// or once the mail server refused its recipient for good, and otherwise
// schedules the next attempt. A notice MaxAge old is dropped, and not sent
// any more.
func (n *Notifier) deliver(ctx context.Context, p *ent.PendingNotice) {
	now := n.Now()
	var sendErr error
	outcome := "abandoned" // a day old already: stale news, not sent
	if now.Sub(p.CreatedAt) < MaxAge {
		attempt, cancel := context.WithTimeout(ctx, attemptTimeout)
		sendErr = n.Sender.Send(attempt, message(p))
		cancel()
		now = n.Now()
		switch {
		case sendErr == nil:
			outcome = "sent"
		case errors.Is(sendErr, delivery.ErrRecipientRejected):
			outcome = "rejected"
		case now.Sub(p.CreatedAt) < MaxAge:
			outcome = "failed"
		}
	}
	n.count(outcome)
	stmt := func(c *ent.Client) error {
		_, err := c.PendingNotice.Delete().Where(pendingnotice.ID(p.ID)).Exec(ctx)
		return err
	}
	switch outcome {
	case "rejected":
		n.Log.ErrorContext(ctx, p.What+" dropped: the mail server refused the recipient for good", n.attrs(p, sendErr)...)
	case "abandoned":
		n.Log.ErrorContext(ctx, p.What+" abandoned: still undelivered after "+MaxAge.String(), n.attrs(p, sendErr)...)
	case "failed":
		wait := retryAfter(p.Attempts + 1)
		n.Log.WarnContext(ctx, p.What+" not sent", append(n.attrs(p, sendErr), "retry_in", wait.String())...)
		stmt = func(c *ent.Client) error {
			_, err := c.PendingNotice.Update().Where(pendingnotice.ID(p.ID)).
				AddAttempts(1).SetNextAttemptAt(now.Add(wait)).Save(ctx)
			return err
		}
	}
	// One statement, atomic on its own: no transaction around it.
	if err := n.DB.Write(ctx, func(*sql.DB) error { return stmt(n.DB.Ent) }); err != nil {
		// The row stays as it was: taken again after its lease.
		n.Log.ErrorContext(ctx, p.What+": recording the delivery attempt", "user_id", p.UserID, "notice_id", p.ID, "error", err)
	}
}

func (n *Notifier) attrs(p *ent.PendingNotice, err error) []any {
	return []any{"user_id", p.UserID, "notice_id", p.ID, "attempt", p.Attempts + 1, "error", err}
}

// retryAfter is the wait after the failed attempt number failed (1, 2, …):
// FirstRetry doubled per earlier failure, at most MaxRetry.
func retryAfter(failed int) time.Duration {
	wait := FirstRetry
	for i := 1; i < failed && wait < MaxRetry; i++ {
		wait *= 2
	}
	return min(wait, MaxRetry)
}

// RetryDue delivers the notices whose next attempt is due, reading
// retryBatch at a time until none is left, and reports how many it took.
// Each is taken just before its own attempt, with a conditional write of
// its next attempt (moved on by Lease), so two replicas running RetryDue at
// once never take the same notice, and the lease covers one attempt
// (attemptTimeout), not a batch of them: taken for a whole batch,
// the last ones' leases would run out while the first were sent to a slow
// server, and another replica would send them too.
func (n *Notifier) RetryDue(ctx context.Context) (int, error) {
	taken := 0
	for {
		due, err := n.DB.Ent.PendingNotice.Query().Where(pendingnotice.NextAttemptAtLTE(n.Now())).
			Order(ent.Asc(pendingnotice.FieldNextAttemptAt), ent.Asc(pendingnotice.FieldID)).
			Limit(retryBatch).All(ctx)
		if err != nil {
			return taken, err
		}
		before := taken
		for _, p := range due {
			if ctx.Err() != nil { // shutting down: the rest stay due
				return taken, ctx.Err()
			}
			ok, err := n.take(ctx, p)
			if err != nil {
				return taken, err
			}
			if ok {
				taken++
				n.deliver(context.WithoutCancel(ctx), p) // an attempt under way is finished
			}
		}
		// A full batch may have more behind it; one of which none could be
		// taken (others took them) ends the round all the same.
		if len(due) < retryBatch || taken == before {
			return taken, nil
		}
	}
}

// take takes p, as read due, for one attempt: it moves p's next attempt on
// by Lease unless it changed since read (another replica took it, or an
// attempt was recorded), and reports whether it did.
func (n *Notifier) take(ctx context.Context, p *ent.PendingNotice) (bool, error) {
	var k int
	err := n.DB.Write(ctx, func(*sql.DB) error {
		var err error
		k, err = n.DB.Ent.PendingNotice.Update().
			Where(pendingnotice.ID(p.ID), pendingnotice.NextAttemptAt(p.NextAttemptAt)).
			SetNextAttemptAt(n.Now().Add(Lease)).Save(ctx)
		return err
	})
	return k == 1, err
}

func message(p *ent.PendingNotice) delivery.Message {
	m := delivery.Message{Channel: delivery.Channel(p.Channel), To: p.To, Kind: p.Kind, Subject: p.Subject, Text: p.Text, HTML: p.HTML}
	if p.ApplicationID != nil {
		m.ApplicationID = *p.ApplicationID
	}
	return m
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Run runs the functions Send returned that are not nil, in order.
func Run(after ...func()) {
	for _, f := range after {
		if f != nil {
			f()
		}
	}
}

// Security queues a security notice of change for the user userID of app,
// as part of tx (see Send), when the application's settings ask for one
// (notifySecurityChanges, with email enabled: its users never gave an
// address otherwise). It goes to the user's primary email address, or the
// first verified one, as read in tx; to, when not empty, is the address to
// tell instead (the one a primary change moved from). detail is one more
// line for the notice. A user without a verified address gets none.
func (n *Notifier) Security(ctx context.Context, tx *ent.Tx, set *settings.Settings, app *ent.Application,
	userID string, change delivery.Change, to, detail string, at time.Time) (after func(), err error) {
	if !set.NotifySecurityChanges || !set.EmailEnabled || app == nil {
		return nil, nil
	}
	if to == "" {
		if to, err = primaryEmail(ctx, tx, userID); err != nil || to == "" {
			return nil, err
		}
	}
	rq := request.From(ctx)
	msg, err := delivery.RenderSecurityNoticeEmail(delivery.SecurityNotice{
		ApplicationID: app.ID, AppName: app.Name, To: to, Change: change, Detail: detail,
		Device: device.Describe(rq.UserAgent), IP: rq.IP, At: at,
	})
	if err != nil {
		n.Log.WarnContext(ctx, "security notice not sent", "user_id", userID, "error", err)
		return nil, nil
	}
	return n.Send(ctx, tx, msg, "security notice", userID)
}

// primaryEmail returns the user's primary email address if it is verified,
// else their first verified one, else "".
func primaryEmail(ctx context.Context, tx *ent.Tx, userID string) (string, error) {
	u, err := tx.User.Query().Where(user.ID(userID)).Select(user.FieldPrimaryEmailAddressID).Only(ctx)
	if err != nil {
		return "", err
	}
	emails, err := tx.EmailAddress.Query().Where(emailaddress.UserID(userID), emailaddress.Verified(true)).
		Order(ent.Asc(emailaddress.FieldCreatedAt), ent.Asc(emailaddress.FieldID)).All(ctx)
	if err != nil || len(emails) == 0 {
		return "", err
	}
	for _, e := range emails {
		if u.PrimaryEmailAddressID != nil && e.ID == *u.PrimaryEmailAddressID {
			return e.EmailAddress, nil
		}
	}
	return emails[0].EmailAddress, nil
}
