package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/notice"
)

// TestNoticeRetriedAfterAnOutage: the mail server is down when a user
// changes their password. The change stands, and the "your password was
// changed" notice is not lost: it waits in the database and goes out at the
// first retry after the outage, once, with the backoff doubling while the
// outage lasts.
func TestNoticeRetriedAfterAnOutage(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		const addr = "outage-notice@example.com"
		s.newUser(t, vars{"emailAddress": addr})
		d := s.browser()
		d.mustSession(t, addr)
		ctx := context.Background()
		pending := func() []*ent.PendingNotice {
			t.Helper()
			rows, err := s.m.DB.Ent.PendingNotice.Query().All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		retry := func(wantTaken int) {
			t.Helper()
			if n, err := s.m.Notices.RetryDue(ctx); err != nil || n != wantTaken {
				t.Fatalf("RetryDue: took %d (%v), want %d", n, err, wantTaken)
			}
		}
		notices := func() int { return s.mail.countKind(addr, delivery.KindSecurityNotice) }

		s.mail.setFail(true)
		d.do(`mutation($c: String!, $n: String!) { passwordUpdate(current: $c, new: $n) }`,
			vars{"c": testPassword, "n": "a brand new passphrase 42"}).data(t)
		if got := notices(); got != 0 {
			t.Fatalf("%d notices delivered during the outage", got)
		}
		rows := pending()
		if len(rows) != 1 || rows[0].Attempts != 1 || rows[0].To != addr || rows[0].Kind != delivery.KindSecurityNotice {
			t.Fatalf("after a failed first attempt: pending %+v, want the one notice with 1 failed attempt", rows)
		}
		if want := s.clock.Now().Add(notice.FirstRetry); !rows[0].NextAttemptAt.Equal(want) {
			t.Errorf("next attempt at %v, want %v (FirstRetry after the failure)", rows[0].NextAttemptAt, want)
		}
		if log := s.logText(); !strings.Contains(log, "security notice not sent") || !strings.Contains(log, "retry_in=1m0s") {
			t.Errorf("the failed attempt is not logged with its retry:\n%s", log)
		}
		if strings.Contains(s.logText(), "brand new passphrase") {
			t.Fatal("the log holds the password")
		}

		retry(0) // not due yet
		s.clock.Advance(notice.FirstRetry)
		retry(1) // still down: the wait doubles
		rows = pending()
		if len(rows) != 1 || rows[0].Attempts != 2 || !rows[0].NextAttemptAt.Equal(s.clock.Now().Add(2*notice.FirstRetry)) {
			t.Fatalf("after a second failure: pending %+v, want 2 attempts and the next in %v", rows, 2*notice.FirstRetry)
		}

		s.mail.setFail(false)
		s.clock.Advance(2 * notice.FirstRetry)
		retry(1)
		if got := notices(); got != 1 {
			t.Fatalf("after the outage: %d notices delivered, want 1", got)
		}
		if m := s.mail.last(t, addr); !strings.HasPrefix(m.Subject, "Your password was changed") {
			t.Errorf("delivered %q, want the password notice", m.Subject)
		}
		if rows := pending(); len(rows) != 0 {
			t.Fatalf("a delivered notice is still pending: %+v", rows)
		}
		s.clock.Advance(time.Hour)
		retry(0)
		if got := notices(); got != 1 {
			t.Fatalf("%d notices after another round, want still 1", got)
		}
		resp := s.getWith(t, "/metrics", nil)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The sign-in's new-device notice went out first time, as did this one at its third attempt.
		for _, want := range []string{`trustgate_notice_deliveries_total{outcome="sent"} 2`,
			`trustgate_notice_deliveries_total{outcome="failed"} 2`, `trustgate_notice_deliveries_total{outcome="abandoned"} 0`, `trustgate_notice_deliveries_total{outcome="rejected"} 0`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %s:\n%s", want, grepLines(string(body), "trustgate_notice"))
			}
		}
	})
}

