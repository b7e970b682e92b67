package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/trustgate/trustgate/ent"
)

// OutboxStore keeps messages that were not sent, for the dev outbox.
type OutboxStore interface {
	SaveOutbox(ctx context.Context, m Message) error
}

// TxOutboxStore is an OutboxStore that can save a message in the caller's
// database transaction.
type TxOutboxStore interface {
	OutboxStore
	SaveOutboxTx(ctx context.Context, tx *ent.Tx, m Message) error
}

// OutboxSender delivers messages to an OutboxStore instead of sending them,
// for email when no SMTP server is configured and for SMS when no SMS hook
// is.
//
// In dev mode (TRUSTGATE_DEV) it stores messages whole, for the outbox
// query, and also logs each at Info as "outbox message", text and code
// included: the only place in trustgate where a code may reach a log or be
// stored unhashed. Outside dev mode nothing can read the outbox, so it keeps
// only the envelope (channel, recipient, kind, subject) and withholds the
// body, codes included.
type OutboxSender struct {
	store  OutboxStore
	logger *slog.Logger
	dev    bool
}

// WithheldBody replaces a message body the outbox keeps outside dev mode.
const WithheldBody = "(body withheld: not in dev mode; configure TRUSTGATE_SMTP_URL / TRUSTGATE_SMS_URL to deliver messages)"

// NewOutboxSender returns an OutboxSender saving to store, which must not be
// nil, and, with dev, storing and logging message bodies to logger
// (slog.Default() when nil).
func NewOutboxSender(store OutboxStore, logger *slog.Logger, dev bool) *OutboxSender {
	if store == nil {
		panic("delivery: NewOutboxSender needs a store")
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &OutboxSender{store: store, logger: logger, dev: dev}
}

// String describes the sender.
func (o *OutboxSender) String() string { return "dev outbox" }

// Send saves m to the store and, in dev mode, logs it. Outside dev mode it
// keeps the envelope without its body and fails with ErrDeliveryFailed: the
// outbox stands in for an SMTP server or SMS hook nobody configured, and a
// code sent there reached no one.
func (o *OutboxSender) Send(ctx context.Context, m Message) error {
	return o.save(ctx, m, o.store.SaveOutbox)
}

// SendTx is Send in tx, when the store can save in a transaction (see
// TxSender).
func (o *OutboxSender) SendTx(ctx context.Context, tx *ent.Tx, m Message) (bool, error) {
	ts, ok := o.store.(TxOutboxStore)
	if !ok {
		return false, nil
	}
	return true, o.save(ctx, m, func(ctx context.Context, m Message) error { return ts.SaveOutboxTx(ctx, tx, m) })
}

func (o *OutboxSender) save(ctx context.Context, m Message, save func(context.Context, Message) error) error {
	if !o.dev {
		m.Text, m.HTML = WithheldBody, ""
	}
	if err := save(ctx, m); err != nil {
		return fmt.Errorf("%w: save %s %s message to the outbox: %w", ErrDeliveryFailed, m.Kind, m.Channel, err)
	}
	if !o.dev {
		// Outside dev mode nobody reads the outbox: the message reached no
		// one, and the caller must say so (delivery_failed) rather than
		// answer as if a code went out.
		return fmt.Errorf("%w: no %s; the %s message was recorded without its body", ErrDeliveryFailed, missingSender(m.Channel), m.Kind)
	}
	o.logger.InfoContext(ctx, "outbox message",
		slog.String("channel", string(m.Channel)),
		slog.String("to", m.To),
		slog.String("kind", m.Kind),
		slog.String("subject", m.Subject),
		slog.String("text", m.Text),
	)
	return nil
}

// missingSender names the setting that would have delivered a message of
// channel c.
func missingSender(c Channel) string {
	if c == ChannelSMS {
		return "SMS hook is configured (TRUSTGATE_SMS_URL)"
	}
	return "SMTP server is configured (TRUSTGATE_SMTP_URL)"
}

// MemoryOutbox is an OutboxStore that keeps messages in memory, for tests
// that need to read the code a user was sent. It is safe for concurrent use;
// the zero value is ready.
type MemoryOutbox struct {
	mu       sync.Mutex
	messages []Message
}

// SaveOutbox appends m.
func (o *MemoryOutbox) SaveOutbox(_ context.Context, m Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.messages = append(o.messages, m)
	return nil
}

// Messages returns the saved messages, oldest first.
func (o *MemoryOutbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.messages)
}
