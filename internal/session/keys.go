package session

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/signingkey"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/ids"
	"github.com/trustgate/trustgate/internal/keyring"
)

// keyCacheTTL bounds how long a replica trusts its cached key set before it
// looks for keys another replica created or retired.
const keyCacheTTL = time.Minute

// missReloadEvery bounds how often a token signed with a key this replica
// does not know makes it read the key set again: a key another replica just
// created (a rotation, or two replicas' first keys) is found at once, while
// tokens with made-up key ids cost at most one query per interval. Only a key
// id of our own form (ins_ and 26 base32 characters) counts: a token of
// another issuer does not hold the re-read back.
const missReloadEvery = 5 * time.Second

// keyIDPrefix is the prefix of signing key ids (the JWT kid).
const keyIDPrefix = "ins"

// retiredKeyGrace is how long a retired key stays in the JWKS.
const retiredKeyGrace = 24 * time.Hour

type signingKey struct {
	id      string
	public  ed25519.PublicKey
	private ed25519.PrivateKey
	retired *time.Time
}

// Keys loads, creates and caches the signing keys.
type Keys struct {
	db   *database.DB
	ring *keyring.Keyring
	now  func() time.Time

	mu         sync.Mutex
	loadedAt   time.Time
	keys       []signingKey // newest first
	missReload time.Time    // when a miss in byID last reloaded the set
}

// NewKeys returns a key store over the signing_keys table.
func NewKeys(db *database.DB, ring *keyring.Keyring, now func() time.Time) *Keys {
	return &Keys{db: db, ring: ring, now: now}
}

// current returns the newest active key, creating one when there is none.
func (k *Keys) current(ctx context.Context) (signingKey, error) {
	keys, err := k.load(ctx)
	if err != nil {
		return signingKey{}, err
	}
	for _, key := range keys {
		if key.retired == nil {
			return key, nil
		}
	}
	if err := k.Rotate(ctx); err != nil {
		return signingKey{}, err
	}
	keys, err = k.load(ctx)
	if err != nil {
		return signingKey{}, err
	}
	for _, key := range keys {
		if key.retired == nil {
			return key, nil
		}
	}
	return signingKey{}, errors.New("session: no active signing key after rotation")
}

// byID returns the published key with the given id. A key id of our form
// that the cached set lacks reads the set again (at most once every
// missReloadEvery), so a key another replica created is trusted at once
// rather than after keyCacheTTL.
func (k *Keys) byID(ctx context.Context, id string) (signingKey, bool, error) {
	for _, miss := range []bool{false, true} {
		if miss && !ids.HasPrefix(id, keyIDPrefix) {
			break
		}
		keys, err := k.loadFor(ctx, miss)
		if err != nil || keys == nil {
			return signingKey{}, false, err
		}
		for _, key := range keys {
			if key.id == id {
				return key, true, nil
			}
		}
	}
	return signingKey{}, false, nil
}

func (k *Keys) load(ctx context.Context) ([]signingKey, error) { return k.loadFor(ctx, false) }

// loadFor returns the key set, from the cache while it is fresh. After a
// miss it reads the set again if no other miss did within missReloadEvery,
// and returns nil otherwise.
func (k *Keys) loadFor(ctx context.Context, miss bool) ([]signingKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	switch {
	case miss && now.Sub(k.missReload) < missReloadEvery:
		return nil, nil
	case miss:
		k.missReload = now
	case k.keys != nil && now.Sub(k.loadedAt) < keyCacheTTL:
		return k.keys, nil
	}
	rows, err := k.db.Ent.SigningKey.Query().
		Where(signingkey.Or(signingkey.RetiredAtIsNil(), signingkey.RetiredAtGT(k.now().Add(-retiredKeyGrace)))).
		Order(ent.Desc(signingkey.FieldCreatedAt)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("session: loading signing keys: %w", err)
	}
	keys := make([]signingKey, 0, len(rows))
	for _, r := range rows {
		seed, err := k.ring.Open(keyring.PurposeSigningKey, r.PrivateKeySealed, []byte(r.ID))
		if err != nil {
			return nil, fmt.Errorf("session: opening signing key %s (was TRUSTGATE_SECRET changed?): %w", r.ID, err)
		}
		if len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("session: signing key %s has a bad seed", r.ID)
		}
		priv := ed25519.NewKeyFromSeed(seed)
		keys = append(keys, signingKey{id: r.ID, public: priv.Public().(ed25519.PublicKey), private: priv, retired: r.RetiredAt})
	}
	k.keys, k.loadedAt = keys, k.now()
	return keys, nil
}

// Rotate creates a new signing key and retires the previous ones; retired keys
// stay in the JWKS for a day so tokens signed with them still verify.
func (k *Keys) Rotate(ctx context.Context) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	id := newKeyID()
	sealed, err := k.ring.Seal(keyring.PurposeSigningKey, priv.Seed(), []byte(id))
	if err != nil {
		return err
	}
	now := k.now()
	err = k.db.Tx(ctx, func(tx *ent.Tx) error {
		if _, err := tx.SigningKey.Update().Where(signingkey.RetiredAtIsNil()).SetRetiredAt(now).Save(ctx); err != nil {
			return fmt.Errorf("session: retiring signing keys: %w", err)
		}
		if err := tx.SigningKey.Create().SetID(id).SetPublicKey(priv.Public().(ed25519.PublicKey)).
			SetPrivateKeySealed(sealed).SetCreatedAt(now).Exec(ctx); err != nil {
			return fmt.Errorf("session: storing signing key: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.keys = nil
	k.mu.Unlock()
	return nil
}

// DropRetired deletes every retired signing key at once, out of the JWKS:
// tokens they signed stop verifying on this replica now and on the others
// within keyCacheTTL. For a key that may have leaked; an ordinary Rotate
// lets them verify for retiredKeyGrace. It returns how many went.
func (k *Keys) DropRetired(ctx context.Context) (int, error) {
	var n int
	err := k.db.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		n, err = tx.SigningKey.Delete().Where(signingkey.RetiredAtNotNil()).Exec(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("session: dropping retired signing keys: %w", err)
	}
	k.mu.Lock()
	k.keys = nil
	k.mu.Unlock()
	return n, nil
}

// Current returns the id of the key new tokens are signed with, creating
// one when there is none.
func (k *Keys) Current(ctx context.Context) (string, error) {
	key, err := k.current(ctx)
	return key.id, err
}

func newKeyID() string { return ids.New(keyIDPrefix) }

// JWK is one public key in a JSON Web Key Set (RFC 8037 OKP form).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKS is the document served at /.well-known/jwks.json.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWKS returns the public keys that verify session tokens, creating the first key if needed.
func (k *Keys) JWKS(ctx context.Context) (JWKS, error) {
	if _, err := k.current(ctx); err != nil {
		return JWKS{}, err
	}
	keys, err := k.load(ctx)
	if err != nil {
		return JWKS{}, err
	}
	out := JWKS{Keys: make([]JWK, 0, len(keys))}
	for _, key := range keys {
		out.Keys = append(out.Keys, JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(key.public), Kid: key.id, Alg: "EdDSA", Use: "sig"})
	}
	return out, nil
}
