package delivery

import (
	"context"

	"github.com/trustgate/trustgate/ent"
)

// EntOutbox stores dev-outbox messages in the outbox_messages table.
type EntOutbox struct {
	Ent *ent.Client
}

// SaveOutbox implements OutboxStore.
func (o *EntOutbox) SaveOutbox(ctx context.Context, m Message) error {
	c := o.Ent.OutboxMessage.Create().SetChannel(string(m.Channel)).SetTo(m.To).SetKind(m.Kind).
		SetSubject(m.Subject).SetText(m.Text).SetHTML(m.HTML)
	if m.ApplicationID != "" {
		c.SetApplicationID(m.ApplicationID)
	}
	return c.Exec(ctx)
}
