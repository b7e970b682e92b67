package database

import (
	"database/sql"
	"errors"
	"net/url"
	"time"

	"entgo.io/ent/dialect"
	"github.com/lib/pq"
)

// PostgreSQL pool defaults: enough connections for a busy replica without
// exhausting a default max_connections (100) when a few replicas share one
// server, and recycled so that a failover or pooler change is picked up.
const (
	postgresMaxOpenConns    = 20
	postgresMaxIdleConns    = 10
	postgresConnMaxLifetime = 30 * time.Minute
	postgresConnMaxIdleTime = 5 * time.Minute
)

// openPostgres opens a pool on the postgres:// URL rawURL.
func openPostgres(rawURL string, o *options) (*DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("database: invalid postgres URL: " + URLError(err))
	}
	if CutShort(u) {
		return nil, errors.New("database: invalid postgres URL: " + CutShortError)
	}
	redacted := Redact(rawURL)
	// lib/pq reads the URL on connect.
	sqlDB := sql.OpenDB(cachingConnector{drv: &pq.Driver{}, dsn: rawURL, observe: o.observe})
	maxOpen := postgresMaxOpenConns
	switch {
	case o.postgresMaxOpen > 0:
		maxOpen = o.postgresMaxOpen
	case o.maxOpen > 0:
		maxOpen = o.maxOpen
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(postgresMaxIdleConns) // database/sql lowers it to maxOpen if that is less
	sqlDB.SetConnMaxLifetime(postgresConnMaxLifetime)
	sqlDB.SetConnMaxIdleTime(postgresConnMaxIdleTime)
	return &DB{SQL: sqlDB, Dialect: dialect.Postgres, redacted: redacted}, nil
}
