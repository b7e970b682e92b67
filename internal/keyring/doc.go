// Package keyring derives every purpose-specific key trustgate needs from one
// root secret (TRUSTGATE_SECRET) and offers the two operations built on them:
// a keyed MAC (HMAC-SHA256) and authenticated encryption (AES-256-GCM).
//
// Each purpose gets its own subkey, derived with HKDF-SHA256 under a distinct
// info label, so a MAC computed for one-time codes can never be confused with
// one for backup codes, and a TOTP secret sealed at rest cannot be opened as a
// wrapped signing key. The root itself is not retained after derivation.
//
// A Keyring never prints key material: String, GoString and LogValue all
// return a redacted placeholder, so it is safe to pass to fmt and log/slog by
// mistake.
//
// Sealed messages have the layout
//
//	version (1 byte) || nonce (12 bytes, random) || AES-256-GCM ciphertext and tag
//
// The version byte leaves room for root rotation. Random 96-bit nonces are
// safe for well under 2^32 messages per key, far more than the TOTP secrets
// and signing keys this is used for.
package keyring
