// Package verification owns one-time codes sent by email or SMS: issuing and
// re-sending them (a resend replaces the code but keeps the failure count, with
// a cooldown), and checking them (keyed hashes compared in constant time, a
// bounded number of failures, expiry, and single use even under concurrent
// attempts, enforced by a conditional update in the database).
package verification

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/verification"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/ids"
	"github.com/trustgate/trustgate/internal/keyring"
)

const (
	// MaxAttempts is the number of wrong codes that fails a verification.
	MaxAttempts = 5
	// ResendCooldown is the minimum time between two sends of a code.
	ResendCooldown = 30 * time.Second
)

// Codes issues and checks one-time codes.
type Codes struct {
	Keys *keyring.Keyring
	Rand io.Reader
	Now  func() time.Time
	// Budget, if set, spends one message to t's address from the request's
	// application (the per-recipient rate limit); Spend answers with its
	// error, and nothing is issued or sent.
	Budget func(ctx context.Context, t Target) error
}

// Unchanged is the predicate that a column still holds cur, the value a
// request read (none when cur is nil): a write conditioned on it is undone
// when a concurrent request changed the column first. A resend holds a
// verification's send time so (issue); a sign-in or sign-up holds the
// verification it attaches a code to.
func Unchanged[T, P any](cur *T, is func(T) P, none func() P) P {
	if cur != nil {
		return is(*cur)
	}
	return none()
}

// Spend is the gate of every send: the resend cooldown of existing for t,
// then one message of the budget of recipient (t's address when empty).
// Deliver passes through it, and so does a decoy that sends nothing, so
// that a refused send reads the same whether or not an account is behind
// the address.
func (c *Codes) Spend(ctx context.Context, existing *ent.Verification, t Target, recipient string) error {
	if err := c.Cooldown(existing, t); err != nil {
		return err
	}
	if c.Budget == nil {
		return nil
	}
	if recipient != "" {
		t.Value = recipient
	}
	return c.Budget(ctx, t)
}

// Target says where a code goes.
type Target struct {
	Strategy string // email_code or phone_code
	ID       string // email address or phone number id, if the record exists
	Value    string // normalised address or number
}

// Decoy issues a verification like one whose code went out (the same row,
// expiry, resend cooldown and failure count) but whose stored digest is
// random bytes that no code hashes to: no attempt can pass it, and nothing
// is sent. Enumeration protection answers with it for an identifier that
// names nobody, so that the answer and the attempts that follow look the
// same whether or not the account exists. (Delivery.Decoy issues the same
// kind of verification and sends a message that carries no code.)
func (c *Codes) Decoy(ctx context.Context, tx *ent.Tx, existing *ent.Verification, t Target, ttl time.Duration) (*ent.Verification, error) {
	v, _, err := c.issue(ctx, tx, existing, t, ttl, decoyCode)
	return v, err
}

// A codeSource draws a code for the verification id and returns it with the
// digest to store.
type codeSource func(c *Codes, id string) (code string, digest []byte, err error)

// sixDigits is a real code: six digits, stored as their keyed hash.
func sixDigits(c *Codes, id string) (string, []byte, error) {
	code, err := factor.NewCode(c.Rand)
	if err != nil {
		return "", nil, err
	}
	digest, err := factor.HashCode(c.Keys, id, code)
	return code, digest, err
}

// decoyCode is no code: a random digest the size of a real one.
func decoyCode(c *Codes, _ string) (string, []byte, error) {
	digest := make([]byte, sha256.Size)
	if _, err := io.ReadFull(c.Rand, digest); err != nil {
		return "", nil, fmt.Errorf("verification: drawing a decoy: %w", err)
	}
	return "", digest, nil
}

