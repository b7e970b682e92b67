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
// reads it again, whatever the version check (versionCheckEvery) says.
const keyCacheTTL = time.Minute

// versionCheckEvery is how often a replica asks whether the key set changed
// (versionKey), between its full reads: a rotation or a revocation made by
// another process (the CLI) is seen everywhere within about a second.
const versionCheckEvery = time.Second

// versionKey is the server_configs row that changes with the key set.
const versionKey = "signing_keys_version"

// missReloadEvery bounds how often a token signed with a key this replica
// does not know makes it read the key set again: a key another replica just
// created (a rotation at once, or two replicas' first keys) is found at once,
// while tokens with made-up key ids cost at most one query per interval. Only
// a key id of our own form (ins_ and 26 base32 characters) counts: a token
// of another issuer does not hold the re-read back. A routine rotation does
// not need it: its key is in every cache before it signs (PublishDelay).
const missReloadEvery = 5 * time.Second

// JWKSMaxAge is how long verifiers may cache /.well-known/jwks.json (its
// Cache-Control max-age).
const JWKSMaxAge = 5 * time.Minute

// clockSlack allows for the clocks of the host that rotates the key and of
// the replicas disagreeing a little.
const clockSlack = time.Minute

// PublishDelay is how long a routine rotation publishes the new key before it
// signs: a JWKS a verifier holds was fetched at most JWKSMaxAge ago, from a
// replica whose key set was read at most keyCacheTTL before that, so after
// keyCacheTTL + JWKSMaxAge (+ clockSlack) every JWKS cache and every
// replica's key cache has the new key. 7 minutes.
const PublishDelay = keyCacheTTL + JWKSMaxAge + clockSlack

// keyIDPrefix is the prefix of signing key ids (the JWT kid).
const keyIDPrefix = "ins"

// retiredKeyGrace is how long a retired key stays in the JWKS.
const retiredKeyGrace = 24 * time.Hour

type signingKey struct {
	id        string
	public    ed25519.PublicKey
	private   ed25519.PrivateKey
	activates *time.Time // nil: signs from its creation
	retired   *time.Time // may be ahead of now while a successor waits
}

// signs reports whether the key signs new tokens at now.
func (key signingKey) signs(now time.Time) bool {
	return (key.activates == nil || !now.Before(*key.activates)) && (key.retired == nil || now.Before(*key.retired))
}

// Keys loads, creates and caches the signing keys.
type Keys struct {
	db   *database.DB
	ring *keyring.Keyring
	now  func() time.Time

	// Record, when set, writes the audit row of an operator's change to
	// the key set (RotateAfter, DropRetired) in that change's transaction.
	Record func(ctx context.Context, tx *ent.Tx, c KeyChange) error

	mu         sync.Mutex
	loadedAt   time.Time
	keys       []signingKey // newest first
	version    string       // versionKey's value when keys were read
	checkedAt  time.Time    // when version was last found unchanged
	checking   bool         // a version check is under way (checkVersion)
	missReload time.Time    // when a miss in byID last reloaded the set
}

// KeyChange is an operator's change to the signing keys, for the audit log.
type KeyChange struct {
	// Action is "signing_keys:rotate" or "signing_keys:revoke".
	Action string
	// KeyID is the key made (rotate) or deleted (revoke).
	KeyID string
	// StartsSigningAt is when a key made by a rotation starts signing.
	StartsSigningAt time.Time
}

// record writes c's audit row in tx when the store has a Record.
func (k *Keys) record(ctx context.Context, tx *ent.Tx, c KeyChange) error {
	if k.Record == nil {
		return nil
	}
	return k.Record(ctx, tx, c)
}

// NewKeys returns a key store over the signing_keys table.
func NewKeys(db *database.DB, ring *keyring.Keyring, now func() time.Time) *Keys {
	return &Keys{db: db, ring: ring, now: now}
}

