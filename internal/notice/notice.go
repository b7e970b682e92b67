// Package notice sends the emails that tell a user what happened to their
// account, as opposed to the codes they asked for: the sign-in from a new
// device and the security notices (a password, second factor, backup codes
// or primary address changed). A notice is part of the change it tells of
// but never a condition of it: it spends the address's message budget and,
// through the dev outbox, is written in the change's transaction; any other
// sender gets it once that transaction has committed and its caller has let
// go of it (on SQLite, of the write slot: an SMTP server can take seconds).
// A budget spent or a delivery that fails skips the notice (logged), and the
// change stands.
package notice

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/emailaddress"
	"github.com/trustgate/trustgate/ent/user"
	"github.com/trustgate/trustgate/internal/delivery"
	"github.com/trustgate/trustgate/internal/device"
	"github.com/trustgate/trustgate/internal/ratelimit"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/settings"
)

// Notifier sends notices.
type Notifier struct {
	Sender delivery.Sender
	// Limiter holds the per-recipient message budget a notice spends, as a
	// code does, so that repeated changes (or sign-ins from fresh clients)
	// cannot flood an inbox; nil spends none.
	Limiter *ratelimit.Limiter
	Log     *slog.Logger
}

// Send sends msg as part of tx; what and the attributes name it in the log
// (never the message, which names the address). It returns what is left to
// do once tx has committed and the caller's DB.Tx has returned (send it; nil
// when nothing is), which the caller must run then and only then. Only an
// error of tx itself (the budget's statement) is returned: the caller's
// transaction cannot go on after one.
func (n *Notifier) Send(ctx context.Context, tx *ent.Tx, msg delivery.Message, what string, attrs ...any) (after func(), err error) {
	if n.Limiter != nil {
		ok, err := n.Limiter.SpendRecipientTx(ctx, tx, msg.To)
		if err != nil {
			return nil, err
		}
		if !ok {
			n.Log.InfoContext(ctx, what+" not sent: the address's message budget is spent", attrs...)
			return nil, nil
		}
	}
	done, err := delivery.SendTx(ctx, n.Sender, tx, msg)
	if errors.Is(err, delivery.ErrDeliveryFailed) {
		// Outside dev mode the outbox stands for an SMTP server nobody
		// configured: the notice reached no one, but the change stands.
		n.Log.WarnContext(ctx, what+" not sent", append(attrs, "error", err)...)
		return nil, nil
	}
	if err != nil || done {
		return nil, err
	}
	bg := context.WithoutCancel(ctx)
	return func() {
		if err := n.Sender.Send(bg, msg); err != nil {
			n.Log.WarnContext(bg, what+" not sent", append(attrs, "error", err)...)
		}
	}, nil
}

// Run runs the functions Send returned that are not nil, in order.
func Run(after ...func()) {
	for _, f := range after {
		if f != nil {
			f()
		}
	}
}

// Security queues a security notice of change for the user userID of app,
// as part of tx (see Send), when the application's settings ask for one
// (notifySecurityChanges, with email enabled: its users never gave an
// address otherwise). It goes to the user's primary email address, or the
// first verified one, as read in tx; to, when not empty, is the address to
// tell instead (the one a primary change moved from). detail is one more
// line for the notice. A user without a verified address gets none.
func (n *Notifier) Security(ctx context.Context, tx *ent.Tx, set *settings.Settings, app *ent.Application,
	userID string, change delivery.Change, to, detail string, at time.Time) (after func(), err error) {
	if !set.NotifySecurityChanges || !set.EmailEnabled || app == nil {
		return nil, nil
	}
	if to == "" {
		if to, err = primaryEmail(ctx, tx, userID); err != nil || to == "" {
			return nil, err
		}
	}
	rq := request.From(ctx)
	msg, err := delivery.RenderSecurityNoticeEmail(delivery.SecurityNotice{
		ApplicationID: app.ID, AppName: app.Name, To: to, Change: change, Detail: detail,
		Device: device.Describe(rq.UserAgent), IP: rq.IP, At: at,
	})
	if err != nil {
		n.Log.WarnContext(ctx, "security notice not sent", "user_id", userID, "error", err)
		return nil, nil
	}
	return n.Send(ctx, tx, msg, "security notice", "user_id", userID)
}

// primaryEmail returns the user's primary email address if it is verified,
// else their first verified one, else "".
func primaryEmail(ctx context.Context, tx *ent.Tx, userID string) (string, error) {
	u, err := tx.User.Query().Where(user.ID(userID)).Select(user.FieldPrimaryEmailAddressID).Only(ctx)
	if err != nil {
		return "", err
	}
	emails, err := tx.EmailAddress.Query().Where(emailaddress.UserID(userID), emailaddress.Verified(true)).
		Order(ent.Asc(emailaddress.FieldCreatedAt), ent.Asc(emailaddress.FieldID)).All(ctx)
	if err != nil || len(emails) == 0 {
		return "", err
	}
	for _, e := range emails {
		if u.PrimaryEmailAddressID != nil && e.ID == *u.PrimaryEmailAddressID {
			return e.EmailAddress, nil
		}
	}
	return emails[0].EmailAddress, nil
}
