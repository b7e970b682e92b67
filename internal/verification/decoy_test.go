package verification_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/verification"
)

// TestDecoy checks that a decoy verification looks like a sent code (a
// digest, a send time, an expiry, the resend cooldown) and that no six-digit
// code passes it: every one of the million is hashed and compared.
func TestDecoy(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "tg.db"))
	keys, err := keyring.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := &verification.Codes{Keys: keys, Rand: rand.Reader, Now: func() time.Time { return now }}
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
		h, err := factor.HashCode(keys, v.ID, code)
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
	now = now.Add(verification.ResendCooldown)
	again, err := decoy(v)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != v.ID || again.SendCount != 2 || string(*again.CodeHash) == string(*v.CodeHash) {
		t.Errorf("a resend after the cooldown: got id %s, send count %d; want the same verification, sent twice, with a new digest", again.ID, again.SendCount)
	}
}
