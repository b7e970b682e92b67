package audit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

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

// TestEventsCountOnCommit: trustgate_sign_in_events_total counts the events
// of a transaction that commits, once, and none of one rolled back.
func TestEventsCountOnCommit(t *testing.T) {
	keys, err := keyring.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Each(t, func(t *testing.T, d *database.DB) {
		ctx := request.With(context.Background(), &request.Info{IP: "192.0.2.1", UserAgent: "test"})
		app, err := d.Ent.Application.Create().SetName("count").SetPublishableKey("pk_test_count").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		counter := audit.NewEventCounter()
		r := &audit.Recorder{Keys: keys, RowAtATime: d.IsSQLite(), Committed: counter}
		failed := audit.SignInEvent{ApplicationID: app.ID, Kind: audit.KindPasswordFailed, Outcome: audit.Failure, Strategy: "password"}
		created := audit.SignInEvent{ApplicationID: app.ID, Kind: audit.KindSignInCreated, Outcome: audit.Info}
		if err := d.Tx(ctx, func(tx *ent.Tx) error { return r.RecordAll(ctx, tx, []audit.SignInEvent{created, failed, failed}) }); err != nil {
			t.Fatal(err)
		}
		undone := errors.New("undone")
		if err := d.Tx(ctx, func(tx *ent.Tx) error {
			if err := r.Record(ctx, tx, failed); err != nil {
				return err
			}
			return undone
		}); !errors.Is(err, undone) {
			t.Fatalf("rolled-back transaction: %v", err)
		}
		if got := testutil.ToFloat64(counter.WithLabelValues(audit.KindPasswordFailed, "password", "failure")); got != 2 {
			t.Errorf("password.failed counted %v times, want 2 (the rolled-back one not counted)", got)
		}
		if got := testutil.ToFloat64(counter.WithLabelValues(audit.KindSignInCreated, "none", "info")); got != 1 {
			t.Errorf("sign_in.created counted %v times, want 1", got)
		}
	})
}