// TestNoticeDeliveredFirstTimeLeavesNothing: with the mail server up, a
// notice goes out right after its change and leaves no row behind.
func TestNoticeDeliveredFirstTimeLeavesNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		const addr = "first-time@example.com"
		s.newUser(t, vars{"emailAddress": addr})
		d := s.browser()
		d.mustSession(t, addr)
		d.enrollTOTP(t)
		if got := s.mail.countKind(addr, delivery.KindSecurityNotice); got != 1 {
			t.Fatalf("%d notices, want 1", got)
		}
		if n, err := s.m.DB.Ent.PendingNotice.Query().Count(context.Background()); err != nil || n != 0 {
			t.Fatalf("%d pending notices (%v) after a delivery, want 0", n, err)
		}
	})
}

// TestNoticeAbandonedAfterADay: a notice that still cannot be delivered a
// day after its change is dropped, with an error in the log, instead of
// being retried for ever.
func TestNoticeAbandonedAfterADay(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		const addr = "never-delivered@example.com"
		s.newUser(t, vars{"emailAddress": addr})
		d := s.browser()
		d.mustSession(t, addr)
		ctx := context.Background()
		before := s.mail.count(addr) // the new-device notice of the sign-in
		s.mail.setFail(true)
		d.enrollTOTP(t)
		rounds := 0
		for end := s.clock.Now().Add(notice.MaxAge); s.clock.Now().Before(end); rounds++ {
			s.clock.Advance(notice.MaxRetry)
			if _, err := s.m.Notices.RetryDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := s.m.DB.Ent.PendingNotice.Query().Count(ctx); n != 0 {
			t.Fatalf("%d notices still pending after %d hourly rounds past a day, want 0", n, rounds)
		}
		if !strings.Contains(s.logText(), "security notice abandoned") {
			t.Errorf("no error logged for the abandoned notice:\n%s", s.logText())
		}
		s.mail.setFail(false)
		s.clock.Advance(notice.MaxRetry)
		if _, err := s.m.Notices.RetryDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := s.mail.count(addr); got != before {
			t.Errorf("%d messages after the abandonment, want still %d", got, before)
		}

		// Every replica down for a day after a commit: the notice is stale
		// news when one comes back, dropped unsent.
		writeNotice(t, s, s.m.Notices, "day-late@example.com") // its first attempt never runs
		s.clock.Advance(notice.MaxAge)
		if _, err := s.m.Notices.RetryDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := s.mail.count("day-late@example.com"); got != 0 {
			t.Errorf("a notice a day old was sent (%d)", got)
		}
		if n, _ := s.m.DB.Ent.PendingNotice.Query().Count(ctx); n != 0 {
			t.Errorf("%d notices pending after the day-old one was dropped, want 0", n)
		}
	})
}

// TestNoticeToARejectedRecipientIsDropped: a mail server that refuses the
// recipient for good (550 no such user) would refuse it again: the notice
// is dropped at once, with an error, not retried for a day.
func TestNoticeToARejectedRecipientIsDropped(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		ctx := context.Background()
		sender := &refusingSender{err: fmt.Errorf("%w: %w: 550 no such user", delivery.ErrDeliveryFailed, delivery.ErrRecipientRejected)}
		n := notice.NewNotifier(s.m.DB, sender, nil, s.m.Log, s.clock.Now)
		writeNotice(t, s, n, "gone@example.com")()
		n.Wait()
		if k := sender.calls.Load(); k != 1 {
			t.Fatalf("%d attempts, want 1", k)
		}
		if c, _ := s.m.DB.Ent.PendingNotice.Query().Count(ctx); c != 0 {
			t.Fatalf("%d notices pending after the recipient was refused for good, want 0", c)
		}
		if !strings.Contains(s.logText(), "security notice dropped: the mail server refused the recipient for good") {
			t.Errorf("the drop is not logged:\n%s", s.logText())
		}
		// A passing outage is retried, as before.
		sender.err = fmt.Errorf("%w: 451 try later", delivery.ErrDeliveryFailed)
		writeNotice(t, s, n, "busy@example.com")()
		n.Wait()
		if c, _ := s.m.DB.Ent.PendingNotice.Query().Count(ctx); c != 1 {
			t.Fatalf("%d notices pending after a passing outage, want 1", c)
		}
	})
}

// refusingSender fails every message with err.
type refusingSender struct {
	err   error
	calls atomic.Int64
}

