package delivery

import (
	"context"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/outboxmessage"
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

// DeleteDevMessages deletes the messages stored whole (in dev mode, codes
// included; rows are immutable, so they go rather than lose their body) and
// reports how many: a database that served in dev mode keeps no readable
// code once it serves outside it.
func (o *EntOutbox) DeleteDevMessages(ctx context.Context) (int, error) {
	var n int
	err := o.DB.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		n, err = tx.OutboxMessage.Delete().Where(outboxmessage.TextNEQ(WithheldBody)).Exec(ctx)
		return err
	})
	return n, err
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
