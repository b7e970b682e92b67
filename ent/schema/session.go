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

// Session is a signed-in user on one client. Short-lived JWTs are minted from it.
type Session struct{ ent.Schema }

// Mixin of the Session.
func (Session) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "sess"}, TimeMixin{}}
}

// Annotations of the Session: it is not generated into GraphQL; graph/ defines its type by hand.
func (Session) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the Session.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		appID(),
		field.String("user_id").Immutable().NotEmpty(),
		field.String("client_id").Immutable().NotEmpty(),
		field.Enum("status").Values("active", "ended", "revoked", "expired", "removed").Default("active"),
		field.Time("last_active_at"),
		// expire_at is when the session stops working: lifetime_ends_at,
		// or sooner, with an inactivity timeout, last activity plus the
		// timeout (slid forward as tokens are minted).
		field.Time("expire_at"),
		// lifetime_ends_at is the end of the session's maximum lifetime,
		// which activity never extends. Null for sessions created before
		// it was kept: their expire_at was it.
		field.Time("lifetime_ends_at").Optional().Nillable(),
		field.Time("ended_at").Optional().Nillable(),
		// first/second factor times feed the JWT's fva claim.
		field.Time("first_factor_at").Optional().Nillable(),
		field.Time("second_factor_at").Optional().Nillable(),
		field.String("sign_in_id").Optional().Nillable(),
		field.String("ip_address").Default(""),
		field.String("user_agent").Default("").MaxLen(512),
	}
}

// Edges of the Session.
func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("sessions").Field("user_id").Unique().Required().Immutable(),
		edge.From("client", Device.Type).Ref("sessions").Field("client_id").Unique().Required().Immutable(),
		edge.To("verification", SessionVerification.Type).Unique().Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Session.
func (Session) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "status"),
		index.Fields("client_id", "status"),
	}
}

// SessionVerification is an in-place reverification of a session (Clerk's
// SessionVerification): the factors it asks for follow from its level and
// the user's MFA, and each one that passes is stamped here and on the
// session. A session has at most one; starting another replaces it.
type SessionVerification struct{ ent.Schema }

// Mixin of the SessionVerification.
func (SessionVerification) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "sver"}, CreatedMixin{}}
}

// Annotations of the SessionVerification: it is not generated into GraphQL; graph/ defines its type by hand.
func (SessionVerification) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the SessionVerification.
func (SessionVerification) Fields() []ent.Field {
	return []ent.Field{
		field.String("session_id").Immutable().NotEmpty(),
		field.Enum("level").Values("first_factor", "second_factor", "multi_factor").Immutable(),
		field.String("first_factor_strategy").Optional().Nillable(),
		field.Time("first_factor_at").Optional().Nillable(),
		field.String("second_factor_strategy").Optional().Nillable(),
		field.Time("second_factor_at").Optional().Nillable(),
		// code_verification_id is the code last sent for the step in
		// progress (a row of verifications).
		field.String("code_verification_id").Optional().Nillable(),
		field.Time("expire_at"),
	}
}

// Edges of the SessionVerification.
func (SessionVerification) Edges() []ent.Edge {
	return []ent.Edge{
		// One per session: the edge makes session_id unique.
		edge.From("session", Session.Type).Ref("verification").Field("session_id").Unique().Required().Immutable(),
	}
}

// Indexes of the SessionVerification: expire_at is how the retention pass
// finds the expired ones.
func (SessionVerification) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expire_at")}
}

// SigningKey is an Ed25519 key pair that signs session JWTs. The private key is
// sealed under the server secret. A key is published (in the JWKS) from its
// creation, signs from activates_at (from its creation when null) until
// retired_at, and stays published for a while after that.
type SigningKey struct{ ent.Schema }

// Mixin of the SigningKey.
func (SigningKey) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "ins"}, CreatedMixin{}}
}

// Annotations of the SigningKey: it is not generated into GraphQL; graph/ defines its type by hand.
func (SigningKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the SigningKey.
func (SigningKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("algorithm").Default("EdDSA").Immutable(),
		field.Bytes("public_key").Immutable().NotEmpty(),
		field.Bytes("private_key_sealed").Immutable().Sensitive().NotEmpty(),
		// activates_at is when the key starts signing: a routine rotation
		// publishes the key first and sets it a publication delay ahead.
		field.Time("activates_at").Optional().Nillable(),
		// retired_at is when the key stops signing; ahead of now while its
		// successor waits for its activates_at.
		field.Time("retired_at").Optional().Nillable(),
	}
}

// ServerConfig is a small key/value store for server-wide state such as the
// generated root secret and the policy version.
type ServerConfig struct{ ent.Schema }

// Annotations of the ServerConfig: it is not generated into GraphQL; graph/ defines its type by hand.
func (ServerConfig) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the ServerConfig.
func (ServerConfig) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().MaxLen(64).StorageKey("key"),
		field.Text("value").Sensitive(),
		field.Time("updated_at").Default(nowUTC).UpdateDefault(nowUTC),
	}
}
