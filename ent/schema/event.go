package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

func nowUTC() time.Time { return time.Now().UTC() }

// SignInEvent is one step of a sign-in, appended in the step's own transaction.
// It has no foreign keys: history outlives the records it names.
type SignInEvent struct{ ent.Schema }

// Mixin of the SignInEvent.
func (SignInEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "sie"}}
}

// Fields of the SignInEvent.
func (SignInEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("at").Immutable().Default(time.Now).Annotations(entgql.OrderField("AT")),
		field.String("application_id").Immutable().NotEmpty(),
		field.String("sign_in_id").Optional().Nillable().Immutable(),
		field.String("user_id").Optional().Nillable().Immutable(),
		// identifier is masked for display; identifier_digest is a keyed hash of
		// the normalised identifier, so auditors can filter by it without storing it.
		field.String("identifier").Default("").Immutable(),
		field.String("identifier_digest").Optional().Nillable().Immutable(),
		field.String("client_id").Optional().Nillable().Immutable(),
		field.String("ip_address").Default("").Immutable(),
		field.String("user_agent").Default("").MaxLen(512).Immutable(),
		field.String("kind").NotEmpty().Immutable(),
		field.String("strategy").Optional().Nillable().Immutable(),
		field.Enum("outcome").Values("success", "failure", "challenge", "info").Immutable(),
		field.String("reason").Optional().Nillable().Immutable(),
	}
}

// Indexes of the SignInEvent.
func (SignInEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("application_id", "at", "id"),
		index.Fields("user_id", "at", "id"),
		index.Fields("client_id", "at", "id"),
		index.Fields("application_id", "ip_address", "at", "id"),
		index.Fields("application_id", "identifier_digest", "at", "id"),
		index.Fields("application_id", "kind", "at", "id"),
	}
}

// Annotations of the SignInEvent.
func (SignInEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipType, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// AuditEvent is one admin action or denial: who, what, which object, before and after.
type AuditEvent struct{ ent.Schema }

// Mixin of the AuditEvent.
func (AuditEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "aud"}}
}

// Fields of the AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("at").Immutable().Default(time.Now).Annotations(entgql.OrderField("AT")),
		// actor names the principal: "key:<id>" or "operator:<email>".
		field.String("actor").Immutable().NotEmpty(),
		field.String("action").Immutable().NotEmpty(),
		field.String("target_type").Default("").Immutable(),
		field.String("target_id").Default("").Immutable(),
		field.String("application_id").Optional().Nillable().Immutable(),
		field.String("ip_address").Default("").Immutable(),
		field.Text("before").Optional().Nillable().Immutable(),
		field.Text("after").Optional().Nillable().Immutable(),
	}
}

// Indexes of the AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("application_id", "at", "id"),
		index.Fields("at", "id"),
	}
}

// Annotations of the AuditEvent.
func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipType, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// OutboxMessage is an email or SMS captured by the dev outbox instead of being sent.
type OutboxMessage struct{ ent.Schema }

// Mixin of the OutboxMessage.
func (OutboxMessage) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "msg"}, CreatedMixin{}}
}

// Annotations of the OutboxMessage: it is not generated into GraphQL; graph/ defines its type by hand.
func (OutboxMessage) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the OutboxMessage.
func (OutboxMessage) Fields() []ent.Field {
	return []ent.Field{
		field.String("application_id").Optional().Nillable().Immutable(),
		field.String("channel").Immutable(),
		field.String("to").Immutable(),
		field.String("kind").Immutable(),
		field.String("subject").Default("").Immutable(),
		field.Text("text").Immutable(),
		field.Text("html").Default("").Immutable(),
	}
}

// Indexes of the OutboxMessage.
func (OutboxMessage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("application_id", "created_at")}
}

// RateLimitBucket is one fixed-window counter shared by every replica.
type RateLimitBucket struct{ ent.Schema }

// Annotations of the RateLimitBucket: it is not generated into GraphQL; graph/ defines its type by hand.
func (RateLimitBucket) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the RateLimitBucket.
func (RateLimitBucket) Fields() []ent.Field {
	return []ent.Field{
		// id is the bucket key, e.g. "sign_in.create:ip:203.0.113.9".
		field.String("id").Immutable().NotEmpty().MaxLen(300).StorageKey("key"),
		field.Time("window_start"),
		field.Int("count").Default(0),
		field.Time("expires_at"),
	}
}

// Indexes of the RateLimitBucket.
func (RateLimitBucket) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at")}
}

// IdentifierLockout is the lockout counter of an identifier that names no
// account, kept with enumeration protection on so that such an identifier
// locks after as many failures as an account would (internal/lockout).
type IdentifierLockout struct{ ent.Schema }

// Annotations of the IdentifierLockout: it is not generated into GraphQL.
func (IdentifierLockout) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the IdentifierLockout.
func (IdentifierLockout) Fields() []ent.Field {
	return []ent.Field{
		// id is a keyed hash of the application and the normalised
		// identifier (keyring.PurposeLockout): the identifier itself is not
		// stored.
		field.String("id").Immutable().NotEmpty().MaxLen(64),
		field.Int("failed_attempts").Default(0).NonNegative(),
		// locked_at and lockout_expires_at as on a user.
		field.Time("locked_at").Optional().Nillable(),
		field.Time("lockout_expires_at").Optional().Nillable(),
		// updated_at is the time of the last failure: the retention pass
		// deletes counters idle for long.
		field.Time("updated_at"),
	}
}

// Indexes of the IdentifierLockout.
func (IdentifierLockout) Indexes() []ent.Index {
	return []ent.Index{index.Fields("updated_at")}
}

// PendingNotice is a notice (internal/notice) that has not been delivered
// yet. It is written in the transaction of the change it tells of, so a
// notice outlives a failed delivery and a process that stops before
// delivering it; it is deleted once delivered, or abandoned after a day of
// failed attempts. It holds the rendered message (an address, a device, an
// IP), never a code.
type PendingNotice struct{ ent.Schema }

// Mixin of the PendingNotice.
func (PendingNotice) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "ntc"}, CreatedMixin{}}
}

// Annotations of the PendingNotice: it is not generated into GraphQL.
func (PendingNotice) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the PendingNotice.
func (PendingNotice) Fields() []ent.Field {
	return []ent.Field{
		field.String("application_id").Optional().Nillable().Immutable(),
		// user_id and what name the notice in the log ("security notice").
		field.String("user_id").Default("").Immutable(),
		field.String("what").Immutable(),
		field.String("channel").Immutable(),
		field.String("to").Immutable(),
		field.String("kind").Immutable(),
		field.String("subject").Default("").Immutable(),
		field.Text("text").Immutable(),
		field.Text("html").Default("").Immutable(),
		// attempts counts the deliveries that failed.
		field.Int("attempts").Default(0).NonNegative(),
		// next_attempt_at is when a worker may try again. A worker that
		// takes the notice moves it on by the lease first, so no other
		// takes it while it is being sent.
		field.Time("next_attempt_at"),
	}
}

// Indexes of the PendingNotice.
func (PendingNotice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("next_attempt_at")}
}
