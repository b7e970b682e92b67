package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/trustgate/trustgate/ent"
)

// Channel is the medium a message is sent over.
type Channel string

// The channels a Message can go out on.
const (
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
)

// The kinds of message trustgate sends, as found in Message.Kind and in the
// kind field of the SMS hook's JSON.
const (
	KindVerificationCode  = "verification_code"
	KindClientTrustCode   = "client_trust_code"
	KindResetPasswordCode = "reset_password_code"
	KindNewDeviceSignIn   = "new_device_sign_in"
	// KindAccountExists tells an address's owner that someone tried to
	// sign up with it (enumeration protection; see AccountExists).
	KindAccountExists = "account_exists"
	// KindSecurityNotice tells a user that how their account signs in
	// changed (a password, a second factor, backup codes, the primary email
	// address; see SecurityNotice). Email only.
	KindSecurityNotice = "security_notice"
)

// DefaultTimeout bounds one delivery attempt: connecting, authenticating and
// handing over the message.
const DefaultTimeout = 10 * time.Second

// ErrDeliveryFailed is wrapped by every error a Sender returns, so that
// callers can answer with one clear error code whatever the cause.
var ErrDeliveryFailed = errors.New("delivery failed")

// Message is one email or SMS to send.
type Message struct {
	ApplicationID string
	Channel       Channel // "email" or "sms"
	To            string  // email address or E.164 phone
	Kind          string  // e.g. "verification_code", "client_trust_code", "new_device_sign_in"
	Subject       string  // email only
	Text          string  // plain-text body (SMS body for sms)
	HTML          string  // email only, may be empty
}

// Sender sends messages. Errors wrap ErrDeliveryFailed.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// TxSender is a Sender that can also deliver a message by writing it in the
// caller's database transaction — the outbox — so that the message exists if
// and only if the transaction commits, and costs no transaction of its own.
type TxSender interface {
	Sender
	// SendTx writes m in tx and reports true, or reports false and does
	// nothing when m's channel is not delivered through the database (then
	// the caller sends it with Send after committing). Errors wrap
	// ErrDeliveryFailed.
	SendTx(ctx context.Context, tx *ent.Tx, m Message) (bool, error)
}

// SendTx delivers m in tx when s can (see TxSender) and reports whether it
// did.
func SendTx(ctx context.Context, s Sender, tx *ent.Tx, m Message) (bool, error) {
	if ts, ok := s.(TxSender); ok {
		return ts.SendTx(ctx, tx, m)
	}
	return false, nil
}
