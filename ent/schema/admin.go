package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// APIKey is an admin secret key (sk_…). Only a hash of it is stored; it acts
// with the roles assigned to its id.
type APIKey struct{ ent.Schema }

// Mixin of the APIKey.
func (APIKey) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "ak"}, CreatedMixin{}}
}

// Annotations of the APIKey: it is not generated into GraphQL; graph/ defines its type by hand.
func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Default(""),
		// prefix is the first characters of the key, shown to tell keys apart.
		field.String("prefix").Immutable().NotEmpty(),
		field.Bytes("secret_hash").Unique().Immutable().Sensitive().NotEmpty(),
		// role and application_id record what the key was created with; the
		// authoritative grants are role assignments with the key id as subject.
		field.String("role").Immutable().NotEmpty(),
		field.String("application_id").Immutable().NotEmpty(),
		field.String("created_by").Default("").Immutable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Operator is a dashboard user: a user of the built-in dashboard application,
// so the sign-in engine (Client Trust, MFA, lockout) protects the dashboard too.
type Operator struct{ ent.Schema }

// Mixin of the Operator.
func (Operator) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "op"}, TimeMixin{}}
}

// Annotations of the Operator: it is not generated into GraphQL; graph/ defines its type by hand.
func (Operator) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the Operator.
func (Operator) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").Unique().NotEmpty(),
		field.String("user_id").Unique().Immutable().NotEmpty(),
		field.Time("disabled_at").Optional().Nillable(),
	}
}

// Edges of the Operator.
func (Operator) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("operator").Field("user_id").Unique().Required().Immutable(),
	}
}

// RoleAssignment grants a role to a subject (operator email or API key id) in a
// domain (an application id or "*"). Casbin reads these as its "g" rules.
type RoleAssignment struct{ ent.Schema }

// Mixin of the RoleAssignment.
func (RoleAssignment) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "ra"}, CreatedMixin{}}
}

// Annotations of the RoleAssignment: it is not generated into GraphQL; graph/ defines its type by hand.
func (RoleAssignment) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the RoleAssignment.
func (RoleAssignment) Fields() []ent.Field {
	return []ent.Field{
		field.String("subject").Immutable().NotEmpty(),
		field.String("role").Immutable().NotEmpty(),
		field.String("domain").Immutable().NotEmpty(),
		field.String("created_by").Default("").Immutable(),
	}
}

// Indexes of the RoleAssignment.
func (RoleAssignment) Indexes() []ent.Index {
	return []ent.Index{index.Fields("subject", "role", "domain").Unique()}
}
