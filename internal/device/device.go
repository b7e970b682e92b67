// Package device owns clients (Clerk's name for a device: one browser or one
// app install). A client is identified by a random 256-bit token that travels in
// the __client cookie or the X-Client-Token header; only its SHA-256 is stored.
package device

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/device"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/request"
)

// RotatedGrace is how long a token replaced by Rotate is refused, rather
// than treated as unknown. A request the browser sent with the old cookie
// while the session started would otherwise get a new client, and its
// Set-Cookie could land after the rotated one and sign the browser out.
// After the grace the old token is an unknown token (a new client), so a
// browser whose rotating response was lost is not stuck.
const RotatedGrace = 10 * time.Second

// TokenReplacedMeta is the meta key (true) that tells a client_state_invalid
// of a replaced token from one of a step out of order: the request did
// nothing, and the SDK sends it once more, with the new token.
const TokenReplacedMeta = "clientTokenReplaced"

// TokenLen is the number of random bytes in a client token (256 bits).
const TokenLen = 32

// Store finds and creates clients.
type Store struct {
	DB  *database.DB
	Now func() time.Time
}

// NewToken returns a fresh client token.
func NewToken() string {
	b := make([]byte, TokenLen)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the stored form of a client token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// touch refreshes d's activity, at most once a minute to keep the hot path
// read-only, and reports false when d is gone: the retention pass deleted
// the idle client between the read and the touch, and it must not be used
// (rows that point to it would fail their foreign keys).
func (s *Store) touch(ctx context.Context, d *ent.Device, now time.Time) bool {
	if d.LastActiveAt != nil && now.Sub(*d.LastActiveAt) <= time.Minute {
		return true
	}
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		return tx.Device.UpdateOneID(d.ID).SetLastActiveAt(now).Exec(ctx)
	})
	if ent.IsNotFound(err) {
		return false
	}
	if err == nil {
		d.LastActiveAt = &now
	}
	return true
}

// Resolve returns the client of appID that token names, refreshing its activity.
// A token the server minted for another application on the same origin names
// a client of this application too (created on first use), so one browser
// keeps one __client cookie. An empty or unknown token gets a new client and a
// fresh token, returned as newToken: callers never choose their own token.
// admit, when set, is asked before a client is created, and its error is
// Resolve's (a budget of new clients: each is a row kept for its idle days).
func (s *Store) Resolve(ctx context.Context, appID, token, ip, userAgent string, admit func(context.Context) error) (d *ent.Device, newToken string, err error) {
	now := s.Now()
	hash := []byte(nil)
	if token != "" && len(token) <= 128 {
		hash = HashToken(token)
		// One query for the token in every application: the row of appID,
		// or proof that the server minted the token for another one.
		all, err := s.DB.Ent.Device.Query().Where(device.TokenHash(hash)).All(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("device: looking up client: %w", err)
		}
		gone := false
		for _, d := range all {
			if d.ApplicationID != appID {
				continue
			}
			if gone = !s.touch(ctx, d, now); !gone {
				return d, "", nil
			}
		}
		if len(all) == 0 {
			if err := s.refuseRotated(ctx, hash, now); err != nil {
				return nil, "", err
			}
		}
		if len(all) == 0 || gone {
			hash = nil
		}
	}
	if admit != nil {
		if err := admit(ctx); err != nil {
			return nil, "", err
		}
	}
	if hash == nil {
		newToken = NewToken()
		hash = HashToken(newToken)
	}
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		d, err = tx.Device.Create().
			SetApplicationID(appID).
			SetTokenHash(hash).
			SetIPAddress(ip).
			SetUserAgent(userAgent).
			SetLastActiveAt(now).
			Save(ctx)
		return err
	})
	if ent.IsConstraintError(err) && newToken == "" {
		// A concurrent first request of the same browser created it: use that one.
		d, err = s.DB.Ent.Device.Query().Where(device.TokenHash(hash), device.ApplicationID(appID)).Only(ctx)
	}
	if err != nil {
		return nil, "", fmt.Errorf("device: creating client: %w", err)
	}
	return d, newToken, nil
}

// MaxCandidates is how many of the client tokens a request carries (several
// __client cookies) Current considers.
const MaxCandidates = 4

