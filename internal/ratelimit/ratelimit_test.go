package ratelimit

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/pgtest"
	"github.com/trustgate/trustgate/internal/request"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

func TestLimiter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		now := time.Date(2026, 11, 22, 12, 0, 3, 0, time.UTC)
		keys, err := keyring.New(make([]byte, 32))
		if err != nil {
			t.Fatal(err)
		}
		l := &Limiter{DB: db, Now: func() time.Time { return now }, Keys: keys}
		rule := Rule{Name: "sign_in.create:ip", Limit: 5, Window: 10 * time.Second}
		ctx := context.Background()

		t.Run("the budget allows Limit hits per window", func(t *testing.T) {
			for i := 1; i <= 5; i++ {
				d, err := l.Hit(ctx, rule, "203.0.113.9")
				if err != nil || !d.Allowed || d.Count != i {
					t.Fatalf("hit %d: got %+v, %v", i, d, err)
				}
			}
			d, err := l.Hit(ctx, rule, "203.0.113.9")
			if err != nil || d.Allowed {
				t.Fatalf("6th hit: got %+v, %v; want refused", d, err)
			}
			if got := d.RetryAfterSeconds(); got != 7 {
				t.Fatalf("retry after %d s, want 7 (window ends at :10)", got)
			}
		})
		t.Run("buckets hold a keyed digest of the subject, not the subject", func(t *testing.T) {
			if _, err := l.Hit(ctx, rule, "jane@example.com"); err != nil {
				t.Fatal(err)
			}
			keys, err := db.Ent.RateLimitBucket.Query().IDs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if strings.Contains(k, "jane@example.com") || strings.Contains(k, "203.0.113.9") {
					t.Errorf("bucket key %q holds a subject in clear", k)
				}
			}
		})
		t.Run("subjects have separate budgets", func(t *testing.T) {
			if d, _ := l.Hit(ctx, rule, "198.51.100.1"); !d.Allowed {
				t.Fatal("another IP was refused")
			}
		})
		t.Run("the next window starts afresh", func(t *testing.T) {
			now = now.Add(10 * time.Second)
			if d, _ := l.Hit(ctx, rule, "203.0.113.9"); !d.Allowed || d.Count != 1 {
				t.Fatalf("got %+v", d)
			}
		})
		t.Run("concurrent hits are counted exactly", func(t *testing.T) {
			big := Rule{Name: "attempt:ip", Limit: 30, Window: time.Minute}
			var wg sync.WaitGroup
			var allowed atomic.Int32
			for i := 0; i < 40; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d, err := l.Hit(ctx, big, "192.0.2.1")
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed {
						allowed.Add(1)
					}
				}()
			}
			wg.Wait()
			if got := allowed.Load(); got != 30 {
				t.Fatalf("allowed %d of 40 concurrent hits, want exactly 30", got)
			}
		})
		t.Run("Allow refuses with too_many_requests and records the window's first refusal once", func(t *testing.T) {
			al := New(db, func() time.Time { return now }, keys, &audit.Recorder{Keys: keys, Now: func() time.Time { return now }})
			small := Rule{Name: "send:ip", Limit: 3, Window: 10 * time.Second}
			var wg sync.WaitGroup
			var refused atomic.Int32
			for i := 0; i < 8; i++ {
				wg.Go(func() {
					hdr := http.Header{}
					rctx := request.With(ctx, &request.Info{IP: "192.0.2.7", ResponseHeader: hdr})
					err := al.Allow(rctx, Spend{Rule: small, Subject: "app_1:192.0.2.7", Event: audit.SignInEvent{ApplicationID: "app_1"}})
					if err == nil {
						return
					}
					refused.Add(1)
					e, ok := apierr.As(err)
					if !ok || e.Code != apierr.TooManyRequests || e.Meta["retryAfterSeconds"] == nil || hdr.Get("Retry-After") == "" {
						t.Errorf("refusal: %v (meta %v, Retry-After %q)", err, e.Meta, hdr.Get("Retry-After"))
					}
				})
			}
			wg.Wait()
			if got := refused.Load(); got != 5 {
				t.Fatalf("refused %d of 8, want 5", got)
			}
			events, err := db.Ent.SignInEvent.Query().All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || events[0].Kind != audit.KindRateLimited || *events[0].Reason != "send:ip" || events[0].IPAddress != "192.0.2.7" {
				t.Fatalf("events = %+v, want one rate_limited event for send:ip from 192.0.2.7", events)
			}
			if got := testutil.ToFloat64(al.refused.WithLabelValues("send:ip")); got != 5 {
				t.Fatalf("trustgate_rate_limited_total{rule=send:ip} = %v, want 5", got)
			}
		})
		t.Run("expired buckets are pruned", func(t *testing.T) {
			now = now.Add(5 * time.Minute)
			n, err := l.Prune(ctx)
			if err != nil || n == 0 {
				t.Fatalf("pruned %d, %v", n, err)
			}
			left, _ := db.Ent.RateLimitBucket.Query().Count(ctx)
			if left != 0 {
				t.Fatalf("%d buckets left", left)
			}
		})
	})
}
