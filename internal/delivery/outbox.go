package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
)

// OutboxStore keeps messages that were not sent, for the dev outbox.
type OutboxStore interface {
	SaveOutbox(ctx context.Context, m Message) error
}

// OutboxSender delivers messages to an OutboxStore instead of sending them,
// for email when no SMTP server is configured and for SMS when no SMS hook
// is.
//
// With logBodies (dev mode only, TRUSTGATE_DEV), it also logs every message
// at Info as "outbox message", text and code included. That is the only
// place in trustgate where a code may reach a log, and it must never be
// enabled in production.
type OutboxSender struct {
	store     OutboxStore
	logger    *slog.Logger
	logBodies bool
}

// NewOutboxSender returns an OutboxSender saving to store, which must not be
// nil, and logging message bodies to logger (slog.Default() when nil) only
// when logBodies is true.
func NewOutboxSender(store OutboxStore, logger *slog.Logger, logBodies bool) *OutboxSender {
	if store == nil {
		panic("delivery: NewOutboxSender needs a store")
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &OutboxSender{store: store, logger: logger, logBodies: logBodies}
}

// String describes the sender.
func (o *OutboxSender) String() string { return "dev outbox" }

// Send saves m to the store and, in dev mode, logs it.
func (o *OutboxSender) Send(ctx context.Context, m Message) error {
	if err := o.store.SaveOutbox(ctx, m); err != nil {
		return fmt.Errorf("%w: save %s %s message to the outbox: %w", ErrDeliveryFailed, m.Kind, m.Channel, err)
	}
	if o.logBodies {
		o.logger.InfoContext(ctx, "outbox message",
			slog.String("channel", string(m.Channel)),
			slog.String("to", m.To),
			slog.String("kind", m.Kind),
			slog.String("subject", m.Subject),
			slog.String("text", m.Text),
		)
	}
	return nil
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
