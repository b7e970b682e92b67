package verification

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/delivery"
)

// Delivery is a code to issue and send, for Codes.Deliver.
type Delivery struct {
	// Existing is the verification a resend replaces, if any (see issue).
	Existing *ent.Verification
	Target   Target
	// Recipient, if set, is what the per-recipient budget counts the send
	// under instead of Target's address: the identifier the caller typed,
	// where a code for it goes elsewhere (Codes.Spend).
	Recipient string
	TTL       time.Duration
	// Decoy issues a verification no code passes (see Codes.Decoy) and
	// sends Message("") in place of a code: a notice, under enumeration
	// protection, to the owner of an address someone tried to sign up
	// with. Everything else (cooldown, failures, delivery) is as for a code.
	Decoy bool
	// Message renders the message that carries code ("" with Decoy: the
	// message then carries none).
	Message func(code string) (delivery.Message, error)
	// Attach links the verification to what it verifies, in the
	// transaction that issues it.
	Attach func(tx *ent.Tx, v *ent.Verification) error
	// Sent, if set, records a delivered code (an event, a state change) in
	// the transaction that follows the delivery. It must use the ctx it is
	// given, not the request's: that one may be cancelled by then.
	Sent func(ctx context.Context, tx *ent.Tx) error
	// Failed, if set, records a failed delivery in the transaction that
	// marks the code unsent, with the ctx it is given (as Sent).
	Failed func(ctx context.Context, tx *ent.Tx) error
	// Log gets the failure, with the caller's attributes.
	Log *slog.Logger
}

// Deliver issues a code (issue, then Attach) and sends it with sender,
// once Spend lets it.
//
// When sender delivers through the database (delivery.TxSender: the
// outbox), issuing, the message and Sent are one transaction: all happen or
// none. Otherwise the code is committed first, then sent, then Sent runs in
// a second transaction; when the sender fails, the send is undone (unsend:
// a resend gives back the code delivered before; a first send lifts the
// cooldown, which must not hold back a code nobody got) and Failed runs.
//
// A failed delivery, or a message that could not be rendered, is logged at
// Error and returned as delivery_failed; whatever it was for stays as it
// was, ready to try again.
func (c *Codes) Deliver(ctx context.Context, db *database.DB, sender delivery.Sender, d Delivery) (*ent.Verification, error) {
	if err := c.Spend(ctx, d.Existing, d.Target, d.Recipient); err != nil {
		return nil, err
	}
	var (
		v    *ent.Verification
		msg  delivery.Message
		done bool // delivered in the issuing transaction
	)
	err := db.Tx(ctx, func(tx *ent.Tx) error {
		var (
			code string
			err  error
		)
		draw := sixDigits
		if d.Decoy {
			draw = decoyCode
		}
		if v, code, err = c.issue(ctx, tx, d.Existing, d.Target, d.TTL, draw); err != nil {
			return err
		}
		if err := d.Attach(tx, v); err != nil {
			return err
		}
		if msg, err = d.Message(code); err != nil {
			return fmt.Errorf("%w: rendering the %s message: %w", delivery.ErrDeliveryFailed, d.Target.Strategy, err)
		}
		if done, err = delivery.SendTx(ctx, sender, tx, msg); err != nil || !done {
			return err
		}
		return runIf(ctx, tx, d.Sent)
	})
	// What follows a send is bookkeeping that must happen even when the
	// request went away meanwhile (a failed send's cooldown lifted, its
	// event; a delivered code's event and state).
	bg := context.WithoutCancel(ctx)
	switch {
	case errors.Is(err, delivery.ErrDeliveryFailed): // nothing was committed
		return nil, c.failed(bg, db, d, nil, err)
	case err != nil:
		return nil, err
	case done:
		return v, nil
	}
	// A send, once started, is not the client's to cancel: a client that
	// leaves after the SMTP server or SMS hook took the message must not
	// turn the code the user receives into a withdrawn one. The send gets
	// its own bound instead.
	sendCtx, cancel := context.WithTimeout(bg, delivery.DefaultTimeout)
	err = sender.Send(sendCtx, msg)
	cancel()
	if err != nil {
		return nil, c.failed(bg, db, d, v, err)
	}
	if d.Sent == nil {
		return v, nil
	}
	return v, db.Tx(bg, func(tx *ent.Tx) error { return d.Sent(bg, tx) })
}

func runIf(ctx context.Context, tx *ent.Tx, f func(context.Context, *ent.Tx) error) error {
	if f == nil {
		return nil
	}
	return f(ctx, tx)
}

// failed logs a failed delivery, records it (marking v unsent, if it was
// committed: see unsend) and returns the delivery_failed error.
func (c *Codes) failed(ctx context.Context, db *database.DB, d Delivery, v *ent.Verification, cause error) error {
	d.Log.ErrorContext(ctx, "code delivery failed", "strategy", d.Target.Strategy, "error", cause)
	if v != nil || d.Failed != nil {
		if err := db.Tx(ctx, func(tx *ent.Tx) error {
			if v != nil {
				if err := c.unsend(ctx, tx, v, d.Existing); err != nil {
					return err
				}
			}
			return runIf(ctx, tx, d.Failed)
		}); err != nil {
			d.Log.ErrorContext(ctx, "recording a failed delivery", "error", err)
		}
	}
	return apierr.New(apierr.DeliveryFailed).Wrap(cause)
}
