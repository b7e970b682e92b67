package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"golang.org/x/crypto/hkdf"
)

// MinRootLen is the minimum length in bytes of a root secret (256 bits).
const MinRootLen = 32

// RootLen is the length in bytes of a root secret made by GenerateRoot.
const RootLen = 32

// MACLen is the length in bytes of every MAC returned by (*Keyring).MAC.
const MACLen = sha256.Size

// sealVersion is the first byte of every sealed message made by this version
// of the package.
const sealVersion byte = 1

const (
	nonceLen = 12
	keyLen   = 32
	// hkdfSalt is a fixed, public salt: RFC 5869 §3.1 allows a constant salt
	// and it keeps our derivations apart from any other HKDF use of the root.
	hkdfSalt = "trustgate keyring v1"
	redacted = "keyring.Keyring{REDACTED}"
)

// ErrRootTooShort is returned when a root secret is shorter than MinRootLen.
var ErrRootTooShort = errors.New("keyring: root secret must be at least 32 bytes")

// ErrRootEncoding is returned by DecodeRoot when the text is not unpadded
// base64url.
var ErrRootEncoding = errors.New("keyring: root secret is not valid base64url (RFC 4648 §5, no padding)")

// ErrOpen is returned by (*Keyring).Open when a sealed message fails
// authentication: it was tampered with, truncated, sealed with different
// additional data, for a different purpose, or under a different root.
var ErrOpen = errors.New("keyring: cannot open sealed message: authentication failed (tampered, wrong additional data, wrong purpose or wrong root secret)")

// ErrSealedFormat is returned by (*Keyring).Open when the input is too short
// to be a sealed message or carries an unknown version byte.
var ErrSealedFormat = errors.New("keyring: malformed sealed message")

// ErrPurposeKind is returned when Seal or Open is called with a purpose that
// is meant for MACs.
var ErrPurposeKind = errors.New("keyring: purpose is not for sealing")

// Purpose names what a derived key is used for. Each purpose is either a MAC
// purpose (for MAC) or a sealing purpose (for Seal and Open).
type Purpose uint8

const (
	// PurposeCode is the MAC purpose for one-time email and SMS codes.
	PurposeCode Purpose = iota + 1
	// PurposeBackupCode is the MAC purpose for backup (recovery) codes.
	PurposeBackupCode
	// PurposeToken is the MAC purpose for generic opaque tokens (client and
	// session tokens, API keys) stored as digests.
	PurposeToken
	// PurposeTOTPSecret is the sealing purpose for TOTP secrets at rest.
	PurposeTOTPSecret
	// PurposeSigningKey is the sealing purpose for wrapping token signing keys.
	PurposeSigningKey
	// PurposeDecoy is the MAC purpose for the stable, unguessable parts of
	// decoys (the ids of the factors an unknown identifier lists).
	PurposeDecoy
	// PurposeLockout is the MAC purpose for the keys of the lockout counters
	// of identifiers that name no account.
	PurposeLockout
	// PurposeRootCheck is the MAC purpose for the check value a database
	// keeps of its root secret, so that a process started with another
	// secret stops before it writes anything that secret cannot read back.
	PurposeRootCheck

	purposeEnd
)

type purposeInfo struct {
	name  string
	label string
	seal  bool
}

// purposes fixes the HKDF info label of every purpose. Changing a label
// changes the derived key and invalidates everything stored under it.
var purposes = [purposeEnd]purposeInfo{
	PurposeCode:       {name: "code", label: "trustgate/v1/mac/one-time-code"},
	PurposeBackupCode: {name: "backup-code", label: "trustgate/v1/mac/backup-code"},
	PurposeToken:      {name: "token", label: "trustgate/v1/mac/token"},
	PurposeTOTPSecret: {name: "totp-secret", label: "trustgate/v1/aead/totp-secret", seal: true},
	PurposeSigningKey: {name: "signing-key", label: "trustgate/v1/aead/signing-key", seal: true},
	PurposeDecoy:      {name: "decoy", label: "trustgate/v1/mac/decoy"},
	PurposeLockout:    {name: "lockout", label: "trustgate/v1/mac/identifier-lockout"},
	PurposeRootCheck:  {name: "root-check", label: "trustgate/v1/mac/root-check"},
}

func (p Purpose) valid() bool { return p > 0 && p < purposeEnd }

// String returns the purpose's short name, such as "code" or "totp-secret".
func (p Purpose) String() string {
	if !p.valid() {
		return fmt.Sprintf("keyring.Purpose(%d)", uint8(p))
	}
	return purposes[p].name
}

// IsSeal reports whether p is a sealing purpose (for Seal and Open) rather
// than a MAC purpose.
func (p Purpose) IsSeal() bool { return p.valid() && purposes[p].seal }

// Keyring holds the keys derived from one root secret. It is safe for
// concurrent use.
type Keyring struct {
	macKeys [purposeEnd][]byte
	aeads   [purposeEnd]cipher.AEAD
	rand    io.Reader
}

// Option configures New.
type Option func(*Keyring)

// WithRand makes Seal read nonces from r instead of crypto/rand. It exists
// for tests that need exact output.
func WithRand(r io.Reader) Option {
	return func(k *Keyring) { k.rand = r }
}

