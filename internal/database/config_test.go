package database_test

import (
	"context"
	"testing"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/dbtest"
)

// TestConfigValues: SetConfigValue overwrites, AddConfigValue keeps the row
// there. Two replicas starting at once without TRUSTGATE_SECRET both store a
// generated root secret with AddConfigValue; the loser's insert, which ent
// reports as sql.ErrNoRows, is no error, and both read the winner's.
func TestConfigValues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		c := db.Ent.ServerConfig
		if v, ok, err := database.ConfigValue(ctx, c, "k"); err != nil || ok || v != "" {
			t.Fatalf("ConfigValue of no row = %q, %v, %v", v, ok, err)
		}
		for _, v := range []string{"first", "second"} {
			if err := database.AddConfigValue(ctx, c, "k", v); err != nil {
				t.Fatalf("AddConfigValue(%q): %v", v, err)
			}
		}
		if v, ok, err := database.ConfigValue(ctx, c, "k"); err != nil || !ok || v != "first" {
			t.Fatalf("after two adds: %q, %v, %v; want the first", v, ok, err)
		}
		err := db.Tx(ctx, func(tx *ent.Tx) error { return database.SetConfigValue(ctx, tx.ServerConfig, "k", "third") })
		if err != nil {
			t.Fatal(err)
		}
		if v, _, _ := database.ConfigValue(ctx, c, "k"); v != "third" {
			t.Fatalf("after a set in a transaction: %q, want third", v)
		}
	})
}
