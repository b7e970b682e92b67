// Package schema holds trustgate's hand-written ent schemas: the whole data
// model. Everything else under ent/ is generated from it by `go generate ./...`.
package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/trustgate/trustgate/internal/ids"
)

// IDMixin gives a schema a string primary key minted by ids.New with a type prefix.
type IDMixin struct {
	mixin.Schema
	Prefix string
}

// Fields of the IDMixin.
func (m IDMixin) Fields() []ent.Field {
	prefix := m.Prefix
	return []ent.Field{
		field.String("id").
			Immutable().
			NotEmpty().
			MaxLen(64).
			DefaultFunc(func() string { return ids.New(prefix) }),
	}
}

// TimeMixin adds created_at (settable on create, for imports) and updated_at.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Immutable().Default(time.Now),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// CreatedMixin adds an immutable created_at only, for append-only records.
type CreatedMixin struct{ mixin.Schema }

// Fields of the CreatedMixin.
func (CreatedMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

// appID is the application_id edge field shared by per-application records.
func appID() ent.Field {
	return field.String("application_id").Immutable().NotEmpty()
}
