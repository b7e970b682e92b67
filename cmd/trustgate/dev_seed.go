package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/ids"
)

func init() {
	commands["dev seed-events"] = command{
		summary: "Appends N synthetic sign-in events to an application (a new one unless --app is given), " +
			"spread over users, devices, IPs, kinds, outcomes and time like real traffic, for benchmarks and demos. " +
			"PostgreSQL is loaded with COPY, SQLite with multi-row INSERTs, in large batches.",
		settings: dbSettings,
		jsonFlag: true,
		flags: func(fs *flag.FlagSet) map[string]*string {
			return map[string]*string{
				"count":   fs.String("count", "100000", "number of events to insert"),
				"app":     fs.String("app", "", "application id (default: create an application named \"Seeded events\")"),
				"users":   fs.String("users", "0", "distinct users (0: one per 200 events, at least 10)"),
				"days":    fs.String("days", "90", "the events span this many days up to --until"),
				"until":   fs.String("until", "", "time of the newest event, RFC 3339 (default: now)"),
				"batch":   fs.String("batch", "50000", "events per COPY / transaction"),
				"workers": fs.String("workers", "2", "batches written at once (PostgreSQL)"),
				"seed":    fs.String("seed", "1", "random seed; the same seed and flags give the same events"),
			}
		},
		run: devSeedEvents,
	}
}

// seedOptions are the parsed flags of dev seed-events.
type seedOptions struct {
	count, users, batch, workers int
	days                         int
	until                        time.Time
	seed                         uint64
}

func parseSeedOptions(f map[string]*string, now time.Time) (seedOptions, error) {
	o := seedOptions{until: now}
	ints := []struct {
		name     string
		dst      *int
		min, max int
	}{
		{"count", &o.count, 1, 1_000_000_000},
		{"users", &o.users, 0, 100_000_000},
		{"days", &o.days, 1, 3650},
		{"batch", &o.batch, 1, 1_000_000},
		{"workers", &o.workers, 1, 64},
	}
	var errs []error
	for _, i := range ints {
		n, err := strconv.Atoi(*f[i.name])
		if err != nil || n < i.min || n > i.max {
			errs = append(errs, fmt.Errorf("--%s %q: want a whole number from %d to %d", i.name, *f[i.name], i.min, i.max))
			continue
		}
		*i.dst = n
	}
	seed, err := strconv.ParseUint(*f["seed"], 10, 64)
	if err != nil {
		errs = append(errs, fmt.Errorf("--seed %q: want a whole number", *f["seed"]))
	}
	o.seed = seed
	if s := *f["until"]; s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("--until %q: use RFC 3339, e.g. 2026-11-22T12:00:00Z", s))
		}
		o.until = t
	}
	if o.users == 0 {
		o.users = max(o.count/200, 10)
	}
	return o, errors.Join(errs...)
}

func devSeedEvents(ctx context.Context, cfg *Config, log *slog.Logger, f map[string]*string, _ io.Reader, out output) error {
	o, err := parseSeedOptions(f, time.Now().UTC())
	if err != nil {
		return err
	}
	m, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer m.Close()
	appID := *f["app"]
	if appID == "" {
		app, err := m.Services.Admin.CreateApplication(ctx, "Seeded events", nil)
		if err != nil {
			return err
		}
		appID = app.ID
	} else if _, err := m.DB.Ent.Application.Get(ctx, appID); err != nil {
		return fmt.Errorf("--app %q: no such application", appID)
	}
	gen := newEventGenerator(appID, &audit.Recorder{Keys: m.Keys}, o)
	start := time.Now()
	n, err := seedEvents(ctx, m.DB, gen, o, func(done int) {
		el := time.Since(start).Seconds()
		log.Info("seeding sign-in events", "inserted", done, "of", o.count, "rows_per_second", int(float64(done)/el))
	})
	if err != nil {
		return err
	}
	el := time.Since(start)
	rate := int(float64(n) / el.Seconds())
	return out.print(map[string]any{"applicationId": appID, "inserted": n, "seconds": el.Seconds(), "rowsPerSecond": rate},
		fmt.Sprintf("Inserted %d sign-in events into %s in %s (%d rows/s).", n, appID, el.Round(time.Millisecond), rate))
}

