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

// Device is one client (Clerk's term): a browser (the __client cookie) or a native app install
// (X-Client-Token). Only a hash of its token is stored.
type Device struct{ ent.Schema }

// Mixin of the Device.
func (Device) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "client"}, TimeMixin{}}
}

// Annotations of the Device: it is not generated into GraphQL; graph/ defines its type by hand.
func (Device) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(), entsql.Table("clients")}
}

// Fields of the Device.
func (Device) Fields() []ent.Field {
	return []ent.Field{
		appID(),
		// token_hash is unique per application: one browser keeps one __client
		// cookie across the applications served on its origin.
		field.Bytes("token_hash").Sensitive().NotEmpty(),
		// previous_token_hash is the token a session's start replaced
		// (rotated_at), against session fixation: a request still carrying it
		// shortly after is refused instead of being handed a new client whose
		// cookie would overwrite the new one in the browser.
		field.Bytes("previous_token_hash").Optional().Nillable().Sensitive(),
		field.Time("rotated_at").Optional().Nillable(),
		field.String("user_agent").Default("").MaxLen(512),
		field.String("ip_address").Default(""),
		field.Time("last_active_at").Optional().Nillable(),
		// sign_in_id and sign_up_id name the client's current attempts, if any.
		field.String("sign_in_id").Optional().Nillable(),
		field.String("sign_up_id").Optional().Nillable(),
	}
}

// Edges of the Device.
func (Device) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("application", Application.Type).Ref("clients").Field("application_id").Unique().Required().Immutable(),
		edge.To("sessions", Session.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("trusts", TrustedClient.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Device.
func (Device) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("token_hash", "application_id").Unique(),
		index.Fields("previous_token_hash"),
		index.Fields("application_id", "last_active_at"),
	}
}

// TrustedClient records that a user completed a sign-in or sign-up on a client,
// so Client Trust no longer challenges password sign-ins of that (user, client) pair.
type TrustedClient struct{ ent.Schema }

// Mixin of the TrustedClient.
func (TrustedClient) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "trust"}, TimeMixin{}}
}

// Annotations of the TrustedClient: it is not generated into GraphQL; graph/ defines its type by hand.
func (TrustedClient) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the TrustedClient.
func (TrustedClient) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").Immutable().NotEmpty(),
		field.String("client_id").Immutable().NotEmpty(),
		// method is how trust was established: password (known device), email_code,
		// phone_code, totp, backup_code, sign_up.
		field.String("method").Default(""),
		field.String("ip_address").Default(""),
		field.String("user_agent").Default("").MaxLen(512),
		field.Time("last_used_at").Optional().Nillable(),
	}
}

// Edges of the TrustedClient.
func (TrustedClient) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("trusted_clients").Field("user_id").Unique().Required().Immutable(),
		edge.From("client", Device.Type).Ref("trusts").Field("client_id").Unique().Required().Immutable(),
	}
}

// Indexes of the TrustedClient.
func (TrustedClient) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "client_id").Unique(),
		index.Fields("client_id"),
	}
}
