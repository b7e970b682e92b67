// Package device owns clients (Clerk's name for a device: one browser or one
// app install). A client is identified by a random 256-bit token that travels in
// the __client cookie or the X-Client-Token header; only its SHA-256 is stored.
package device

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/device"
	"github.com/trustgate/trustgate/internal/database"
)

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
func (s *Store) Resolve(ctx context.Context, appID, token, ip, userAgent string) (d *ent.Device, newToken string, err error) {
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
		if len(all) == 0 || gone {
			hash = nil
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
