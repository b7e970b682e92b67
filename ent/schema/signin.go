package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// SignIn is one sign-in attempt on a client, moving through Clerk's statuses.
type SignIn struct{ ent.Schema }

// Mixin of the SignIn.
func (SignIn) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "sia"}, TimeMixin{}}
}

// Annotations of the SignIn: it is not generated into GraphQL; graph/ defines its type by hand.
func (SignIn) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the SignIn.
func (SignIn) Fields() []ent.Field {
	return []ent.Field{
		appID(),
		field.String("client_id").Immutable().NotEmpty(),
		field.String("user_id").Optional().Nillable(),
		// identifier is normalised (email, E.164 phone or username) as given.
		field.String("identifier").Optional().Nillable(),
		field.Enum("status").
			Values("needs_identifier", "needs_first_factor", "needs_second_factor",
				"needs_client_trust", "needs_new_password", "complete", "abandoned").
			Default("needs_identifier"),
		field.Enum("client_trust_state").Values("new", "known", "pending").Optional().Nillable(),
		field.String("first_factor_verification_id").Optional().Nillable(),
		field.String("second_factor_verification_id").Optional().Nillable(),
		field.String("created_session_id").Optional().Nillable(),
		field.Time("expire_at"),
		field.String("ip_address").Default(""),
		field.String("user_agent").Default("").MaxLen(512),
		// new_password_hash is the new password of a password reset whose
		// code passed; it becomes the user's only when the sign-in completes
		// (for a user with MFA, after the second factor), and is then cleared.
		field.String("new_password_hash").Optional().Nillable().Sensitive(),
		// sign_out_other_sessions says whether setting new_password_hash ends
		// the user's other sessions.
		field.Bool("sign_out_other_sessions").Default(false),
		// user_password_updated_at is the user's password_updated_at as the
		// sign-in's first factor passed: it completes only while unchanged.
		field.Time("user_password_updated_at").Optional().Nillable(),
		// second_factor_failure_noticed says that the sign-in's first wrong
		// second factor was told to the user (or skipped over budget): the
		// notice goes out once per sign-in, claimed by a conditional write
		// of this row, whichever replica runs the step.
		field.Bool("second_factor_failure_noticed").Default(false),
	}
}

// Indexes of the SignIn.
func (SignIn) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id"),
		index.Fields("expire_at"),
		// The pruner finds the expired sign-ins still holding a staged
		// password through this one; it holds only those few rows.
		index.Fields("expire_at").StorageKey("signin_expire_at_staged_password").
			Annotations(entsql.IndexWhere("new_password_hash IS NOT NULL")),
	}
}

// SignUp is one sign-up attempt on a client. The password is hashed at once;
// the email and phone wait here until they are verified.
type SignUp struct{ ent.Schema }

// Mixin of the SignUp.
func (SignUp) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "sua"}, TimeMixin{}}
}

// Annotations of the SignUp: it is not generated into GraphQL; graph/ defines its type by hand.
func (SignUp) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Fields of the SignUp.
func (SignUp) Fields() []ent.Field {
	return []ent.Field{
		appID(),
		field.String("client_id").Immutable().NotEmpty(),
		field.Enum("status").Values("missing_requirements", "complete", "abandoned").Default("missing_requirements"),
		field.String("email_address").Optional().Nillable(),
		field.String("phone_number").Optional().Nillable(),
		field.String("username").Optional().Nillable(),
		field.String("password_hash").Optional().Nillable().Sensitive(),
		field.String("email_verification_id").Optional().Nillable(),
		field.String("phone_verification_id").Optional().Nillable(),
		field.String("created_user_id").Optional().Nillable(),
		field.String("created_session_id").Optional().Nillable(),
		field.Time("expire_at"),
		field.String("ip_address").Default(""),
		field.String("user_agent").Default("").MaxLen(512),
	}
}

// Indexes of the SignUp.
func (SignUp) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id"),
		index.Fields("expire_at"),
	}
}