// seedColumns are the sign_in_events columns the seeder writes, in order.
var seedColumns = []string{"id", "at", "application_id", "sign_in_id", "user_id", "identifier", "identifier_digest",
	"client_id", "ip_address", "user_agent", "kind", "strategy", "outcome", "reason"}

// seedRow is one sign-in event; nil pointers are SQL NULLs.
type seedRow struct {
	id, appID                     string
	at                            time.Time
	signInID, userID, digest, cli *string
	ident, ip, ua, kind, outcome  string
	strategy, reason              *string
}

func (r *seedRow) values() []any {
	return []any{r.id, r.at, r.appID, nullable(r.signInID), nullable(r.userID), r.ident, nullable(r.digest),
		nullable(r.cli), r.ip, r.ua, r.kind, nullable(r.strategy), r.outcome, nullable(r.reason)}
}

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// seedEvents writes the generator's events in batches: the generator fills
// batches in time order on this goroutine while o.workers goroutines write
// them, so the newest rows land last, as they do in production.
func seedEvents(ctx context.Context, db *database.DB, gen *eventGenerator, o seedOptions, progress func(int)) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := o.workers
	if db.IsSQLite() {
		workers = 1 // one writer at a time anyway
	}
	batches := make(chan []seedRow, workers)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		done     int
		nextLog  = 1_000_000
	)
	for range workers {
		wg.Go(func() {
			for b := range batches {
				var err error
				if db.IsPostgres() {
					err = copyEvents(ctx, db.SQL, b)
				} else {
					err = insertEvents(ctx, db.SQL, b)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if err == nil {
					done += len(b)
					if done >= nextLog {
						progress(done)
						nextLog += 1_000_000
					}
				}
				mu.Unlock()
			}
		})
	}
	for left := o.count; left > 0 && ctx.Err() == nil; {
		b := gen.next(min(left, o.batch))
		left -= len(b)
		select {
		case batches <- b:
		case <-ctx.Done():
		}
	}
	close(batches)
	wg.Wait()
	if firstErr != nil {
		return done, firstErr
	}
	return done, ctx.Err()
}

// copyEvents loads rows with one COPY in one transaction.
func copyEvents(ctx context.Context, db *sql.DB, rows []seedRow) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cols := make([]string, len(seedColumns))
	for i, c := range seedColumns {
		cols[i] = pq.QuoteIdentifier(c)
	}
	stmt, err := tx.PrepareContext(ctx, "COPY sign_in_events ("+strings.Join(cols, ", ")+") FROM STDIN")
	if err != nil {
		return fmt.Errorf("seed: COPY: %w", err)
	}
	for i := range rows {
		if _, err := stmt.ExecContext(ctx, rows[i].values()...); err != nil {
			return fmt.Errorf("seed: COPY: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("seed: COPY: %w", err)
	}
	if err := stmt.Close(); err != nil {
		return err
	}
	return tx.Commit()
}

// sqliteRowsPerInsert keeps one INSERT under SQLite's 32766 bound parameters.
const sqliteRowsPerInsert = 1000

// insertEvents writes rows with multi-row INSERTs in one transaction (SQLite).
func insertEvents(ctx context.Context, db *sql.DB, rows []seedRow) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(seedColumns)), ",") + ")"
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), sqliteRowsPerInsert)]
		rows = rows[len(chunk):]
		var q strings.Builder
		q.WriteString("INSERT INTO sign_in_events (" + strings.Join(seedColumns, ",") + ") VALUES ")
		args := make([]any, 0, len(chunk)*len(seedColumns))
		for i := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(one)
			args = append(args, chunk[i].values()...)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("seed: INSERT: %w", err)
		}
	}
	return tx.Commit()
}

// seedUser is a synthetic user with the devices and home IPs it signs in from.
type seedUser struct {
	id, email, masked, digest string
	clients                   []string
	ips                       []string
}