func (r *refusingSender) Send(context.Context, delivery.Message) error {
	r.calls.Add(1)
	return r.err
}

// TestNoticeOfAProcessThatStopped: a replica commits a change and stops
// before its first delivery attempt. Another replica delivers the notice
// once the lease of the first has run out, and not before.
func TestNoticeOfAProcessThatStopped(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		ctx := context.Background()
		const to = "stopped@example.com"
		writeNotice(t, s, s.m.Notices, to) // its first attempt never runs
		s.clock.Advance(notice.Lease - time.Second)
		if n, err := s.m.Notices.RetryDue(ctx); err != nil || n != 0 {
			t.Fatalf("within the lease of the replica that wrote it: took %d (%v), want 0", n, err)
		}
		s.clock.Advance(time.Second)
		if n, err := s.m.Notices.RetryDue(ctx); err != nil || n != 1 {
			t.Fatalf("after the lease: took %d (%v), want 1", n, err)
		}
		if got := s.mail.count(to); got != 1 {
			t.Fatalf("%d deliveries, want 1", got)
		}
	})
}

// TestNoticeRetriesTakeEachOnce: two replicas retry the same due notices at
// the same moment, against a slow mail server. Each notice is delivered
// exactly once.
func TestNoticeRetriesTakeEachOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		ctx := context.Background()
		const notices = 45 // more than two batches
		dueNotices(t, s, "due", notices)
		sent := &countingSender{delay: time.Millisecond}
		replica := func() *notice.Notifier {
			return notice.NewNotifier(replicaDB(t, s, dbURL), sent, nil, s.m.Log, s.clock.Now)
		}
		a, b := replica(), replica()
		var wg sync.WaitGroup
		var taken atomic.Int64
		for _, n := range []*notice.Notifier{a, b} {
			wg.Go(func() {
				k, err := n.RetryDue(ctx)
				if err != nil {
					t.Error(err)
				}
				taken.Add(int64(k))
			})
		}
		wg.Wait()
		if got := taken.Load(); got != notices {
			t.Errorf("the replicas took %d notices in all, want %d", got, notices)
		}
		for i := range notices {
			if got := sent.count(fmt.Sprintf("due%02d@example.com", i)); got != 1 {
				t.Errorf("due%02d@example.com: delivered %d times, want once", i, got)
			}
		}
		if n, _ := s.m.DB.Ent.PendingNotice.Query().Count(ctx); n != 0 {
			t.Errorf("%d notices left pending", n)
		}
	})
}

// countingSender counts the messages it is sent, per address.
type countingSender struct {
	mu    sync.Mutex
	to    map[string]int
	delay time.Duration
}

func (c *countingSender) Send(_ context.Context, m delivery.Message) error {
	time.Sleep(c.delay)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.to == nil {
		c.to = map[string]int{}
	}
	c.to[m.To]++
	return nil
}

func (c *countingSender) count(to string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.to[to]
}

// TestNoticeSentInTheBackground: the function a change runs after its
// commit only starts the first attempt, so no response waits for a slow
// mail server; beyond MaxSending attempts under way, a notice is left to
// the retry worker, which sends it once its lease has run out.
func TestNoticeSentInTheBackground(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		ctx := context.Background()
		release := make(chan struct{})
		sender := &blockingSender{release: release}
		n := notice.NewNotifier(s.m.DB, sender, nil, s.m.Log, s.clock.Now)
		send := func(to string) {
			t.Helper()
			after := writeNotice(t, s, n, to)
			started := make(chan struct{})
			go func() { after(); close(started) }()
			select {
			case <-started:
			case <-time.After(10 * time.Second):
				t.Fatal("the change's after-commit function waits for the stalled mail server")
			}
		}
		for i := range notice.MaxSending + 1 {
			send(fmt.Sprintf("stalled%02d@example.com", i))
		}
		if got := sender.count(); got != 0 {
			t.Fatalf("%d delivered while the mail server stalls", got)
		}
		close(release)
		n.Wait()
		if got := sender.count(); got != notice.MaxSending {
			t.Fatalf("%d delivered once the server answered, want the %d started", got, notice.MaxSending)
		}
		left, err := s.m.DB.Ent.PendingNotice.Query().All(ctx)
		if err != nil || len(left) != 1 || left[0].Attempts != 0 {
			t.Fatalf("pending after the first attempts: %+v (%v), want the one left to the retry worker, untried", left, err)
		}
		s.clock.Advance(notice.Lease)
		if k, err := n.RetryDue(ctx); err != nil || k != 1 {
			t.Fatalf("RetryDue after the lease: took %d (%v), want 1", k, err)
		}
		if got := sender.count(); got != notice.MaxSending+1 {
			t.Fatalf("%d delivered in all, want %d", got, notice.MaxSending+1)
		}
	})
}

