package delivery

import (
	"context"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/database"
)

// EntOutbox stores dev-outbox messages in the outbox_messages table, through
// the database's write transactions (on SQLite: its write queue).
type EntOutbox struct {
	DB *database.DB
}

// SaveOutbox implements OutboxStore.
func (o *EntOutbox) SaveOutbox(ctx context.Context, m Message) error {
	return o.DB.Tx(ctx, func(tx *ent.Tx) error { return o.SaveOutboxTx(ctx, tx, m) })
}

// SaveOutboxTx implements TxOutboxStore.
func (o *EntOutbox) SaveOutboxTx(ctx context.Context, tx *ent.Tx, m Message) error {
	c := tx.OutboxMessage.Create().SetChannel(string(m.Channel)).SetTo(m.To).SetKind(m.Kind).
		SetSubject(m.Subject).SetText(m.Text).SetHTML(m.HTML)
	if m.ApplicationID != "" {
		c.SetApplicationID(m.ApplicationID)
	}
	return c.Exec(ctx)
}
