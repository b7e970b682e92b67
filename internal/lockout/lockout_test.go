package lockout

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/pgtest"
	"github.com/trustgate/trustgate/internal/settings"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

func TestIdentifierKey(t *testing.T) {
	keys, err := keyring.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	k := IdentifierKey(keys, "app_1", "nobody@example.com")
	if len(k) != 64 {
		t.Fatalf("key %q: want 64 hex characters", k)
	}
	if k != IdentifierKey(keys, "app_1", "nobody@example.com") {
		t.Fatal("the key of one identifier changed between calls")
	}
	for _, other := range []string{IdentifierKey(keys, "app_2", "nobody@example.com"), IdentifierKey(keys, "app_1", "nobody2@example.com")} {
		if other == k {
			t.Fatal("two applications or identifiers share a key")
		}
	}
	other, _ := keyring.New(bytes.Repeat([]byte{8}, 32))
	if IdentifierKey(other, "app_1", "nobody@example.com") == k {
		t.Fatal("the key does not depend on the server secret")
	}
}

// TestFailIdentifier checks the counter of an identifier that names no
// account against a user's rules: it locks at the threshold for the
// application's duration (or until lifted, when unbounded), counts anew once
// the lock expired, and counts every one of concurrent failures.
func TestFailIdentifier(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		ten := 600
		bounded := &settings.Settings{LockoutMaxAttempts: 3, LockoutDurationSeconds: &ten}
		fail := func(key string, s *settings.Settings, at time.Time) (State, bool) {
			t.Helper()
			prior, err := ReadIdentifier(ctx, db.Ent, key)
			if err != nil {
				t.Fatal(err)
			}
			var got State
			var locked bool
			if err := db.Tx(ctx, func(tx *ent.Tx) error {
				got, locked, err = FailIdentifier(ctx, tx, key, prior, s, at)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return got, locked
		}

		for i := 1; i <= 2; i++ {
			if st, lockedNow := fail("k1", bounded, now); lockedNow || st.LockedAt != nil {
				t.Fatalf("failure %d locked the identifier (%+v)", i, st)
			}
		}
		st, lockedNow := fail("k1", bounded, now)
		if !lockedNow {
			t.Fatal("the third failure did not lock the identifier")
		}
		read, err := ReadIdentifier(ctx, db.Ent, "k1")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []State{st, read} {
			if locked, left := Locked(s, now.Add(time.Minute)); !locked || left != 9*time.Minute {
				t.Fatalf("a minute later: locked %v for %v, want locked for 9m0s", locked, left)
			}
		}
		e := Shown(read, now, apierr.New(apierr.FormPasswordIncorrect))
		if e.Code != apierr.UserLocked || e.Meta["lockoutExpiresInSeconds"] != 600 {
			t.Fatalf("shown %s %v, want user_locked with lockoutExpiresInSeconds 600", e.Code, e.Meta)
		}
		// A failure on a locked identifier (as a concurrent request would
		// make) keeps it locked and does not lock it again.
		if st, lockedNow := fail("k1", bounded, now.Add(time.Second)); lockedNow || st.LockedAt == nil {
			t.Fatalf("a failure while locked: locked now %v, state %+v", lockedNow, st)
		}
		// Once the lock has expired, the count starts again.
		if st, lockedNow := fail("k1", bounded, now.Add(11*time.Minute)); lockedNow || st.LockedAt != nil {
			t.Fatalf("after the lock expired: locked now %v, state %+v", lockedNow, st)
		}
		if n := db.Ent.IdentifierLockout.GetX(ctx, "k1").FailedAttempts; n != 1 {
			t.Fatalf("failed attempts after the lock expired = %d, want 1", n)
		}

		// Unbounded: locked until lifted, with no lockoutExpiresInSeconds.
		forGood := &settings.Settings{LockoutMaxAttempts: 1}
		if _, lockedNow := fail("k2", forGood, now); !lockedNow {
			t.Fatal("an unbounded lockout did not lock")
		}
		st, _ = ReadIdentifier(ctx, db.Ent, "k2")
		if locked, left := Locked(st, now.Add(1000*time.Hour)); !locked || left != 0 {
			t.Fatalf("unbounded lock: locked %v for %v, want locked indefinitely", locked, left)
		}
		if e := Error(st, now); e.Meta["lockoutExpiresInSeconds"] != nil {
			t.Fatalf("unbounded lock: lockoutExpiresInSeconds = %v, want null", e.Meta["lockoutExpiresInSeconds"])
		}

		// Concurrent failures, as from several replicas: every one counts.
		many := &settings.Settings{LockoutMaxAttempts: 1000}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Go(func() {
				errs <- db.Tx(ctx, func(tx *ent.Tx) error {
					_, _, err := FailIdentifier(ctx, tx, "k3", State{}, many, now)
					return err
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := db.Ent.IdentifierLockout.GetX(ctx, "k3").FailedAttempts; n != 16 {
			t.Fatalf("16 concurrent failures counted %d", n)
		}

		// Concurrent failures crossing the threshold: exactly one of them
		// locks (so one user.locked event is recorded), and the lock holds.
		atTen := &settings.Settings{LockoutMaxAttempts: 10, LockoutDurationSeconds: &ten}
		var mu sync.Mutex
		lockedBy := 0
		for range 16 {
			wg.Go(func() {
				var lockedNow bool
				err := db.Tx(ctx, func(tx *ent.Tx) error {
					var err error
					_, lockedNow, err = FailIdentifier(ctx, tx, "k4", State{}, atTen, now)
					return err
				})
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if lockedNow {
					lockedBy++
				}
			})
		}
		wg.Wait()
		if lockedBy != 1 {
			t.Fatalf("%d of 16 concurrent failures reported locking the identifier, want exactly 1", lockedBy)
		}
		st, err = ReadIdentifier(ctx, db.Ent, "k4")
		if err != nil {
			t.Fatal(err)
		}
		if locked, _ := Locked(st, now); !locked {
			t.Fatalf("after 16 concurrent failures over a threshold of 10 the identifier is not locked: %+v", st)
		}
	})
}

// TestLockedMessageSaysTheTimeLeft: the user_locked message rounded hours
// up, so 61 minutes left read "2 hours", and one lockout read "1 hour" at
// 3600 s but "60 minutes" at 3578 s.
func TestLockedMessageSaysTheTimeLeft(t *testing.T) {
	for _, c := range []struct {
		left time.Duration
		want string
	}{
		{time.Second, "1 second"},
		{59 * time.Second, "59 seconds"},
		{90 * time.Second, "2 minutes"},
		{3578 * time.Second, "60 minutes"},
		{time.Hour, "60 minutes"},
		{61 * time.Minute, "61 minutes"},
		{2 * time.Hour, "2 hours"},
		{2*time.Hour + 29*time.Minute, "2 hours"},
		{2*time.Hour + 31*time.Minute, "3 hours"},
		{24 * time.Hour, "24 hours"},
	} {
		if got := humanize(c.left); got != c.want {
			t.Errorf("humanize(%s) = %q, want %q", c.left, got, c.want)
		}
	}
}
