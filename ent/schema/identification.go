package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// EmailAddress is an email address of a user; unique within an application.
type EmailAddress struct{ ent.Schema }

// Mixin of the EmailAddress.
func (EmailAddress) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "idn"}, TimeMixin{}}
}

// Annotations of the EmailAddress: it is not generated into GraphQL; graph/ defines its type by hand.
func (EmailAddress) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the EmailAddress.
func (EmailAddress) Fields() []ent.Field {
	return []ent.Field{
		appID(),
		field.String("user_id").Immutable().NotEmpty(),
		// email_address is normalised (trimmed, lowercased) before it is stored.
		field.String("email_address").NotEmpty().MaxLen(254),
		field.Bool("verified").Default(false),
		field.Time("verified_at").Optional().Nillable(),
		// verification_id is the pending email verification that proves
		// ownership of an address added from the account (emailAddressCreate).
		field.String("verification_id").Optional().Nillable(),
		// held_at is when an unverified address was last claimed (added, or
		// sent a code, at most account.HoldRenewals code lifetimes after it
		// was added): as a phone number's, the hold keeps other accounts
		// from adding it for a code's lifetime after that.
		field.Time("held_at").Optional().Nillable(),
	}
}

// Edges of the EmailAddress.
func (EmailAddress) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("email_addresses").Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the EmailAddress.
func (EmailAddress) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("application_id", "email_address").Unique(),
		index.Fields("user_id"),
	}
}

// PhoneNumber is an E.164 phone number of a user; unique within an application.
type PhoneNumber struct{ ent.Schema }

// Mixin of the PhoneNumber.
func (PhoneNumber) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "idn"}, TimeMixin{}}
}

// Annotations of the PhoneNumber: it is not generated into GraphQL; graph/ defines its type by hand.
func (PhoneNumber) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the PhoneNumber.
func (PhoneNumber) Fields() []ent.Field {
	return []ent.Field{
		appID(),
		field.String("user_id").Immutable().NotEmpty(),
		field.String("phone_number").NotEmpty().MaxLen(16),
		field.Bool("verified").Default(false),
		field.Time("verified_at").Optional().Nillable(),
		// reserved_for_second_factor makes the number an MFA factor (SMS codes).
		field.Bool("reserved_for_second_factor").Default(false),
		field.Bool("default_second_factor").Default(false),
		// verification_id is the pending SMS verification that proves ownership.
		field.String("verification_id").Optional().Nillable(),
		// held_at is when an unverified number was last claimed (added, or
		// sent a code, at most account.HoldRenewals code lifetimes after it
		// was added): the hold keeps other accounts from adding it for a
		// code's lifetime after that (users.ReleasePhone).
		field.Time("held_at").Optional().Nillable(),
	}
}

// Edges of the PhoneNumber.
func (PhoneNumber) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("phone_numbers").Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the PhoneNumber.
func (PhoneNumber) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("application_id", "phone_number").Unique(),
		index.Fields("user_id"),
	}
}
