package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User is an end user of one application.
type User struct{ ent.Schema }

// Mixin of the User.
func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "user"}, TimeMixin{}}
}

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		appID(),
		field.String("username").Optional().Nillable().MaxLen(64),
		// password_hash is a PHC string (argon2id, or bcrypt until the next sign-in upgrades it).
		field.String("password_hash").Optional().Nillable().Sensitive(),
		field.Time("password_updated_at").Optional().Nillable(),
		field.String("primary_email_address_id").Optional().Nillable(),
		field.String("primary_phone_number_id").Optional().Nillable(),
		// failed_attempts counts failed passwords, codes, TOTP and backup codes since
		// the last success; it drives the lockout.
		field.Int("failed_attempts").Default(0).NonNegative(),
		// locked_at is set while the user is locked; lockout_expires_at nil with
		// locked_at set means locked until an admin unlocks.
		field.Time("locked_at").Optional().Nillable(),
		field.Time("lockout_expires_at").Optional().Nillable(),
		field.Bool("banned").Default(false),
		field.Time("last_sign_in_at").Optional().Nillable(),
		field.Time("last_active_at").Optional().Nillable(),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("application", Application.Type).Ref("users").Field("application_id").Unique().Required().Immutable(),
		edge.To("email_addresses", EmailAddress.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("phone_numbers", PhoneNumber.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("totp", Totp.Type).Unique().Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("backup_codes", BackupCode.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("sessions", Session.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("trusted_clients", TrustedClient.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("operator", Operator.Type).Unique().Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("application_id", "username").Unique(),
		index.Fields("application_id", "created_at"),
	}
}

// Annotations of the User: admin lists are Relay connections with where-inputs;
// the GraphQL object type itself is written by hand in graph/.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipType, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
