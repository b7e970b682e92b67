package retention_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/device"
	"github.com/trustgate/trustgate/ent/identifierlockout"
	"github.com/trustgate/trustgate/ent/outboxmessage"
	"github.com/trustgate/trustgate/ent/sessionverification"
	"github.com/trustgate/trustgate/ent/signin"
	"github.com/trustgate/trustgate/ent/signinevent"
	"github.com/trustgate/trustgate/ent/signup"
	entverification "github.com/trustgate/trustgate/ent/verification"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/ids"
	"github.com/trustgate/trustgate/internal/pgtest"
	"github.com/trustgate/trustgate/internal/retention"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func pruner(db *database.DB) *retention.Pruner {
	return &retention.Pruner{DB: db, Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BatchSize: 7}
}

// app creates an application, with eventRetentionDays set when days > 0.
func app(t *testing.T, db *database.DB, name string, days int) string {
	t.Helper()
	overrides := map[string]json.RawMessage{}
	if days > 0 {
		overrides["eventRetentionDays"] = json.RawMessage(fmt.Sprint(days))
	}
	a, err := db.Ent.Application.Create().SetName(name).SetPublishableKey("pk_" + name).
		SetCreatedAt(now.AddDate(-1, 0, 0)).SetSettings(overrides).SetUpdates(map[string]bool{}).Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// events inserts n events of appID, each age old.
func events(t *testing.T, db *database.DB, appID string, n int, age time.Duration) {
	t.Helper()
	b := make([]*ent.SignInEventCreate, n)
	for i := range b {
		b[i] = db.Ent.SignInEvent.Create().SetApplicationID(appID).SetAt(now.Add(-age)).
			SetKind("sign_in.created").SetOutcome(signinevent.OutcomeInfo)
	}
	if err := db.Ent.SignInEvent.CreateBulk(b...).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *database.DB, appID string) int {
	t.Helper()
	return db.Ent.SignInEvent.Query().Where(signinevent.ApplicationID(appID)).CountX(context.Background())
}

func TestPrune(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		def := app(t, db, "default", 0) // 90 days
		week := app(t, db, "week", 7)
		day := 24 * time.Hour
		events(t, db, def, 20, 91*day)
		events(t, db, def, 5, 89*day)
		events(t, db, week, 16, 8*day)
		events(t, db, week, 3, 7*day-time.Minute)
		events(t, db, week, 4, time.Hour)
		staged := func(expireAt time.Time) string {
			si := db.Ent.SignIn.Create().SetApplicationID(def).SetClientID("cli_x").SetExpireAt(expireAt).
				SetNewPasswordHash("$argon2id$staged").SaveX(ctx)
			return si.ID
		}
		expired, live := staged(now.Add(-2*time.Hour)), staged(now.Add(-time.Minute)) // the second within the hour's margin

		res, err := pruner(db).RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("events past each application's retention are deleted, in batches", func(t *testing.T) {
			if res.Skipped || res.Deleted[def] != 20 || res.Deleted[week] != 16 {
				t.Fatalf("got %+v, want 20 deleted in %s and 16 in %s", res, def, week)
			}
			if got := count(t, db, def); got != 5 {
				t.Errorf("default app keeps %d events, want 5", got)
			}
			if got := count(t, db, week); got != 7 {
				t.Errorf("7-day app keeps %d events, want 7", got)
			}
		})
		t.Run("a staged new password is cleared an hour after its sign-in expired", func(t *testing.T) {
			if si := db.Ent.SignIn.GetX(ctx, expired); si.NewPasswordHash != nil {
				t.Error("the expired sign-in still holds its staged password")
			}
			if si := db.Ent.SignIn.GetX(ctx, live); si.NewPasswordHash == nil {
				t.Error("a sign-in expired a minute ago lost its staged password")
			}
		})
		t.Run("a second replica right after skips the pass", func(t *testing.T) {
			events(t, db, week, 2, 30*day)
			res, err := pruner(db).RunOnce(ctx)
			if err != nil || !res.Skipped {
				t.Fatalf("got %+v, %v; want skipped", res, err)
			}
			if got := count(t, db, week); got != 9 {
				t.Fatalf("events = %d, want 9 (nothing deleted)", got)
			}
		})
		t.Run("the next interval prunes again", func(t *testing.T) {
			p := pruner(db)
			p.Now = func() time.Time { return now.Add(retention.DefaultInterval) }
			res, err := p.RunOnce(ctx)
			// The 2 new ones, and the 3 that were a minute short of 7 days an hour ago.
			if err != nil || res.Skipped || res.Total() != 5 {
				t.Fatalf("got %+v, %v; want 5 deleted", res, err)
			}
		})
	})
}

func TestPruneOnceAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	db := dbtest.Open(t, url)
	id := app(t, db, "app", 1)
	events(t, db, id, 10, 48*time.Hour)

	// Another replica is pruning: it holds the advisory lock on its own connection.
	other, err := database.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", retention.LockKey); err != nil {
		t.Fatal(err)
	}
	t.Run("a replica that cannot take the lock skips", func(t *testing.T) {
		res, err := pruner(db).RunOnce(ctx)
		if err != nil || !res.Skipped {
			t.Fatalf("got %+v, %v; want skipped", res, err)
		}
		if got := count(t, db, id); got != 10 {
			t.Fatalf("events = %d, want 10", got)
		}
	})
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", retention.LockKey); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	t.Run("once the lock is free it prunes and releases the lock", func(t *testing.T) {
		res, err := pruner(db).RunOnce(ctx)
		if err != nil || res.Total() != 10 {
			t.Fatalf("got %+v, %v; want 10 deleted", res, err)
		}
		var free bool
		if err := other.SQL.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", retention.LockKey).Scan(&free); err != nil || !free {
			t.Fatalf("lock still held after the pass (free=%v, err=%v)", free, err)
		}
	})
}

func TestRunPrunesPeriodically(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		id := app(t, db, "app", 1)
		events(t, db, id, 3, 48*time.Hour)
		p := pruner(db)
		p.Delay, p.Interval = time.Millisecond, time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		deadline := time.Now().Add(5 * time.Second)
		for count(t, db, id) != 0 {
			if time.Now().After(deadline) {
				t.Fatal("Run did not prune within 5 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
	})
}

func TestPruneExpiredState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		appID := app(t, db, "default", 0)
		day := 24 * time.Hour
		code := func(status entverification.Status, expiredAgo time.Duration) string {
			return db.Ent.Verification.Create().SetStrategy("email_code").SetStatus(status).
				SetExpireAt(now.Add(-expiredAgo)).SaveX(ctx).ID
		}
		password := func() string {
			return db.Ent.Verification.Create().SetStrategy("password").SetStatus(entverification.StatusVerified).SaveX(ctx).ID
		}
		signIn := func(expiredAgo time.Duration, first, second string) string {
			return db.Ent.SignIn.Create().SetApplicationID(appID).SetClientID("client_x").SetExpireAt(now.Add(-expiredAgo)).
				SetFirstFactorVerificationID(first).SetSecondFactorVerificationID(second).SaveX(ctx).ID
		}
		signUp := func(expiredAgo time.Duration, email string) string {
			return db.Ent.SignUp.Create().SetApplicationID(appID).SetClientID("client_x").SetExpireAt(now.Add(-expiredAgo)).
				SetEmailAddress("a@example.com").SetPasswordHash("$argon2id$abandoned").SetEmailVerificationID(email).SaveX(ctx).ID
		}
		u := db.Ent.User.Create().SetApplicationID(appID).SaveX(ctx)
		client := func(idle time.Duration) *ent.Device {
			return db.Ent.Device.Create().SetApplicationID(appID).SetTokenHash([]byte(ids.New("tok"))).
				SetCreatedAt(now.Add(-idle)).SetLastActiveAt(now.Add(-idle)).SaveX(ctx)
		}
		message := func(app *string, age time.Duration) string {
			return db.Ent.OutboxMessage.Create().SetNillableApplicationID(app).SetChannel("email").SetTo("a@example.com").
				SetKind("client_trust_code").SetText("code").SetCreatedAt(now.Add(-age)).SaveX(ctx).ID
		}

		oldPassword, oldCode := password(), code(entverification.StatusVerified, 2*day)
		oldSignIn := signIn(25*time.Hour, oldPassword, oldCode)
		freshPassword, freshCode := password(), code(entverification.StatusUnverified, 23*time.Hour)
		freshSignIn := signIn(23*time.Hour, freshPassword, freshCode)
		oldEmail := code(entverification.StatusVerified, 3*day)
		oldSignUp := signUp(2*day, oldEmail)
		// A sign-up of 7 days whose address was proved days ago: the proof lives as long as the sign-up.
		liveEmail := code(entverification.StatusVerified, 3*day)
		liveSignUp := signUp(-4*day, liveEmail)
		staleCodes := []string{code(entverification.StatusUnverified, 25*time.Hour), code(entverification.StatusFailed, 2*day), code(entverification.StatusExpired, 2*day)}
		keptCodes := []string{code(entverification.StatusUnverified, 23*time.Hour), code(entverification.StatusUnverified, -time.Minute)}
		for i := range 8 { // more than a batch, interleaved with verified ones that stay (a phone number's proof)
			staleCodes = append(staleCodes, code(entverification.StatusUnverified, 3*day+time.Duration(i/2)*time.Hour))
			keptCodes = append(keptCodes, code(entverification.StatusVerified, 3*day+time.Duration(i/2)*time.Hour))
		}

		// Idle clients to delete and to keep, interleaved and more than a
		// batch (7) of each, some idle for the same time: the pass pages
		// past the ones it keeps.
		var unused, signedIn []*ent.Device
		for i := range 10 {
			idle := 31*day + time.Duration(i/2)*time.Hour
			unused = append(unused, client(idle))
			c := client(idle)
			db.Ent.Session.Create().SetApplicationID(appID).SetUserID(u.ID).SetClientID(c.ID).SetStatus("ended").
				SetLastActiveAt(now.Add(-40 * day)).SetExpireAt(now.Add(-39 * day)).ExecX(ctx)
			signedIn = append(signedIn, c)
		}
		recent := client(29 * day)
		trusted := client(31 * day)
		db.Ent.TrustedClient.Create().SetUserID(u.ID).SetClientID(trusted.ID).ExecX(ctx)

		oldMessages := []string{message(&appID, 8*day), message(nil, 8*day)}
		keptMessages := []string{message(&appID, 6*day), message(nil, 6*day)}

		// Lockout counters of identifiers that name no account.
		counter := func(key string, idle time.Duration, lockedAgo, expiresIn *time.Duration) string {
			c := db.Ent.IdentifierLockout.Create().SetID(key).SetFailedAttempts(3).SetUpdatedAt(now.Add(-idle))
			if lockedAgo != nil {
				c.SetLockedAt(now.Add(-*lockedAgo))
				if expiresIn != nil {
					c.SetLockoutExpiresAt(now.Add(*expiresIn))
				}
			}
			return c.SaveX(ctx).ID
		}
		ago, soon, past := 31*day, time.Hour, -time.Hour
		forgotten := []string{counter("idle", 31*day, nil, nil), counter("expired-lock", 31*day, &ago, &past)}
		keptCounters := []string{counter("recent", 29*day, nil, nil), counter("locked-for-good", 31*day, &ago, nil),
			counter("still-locked", 31*day, &ago, &soon)}
		for i := range 8 { // more than a batch
			forgotten = append(forgotten, counter(fmt.Sprint("idle-", i), 40*day, nil, nil))
		}

		// Session reverifications: one expired over a day ago with the code
		// it sent, one expired 23 hours ago.
		sess := db.Ent.Session.Create().SetApplicationID(appID).SetUserID(u.ID).SetClientID(client(time.Hour).ID).
			SetLastActiveAt(now).SetExpireAt(now.Add(day)).SaveX(ctx)
		reverifyCode := code(entverification.StatusUnverified, 25*time.Hour)
		oldReverify := db.Ent.SessionVerification.Create().SetSessionID(sess.ID).SetLevel("second_factor").
			SetExpireAt(now.Add(-25 * time.Hour)).SetCodeVerificationID(reverifyCode).SaveX(ctx).ID
		sess2 := db.Ent.Session.Create().SetApplicationID(appID).SetUserID(u.ID).SetClientID(client(time.Hour).ID).
			SetLastActiveAt(now).SetExpireAt(now.Add(day)).SaveX(ctx)
		freshReverify := db.Ent.SessionVerification.Create().SetSessionID(sess2.ID).SetLevel("first_factor").
			SetExpireAt(now.Add(-23 * time.Hour)).SaveX(ctx).ID

		res, err := pruner(db).RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"session_verifications": 1, "sign_ins": 1, "sign_ups": 1, "verifications": 11, "clients": 10, "outbox_messages": 2, "identifier_lockouts": 10}
		if fmt.Sprint(res.Expired) != fmt.Sprint(want) {
			t.Errorf("Expired = %v, want %v", res.Expired, want)
		}
		gone := func(what string, exists func(context.Context) (bool, error), wantGone bool) {
			t.Helper()
			ok, err := exists(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ok == wantGone {
				t.Errorf("%s: exists = %v, want %v", what, ok, !wantGone)
			}
		}
		signInRow := func(id string) func(context.Context) (bool, error) {
			return db.Ent.SignIn.Query().Where(signin.ID(id)).Exist
		}
		signUpRow := func(id string) func(context.Context) (bool, error) {
			return db.Ent.SignUp.Query().Where(signup.ID(id)).Exist
		}
		codeRow := func(id string) func(context.Context) (bool, error) {
			return db.Ent.Verification.Query().Where(entverification.ID(id)).Exist
		}
		clientRow := func(d *ent.Device) func(context.Context) (bool, error) {
			return db.Ent.Device.Query().Where(device.ID(d.ID)).Exist
		}
		messageRow := func(id string) func(context.Context) (bool, error) {
			return db.Ent.OutboxMessage.Query().Where(outboxmessage.ID(id)).Exist
		}
		t.Run("a sign-in expired over a day ago goes with its verifications, even a password's without expiry", func(t *testing.T) {
			gone("sign-in", signInRow(oldSignIn), true)
			gone("its password verification", codeRow(oldPassword), true)
			gone("its verified code", codeRow(oldCode), true)
			gone("a sign-in expired 23 hours ago", signInRow(freshSignIn), false)
			gone("its password verification", codeRow(freshPassword), false)
			gone("its code", codeRow(freshCode), false)
		})
		t.Run("a sign-up expired over a day ago goes with its password hash and its proof; a live one keeps its proof", func(t *testing.T) {
			gone("sign-up", signUpRow(oldSignUp), true)
			gone("its email verification", codeRow(oldEmail), true)
			gone("live sign-up", signUpRow(liveSignUp), false)
			gone("its verified email code, expired 3 days ago", codeRow(liveEmail), false)
		})
		t.Run("a session reverification expired over a day ago goes with its code", func(t *testing.T) {
			row := func(id string) func(context.Context) (bool, error) {
				return db.Ent.SessionVerification.Query().Where(sessionverification.ID(id)).Exist
			}
			gone("reverification", row(oldReverify), true)
			gone("its code", codeRow(reverifyCode), true)
			gone("a reverification expired 23 hours ago", row(freshReverify), false)
		})
		t.Run("codes never verified go a day after they expired", func(t *testing.T) {
			for _, id := range staleCodes {
				gone("stale code", codeRow(id), true)
			}
			for _, id := range keptCodes {
				gone("recent code", codeRow(id), false)
			}
		})
		t.Run("clients without sessions or trust go after 30 idle days", func(t *testing.T) {
			for i := range unused {
				gone("unused client", clientRow(unused[i]), true)
				gone("client with an ended session", clientRow(signedIn[i]), false)
			}
			gone("client used 29 days ago", clientRow(recent), false)
			gone("trusted client", clientRow(trusted), false)
		})
		t.Run("unknown identifiers' lockout counters go after 30 idle days unless locked", func(t *testing.T) {
			counterRow := func(id string) func(context.Context) (bool, error) {
				return db.Ent.IdentifierLockout.Query().Where(identifierlockout.ID(id)).Exist
			}
			for _, id := range forgotten {
				gone("idle counter "+id, counterRow(id), true)
			}
			for _, id := range keptCounters {
				gone("counter "+id, counterRow(id), false)
			}
		})
		t.Run("outbox messages go after 7 days", func(t *testing.T) {
			for _, id := range oldMessages {
				gone("old message", messageRow(id), true)
			}
			for _, id := range keptMessages {
				gone("recent message", messageRow(id), false)
			}
		})
	})
}
