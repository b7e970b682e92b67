package session

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/dbtest"
	"github.com/trustgate/trustgate/internal/keyring"
)

// TestAuthenticateChecksTheApplication: a session token names its session's
// application as azp and aud, which a backend verifying it offline checks to
// tell its own application's tokens from another's (one key signs them all);
// Authenticate refuses a token, signed with the server's key, that names
// another application than its session's, and still accepts one without aud
// (minted before tokens carried it).
func TestAuthenticateChecksTheApplication(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "tg.db"))
	ring, err := keyring.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	s := &Service{DB: db, Keys: NewKeys(db, ring, clock.Now), Issuer: "https://auth.example.com", Now: clock.Now}

	var sess *ent.Session
	err = db.Tx(ctx, func(tx *ent.Tx) error {
		app := tx.Application.Create().SetName("A").SetPublishableKey("pk_test_a").SaveX(ctx)
		u := tx.User.Create().SetApplicationID(app.ID).SaveX(ctx)
		d := tx.Device.Create().SetApplicationID(app.ID).SetTokenHash([]byte("token hash")).SaveX(ctx)
		sess, err = Create(ctx, tx, clock.now, NewParams{ApplicationID: app.ID, UserID: u.ID, ClientID: d.ID, Lifetime: time.Hour})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	minted, _, err := s.sign(ctx, sess, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	claims := &Claims{}
	if _, _, err := jwt.NewParser().ParseUnverified(minted, claims); err != nil {
		t.Fatal(err)
	}
	if claims.AuthorizedParty != sess.ApplicationID || len(claims.Audience) != 1 || claims.Audience[0] != sess.ApplicationID {
		t.Fatalf("minted azp %q, aud %q; want both %q", claims.AuthorizedParty, claims.Audience, sess.ApplicationID)
	}
	if _, err := s.Authenticate(ctx, minted); err != nil {
		t.Fatalf("the minted token: %v", err)
	}

	key, err := s.Keys.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(*Claims)
		ok   bool
	}{
		{"without aud", func(c *Claims) { c.Audience = nil }, true},
		{"another application's azp", func(c *Claims) { c.AuthorizedParty = "app_other" }, false},
		{"another application's aud", func(c *Claims) { c.Audience = jwt.ClaimStrings{"app_other"} }, false},
		{"a second audience", func(c *Claims) { c.Audience = append(c.Audience, "app_other") }, false},
	} {
		forged := *claims
		forged.Audience = append(jwt.ClaimStrings(nil), claims.Audience...)
		c.edit(&forged)
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, forged)
		tok.Header["kid"] = key.id
		signed, err := tok.SignedString(key.private)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Authenticate(ctx, signed)
		if c.ok && err != nil {
			t.Errorf("%s: %v, want accepted", c.name, err)
		}
		if !c.ok && !apierr.Is(err, apierr.AuthenticationInvalid) {
			t.Errorf("%s: %v, want authentication_invalid", c.name, err)
		}
	}
}