// eventGenerator produces sign-in flows in time order: most users sign in
// from a known device, some meet Client Trust or MFA, some mistype, some
// give up, and a few attacker IPs stuff credentials of real and unknown users.
// Users and IPs are Zipf-distributed, so a few are very busy, as in life.
type eventGenerator struct {
	appID    string
	rnd      *rand.Rand
	users    []seedUser
	userPick *rand.Zipf
	rec      *audit.Recorder
	attack   []string
	atkPick  *rand.Zipf
	t        time.Time
	step     float64 // mean nanoseconds between flows
	pending  []seedRow
}

var seedUserAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
}

// meanEventsPerFlow is the average length of a generated flow (measured).
const meanEventsPerFlow = 3.64

func newEventGenerator(appID string, rec *audit.Recorder, o seedOptions) *eventGenerator {
	rnd := rand.New(rand.NewPCG(o.seed, 0x7472757374676174))
	g := &eventGenerator{appID: appID, rnd: rnd, rec: rec}
	span := time.Duration(o.days) * 24 * time.Hour
	g.t = o.until.Add(-span)
	g.step = float64(span) / (float64(o.count) / meanEventsPerFlow)
	g.users = make([]seedUser, o.users)
	for i := range g.users {
		u := &g.users[i]
		u.id = ids.At("user", g.t.Add(-time.Duration(rnd.Int64N(int64(365*24*time.Hour)))))
		u.email = fmt.Sprintf("user%d@example.com", i)
		for range 1 + rnd.IntN(3) {
			u.clients = append(u.clients, ids.At("client", g.t))
		}
		for range 1 + rnd.IntN(2) {
			u.ips = append(u.ips, g.randomIP())
		}
	}
	g.userPick = rand.NewZipf(rnd, 1.1, 8, uint64(len(g.users)-1))
	g.attack = make([]string, max(o.users/2000, 3))
	for i := range g.attack {
		g.attack[i] = g.randomIP()
	}
	g.atkPick = rand.NewZipf(rnd, 1.3, 1, uint64(len(g.attack)-1))
	return g
}

func (g *eventGenerator) randomIP() string {
	if g.rnd.IntN(10) == 0 {
		return fmt.Sprintf("2001:db8:%x:%x::%x", g.rnd.IntN(65536), g.rnd.IntN(65536), 1+g.rnd.IntN(65535))
	}
	return fmt.Sprintf("%d.%d.%d.%d", 1+g.rnd.IntN(223), g.rnd.IntN(256), g.rnd.IntN(256), 1+g.rnd.IntN(254))
}

// user returns the i-th user with its identifier digest, computed on first use.
func (g *eventGenerator) user(i int) *seedUser {
	u := &g.users[i]
	if u.digest == "" {
		u.masked = identifier.Mask(u.email)
		u.digest = g.rec.IdentifierDigest(u.email)
	}
	return u
}

// next returns the next n events.
func (g *eventGenerator) next(n int) []seedRow {
	out := make([]seedRow, 0, n)
	for len(out) < n {
		if len(g.pending) == 0 {
			g.flow()
		}
		k := min(n-len(out), len(g.pending))
		out = append(out, g.pending[:k]...)
		g.pending = g.pending[k:]
	}
	return out
}

func ptr(s string) *string { return &s }

