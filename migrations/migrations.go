// Package migrations holds trustgate's versioned SQL migrations, one
// directory per dialect (sqlite/ and postgres/), in Atlas's format: files
// named VERSION_NAME.sql applied in name order, and an atlas.sum integrity
// file over them.
//
// The files are generated from ent/schema, never written by hand: after a
// schema change, run from the repository root
//
//	go run ./cmd/migrategen -name add_something
//
// and commit the new files with the schema change. internal/migrate applies
// them (`trustgate migrate up`) and its tests check that applying every
// migration to an empty database yields exactly the schema ent/schema
// describes. An applied migration is never edited.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"

	"entgo.io/ent/dialect"
)

//go:embed sqlite postgres
var files embed.FS

// DirName returns the name of the directory, relative to this package, that
// holds the migrations for an ent dialect: "sqlite" for dialect.SQLite and
// "postgres" for dialect.Postgres.
func DirName(entDialect string) (string, error) {
	switch entDialect {
	case dialect.SQLite, "sqlite":
		return "sqlite", nil
	case dialect.Postgres:
		return "postgres", nil
	}
	return "", fmt.Errorf("migrations: no migrations for dialect %q", entDialect)
}

// FS returns the migration files and atlas.sum of an ent dialect
// (dialect.SQLite or dialect.Postgres), at the root of the returned FS.
func FS(entDialect string) (fs.FS, error) {
	dir, err := DirName(entDialect)
	if err != nil {
		return nil, err
	}
	return fs.Sub(files, dir)
}
