package schema

import (
	"encoding/json"
	"entgo.io/contrib/entgql"
	"entgo.io/ent/schema"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Application is one tenant: an app whose users sign in through trustgate.
type Application struct{ ent.Schema }

// Mixin of the Application.
func (Application) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "app"}, TimeMixin{}}
}

// Annotations of the Application: it is not generated into GraphQL; graph/ defines its type by hand.
func (Application) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the Application.
func (Application) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		field.String("publishable_key").Unique().Immutable().NotEmpty(),
		// dashboard marks the built-in application that operators sign in to.
		field.Bool("dashboard").Default(false).Immutable(),
		// settings holds only the values an admin set explicitly, by AppSettings
		// field name; a JSON null is a deliberate null (e.g. lockout until unlocked).
		// Everything absent comes from the creation-date defaults.
		field.JSON("settings", map[string]json.RawMessage{}).Optional(),
		// updates records explicit opt-ins (true) and opt-outs (false) of dated
		// behaviour updates; an update not named here follows the creation date.
		field.JSON("updates", map[string]bool{}).Optional(),
	}
}

// Edges of the Application.
func (Application) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("users", User.Type),
		edge.To("clients", Device.Type),
	}
}
