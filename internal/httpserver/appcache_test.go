package httpserver

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/pgtest"
	"github.com/trustgate/trustgate/internal/settings"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

func TestAppCache(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		c := newAppCache(db.Ent)
		c.now = func() time.Time { return now }
		app := db.Ent.Application.Create().SetName("app").SetPublishableKey("pk_app").
			SetSettings(map[string]json.RawMessage{}).SetUpdates(map[string]bool{}).SaveX(ctx)
		hit := func() bool { _, ok, _ := c.get("pk_app"); return ok }
		put := func() {
			_, _, m := c.get("pk_app")
			c.put("pk_app", m, app, settings.Settings{})
		}

		put()
		if !hit() {
			t.Fatal("a fresh entry is not served")
		}
		now = now.Add(appCacheTTL)
		if hit() {
			t.Fatal("an entry is served past appCacheTTL")
		}

		put()
		db.Ent.Application.UpdateOne(app).SetName("renamed").ExecX(ctx)
		if hit() {
			t.Fatal("an entry outlived a change to an application")
		}

		// A request reads the old row after the change was written but
		// before it committed, and caches it: the commit empties the cache.
		err := db.Tx(ctx, func(tx *ent.Tx) error {
			if err := tx.Application.UpdateOne(app).SetName("again").Exec(ctx); err != nil {
				return err
			}
			put()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if hit() {
			t.Fatal("an entry cached before the change committed outlived the commit")
		}

		// A request that began reading before a change and finishes after
		// its commit keeps nothing.
		_, _, m := c.get("pk_app")
		db.Ent.Application.UpdateOne(app).SetName("once more").ExecX(ctx)
		c.put("pk_app", m, app, settings.Settings{})
		if hit() {
			t.Fatal("a read that began before a change was cached after it")
		}
	})
}