// issue creates a verification with a fresh code from draw, or, when
// existing is a verification for the same target that has not failed,
// replaces its code and keeps its failure count. It enforces the resend
// cooldown. It returns the verification and the plaintext code, which the
// caller sends and forgets.
func (c *Codes) issue(ctx context.Context, tx *ent.Tx, existing *ent.Verification, t Target, ttl time.Duration, draw codeSource) (*ent.Verification, string, error) {
	now := c.Now()
	if err := c.Cooldown(existing, t); err != nil {
		return nil, "", err
	}
	same := existing != nil && sameTarget(existing, t) && existing.Status != verification.StatusVerified
	if same && existing.Status != verification.StatusFailed {
		code, hash, err := draw(c, existing.ID)
		if err != nil {
			return nil, "", err
		}
		// Only while its send time is the one read: of two resends racing
		// past the cooldown check, the second finds it moved and is refused
		// by the cooldown as a later one would be. Nor once a right code
		// passed it since the read (an attempt leaves the send time): a
		// new code would reopen what the user proved.
		v, err := tx.Verification.UpdateOne(existing).Where(Unchanged(existing.SentAt, verification.SentAtEQ, verification.SentAtIsNil),
			verification.StatusNEQ(verification.StatusVerified)).
			SetCodeHash(hash).
			SetStatus(verification.StatusUnverified).
			SetExpireAt(now.Add(ttl)).
			SetSentAt(now).
			AddSendCount(1).
			Save(ctx)
		if err == nil {
			return v, code, nil
		}
		if !ent.IsNotFound(err) {
			return nil, "", fmt.Errorf("verification: replacing code: %w", err)
		}
		raced, err := tx.Verification.Query().Where(verification.ID(existing.ID)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, "", err
		}
		if raced != nil && raced.Status == verification.StatusVerified {
			return nil, "", apierr.New(apierr.VerificationAlreadyVerified).WithParam("strategy")
		}
		if raced != nil {
			return nil, "", cooldownError(ResendCooldown)
		}
		// The retention pass deleted it, a day after it expired: a new one follows.
	}
	id := ids.New("ver")
	code, hash, err := draw(c, id)
	if err != nil {
		return nil, "", err
	}
	create := tx.Verification.Create().
		SetID(id).
		SetStrategy(t.Strategy).
		SetTarget(t.Value).
		SetCodeHash(hash).
		SetExpireAt(now.Add(ttl)).
		SetSentAt(now).
		SetSendCount(1)
	if t.ID != "" {
		create.SetTargetID(t.ID)
	}
	v, err := create.Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("verification: creating: %w", err)
	}
	return v, code, nil
}

// Cooldown answers verification_code_too_many_requests (with
// meta.retryAfterSeconds) while the code existing sent to t is younger than
// ResendCooldown. It holds for every send to the target, also the fresh
// verification that follows a failed one (CONTRACT §3 rule 6). A send
// checks it (issue); a caller may ask first, before spending a budget on a
// send that would be refused.
func (c *Codes) Cooldown(existing *ent.Verification, t Target) error {
	if existing == nil || existing.SentAt == nil || !sameTarget(existing, t) || existing.Status == verification.StatusVerified {
		return nil
	}
	if wait := ResendCooldown - c.Now().Sub(*existing.SentAt); wait > 0 {
		return cooldownError(wait)
	}
	return nil
}

// cooldownError is verification_code_too_many_requests, to retry after wait.
func cooldownError(wait time.Duration) *apierr.Error {
	secs := int(math.Ceil(wait.Seconds()))
	return apierr.New(apierr.VerificationCodeTooManyRequests).WithMeta("retryAfterSeconds", secs)
}

// unsend undoes a send of v that failed, while v still holds the code that
// send issued (a later send's stays). A resend (v is existing's row with a
// new code) gives back the code delivered before, with its expiry and send
// time: the user holds it, and a failed resend must not take it away. A
// first send clears its send time, so the cooldown does not hold back a
// code nobody got.
func (c *Codes) unsend(ctx context.Context, tx *ent.Tx, v, existing *ent.Verification) error {
	upd := tx.Verification.Update().Where(verification.ID(v.ID))
	if v.CodeHash != nil {
		upd.Where(verification.CodeHash(*v.CodeHash))
	}
	if existing != nil && existing.ID == v.ID && existing.SentAt != nil && existing.CodeHash != nil &&
		existing.Status == verification.StatusUnverified {
		return upd.SetCodeHash(*existing.CodeHash).SetNillableExpireAt(existing.ExpireAt).SetSentAt(*existing.SentAt).Exec(ctx)
	}
	return upd.ClearSentAt().Exec(ctx)
}

func sameTarget(v *ent.Verification, t Target) bool {
	if v.Strategy != t.Strategy {
		return false
	}
	if t.ID != "" && v.TargetID != nil {
		return *v.TargetID == t.ID
	}
	return v.Target != nil && *v.Target == t.Value
}

// CountsTowardLockout reports whether err, from Check, is a failed code
// that counts toward the user's lockout (CONTRACT §3 rule 7): a wrong code
// (form_code_incorrect), or any code sent to a verification that wrong codes
// have failed (verification_failed). Attempts on an expired, verified or
// missing verification do not count.
func CountsTowardLockout(err error) bool {
	return apierr.Is(err, apierr.FormCodeIncorrect) || apierr.Is(err, apierr.VerificationFailed)
}

// Load reads the verification id names through c. One that is gone reads
// as expired: the retention pass deletes a code that was not verified a day
// after it expired (retention.FlowGrace), while a long-lived sign-in or
// sign-up may still point to it.
func Load(ctx context.Context, c *ent.Client, id string) (*ent.Verification, error) {
	v, err := c.Verification.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apierr.New(apierr.VerificationExpired)
	}
	return v, err
}

