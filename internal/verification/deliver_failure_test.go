package verification_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/verification"
)

// cancellingSender is an SMTP server that cannot be reached while the
// caller's HTTP request goes away (the browser navigates, the SDK times out):
// the dial fails because ctx was cancelled.
type cancellingSender struct{ cancel context.CancelFunc }

func (s cancellingSender) Send(ctx context.Context, _ delivery.Message) error {
	s.cancel()
	return fmt.Errorf("%w: dial failed: %w", delivery.ErrDeliveryFailed, ctx.Err())
}

// TestFailedSendClearsCooldownEvenWhenTheRequestIsGone: when the request
// goes away during a send that then fails, the bookkeeping after it still
// runs: the code is marked unsent (no cooldown for a code nobody got) and
// the failure is recorded.
func TestFailedSendClearsCooldownEvenWhenTheRequestIsGone(t *testing.T) {
	db, c, _ := newCodes(t)
	target := verification.Target{Strategy: "email_code", Value: "gone@example.com"}
	var issued *ent.Verification
	failedRecorded := false
	ctx, cancel := context.WithCancel(context.Background())
	_, err := c.Deliver(ctx, db, cancellingSender{cancel}, verification.Delivery{
		Target: target, TTL: 10 * time.Minute,
		Attach: func(_ *ent.Tx, v *ent.Verification) error { issued = v; return nil },
		Message: func(code string) (delivery.Message, error) {
			return delivery.Message{Channel: delivery.ChannelEmail, To: target.Value, Kind: "verification_code", Text: code}, nil
		},
		Failed: func(context.Context, *ent.Tx) error { failedRecorded = true; return nil },
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if !apierr.Is(err, apierr.DeliveryFailed) {
		t.Fatalf("got %v, want delivery_failed", err)
	}
	v, err := db.Ent.Verification.Get(context.Background(), issued.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !failedRecorded {
		t.Errorf("the failed delivery was not recorded (Failed did not run)")
	}
	if v.SentAt != nil {
		t.Errorf("verification %s still has sent_at %v after a delivery that failed: its cooldown holds back a code nobody got", v.ID, *v.SentAt)
	}
	if err := c.Cooldown(v, target); err != nil {
		t.Errorf("asking again at once: got %v, want no cooldown for a code never sent", err)
	}
}
