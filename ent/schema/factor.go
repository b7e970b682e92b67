package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Totp is a user's authenticator-app (RFC 6238) factor. The secret is sealed
// with AES-GCM under a key derived from the server secret.
type Totp struct{ ent.Schema }

// Mixin of the Totp.
func (Totp) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "totp"}, TimeMixin{}}
}

// Annotations of the Totp: it is not generated into GraphQL; graph/ defines its type by hand.
func (Totp) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the Totp.
func (Totp) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").Immutable().NotEmpty(),
		field.Bytes("secret_sealed").Sensitive().NotEmpty(),
		field.Bool("verified").Default(false),
		field.Time("verified_at").Optional().Nillable(),
		// last_used_step is the newest 30-second step accepted, so each code works once.
		field.Int64("last_used_step").Default(0),
	}
}

// Edges of the Totp.
func (Totp) Edges() []ent.Edge {
	return []ent.Edge{
		// One TOTP per user: the edge makes user_id unique (totps_user_id_key).
		edge.From("user", User.Type).Ref("totp").Field("user_id").Unique().Required().Immutable(),
	}
}

// BackupCode is one single-use recovery code, stored only as a keyed hash.
type BackupCode struct{ ent.Schema }

// Mixin of the BackupCode.
func (BackupCode) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "bkc"}, CreatedMixin{}}
}

// Annotations of the BackupCode: it is not generated into GraphQL; graph/ defines its type by hand.
func (BackupCode) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the BackupCode.
func (BackupCode) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").Immutable().NotEmpty(),
		field.Bytes("code_hash").Sensitive().Immutable().NotEmpty(),
		field.Time("used_at").Optional().Nillable(),
	}
}

// Edges of the BackupCode.
func (BackupCode) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("backup_codes").Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the BackupCode.
func (BackupCode) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id")}
}

// Verification is one proof in progress: a password check, a one-time code sent
// by email or SMS, a TOTP or a backup code. Codes are stored as keyed hashes.
type Verification struct{ ent.Schema }

// Mixin of the Verification.
func (Verification) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "ver"}, TimeMixin{}}
}

// Annotations of the Verification: it is not generated into GraphQL; graph/ defines its type by hand.
func (Verification) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the Verification.
func (Verification) Fields() []ent.Field {
	return []ent.Field{
		field.String("strategy").NotEmpty(),
		field.Enum("status").Values("unverified", "verified", "failed", "expired").Default("unverified"),
		// target_id names the email address or phone number the code went to;
		// target is its normalised value, for sign-ups where no record exists yet.
		field.String("target_id").Optional().Nillable(),
		field.String("target").Optional().Nillable(),
		field.Bytes("code_hash").Optional().Nillable().Sensitive(),
		// attempts counts failed attempts; a resend keeps it.
		field.Int("attempts").Default(0).NonNegative(),
		field.Time("expire_at").Optional().Nillable(),
		field.Time("sent_at").Optional().Nillable(),
		field.Int("send_count").Default(0).NonNegative(),
		field.Time("verified_at").Optional().Nillable(),
	}
}

// Indexes of the Verification: expire_at is how the retention pass finds
// codes long expired.
func (Verification) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expire_at")}
}
