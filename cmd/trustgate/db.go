package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/trustgate/trustgate/internal/database"
)

// openDB opens the configured database; the command's other settings were
// validated before it ran.
func openDB(ctx context.Context, cfg *Config) (*database.DB, error) {
	if err := cfg.Validate("database-url"); err != nil {
		return nil, err
	}
	return database.Open(ctx, cfg.DatabaseURL)
}

// withDB runs a command that only needs the database (no migrations check, no services).
func withDB(fn func(ctx context.Context, db *database.DB, out output) error) func(context.Context, *Config, *slog.Logger, map[string]*string, io.Reader, output) error {
	return func(ctx context.Context, cfg *Config, _ *slog.Logger, _ map[string]*string, _ io.Reader, out output) error {
		db, err := openDB(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		return fn(ctx, db, out)
	}
}
