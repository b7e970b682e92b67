package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/device"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/ent/session"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/database"
)

// DefaultTokenTTL is the lifetime of a session JWT, as Clerk's (60 s); the SDK refreshes it.
const DefaultTokenTTL = 60 * time.Second

// Service creates, ends and authenticates sessions and mints their tokens.
type Service struct {
	// DB takes the writes through DB.Tx (on SQLite its write queue) and
	// serves reads through DB.Ent.
	DB     *database.DB
	Keys   *Keys
	Issuer string
	// TokenTTL is the JWT lifetime; DefaultTokenTTL when zero.
	TokenTTL time.Duration
	Now      func() time.Time
}

// NewParams describe a session being created at the end of a sign-in or sign-up.
type NewParams struct {
	ApplicationID string
	UserID        string
	ClientID      string
	SignInID      string
	// Lifetime is the session's maximum lifetime; activity never extends it.
	Lifetime time.Duration
	// InactivityTimeout, when not zero, expires the session sooner: that
	// long after its last activity (a token minted, see Service.Token).
	InactivityTimeout time.Duration
	// FirstFactorAt is when the first factor passed (fva claim, and the
	// reverification window); zero for now. A sign-in that completes after
	// a second factor or a Client Trust code passed its first factor earlier.
	FirstFactorAt time.Time
	// SecondFactor records that a second factor was verified now (fva claim).
	SecondFactor bool
	IP           string
	UserAgent    string
}

// Create starts a session inside tx.
func Create(ctx context.Context, tx *ent.Tx, now time.Time, p NewParams) (*ent.Session, error) {
	firstAt := now
	if !p.FirstFactorAt.IsZero() && p.FirstFactorAt.Before(now) {
		firstAt = p.FirstFactorAt
	}
	lifetimeEnd := now.Add(p.Lifetime)
	c := tx.Session.Create().
		SetApplicationID(p.ApplicationID).
		SetUserID(p.UserID).
		SetClientID(p.ClientID).
		SetLastActiveAt(now).
		SetExpireAt(expiry(lifetimeEnd, now, p.InactivityTimeout)).
		SetLifetimeEndsAt(lifetimeEnd).
		SetFirstFactorAt(firstAt).
		SetIPAddress(p.IP).
		SetUserAgent(p.UserAgent)
	if p.SignInID != "" {
		c.SetSignInID(p.SignInID)
	}
	if p.SecondFactor {
		c.SetSecondFactorAt(now)
	}
	s, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("session: creating: %w", err)
	}
	return s, nil
}

// expiry is when a session active at now expires: at the end of its
// lifetime, or, with an inactivity timeout, that long after now if sooner.
func expiry(lifetimeEnd, now time.Time, inactivity time.Duration) time.Time {
	if inactivity > 0 && now.Add(inactivity).Before(lifetimeEnd) {
		return now.Add(inactivity)
	}
	return lifetimeEnd
}

// lifetimeEnd is the end of sess's maximum lifetime. Sessions created
// before it was kept expire at it.
func lifetimeEnd(sess *ent.Session) time.Time {
	if sess.LifetimeEndsAt != nil {
		return *sess.LifetimeEndsAt
	}
	return sess.ExpireAt
}

// activityEvery is how often, at most, minting tokens records a session's
// activity (and slides an inactivity timeout's expiry): a session's
// inactivity is counted from at most this long before its last token.
const activityEvery = 30 * time.Second

// End ends, in tx, the active sessions that match where: status is
// StatusRevoked (by an admin, the user, a password change or a ban) or
// StatusEnded (signed out). It returns how many it ended; sessions already
// over are left as they were, those past their expireAt included: they
// expired then (Clerk's "expired"), and a later revocation or sign-out
// must not rewrite that as its own end.
func End(ctx context.Context, tx *ent.Tx, status session.Status, now time.Time, where ...predicate.Session) (int, error) {
	return tx.Session.Update().Where(append(where, session.StatusEQ(session.StatusActive), session.ExpireAtGT(now))...).
		SetStatus(status).SetEndedAt(now).Save(ctx)
}

