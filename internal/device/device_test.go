package device_test

import (
	"context"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	entdevice "github.com/trustgate/trustgate/ent/device"
	"github.com/trustgate/trustgate/ent/hook"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/device"
	"github.com/trustgate/trustgate/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

// TestResolveClientDeletedMidway: the retention pass deletes an idle client
// between Resolve's read and its touch. The request must get a new client,
// not the deleted one (whose sessions and trust would fail their foreign keys).
func TestResolveClientDeletedMidway(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		s := &device.Store{DB: db, Now: func() time.Time { return now }}
		app := db.Ent.Application.Create().SetName("app").SetPublishableKey("pk_app").
			SetSettings(nil).SetUpdates(map[string]bool{}).SaveX(ctx)
		first, token, err := s.Resolve(ctx, app.ID, "", "203.0.113.1", "test", nil)
		if err != nil || token == "" {
			t.Fatalf("new client: %v, %q", err, token)
		}
		now = now.Add(31 * 24 * time.Hour) // idle: Resolve will touch it
		deleted := false
		db.Ent.Device.Use(func(next ent.Mutator) ent.Mutator {
			return hook.DeviceFunc(func(ctx context.Context, m *ent.DeviceMutation) (ent.Value, error) {
				if m.Op().Is(ent.OpUpdateOne) && !deleted {
					deleted = true // what the pass does between the read and the touch
					if err := m.Client().Device.DeleteOneID(first.ID).Exec(ctx); err != nil {
						return nil, err
					}
				}
				return next.Mutate(ctx, m)
			})
		})
		got, fresh, err := s.Resolve(ctx, app.ID, token, "203.0.113.1", "test", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !deleted {
			t.Fatal("Resolve did not touch the idle client")
		}
		if got.ID == first.ID || fresh == "" || fresh == token {
			t.Fatalf("got client %s with token %q; want a new client and a fresh token", got.ID, fresh)
		}
		if !db.Ent.Device.Query().Where(entdevice.ID(got.ID)).ExistX(ctx) {
			t.Fatal("the client Resolve returned does not exist")
		}
	})
}
