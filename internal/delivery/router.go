package delivery

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/trustgate/trustgate/ent"
)

// Router sends each message with the sender for its channel: email with the
// SMTP sender when one is configured, text messages with the SMS hook when
// one is, and everything else to the outbox.
type Router struct {
	email Sender
	sms   Sender
}

// NewRouter returns a Router that sends email with email and text messages
// with sms, and with outbox where either is nil (a nil pointer in the
// interface counts as nil). outbox may be nil only when both are set.
func NewRouter(email, sms, outbox Sender) (*Router, error) {
	if isNil(email) || isNil(sms) {
		if isNil(outbox) {
			return nil, errors.New("delivery: a router without an SMTP sender or an SMS hook needs an outbox")
		}
		if isNil(email) {
			email = outbox
		}
		if isNil(sms) {
			sms = outbox
		}
	}
	return &Router{email: email, sms: sms}, nil
}

// Send sends m with the sender for m.Channel.
func (r *Router) Send(ctx context.Context, m Message) error {
	switch m.Channel {
	case ChannelEmail:
		return r.email.Send(ctx, m)
	case ChannelSMS:
		return r.sms.Send(ctx, m)
	default:
		return fmt.Errorf("%w: unknown channel %q", ErrDeliveryFailed, m.Channel)
	}
}

// SendTx writes m in tx when the sender for m.Channel delivers through the
// database (see TxSender).
func (r *Router) SendTx(ctx context.Context, tx *ent.Tx, m Message) (bool, error) {
	switch m.Channel {
	case ChannelEmail:
		return SendTx(ctx, r.email, tx, m)
	case ChannelSMS:
		return SendTx(ctx, r.sms, tx, m)
	default:
		return false, nil // Send reports the unknown channel
	}
}

// String names the sender of each channel, without secrets, for the startup
// log.
func (r *Router) String() string {
	return fmt.Sprintf("email via %s, sms via %s", describe(r.email), describe(r.sms))
}

func describe(s Sender) string {
	if str, ok := s.(fmt.Stringer); ok {
		return str.String()
	}
	return fmt.Sprintf("%T", s)
}

// isNil reports whether s is nil or holds a nil pointer, as a *SMTPSender
// variable left unset when SMTP is not configured does.
func isNil(s Sender) bool {
	if s == nil {
		return true
	}
	v := reflect.ValueOf(s)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
