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

// Resolve returns the client of appID that token names, refreshing its activity.
// When token is empty or unknown (or names another application's client), it
// creates a new client and returns its fresh token as newToken.
func (s *Store) Resolve(ctx context.Context, appID, token, ip, userAgent string) (d *ent.Device, newToken string, err error) {
	now := s.Now()
	if token != "" && len(token) <= 128 {
		d, err = s.DB.Ent.Device.Query().Where(device.TokenHash(HashToken(token)), device.ApplicationID(appID)).Only(ctx)
		switch {
		case err == nil:
			// Touch at most once a minute to keep reads cheap on the hot path.
			if d.LastActiveAt == nil || now.Sub(*d.LastActiveAt) > time.Minute {
				if e := s.DB.Tx(ctx, func(tx *ent.Tx) error {
					return tx.Device.UpdateOneID(d.ID).SetLastActiveAt(now).Exec(ctx)
				}); e == nil {
					d.LastActiveAt = &now
				}
			}
			return d, "", nil
		case !ent.IsNotFound(err):
			return nil, "", fmt.Errorf("device: looking up client: %w", err)
		}
	}
	newToken = NewToken()
	if len(userAgent) > 512 {
		userAgent = userAgent[:512]
	}
	err = s.DB.Tx(ctx, func(tx *ent.Tx) error {
		d, err = tx.Device.Create().
			SetApplicationID(appID).
			SetTokenHash(HashToken(newToken)).
			SetIPAddress(ip).
			SetUserAgent(userAgent).
			SetLastActiveAt(now).
			Save(ctx)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("device: creating client: %w", err)
	}
	return d, newToken, nil
}
