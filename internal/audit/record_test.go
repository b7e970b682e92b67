package audit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/pgtest"
	"github.com/trustgate/trustgate/internal/request"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

// BenchmarkRecordAll writes the three events of a password sign-in in one
// transaction, as one multi-row statement and as a statement per row, on
// SQLite and PostgreSQL.
func BenchmarkRecordAll(b *testing.B) {
	keys, err := keyring.New(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	dbtest.Each(b, func(b *testing.B, d *database.DB) {
		ctx := request.With(context.Background(), &request.Info{IP: "192.0.2.1", UserAgent: "bench"})
		app, err := d.Ent.Application.Create().SetName("bench").SetPublishableKey("pk_test_bench").Save(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, rowAtATime := range []bool{false, true} {
			b.Run(fmt.Sprintf("row-at-a-time=%v", rowAtATime), func(b *testing.B) {
				r := &audit.Recorder{Keys: keys, RowAtATime: rowAtATime}
				for i := 0; b.Loop(); i++ {
					ident := fmt.Sprintf("user%d@example.com", i)
					events := []audit.SignInEvent{
						{ApplicationID: app.ID, Kind: audit.KindSignInCreated, Outcome: audit.Info, Identifier: ident, Strategy: "password"},
						{ApplicationID: app.ID, Kind: audit.KindPasswordPassed, Outcome: audit.Success, Identifier: ident, Strategy: "password"},
						{ApplicationID: app.ID, Kind: audit.KindSignInCompleted, Outcome: audit.Success, Identifier: ident, Strategy: "password"},
					}
					if err := d.Tx(ctx, func(tx *ent.Tx) error { return r.RecordAll(ctx, tx, events) }); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}