// Current picks the client token of a request that carries several, in the
// order the browser sent them: the first that names a client, else the
// first. A browser holds two __client cookies when one was set for a parent
// domain (from a sibling subdomain: the fixation Rotate is for) and sends
// that older one first; the host-only cookie this server set, the rotated
// token among them, must win over one that names no client any more.
func (s *Store) Current(ctx context.Context, tokens []string) (string, error) {
	if len(tokens) == 0 {
		return "", nil
	}
	tokens = tokens[:min(len(tokens), MaxCandidates)]
	hashes := make([][]byte, len(tokens)) // nil for a token Resolve would not look up
	var lookup [][]byte
	for i, t := range tokens {
		if t != "" && len(t) <= 128 {
			hashes[i] = HashToken(t)
			lookup = append(lookup, hashes[i])
		}
	}
	known, err := s.DB.Ent.Device.Query().Where(device.TokenHashIn(lookup...)).Select(device.FieldTokenHash).All(ctx)
	if err != nil {
		return "", fmt.Errorf("device: looking up client tokens: %w", err)
	}
	for i, h := range hashes {
		if h != nil && slices.ContainsFunc(known, func(d *ent.Device) bool { return bytes.Equal(d.TokenHash, h) }) {
			return tokens[i], nil
		}
	}
	return tokens[0], nil
}

// refuseRotated answers client_state_invalid for a token that Rotate
// replaced less than RotatedGrace ago (see RotatedGrace).
func (s *Store) refuseRotated(ctx context.Context, hash []byte, now time.Time) error {
	n, err := s.DB.Ent.Device.Query().
		Where(device.PreviousTokenHash(hash), device.RotatedAtGT(now.Add(-RotatedGrace))).
		Limit(1).Count(ctx)
	if err != nil {
		return fmt.Errorf("device: looking up a replaced client token: %w", err)
	}
	if n > 0 {
		return apierr.Newf(apierr.ClientStateInvalid,
			"This client's token was just replaced by a sign-in on it; send the request again with the new one (the __client cookie or X-Client-Token of that response).").
			WithMeta(TokenReplacedMeta, true)
	}
	return nil
}

// Rotate gives client d a new token inside tx, when a session starts on it:
// a token someone planted in the browser before the sign-in (session
// fixation, OWASP ASVS 7.2.4) no longer names the signed-in client. The
// clients of the other applications that share d's token (one browser, one
// cookie) move with it. With clearSignIn, the same statement also makes d
// point at no current sign-in (for a sign-in created and completed in one
// step, which would otherwise clear it with a statement of its own). Once tx
// commits, the new token is issued to the response
// (request.Info.IssueClientToken).
func Rotate(ctx context.Context, tx *ent.Tx, d *ent.Device, now time.Time, clearSignIn bool) error {
	token := NewToken()
	old := d.TokenHash
	for try := 0; ; try++ {
		upd := tx.Device.Update().Where(device.TokenHash(old)).
			SetTokenHash(HashToken(token)).SetPreviousTokenHash(old).SetRotatedAt(now)
		if clearSignIn {
			upd.Modify(func(u *sql.UpdateBuilder) {
				u.Set(device.FieldSignInID, sql.ExprFunc(func(b *sql.Builder) {
					b.WriteString("CASE WHEN ").Ident(device.FieldID).WriteOp(sql.OpEQ).Arg(d.ID).
						WriteString(" THEN NULL ELSE ").Ident(device.FieldSignInID).WriteString(" END")
				}))
			})
		}
		n, err := upd.Save(ctx)
		if err != nil {
			return fmt.Errorf("device: rotating client token: %w", err)
		}
		if n > 0 {
			break
		}
		if try == 2 {
			return apierr.Raced("client")
		}
		// Another session started on d since it was read, and rotated its
		// token (read committed: this statement sees that commit).
		cur, err := tx.Device.Get(ctx, d.ID)
		if err != nil {
			return fmt.Errorf("device: reading client token: %w", err)
		}
		old = cur.TokenHash
	}
	rq := request.From(ctx)
	database.AfterCommit(tx, func() { rq.IssueClientToken(token) })
	return nil
}

// RotatePresented rotates client clientID (Rotate) when the request presented
// that client's token: a re-authentication (a session's step-up) renews the
// token as a sign-in does (ASVS 7.2.4), so a token taken from the device
// before it stops naming the client. A request that presented no token or
// another one (a backend holding only the session's JWT) gets no token, and
// nothing changes.
func RotatePresented(ctx context.Context, tx *ent.Tx, clientID string, now time.Time) error {
	presented := request.From(ctx).ClientToken
	if presented == "" {
		return nil
	}
	d, err := tx.Device.Get(ctx, clientID)
	if err != nil {
		return fmt.Errorf("device: reading client: %w", err)
	}
	if subtle.ConstantTimeCompare(d.TokenHash, HashToken(presented)) != 1 {
		return nil
	}
	return Rotate(ctx, tx, d, now, false)
}
