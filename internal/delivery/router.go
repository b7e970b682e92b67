package delivery

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/database"
)

// Router sends each message with the sender for its channel: email with the
// SMTP sender when one is configured, text messages with the SMS hook when
// one is, and everything else to the outbox. It counts what it sends in the
// metric trustgate_messages_total (the Router is its prometheus.Collector).
type Router struct {
	email Sender
	sms   Sender
	sent  *prometheus.CounterVec
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
	sent := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trustgate_messages_total",
		Help: "Emails and text messages handed to their sender (the SMTP server, the SMS hook or the outbox), by channel, kind and result (sent or failed).",
	}, []string{"channel", "kind", "result"})
	return &Router{email: email, sms: sms, sent: sent}, nil
}

// Describe implements prometheus.Collector.
func (r *Router) Describe(ch chan<- *prometheus.Desc) { r.sent.Describe(ch) }

// Collect implements prometheus.Collector.
func (r *Router) Collect(ch chan<- prometheus.Metric) { r.sent.Collect(ch) }

// Send sends m with the sender for m.Channel.
func (r *Router) Send(ctx context.Context, m Message) error {
	s := r.senderFor(m.Channel)
	if s == nil {
		return fmt.Errorf("%w: unknown channel %q", ErrDeliveryFailed, m.Channel)
	}
	err := s.Send(ctx, m)
	r.count(m, err)
	return err
}

// SendTx writes m in tx when the sender for m.Channel delivers through the
// database (see TxSender); it is counted once tx commits.
func (r *Router) SendTx(ctx context.Context, tx *ent.Tx, m Message) (bool, error) {
	s := r.senderFor(m.Channel)
	if s == nil {
		return false, nil // Send reports the unknown channel
	}
	done, err := SendTx(ctx, s, tx, m)
	if err != nil {
		r.count(m, err)
	} else if done {
		database.AfterCommit(tx, func() { r.count(m, nil) })
	}
	return done, err
}

func (r *Router) senderFor(c Channel) Sender {
	switch c {
	case ChannelEmail:
		return r.email
	case ChannelSMS:
		return r.sms
	}
	return nil
}

// count adds m to trustgate_messages_total, sent when err is nil.
func (r *Router) count(m Message, err error) {
	result := "sent"
	if err != nil {
		result = "failed"
	}
	r.sent.WithLabelValues(string(m.Channel), m.Kind, result).Inc()
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