// EndOne ends sess (as read before, or in tx) with status at now, and
// returns the row as it is after: sess ended, without reading it back, or,
// when it had already ended, as the database has it.
func EndOne(ctx context.Context, tx *ent.Tx, sess *ent.Session, status session.Status, now time.Time) (*ent.Session, error) {
	n, err := End(ctx, tx, status, now, session.ID(sess.ID))
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return tx.Session.Get(ctx, sess.ID)
	}
	ended := *sess
	ended.Status, ended.EndedAt = status, &now
	return &ended, nil
}

// ErrIfSignedIn answers session_exists when the client holds a session
// still usable at now: single-session mode (settings.SingleSessionMode)
// refuses a second sign-in or sign-up there, as Clerk's does.
func ErrIfSignedIn(ctx context.Context, c *ent.Client, clientID string, now time.Time) error {
	on, err := c.Session.Query().
		Where(session.ClientID(clientID), session.StatusEQ(session.StatusActive), session.ExpireAtGT(now)).Exist(ctx)
	if err != nil || !on {
		return err
	}
	return apierr.Newf(apierr.SessionExists, "You're already signed in on this device. Sign out first to sign in with another account.")
}

// ErrIfSignedInTx is ErrIfSignedIn for a sign-in or sign-up completing in
// tx in single-session mode: one begun while the client held no session
// (a sign-in and a sign-up can be in flight on one client at once) must
// not complete once another has signed the client in. With lockClient
// (PostgreSQL) it first locks the client's row, so that two completions on
// one client check one after the other; SQLite runs one writer at a time.
func ErrIfSignedInTx(ctx context.Context, tx *ent.Tx, clientID string, now time.Time, lockClient bool) error {
	if lockClient {
		if _, err := tx.Device.Query().Where(device.ID(clientID)).ForUpdate().OnlyID(ctx); err != nil {
			return fmt.Errorf("session: locking client: %w", err)
		}
	}
	return ErrIfSignedIn(ctx, tx.Client(), clientID, now)
}

// ErrEnded answers a request made with a session that has ended (signed
// out, revoked, expired) or that ends while the request runs.
func ErrEnded() error {
	return apierr.Newf(apierr.AuthenticationInvalid, "This session has ended. Please sign in again.")
}

// Active reports whether s can still be used at now.
func Active(s *ent.Session, now time.Time) bool {
	return s.Status == session.StatusActive && now.Before(s.ExpireAt)
}

// Claims are the claims of a session token.
type Claims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
	// AuthorizedParty is the application id (Clerk's azp names the origin; ours the app).
	AuthorizedParty string `json:"azp"`
	// FactorAge is minutes since the first and second factor (-1: none), Clerk's fva.
	FactorAge [2]int `json:"fva"`
}

// Token mints a session JWT for sessionID; only the client that owns the
// session may ask. Minting is the session's activity: it records it (at
// most every activityEvery) and, with an inactivity timeout (the
// application's setting, zero for none), moves the session's expiry to
// that long from now, never past the end of its lifetime. A session idle
// for longer than the timeout (one set or shortened since its last
// activity) expires here, at its last activity plus the timeout.
func (s *Service) Token(ctx context.Context, sessionID, clientID string, inactivity time.Duration) (string, time.Time, error) {
	now := s.Now()
	sess, err := s.DB.Ent.Session.Get(ctx, sessionID)
	if ent.IsNotFound(err) || (err == nil && sess.ClientID != clientID) {
		return "", time.Time{}, apierr.New(apierr.AuthenticationInvalid).WithParam("sessionId")
	}
	if err != nil {
		return "", time.Time{}, err
	}
	if !Active(sess, now) {
		return "", time.Time{}, ErrEnded()
	}
	idle := now.Sub(sess.LastActiveAt)
	end := lifetimeEnd(sess)
	exp, lastActive := expiry(end, now, inactivity), now
	// The write is skipped only while the expiry it would set is at most
	// activityEvery past the stored one: last_active_at alone cannot tell,
	// as account mutations move it too (stillActive) without the expiry.
	if idle <= activityEvery && !exp.After(sess.ExpireAt.Add(activityEvery)) {
		return s.sign(ctx, sess, now)
	}
	if inactivity > 0 && idle >= inactivity {
		exp, lastActive = sess.LastActiveAt.Add(inactivity), sess.LastActiveAt
	}
	var n int
	if err := s.DB.Tx(ctx, func(tx *ent.Tx) (err error) {
		n, err = tx.Session.Update().
			Where(session.ID(sess.ID), session.StatusEQ(session.StatusActive), session.ExpireAtGT(now)).
			SetLastActiveAt(lastActive).SetExpireAt(exp).SetLifetimeEndsAt(end).Save(ctx)
		return err
	}); err != nil {
		return "", time.Time{}, err
	}
	sess.LastActiveAt, sess.ExpireAt, sess.LifetimeEndsAt = lastActive, exp, &end
	if n == 0 || !Active(sess, now) {
		return "", time.Time{}, ErrEnded()
	}
	return s.sign(ctx, sess, now)
}

