// Package clienttrust owns trusted (user, client) pairs: the memory of Client
// Trust. A pair becomes trusted when a sign-in or sign-up completes on the
// client; trust ends when the user changes their password or primary email,
// revokes it, or an admin does.
package clienttrust

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/ent/trustedclient"
)

// TrustedExpr is the SQL condition, for a query over users, that the user
// whose id is in the column userIDColumn trusts the client clientID. The
// sign-in reads it with the user (signin.readUser) instead of asking apart.
func TrustedExpr(userIDColumn, clientID string) *sql.Predicate {
	t := sql.Table(trustedclient.Table)
	return sql.Exists(sql.Select(t.C(trustedclient.FieldUserID)).From(t).Where(sql.And(
		sql.ColumnsEQ(t.C(trustedclient.FieldUserID), userIDColumn),
		sql.EQ(t.C(trustedclient.FieldClientID), clientID),
	)))
}

// Grant trusts the (user, client) pair inside tx, or refreshes its last use.
func Grant(ctx context.Context, tx *ent.Tx, userID, clientID, method, ip, userAgent string, now time.Time) error {
	err := tx.TrustedClient.Create().
		SetUserID(userID).SetClientID(clientID).SetMethod(method).
		SetIPAddress(ip).SetUserAgent(userAgent).SetLastUsedAt(now).
		OnConflictColumns(trustedclient.FieldUserID, trustedclient.FieldClientID).
		Update(func(u *ent.TrustedClientUpsert) { u.SetLastUsedAt(now) }).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("clienttrust: granting: %w", err)
	}
	return nil
}

// Touch refreshes the last use of the (user, client) trust inside tx, and
// reports whether it still exists: unlike Grant it never creates one, so a
// revocation committed since the caller read the trust stands.
func Touch(ctx context.Context, tx *ent.Tx, userID, clientID string, now time.Time) (bool, error) {
	n, err := tx.TrustedClient.Update().
		Where(trustedclient.UserID(userID), trustedclient.ClientID(clientID)).
		SetLastUsedAt(now).Save(ctx)
	if err != nil {
		return false, fmt.Errorf("clienttrust: refreshing: %w", err)
	}
	return n > 0, nil
}

// RevokeAll ends every trust of the user inside tx and returns how many ended.
func RevokeAll(ctx context.Context, tx *ent.Tx, userID string) (int, error) {
	return revoke(ctx, tx, trustedclient.UserID(userID))
}

// RevokeOthers ends every trust of the user inside tx but that of the client
// keep, and returns how many ended.
func RevokeOthers(ctx context.Context, tx *ent.Tx, userID, keep string) (int, error) {
	return revoke(ctx, tx, trustedclient.UserID(userID), trustedclient.ClientIDNEQ(keep))
}

func revoke(ctx context.Context, tx *ent.Tx, where ...predicate.TrustedClient) (int, error) {
	n, err := tx.TrustedClient.Delete().Where(where...).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("clienttrust: revoking: %w", err)
	}
	return n, nil
}
