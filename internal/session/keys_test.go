package session

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/keyring"
)

// TestKeysFindAnotherReplicasKey: two replicas share the signing keys. A key
// one of them creates (a rotation) verifies on the other at once, not after
// the other's cache expires; a key id neither knows makes a replica read the
// keys again at most once every missReloadEvery.
func TestKeysFindAnotherReplicasKey(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "tg.db"))
	ring, err := keyring.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a, b := NewKeys(db, ring, clock), NewKeys(db, ring, clock)

	first, err := a.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	has := func(k *Keys, id string) bool {
		t.Helper()
		_, ok, err := k.byID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !has(b, first.id) {
		t.Fatal("replica b does not know replica a's first key")
	}
	if has(b, "ins_madeup") {
		t.Fatal("a made-up key id was found")
	}

	now = now.Add(missReloadEvery) // b's last miss is this long ago
	if err := a.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	second, err := a.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !has(b, second.id) {
		t.Fatal("replica b does not trust the key replica a rotated to, within its cache's lifetime")
	}

	if err := a.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	third, err := a.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if has(b, third.id) {
		t.Fatalf("replica b read the keys again within %v of its last miss", missReloadEvery)
	}
	now = now.Add(missReloadEvery)
	if !has(b, third.id) {
		t.Fatalf("replica b does not find the new key %v after its last miss", missReloadEvery)
	}
}

// TestKeysForeignKidDoesNotHoldBackReRead: a token whose key id is not of
// our form (another issuer's, or junk) does not spend the replica's re-read
// on an unknown key id, so a key another replica creates right after is
// still found at once.
func TestKeysForeignKidDoesNotHoldBackReRead(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "tg.db"))
	ring, err := keyring.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a, b := NewKeys(db, ring, clock), NewKeys(db, ring, clock)
	if _, err := b.current(ctx); err != nil {
		t.Fatal(err)
	}
	for _, kid := range []string{"", "ins_madeup", "ins_2abcDEFghiJKLmnoPQRstuVWXyz", "key-1", "sess_01jbz3c8qkq2w4yqz6y2x0m5n8"} {
		if _, ok, err := b.byID(ctx, kid); ok || err != nil {
			t.Fatalf("byID(%q) = %v, %v", kid, ok, err)
		}
	}
	if err := a.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := a.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := b.byID(ctx, key.id); !ok || err != nil {
		t.Fatalf("replica b does not find the key replica a just created after tokens with foreign key ids: %v, %v", ok, err)
	}
}
