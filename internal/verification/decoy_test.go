package verification_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/verification"
)

// TestDecoy checks that a decoy verification looks like a sent code (a
// digest, a send time, an expiry, the resend cooldown) and that no six-digit
// code passes it: every one of the million is hashed and compared.
func TestDecoy(t *testing.T) {
	ctx := context.Background()
	db, c, now := newCodes(t)
	target := verification.Target{Strategy: "reset_password_email_code", Value: "ghost@example.com"}
	decoy := func(existing *ent.Verification) (v *ent.Verification, err error) {
		err = db.Tx(ctx, func(tx *ent.Tx) error {
			v, err = c.Decoy(ctx, tx, existing, target, 10*time.Minute)
			return err
		})
		return v, err
	}

	v, err := decoy(nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.CodeHash == nil || len(*v.CodeHash) != sha256.Size || v.SentAt == nil || v.ExpireAt == nil || v.Status != "unverified" {
		t.Fatalf("decoy %+v: want an unverified verification with a %d-byte digest, a send time and an expiry", v, sha256.Size)
	}
	for n := range 1_000_000 {
		code := fmt.Sprintf("%06d", n)
		h, err := factor.HashCode(c.Keys, v.ID, code)
		if err != nil {
			t.Fatal(err)
		}
		if factor.CodeHashEqual(h, *v.CodeHash) {
			t.Fatalf("the code %s passes the decoy", code)
		}
	}

	if _, err := decoy(v); !apierr.Is(err, apierr.VerificationCodeTooManyRequests) {
		t.Errorf("a second decoy within the cooldown: got %v, want verification_code_too_many_requests", err)
	}
	*now = now.Add(verification.ResendCooldown)
	again, err := decoy(v)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != v.ID || again.SendCount != 2 || string(*again.CodeHash) == string(*v.CodeHash) {
		t.Errorf("a resend after the cooldown: got id %s, send count %d; want the same verification, sent twice, with a new digest", again.ID, again.SendCount)
	}
}

// newCodes opens a fresh SQLite database and Codes over it, whose clock
// reads *now.
func newCodes(t *testing.T) (*database.DB, *verification.Codes, *time.Time) {
	t.Helper()
	db := dbtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "tg.db"))
	keys, err := keyring.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	return db, &verification.Codes{Keys: keys, Rand: rand.Reader, Now: func() time.Time { return now }}, &now
}

// senderFunc is a delivery.Sender from a function.
type senderFunc func(delivery.Message) error

func (f senderFunc) Send(_ context.Context, m delivery.Message) error { return f(m) }

// TestDeliverDecoy checks that Deliver with Decoy set issues a decoy (no
// code reaches the message, and the code a real delivery would carry does
// not pass) and still sends the message, while without it the message gets
// the code that passes.
func TestDeliverDecoy(t *testing.T) {
	ctx := context.Background()
	db, c, _ := newCodes(t)
	for _, decoy := range []bool{false, true} {
		var code string
		sent := 0
		sender := senderFunc(func(delivery.Message) error { sent++; return nil })
		v, err := c.Deliver(ctx, db, sender, verification.Delivery{
			Target: verification.Target{Strategy: "email_code", Value: fmt.Sprintf("owner%v@example.com", decoy)},
			TTL:    10 * time.Minute, Decoy: decoy,
			Attach: func(*ent.Tx, *ent.Verification) error { return nil },
			Message: func(c string) (delivery.Message, error) {
				code = c
				return delivery.Message{Channel: delivery.ChannelEmail, To: "owner@example.com", Kind: delivery.KindAccountExists, Text: "notice"}, nil
			},
			Log: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		if sent != 1 {
			t.Errorf("decoy %v: %d messages sent, want 1", decoy, sent)
		}
		if decoy != (code == "") {
			t.Fatalf("decoy %v: the message got code %q", decoy, code)
		}
		if decoy {
			continue // TestDecoy tries every code against a decoy
		}
		err = db.Tx(ctx, func(tx *ent.Tx) error {
			_, err := c.Check(ctx, tx, v, code)
			return err
		})
		if err != nil {
			t.Errorf("the delivered code did not pass: %v", err)
		}
	}
}
