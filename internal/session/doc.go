// Package session owns sessions and the short-lived JWTs minted from them.
//
// A session is a signed-in user on one client. Frontends exchange it, from the
// client that owns it, for a session token: an EdDSA (Ed25519) JWT with Clerk's
// claims (sub, sid, iat, nbf, exp, iss, azp, fva), verifiable offline with the
// keys published at /.well-known/jwks.json. Private keys are sealed under the
// server secret in the signing_keys table, so every replica signs with the same keys.
package session