// New derives a Keyring from root, which must be at least MinRootLen bytes of
// secret random data. New does not keep root.
func New(root []byte, opts ...Option) (*Keyring, error) {
	if len(root) < MinRootLen {
		return nil, fmt.Errorf("%w (got %d)", ErrRootTooShort, len(root))
	}
	k := &Keyring{rand: rand.Reader}
	for _, opt := range opts {
		opt(k)
	}
	for p := PurposeCode; p < purposeEnd; p++ {
		key := make([]byte, keyLen)
		if _, err := io.ReadFull(hkdf.New(sha256.New, root, []byte(hkdfSalt), []byte(purposes[p].label)), key); err != nil {
			return nil, fmt.Errorf("keyring: derive %s key: %w", p, err)
		}
		if !purposes[p].seal {
			k.macKeys[p] = key
			continue
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("keyring: %s cipher: %w", p, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("keyring: %s cipher: %w", p, err)
		}
		k.aeads[p] = aead
	}
	return k, nil
}

// MAC returns HMAC-SHA256 of data under the key for purpose; the result is
// always MACLen (32) bytes. Compare MACs with hmac.Equal or
// crypto/subtle.ConstantTimeCompare, never with bytes.Equal.
//
// MAC panics if purpose is not a MAC purpose: that is a programming error,
// like a wrong nonce size passed to cipher.AEAD.Seal.
func (k *Keyring) MAC(purpose Purpose, data []byte) []byte {
	if !purpose.valid() || purposes[purpose].seal {
		panic("keyring: MAC called with non-MAC purpose " + purpose.String())
	}
	m := hmac.New(sha256.New, k.macKeys[purpose])
	m.Write(data)
	return m.Sum(nil)
}

// Seal encrypts and authenticates plaintext under the key for purpose, also
// authenticating (but not encrypting) additionalData, which must be passed
// unchanged to Open. Bind additionalData to where the ciphertext is stored
// (for example the owning row's ID) so it cannot be moved to another row.
func (k *Keyring) Seal(purpose Purpose, plaintext, additionalData []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+nonceLen, 1+nonceLen+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	nonce := out[1 : 1+nonceLen]
	if _, err := io.ReadFull(k.rand, nonce); err != nil {
		return nil, fmt.Errorf("keyring: read nonce: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, additionalData), nil
}

// Open authenticates and decrypts a message made by Seal with the same
// purpose and additionalData. It returns an error wrapping ErrSealedFormat
// for input that is not a sealed message, and ErrOpen when authentication
// fails.
func (k *Keyring) Open(purpose Purpose, sealed, additionalData []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+nonceLen+aead.Overhead() {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the minimum %d", ErrSealedFormat, len(sealed), 1+nonceLen+aead.Overhead())
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrSealedFormat, sealed[0])
	}
	plaintext, err := aead.Open(nil, sealed[1:1+nonceLen], sealed[1+nonceLen:], additionalData)
	if err != nil {
		return nil, ErrOpen
	}
	return plaintext, nil
}

func (k *Keyring) aead(purpose Purpose) (cipher.AEAD, error) {
	if !purpose.IsSeal() {
		return nil, fmt.Errorf("%w: %s", ErrPurposeKind, purpose)
	}
	return k.aeads[purpose], nil
}

// String returns a redacted placeholder; it never prints key material.
func (k Keyring) String() string { return redacted }

// GoString returns a redacted placeholder for the %#v verb; it never prints
// key material.
func (k Keyring) GoString() string { return redacted }

// LogValue implements slog.LogValuer with a redacted placeholder, so a
// Keyring logged by mistake reveals nothing.
func (k Keyring) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// GenerateRoot returns RootLen fresh random bytes read from r, suitable as a
// root secret. Pass crypto/rand.Reader outside tests.
func GenerateRoot(r io.Reader) ([]byte, error) {
	root := make([]byte, RootLen)
	if _, err := io.ReadFull(r, root); err != nil {
		return nil, fmt.Errorf("keyring: generate root secret: %w", err)
	}
	return root, nil
}

// EncodeRoot returns root as base64url without padding (RFC 4648 §5), the
// form stored in TRUSTGATE_SECRET.
func EncodeRoot(root []byte) string {
	return base64.RawURLEncoding.EncodeToString(root)
}

// DecodeRoot parses a root secret written by EncodeRoot. Surrounding
// whitespace (such as a trailing newline from a secrets file) is ignored. It
// returns an error wrapping ErrRootEncoding for text that is not base64url,
// and one wrapping ErrRootTooShort when the decoded secret is too short. The
// errors never quote the input, which is secret.
func DecodeRoot(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrRootEncoding)
	}
	root, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		var corrupt base64.CorruptInputError
		if errors.As(err, &corrupt) {
			return nil, fmt.Errorf("%w: invalid character or length at offset %d (standard base64 with + / or = padding is not accepted)", ErrRootEncoding, int64(corrupt))
		}
		return nil, fmt.Errorf("%w: %v", ErrRootEncoding, err)
	}
	if len(root) < MinRootLen {
		return nil, fmt.Errorf("%w (decoded %d bytes)", ErrRootTooShort, len(root))
	}
	return root, nil
}