// Open reports whether a right code could still pass v at now: unverified,
// unexpired, with a code (Check's preconditions).
func Open(v *ent.Verification, now time.Time) bool {
	return closed(v, now) == nil
}

// closed is why no code can pass v at now, or nil when one can.
func closed(v *ent.Verification, now time.Time) *apierr.Error {
	switch {
	case v == nil:
		return apierr.New(apierr.VerificationMissing)
	case v.Status == verification.StatusVerified:
		return apierr.New(apierr.VerificationAlreadyVerified)
	case v.Status == verification.StatusFailed:
		return apierr.New(apierr.VerificationFailed)
	case v.Status == verification.StatusExpired || (v.ExpireAt != nil && !now.Before(*v.ExpireAt)):
		return apierr.New(apierr.VerificationExpired)
	case v.CodeHash == nil:
		return apierr.New(apierr.VerificationMissing)
	}
	return nil
}

// Check verifies code against v inside tx. A wrong code increments the
// attempts and returns form_code_incorrect, or verification_failed at
// MaxAttempts; the caller must commit tx even when an error is returned, so
// the failure is recorded. A right code marks v verified exactly once: of two
// concurrent attempts with the right code, one wins and the other gets
// verification_already_verified. The winner gets a copy of v marked verified
// (v itself is left as read, so that a retried transaction checks it afresh).
func (c *Codes) Check(ctx context.Context, tx *ent.Tx, v *ent.Verification, input string) (*ent.Verification, error) {
	now := c.Now()
	if e := closed(v, now); e != nil {
		if apierr.Is(e, apierr.VerificationExpired) && v.Status != verification.StatusExpired {
			// An update of no row when the retention pass deleted it meanwhile.
			if err := tx.Verification.Update().Where(verification.ID(v.ID)).SetStatus(verification.StatusExpired).Exec(ctx); err != nil {
				return nil, err
			}
		}
		return nil, e
	}
	if got, err := factor.HashCode(c.Keys, v.ID, input); err == nil && factor.CodeHashEqual(got, *v.CodeHash) {
		n, err := tx.Verification.Update().
			Where(verification.ID(v.ID), verification.StatusEQ(verification.StatusUnverified), verification.CodeHash(*v.CodeHash)).
			SetStatus(verification.StatusVerified).
			SetVerifiedAt(now).
			ClearCodeHash().
			Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("verification: marking verified: %w", err)
		}
		if n != 1 {
			return nil, lost(ctx, tx, v.ID)
		}
		passed := *v
		passed.Status, passed.VerifiedAt, passed.CodeHash = verification.StatusVerified, &now, nil
		return &passed, nil
	}
	// A wrong (or malformed) code counts atomically, in the database's
	// count rather than the one read: below the limit one statement adds
	// it; the one that reaches MaxAttempts (the first statement then
	// matches no row) adds it and fails the verification in a second.
	open := verification.And(verification.ID(v.ID), verification.StatusEQ(verification.StatusUnverified))
	n, err := tx.Verification.Update().Where(open, verification.AttemptsLT(MaxAttempts-1)).AddAttempts(1).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("verification: counting attempt: %w", err)
	}
	if n == 1 {
		return nil, apierr.New(apierr.FormCodeIncorrect).WithParam("code")
	}
	n, err = tx.Verification.Update().Where(open).AddAttempts(1).SetStatus(verification.StatusFailed).ClearCodeHash().Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("verification: counting attempt: %w", err)
	}
	if n == 1 {
		return nil, apierr.New(apierr.VerificationFailed).WithParam("code")
	}
	return nil, lost(ctx, tx, v.ID)
}

// lost is the error for an attempt whose conditional update found the
// verification no longer unverified: a concurrent attempt verified it, failed
// it (the 5th wrong code) or a resend replaced its code. It answers what the
// verification is now, as if this attempt had come after the other.
func lost(ctx context.Context, tx *ent.Tx, id string) error {
	now, err := Load(ctx, tx.Client(), id)
	if err != nil {
		return err
	}
	switch now.Status {
	case verification.StatusVerified:
		return apierr.New(apierr.VerificationAlreadyVerified)
	case verification.StatusFailed:
		return apierr.New(apierr.VerificationFailed).WithParam("code")
	case verification.StatusExpired:
		return apierr.New(apierr.VerificationExpired)
	}
	// Unverified with another code: a resend replaced the one this attempt saw.
	return apierr.New(apierr.FormCodeIncorrect).WithParam("code")
}
