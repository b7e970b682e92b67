package audit

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/signinevent"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/keyring"
	"github.com/trustgate/trustgate/internal/request"
)

// Sign-in event kinds (CONTRACT.md §4).
const (
	KindSignInCreated          = "sign_in.created"
	KindPasswordFailed         = "password.failed"
	KindPasswordPassed         = "password.passed"
	KindClientTrustRequired    = "client_trust.required"
	KindClientTrustUnavailable = "client_trust.unavailable"
	KindCodeSent               = "code.sent"
	KindCodeDeliveryFailed     = "code.delivery_failed"
	KindCodeWithheld           = "code.withheld" // enumeration protection answered a prepare as sent, and sent nothing
	KindCodeFailed             = "code.failed"
	KindCodePassed             = "code.passed"
	KindSecondFactorRequired   = "second_factor.required"
	KindTOTPFailed             = "totp.failed"
	KindTOTPPassed             = "totp.passed"
	KindBackupCodeUsed         = "backup_code.used"
	KindBackupCodeFailed       = "backup_code.failed"
	KindUserLocked             = "user.locked"
	KindUserLockedRejected     = "user.locked_rejected"
	KindUserBannedRejected     = "user.banned_rejected"
	KindRateLimited            = "rate_limited"
	KindPasswordReset          = "password.reset"
	KindSignInCompleted        = "sign_in.completed"
	KindSignInAbandoned        = "sign_in.abandoned"
	KindSignUpCompleted        = "sign_up.completed"
)

// Kinds lists every sign-in event kind the server writes, in the order of a
// sign-in. The dashboard's kind filter and the schema's description of
// SignInEvent.kind list the same (TestKindsAreListedEverywhere).
var Kinds = []string{
	KindSignInCreated, KindPasswordFailed, KindPasswordPassed, KindClientTrustRequired, KindClientTrustUnavailable,
	KindCodeSent, KindCodeDeliveryFailed, KindCodeWithheld, KindCodeFailed, KindCodePassed, KindSecondFactorRequired,
	KindTOTPFailed, KindTOTPPassed, KindBackupCodeUsed, KindBackupCodeFailed, KindUserLocked,
	KindUserLockedRejected, KindUserBannedRejected, KindRateLimited, KindPasswordReset, KindSignInCompleted, KindSignInAbandoned,
	KindSignUpCompleted,
}

// Outcomes of a step.
const (
	Success   = signinevent.OutcomeSuccess
	Failure   = signinevent.OutcomeFailure
	Challenge = signinevent.OutcomeChallenge
	Info      = signinevent.OutcomeInfo
)

// SignInEvent is one step to record.
type SignInEvent struct {
	ApplicationID string
	SignInID      string
	UserID        string
	// Identifier is the normalised identifier; it is stored masked and as a keyed digest.
	Identifier string
	ClientID   string
	Kind       string
	Strategy   string
	Outcome    signinevent.Outcome
	Reason     string
}

// Recorder writes sign-in events.
type Recorder struct {
	Keys *keyring.Keyring
	// Now stamps events; the server's injected clock, so tests can place them in time.
	Now func() time.Time
	// RowAtATime makes RecordAll insert each event with a statement of its
	// own; set it on SQLite. There a multi-row insert writes a statement
	// journal (to undo its earlier rows if a later one fails), and for a few
	// event rows, each touching seven B-trees, that journal passes SQLite's
	// 64 KiB in-memory limit and becomes a new temporary file: an open, writes
	// and a delete per step, dearer than the statements it saves. On
	// PostgreSQL one statement is one round trip instead of several.
	RowAtATime bool
	// Committed, when set, counts each event once its transaction has
	// committed (NewEventCounter): a step undone by a rollback or retried
	// counts once, as the history shows it.
	Committed *prometheus.CounterVec
}

// NewEventCounter returns the metric trustgate_sign_in_events_total, by
// kind, strategy ("none" for a step without one) and outcome: what an
// operator alerts on, since a credential-stuffing wave shows as a surge of
// password.failed, client_trust.required and rate_limited. It carries no
// application, user or IP: those are in the sign-in history.
func NewEventCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trustgate_sign_in_events_total",
		Help: "Sign-in events recorded (committed), by kind, strategy and outcome.",
	}, []string{"kind", "strategy", "outcome"})
}

// IdentifierDigest is the keyed digest under which an identifier is searchable.
func (r *Recorder) IdentifierDigest(normalised string) string {
	return hex.EncodeToString(r.Keys.MAC(keyring.PurposeToken, []byte("sign-in-identifier:"+normalised)))
}

// Record appends e inside tx, with the IP and user agent of the request in ctx.
func (r *Recorder) Record(ctx context.Context, tx *ent.Tx, e SignInEvent) error {
	return r.RecordAll(ctx, tx, []SignInEvent{e})
}

// RecordAll appends events inside tx in one statement (one per event with
// RowAtATime), in their order (ids rise in the order given), with the IP and
// user agent of the request in ctx.
func (r *Recorder) RecordAll(ctx context.Context, tx *ent.Tx, events []SignInEvent) error {
	if len(events) == 0 {
		return nil
	}
	rq := request.From(ctx)
	at := r.now()
	creates := make([]*ent.SignInEventCreate, len(events))
	for i, e := range events {
		c := tx.SignInEvent.Create().
			SetApplicationID(e.ApplicationID).
			SetAt(at).
			SetKind(e.Kind).
			SetOutcome(e.Outcome).
			SetIPAddress(rq.IP).
			SetUserAgent(rq.UserAgent)
		if e.Identifier != "" {
			c.SetIdentifier(identifier.Mask(e.Identifier)).SetIdentifierDigest(r.IdentifierDigest(e.Identifier))
		}
		setIf(e.SignInID, c.SetSignInID)
		setIf(e.UserID, c.SetUserID)
		setIf(e.ClientID, c.SetClientID)
		setIf(e.Strategy, c.SetStrategy)
		setIf(e.Reason, c.SetReason)
		creates[i] = c
	}
	r.countOnCommit(tx, events)
	if !r.RowAtATime {
		if err := tx.SignInEvent.CreateBulk(creates...).Exec(ctx); err != nil {
			return fmt.Errorf("audit: recording %s: %w", events[0].Kind, err)
		}
		return nil
	}
	for i, c := range creates {
		if err := c.Exec(ctx); err != nil {
			return fmt.Errorf("audit: recording %s: %w", events[i].Kind, err)
		}
	}
	return nil
}

// countOnCommit adds events to r.Committed once tx commits.
func (r *Recorder) countOnCommit(tx *ent.Tx, events []SignInEvent) {
	if r.Committed == nil {
		return
	}
	database.AfterCommit(tx, func() {
		for _, e := range events {
			strategy := e.Strategy
			if strategy == "" {
				strategy = "none"
			}
			r.Committed.WithLabelValues(e.Kind, strategy, string(e.Outcome)).Inc()
		}
	})
}

func (r *Recorder) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func setIf[T any](v string, set func(string) T) {
	if v != "" {
		set(v)
	}
}