func (s *Service) sign(ctx context.Context, sess *ent.Session, now time.Time) (string, time.Time, error) {
	key, err := s.Keys.current(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	ttl := s.TokenTTL
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	exp := now.Add(ttl)
	if sess.ExpireAt.Before(exp) {
		exp = sess.ExpireAt
	}
	fva := [2]int{-1, -1}
	if sess.FirstFactorAt != nil {
		fva[0] = int(now.Sub(*sess.FirstFactorAt).Minutes())
	}
	if sess.SecondFactorAt != nil {
		fva[1] = int(now.Sub(*sess.SecondFactorAt).Minutes())
	}
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:  s.Issuer,
			Subject: sess.UserID,
			// Every application's tokens are signed with the server's one
			// key: a backend tells its own by the audience (RFC 7519
			// §4.1.3), which standard JWT libraries check when given one.
			Audience:  jwt.ClaimStrings{sess.ApplicationID},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Second)),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		SessionID:       sess.ID,
		AuthorizedParty: sess.ApplicationID,
		FactorAge:       fva,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = key.id
	signed, err := tok.SignedString(key.private)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("session: signing token: %w", err)
	}
	return signed, exp, nil
}

// Authenticate verifies a session JWT and returns its session, which must still
// be active in the database (so a revoked session stops working at once).
func (s *Service) Authenticate(ctx context.Context, token string) (*ent.Session, error) {
	now := s.Now()
	claims := &Claims{}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok, err := s.Keys.byID(ctx, kid)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errors.New("unknown key id")
		}
		return key.public, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(s.Issuer),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(),
	)
	if err != nil {
		return nil, apierr.New(apierr.AuthenticationInvalid).Wrap(err)
	}
	sess, err := s.DB.Ent.Session.Get(ctx, claims.SessionID)
	if err != nil || sess.UserID != claims.Subject || !Active(sess, now) {
		return nil, ErrEnded()
	}
	// A token names its session's application as azp and (since tokens
	// carried one) aud; one that names another was not minted for it.
	if claims.AuthorizedParty != sess.ApplicationID ||
		(len(claims.Audience) > 0 && !slices.Equal(claims.Audience, jwt.ClaimStrings{sess.ApplicationID})) {
		return nil, apierr.Newf(apierr.AuthenticationInvalid, "The session token does not name its session's application.")
	}
	return sess, nil
}

// SignOut ends one session of the client, or all of them when sessionID is nil.
func (s *Service) SignOut(ctx context.Context, clientID string, sessionID *string) (bool, error) {
	var n int
	err := s.DB.Tx(ctx, func(tx *ent.Tx) error {
		where := []predicate.Session{session.ClientID(clientID)}
		if sessionID != nil {
			where = append(where, session.ID(*sessionID))
		}
		var err error
		n, err = End(ctx, tx, session.StatusEnded, s.Now(), where...)
		return err
	})
	if err != nil {
		return false, err
	}
	if sessionID != nil && n == 0 {
		if ok, _ := s.DB.Ent.Session.Query().Where(session.ID(*sessionID), session.ClientID(clientID)).Exist(ctx); !ok {
			return false, apierr.New(apierr.ResourceNotFound).WithParam("sessionId")
		}
	}
	return true, nil
}
