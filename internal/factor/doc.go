// Package factor implements the authentication factors trustgate verifies:
// passwords (argon2id, with bcrypt accepted for imported users), one-time
// email and SMS codes, TOTP (RFC 6238) and backup codes.
//
// The package is pure: it does no I/O beyond reading the entropy source it is
// given, and every function that depends on time or randomness takes them as
// arguments (a time.Time, an io.Reader) so behaviour is exact under test.
// Storage, throttling and single use of codes are the caller's job; this
// package gives it fixed-length keyed digests to store and constant-time
// comparisons to use.
//
// Password hashing is memory-hard and therefore a denial-of-service target.
// A Hasher bounds how many hashes run at once and how many callers may wait;
// beyond that it fails fast with too_many_requests (meta.retryAfterSeconds
// 1), which wraps ErrBusy.
//
// # Choices
//
//   - Passwords are normalised to Unicode NFKC before argon2id hashing and
//     before length checks (NIST SP 800-63B §5.1.1.2), so the same password
//     typed on different keyboards verifies. Imported bcrypt hashes are
//     verified against the password bytes exactly as given, because the
//     systems that made them did not normalise; a successful bcrypt
//     verification reports needsRehash so the caller replaces it with a
//     normalised argon2id hash.
//   - TOTP accepts one step (30 s) of clock skew either way, as RFC 6238 §5.2
//     recommends, rather than the single 30 s window ASVS 5 6.5.5 suggests:
//     authenticator apps on phones with drifting clocks otherwise fail
//     intermittently. Replay within the window is blocked by the caller
//     storing the last accepted step, which ValidateTOTP enforces.
//   - Backup codes carry 75 bits (15 Crockford base32 characters), above the
//     64 bits NIST SP 800-63B-4 asks of saved recovery codes. They and
//     one-time codes are stored as HMAC-SHA256 digests under a key derived
//     from the root secret (see package keyring), bound to what they belong
//     to, rather than as salted password hashes: the key is kept apart from
//     the database, and the codes are single use and rate limited.
package factor
