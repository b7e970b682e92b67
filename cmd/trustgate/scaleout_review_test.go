package main

// Scale-out review: tests of cross-replica problems a review proved, which
// failed before their fixes.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/application"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/migrate"
	"github.com/trustgate/trustgate/internal/pgtest"
	"github.com/trustgate/trustgate/migrations"
)

// openReplica opens (but does not Run) a Main on dbURL, as `serve` and every
// CLI command do before EnsureApplications.
func openReplica(t *testing.T, dbURL string, dev bool) *Main {
	t.Helper()
	m := &Main{Config: Config{
		Addr: "127.0.0.1:0", DatabaseURL: dbURL, LogLevel: "debug", LogFormat: "text", Dev: dev,
		TokenTTL: time.Minute, Argon2Memory: 19456, Argon2Time: 2, ShutdownGrace: 5 * time.Second,
		SMTPFrom: "trustgate <no-reply@localhost>",
	}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Sender: &mailbox{}}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestReplicasStartingTogetherCreateOneDashboard: two replicas (or a replica
// and a CLI command such as `keys create` in an init job) starting at once on
// a freshly migrated PostgreSQL database must agree on one dashboard
// application. EnsureApplications checks for one and inserts one in a read
// committed transaction with nothing to stop both from inserting, until it
// locked a server_configs row first; the hook holds each replica between its
// check and its insert until the other has checked too (at most 2 s, so a
// serialised EnsureApplications passes).
func TestReplicasStartingTogetherCreateOneDashboard(t *testing.T) {
	for _, dev := range []bool{false, true} {
		t.Run(map[bool]string{false: "serve", true: "dev"}[dev], func(t *testing.T) {
			ctx := context.Background()
			url := pgtest.URL(t)
			dbtest.Migrate(t, url)
			a, b := openReplica(t, url, dev), openReplica(t, url, dev)
			var arrived sync.WaitGroup
			arrived.Add(2)
			both := make(chan struct{})
			go func() { arrived.Wait(); close(both) }()
			for _, m := range []*Main{a, b} {
				var once sync.Once
				m.DB.Ent.Application.Use(func(next ent.Mutator) ent.Mutator {
					return hook.ApplicationFunc(func(ctx context.Context, mu *ent.ApplicationMutation) (ent.Value, error) {
						if mu.Op().Is(ent.OpCreate) {
							once.Do(arrived.Done)
							select {
							case <-both:
							case <-time.After(2 * time.Second):
							}
						}
						return next.Mutate(ctx, mu)
					})
				})
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, m := range []*Main{a, b} {
				wg.Go(func() { errs[i] = m.EnsureApplications(ctx) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Logf("replica %d: %v", i, err)
				}
			}
			n := a.DB.Ent.Application.Query().Where(application.Dashboard(true)).CountX(ctx)
			if n != 1 {
				t.Errorf("%d dashboard applications after two replicas started at once, want 1", n)
			}
			if dev {
				if n := a.DB.Ent.Application.Query().Where(application.Dashboard(false)).CountX(ctx); n != 1 {
					t.Errorf("dev mode: %d default applications, want 1 (with two, a request without X-Publishable-Key answers application_not_found)", n)
				}
			}
			// What it breaks: every later command and the dashboard look the
			// dashboard application up with Only.
			if _, err := a.Services.Admin.CreateOperator(asCLI(ctx), "boss@example.com", "correct horse battery staple", "owner", "*"); err != nil {
				t.Errorf("operators create afterwards: %v", err)
			}
			srv := httptest.NewServer(a.Handler)
			defer srv.Close()
			if code := mustGetStatus(t, srv.URL+"/dashboard/config.json"); code != http.StatusOK {
				t.Errorf("GET /dashboard/config afterwards: %d, want 200", code)
			}
		})
	}
}

// TestReadyDuringRollingUpgrade: the documented upgrade is `trustgate migrate
// up` with the new build, then replacing the replicas. The moment the new
// migration was applied, every replica still running the old build answered
// /readyz 503 (the database "has migrations applied that this build does not
// have"), so a load balancer or Kubernetes took all of them out of service
// at once, before any new replica could be ready: an outage on every upgrade
// with a migration. The old build keeps serving, and now stays ready.
func TestReadyDuringRollingUpgrade(t *testing.T) {
	old := mustStart(t, pgtest.URL(t), cheapHashes)
	ready := func() int { t.Helper(); return mustGetStatus(t, old.base+"/readyz") }
	if got := ready(); got != http.StatusOK {
		t.Fatalf("before the upgrade: /readyz %d", got)
	}
	// The new build's migrations: today's plus one that adds a table.
	ctx := context.Background()
	dir := dbtest.MigrationsDir(t, old.m.DB.Dialect)
	dir["29990101000000_next_release.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE "next_release_things" ("id" character varying NOT NULL, PRIMARY KEY ("id"));` + "\n")}
	dbtest.Rehash(t, dir)
	name, _ := migrations.DirName(old.m.DB.Dialect)
	if _, err := migrate.Up(ctx, old.m.DB, migrate.WithFS(dir, "migrations/"+name)); err != nil {
		t.Fatal(err)
	}
	// The old build still works against the new schema...
	old.newUser(t, vars{"emailAddress": "after-upgrade@example.com"})
	if r := old.browser().signIn("after-upgrade@example.com", testPassword); len(r.Errors) > 0 && r.code(t) == "internal_error" {
		t.Fatalf("old build after the migration: %v", r.Errors)
	}
	// ...but tells the load balancer to stop sending it anything.
	if got := ready(); got != http.StatusOK {
		t.Errorf("an old replica after `migrate up` of the next release: /readyz %d, want 200 (every old replica leaves the load balancer at once)", got)
	}
}