// blockingSender delivers each message once release is closed.
type blockingSender struct {
	release chan struct{}
	sent    atomic.Int64
}

func (b *blockingSender) Send(ctx context.Context, _ delivery.Message) error {
	<-b.release
	b.sent.Add(1)
	return nil
}

func (b *blockingSender) count() int { return int(b.sent.Load()) }

// TestNoticeRetrySlowServerSendsEachOnce: a mail server that takes
// delivery.DefaultTimeout (10 s) per message, and a full batch of due
// notices. While one replica works through the batch, another replica's
// round (every RetryEvery) must not take a notice the first one still
// holds, nor may the first send one whose lease it lost meanwhile: each
// notice goes out once.
func TestNoticeRetrySlowServerSendsEachOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		ctx := context.Background()
		const notices = 20 // one full batch
		dueNotices(t, s, "slow", notices)
		counts := &countingSender{}
		var b *notice.Notifier
		var sinceRound time.Duration
		slow := senderFunc(func(ctx context.Context, m delivery.Message) error {
			// Each message takes the whole delivery timeout; the other
			// replica's ticker fires every RetryEvery meanwhile.
			s.clock.Advance(delivery.DefaultTimeout)
			if sinceRound += delivery.DefaultTimeout; sinceRound >= notice.RetryEvery {
				sinceRound = 0
				if _, err := b.RetryDue(ctx); err != nil {
					t.Error(err)
				}
			}
			return counts.Send(ctx, m)
		})
		a := notice.NewNotifier(s.m.DB, slow, nil, s.m.Log, s.clock.Now)
		b = notice.NewNotifier(replicaDB(t, s, dbURL), counts, nil, s.m.Log, s.clock.Now)
		if _, err := a.RetryDue(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range notices {
			if got := counts.count(fmt.Sprintf("slow%02d@example.com", i)); got != 1 {
				t.Errorf("slow%02d@example.com: delivered %d times, want once", i, got)
			}
		}
	})
}

type senderFunc func(context.Context, delivery.Message) error

func (f senderFunc) Send(ctx context.Context, m delivery.Message) error { return f(ctx, m) }

// writeNotice writes a security notice to to through n in a transaction of
// its own, as a change would, and returns the function the change runs
// after its commit (not run: a process that stopped first).
func writeNotice(t *testing.T, s *server, n *notice.Notifier, to string) (after func()) {
	t.Helper()
	ctx := context.Background()
	err := s.m.DB.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		after, err = n.Send(ctx, tx, delivery.Message{ApplicationID: s.appID, Channel: delivery.ChannelEmail, To: to,
			Kind: delivery.KindSecurityNotice, Subject: "Your password was changed", Text: "…"}, "security notice", "user_x")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return after
}

// dueNotices writes n notices due now, to PREFIXnn@example.com.
func dueNotices(t *testing.T, s *server, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	err := s.m.DB.Tx(ctx, func(tx *ent.Tx) error {
		for i := range n {
			_, err := tx.PendingNotice.Create().SetWhat("security notice").SetChannel("email").
				SetTo(fmt.Sprintf("%s%02d@example.com", prefix, i)).SetKind(delivery.KindSecurityNotice).SetText("…").
				SetCreatedAt(s.clock.Now()).SetNextAttemptAt(s.clock.Now()).Save(ctx)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// replicaDB is the database as another replica opens it: on PostgreSQL a
// pool of its own; on SQLite, one machine's database, the server's own.
func replicaDB(t *testing.T, s *server, dbURL string) *database.DB {
	t.Helper()
	if s.m.DB.IsSQLite() {
		return s.m.DB
	}
	db, err := database.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
