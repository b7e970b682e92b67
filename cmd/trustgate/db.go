package main

import (
	"context"

	"github.com/trustgate/trustgate/internal/database"
)

func openDB(ctx context.Context, cfg *Config) (*database.DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return database.Open(ctx, cfg.DatabaseURL)
}
