//go:build ignore

// Command entc regenerates the ent client, the entgql pagination and
// where-input code, and graph/ent.graphqls from ent/schema.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../graph/ent.graphqls"),
		entgql.WithWhereInputs(false),
		entgql.WithSchemaHook(dropNodeQueries),
		// No Node template: nothing resolves objects by global id (see dropNodeQueries).
		entgql.WithTemplates(entgql.CollectionTemplate, entgql.EnumTemplate, entgql.PaginationTemplate,
			entgql.TransactionTemplate, entgql.EdgeTemplate, entgql.MutationInputTemplate),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeatureVersionedMigration,
			gen.FeatureUpsert,
			gen.FeatureLock,
			gen.FeatureExecQuery,
			gen.FeatureModifier,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// dropNodeQueries removes the generic Relay node(id)/nodes(ids) queries and
// the Node interface: they would fetch any record by id past the
// per-application authorization of the admin API. Every object is reached
// through a field that checks permissions.
func dropNodeQueries(_ *gen.Graph, s *ast.Schema) error {
	q := s.Types["Query"]
	if q == nil {
		return nil
	}
	kept := q.Fields[:0]
	for _, f := range q.Fields {
		if f.Name != "node" && f.Name != "nodes" {
			kept = append(kept, f)
		}
	}
	q.Fields = kept
	if len(q.Fields) == 0 {
		delete(s.Types, "Query")
	}
	delete(s.Types, "Node")
	return nil
}