// current returns the newest key that signs now, creating one when there is none.
// Every replica decides from the stored activation and retirement times, so
// they switch to a pre-published key together.
func (k *Keys) current(ctx context.Context) (signingKey, error) {
	keys, err := k.load(ctx)
	if err != nil {
		return signingKey{}, err
	}
	if key, ok := signingAt(keys, k.now()); ok {
		return key, nil
	}
	// The cached set may predate a key another replica created since (it
	// was read while the table was still empty, at start): read it again
	// before creating one, which would retire that key and sign at once
	// with a key no JWKS a verifier holds has yet.
	k.mu.Lock()
	k.keys = nil
	k.mu.Unlock()
	if keys, err = k.load(ctx); err != nil {
		return signingKey{}, err
	}
	if key, ok := signingAt(keys, k.now()); ok {
		return key, nil
	}
	// No operator's change: nothing to audit.
	if _, _, err := k.rotateAfter(ctx, 0, false); err != nil {
		return signingKey{}, err
	}
	if keys, err = k.load(ctx); err != nil {
		return signingKey{}, err
	}
	if key, ok := signingAt(keys, k.now()); ok {
		return key, nil
	}
	return signingKey{}, errors.New("session: no active signing key after rotation")
}

// signingAt returns the newest of keys (newest first) that signs at now.
func signingAt(keys []signingKey, now time.Time) (signingKey, bool) {
	for _, key := range keys {
		if key.signs(now) {
			return key, true
		}
	}
	return signingKey{}, false
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

// Check opens the signing keys in use, so that a root secret other than the
// one that sealed them is found before anything is signed or sealed with it
// (keyring.ErrOpen), rather than at the first token.
func (k *Keys) Check(ctx context.Context) error {
	_, err := k.load(ctx)
	return err
}

// loadFor returns the key set, from the cache while it is fresh. After a
// miss it reads the set again if no other miss did within missReloadEvery,
// and returns nil otherwise.
func (k *Keys) loadFor(ctx context.Context, miss bool) ([]signingKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	fresh := k.keys != nil && now.Sub(k.loadedAt) < keyCacheTTL
	switch {
	case miss && now.Sub(k.missReload) < missReloadEvery:
		return nil, nil
	case miss:
		k.missReload = now
	case fresh && (now.Sub(k.checkedAt) < versionCheckEvery || k.checking):
		// Checked lately, or being checked: callers do not queue behind
		// the version query.
		return k.keys, nil
	case fresh:
		changed, err := k.checkVersion(ctx)
		if err != nil || !changed {
			// A failed check keeps the fresh set: a database blip must
			// not take out the JWKS and every token; keyCacheTTL bounds it.
			k.checkedAt = now
			return k.keys, nil
		}
	}
	// The version is read before the keys: a change racing this read can
	// only make the next check read them again.
	version, err := k.readVersion(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := k.db.Ent.SigningKey.Query().
		Where(signingkey.Or(signingkey.RetiredAtIsNil(), signingkey.RetiredAtGT(k.now().Add(-retiredKeyGrace)))).
		Order(ent.Desc(signingkey.FieldCreatedAt), ent.Desc(signingkey.FieldID)).
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
		keys = append(keys, signingKey{id: r.ID, public: priv.Public().(ed25519.PublicKey), private: priv, activates: r.ActivatesAt, retired: r.RetiredAt})
	}
	k.keys, k.loadedAt, k.version, k.checkedAt = keys, now, version, now
	return keys, nil
}

// checkVersion reports whether the key set changed since it was read. It
// runs the query without k.mu, which the caller holds, so that other
// callers meanwhile get the cached set (k.checking).
func (k *Keys) checkVersion(ctx context.Context) (bool, error) {
	k.checking = true
	k.mu.Unlock()
	version, err := k.readVersion(ctx)
	k.mu.Lock()
	k.checking = false
	return version != k.version, err
}

// readVersion returns versionKey's value, "" before the first change.
func (k *Keys) readVersion(ctx context.Context) (string, error) {
	v, _, err := database.ConfigValue(ctx, k.db.Ent.ServerConfig, versionKey)
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	return v, nil
}

// changed marks, in the transaction of a change to the key set, that every
// replica must read it again.
func changed(ctx context.Context, tx *ent.Tx) error {
	if err := database.SetConfigValue(ctx, tx.ServerConfig, versionKey, ids.New("ver")); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	return nil
}

// Rotate creates a new signing key that signs at once and retires the
// previous ones; retired keys stay in the JWKS for a day so tokens signed with
// them still verify. Other replicas sign with it within versionCheckEvery.
func (k *Keys) Rotate(ctx context.Context) error {
	_, _, err := k.RotateAfter(ctx, 0)
	return err
}

// RotateAfter creates a new signing key, published in the JWKS at once, that
// starts signing after delay (PublishDelay for a routine rotation; 0: at
// once, as Rotate; at once too when no key signs now). The keys that sign
// until then retire at that moment and stay in the JWKS for a day after it.
// It returns the new key's id and when it starts signing.
func (k *Keys) RotateAfter(ctx context.Context, delay time.Duration) (string, time.Time, error) {
	return k.rotateAfter(ctx, delay, true)
}

func (k *Keys) rotateAfter(ctx context.Context, delay time.Duration, audited bool) (string, time.Time, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", time.Time{}, err
	}
	id := newKeyID()
	sealed, err := k.ring.Seal(keyring.PurposeSigningKey, priv.Seed(), []byte(id))
	if err != nil {
		return "", time.Time{}, err
	}
	now := k.now()
	var at time.Time
	err = k.db.Tx(ctx, func(tx *ent.Tx) error {
		at = now
		if delay > 0 {
			signing, err := tx.SigningKey.Query().Where(
				signingkey.Or(signingkey.ActivatesAtIsNil(), signingkey.ActivatesAtLTE(now)),
				signingkey.Or(signingkey.RetiredAtIsNil(), signingkey.RetiredAtGT(now))).Exist(ctx)
			if err != nil {
				return fmt.Errorf("session: reading signing keys: %w", err)
			}
			if signing {
				at = now.Add(delay)
			}
		}
		// A key already due to retire before at keeps its time (a rotation
		// still waiting lets its key sign until this one's turn).
		if _, err := tx.SigningKey.Update().Where(signingkey.Or(signingkey.RetiredAtIsNil(), signingkey.RetiredAtGT(at))).
			SetRetiredAt(at).Save(ctx); err != nil {
			return fmt.Errorf("session: retiring signing keys: %w", err)
		}
		create := tx.SigningKey.Create().SetID(id).SetPublicKey(priv.Public().(ed25519.PublicKey)).
			SetPrivateKeySealed(sealed).SetCreatedAt(now)
		if at.After(now) {
			create.SetActivatesAt(at)
		}
		if err := create.Exec(ctx); err != nil {
			return fmt.Errorf("session: storing signing key: %w", err)
		}
		if err := changed(ctx, tx); err != nil {
			return err
		}
		if !audited {
			return nil
		}
		return k.record(ctx, tx, KeyChange{Action: "signing_keys:rotate", KeyID: id, StartsSigningAt: at})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	k.mu.Lock()
	k.keys = nil
	k.mu.Unlock()
	return id, at, nil
}

// DropRetired deletes every retired signing key at once, out of the JWKS:
// tokens they signed stop verifying on this replica now and on the others
// within versionCheckEvery. For a key that may have leaked; an ordinary Rotate
// lets them verify for retiredKeyGrace. It returns how many went. A key due
// to retire later (it signs until a pre-published key starts) stays.
func (k *Keys) DropRetired(ctx context.Context) (int, error) {
	var n int
	err := k.db.Tx(ctx, func(tx *ent.Tx) error {
		gone, err := tx.SigningKey.Query().Where(signingkey.RetiredAtLTE(k.now())).IDs(ctx)
		if err != nil {
			return err
		}
		if n, err = tx.SigningKey.Delete().Where(signingkey.IDIn(gone...)).Exec(ctx); err != nil {
			return err
		}
		if n > 0 {
			if err := changed(ctx, tx); err != nil {
				return err
			}
		}
		for _, id := range gone {
			if err := k.record(ctx, tx, KeyChange{Action: "signing_keys:revoke", KeyID: id}); err != nil {
				return err
			}
		}
		return nil
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