// flow appends one sign-in's events to g.pending and advances the clock.
func (g *eventGenerator) flow() {
	g.t = g.t.Add(time.Duration(g.rnd.ExpFloat64() * g.step))
	at := g.t
	signInID := ids.At("sia", at)
	var (
		u      *seedUser
		ident  string
		masked string
		digest *string
		userID *string
		client = ptr(ids.At("client", at))
		ip     string
		ua     = seedUserAgents[g.rnd.IntN(len(seedUserAgents))]
	)
	attack := g.rnd.IntN(100) < 10
	if !attack || g.rnd.IntN(10) < 3 {
		u = g.user(int(g.userPick.Uint64()))
		masked, digest, userID = u.masked, ptr(u.digest), ptr(u.id)
	} else {
		ident = fmt.Sprintf("%s%d@%s", []string{"admin", "info", "j.smith", "support", "test"}[g.rnd.IntN(5)], g.rnd.IntN(100000),
			[]string{"example.net", "example.org", "mail.example"}[g.rnd.IntN(3)])
		masked, digest = identifier.Mask(ident), ptr(g.rec.IdentifierDigest(ident))
	}
	switch {
	case attack:
		ip = g.attack[g.atkPick.Uint64()]
	default:
		ip = u.ips[g.rnd.IntN(len(u.ips))]
		if g.rnd.IntN(5) > 0 {
			client = ptr(u.clients[g.rnd.IntN(len(u.clients))])
		}
	}
	emit := func(kind, outcome string, strategy, reason *string) {
		r := seedRow{id: ids.At("sie", at), appID: g.appID, at: at, signInID: &signInID, userID: userID,
			ident: masked, digest: digest, cli: client, ip: ip, ua: ua, kind: kind, outcome: outcome, strategy: strategy, reason: reason}
		g.pending = append(g.pending, r)
		at = at.Add(time.Duration(200+g.rnd.IntN(4000)) * time.Millisecond)
	}
	pw, email, totp, backup := ptr("password"), ptr("email_code"), ptr("totp"), ptr("backup_code")
	emit(audit.KindSignInCreated, string(audit.Info), nil, nil)
	p := g.rnd.IntN(100)
	switch {
	case attack:
		if userID == nil {
			emit(audit.KindPasswordFailed, string(audit.Failure), pw, ptr("identifier_not_found"))
			return
		}
		emit(audit.KindPasswordFailed, string(audit.Failure), pw, ptr("password_incorrect"))
		if g.rnd.IntN(20) == 0 {
			emit(audit.KindUserLocked, string(audit.Failure), pw, ptr("too_many_failed_attempts"))
		}
	case p < 60:
		emit(audit.KindPasswordPassed, string(audit.Success), pw, nil)
		emit(audit.KindSignInCompleted, string(audit.Success), nil, nil)
	case p < 72:
		emit(audit.KindPasswordPassed, string(audit.Success), pw, nil)
		emit(audit.KindClientTrustRequired, string(audit.Challenge), email, ptr("new_device"))
		emit(audit.KindCodeSent, string(audit.Info), email, nil)
		if g.rnd.IntN(8) == 0 {
			emit(audit.KindCodeFailed, string(audit.Failure), email, ptr(string(apierr.FormCodeIncorrect)))
		}
		emit(audit.KindCodePassed, string(audit.Success), email, nil)
		emit(audit.KindSignInCompleted, string(audit.Success), nil, nil)
	case p < 82:
		emit(audit.KindPasswordPassed, string(audit.Success), pw, nil)
		emit(audit.KindSecondFactorRequired, string(audit.Challenge), totp, nil)
		if g.rnd.IntN(10) == 0 {
			emit(audit.KindBackupCodeUsed, string(audit.Success), backup, nil)
		} else {
			if g.rnd.IntN(6) == 0 {
				emit(audit.KindTOTPFailed, string(audit.Failure), totp, ptr("code_incorrect"))
			}
			emit(audit.KindTOTPPassed, string(audit.Success), totp, nil)
		}
		emit(audit.KindSignInCompleted, string(audit.Success), nil, nil)
	case p < 95:
		emit(audit.KindPasswordFailed, string(audit.Failure), pw, ptr("password_incorrect"))
		emit(audit.KindPasswordPassed, string(audit.Success), pw, nil)
		emit(audit.KindSignInCompleted, string(audit.Success), nil, nil)
	default:
		emit(audit.KindPasswordPassed, string(audit.Success), pw, nil)
		emit(audit.KindClientTrustRequired, string(audit.Challenge), email, ptr("new_device"))
		emit(audit.KindCodeSent, string(audit.Info), email, nil)
		at = at.Add(2 * time.Hour)
		emit(audit.KindSignInAbandoned, string(audit.Failure), nil, ptr("expired"))
	}
}
