package policy_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/roleassignment"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/pgtest"
	"github.com/trustgate/trustgate/policy"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

// TestConcurrentGrants: the same role granted by several operators at once
// succeeds for each of them and leaves one assignment.
func TestConcurrentGrants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		const n = 8
		got := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				err := db.Tx(ctx, func(tx *ent.Tx) error {
					if db.Dialect == dialect.Postgres {
						// Line the transactions up so that each looks for the
						// assignment before any has inserted it.
						if _, err := tx.ExecContext(ctx, "SELECT pg_sleep(0.1)"); err != nil {
							return err
						}
					}
					ra, err := policy.Grant(ctx, tx, "op_1", "admin", "app_1", "test", time.Now())
					if err == nil {
						got[i] = ra.ID
					}
					return err
				})
				if err != nil {
					t.Errorf("grant %d: %v", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		rows, err := db.Ent.RoleAssignment.Query().Where(roleassignment.Subject("op_1")).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("%d assignments, want 1", len(rows))
		}
		for i, id := range got {
			if id != rows[0].ID {
				t.Errorf("grant %d answered assignment %q, want the one that stayed (%q)", i, id, rows[0].ID)
			}
		}
		// Granting again is a no-op that answers the same row.
		if err := db.Tx(ctx, func(tx *ent.Tx) error {
			ra, err := policy.Grant(ctx, tx, "op_1", "admin", "app_1", "test", time.Now())
			if err == nil && ra.ID != rows[0].ID {
				t.Errorf("a repeated grant answered %q, want %q", ra.ID, rows[0].ID)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
}
