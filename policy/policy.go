// Package policy is trustgate's authorization: the Casbin model (model.conf)
// and role → permission table (policy.csv) kept as data, role assignments kept
// in the database's role_assignments table through a Casbin adapter, and an
// enforcer that every replica keeps current by watching a policy version.
package policy

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/roleassignment"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/ids"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var policyText string

// Roles are the roles of CONTRACT.md §5.
var Roles = []string{"owner", "admin", "support", "auditor"}

// AllDomains is the domain of grants that apply in every application.
const AllDomains = "*"

// versionKey is the server_configs row that changes with every role change.
const versionKey = "policy_version"

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool { return slices.Contains(Roles, role) }

// IsKey reports whether a role's subject is an API key's id (ak_…) rather
// than an operator's email: an email has an @, a key id never does, so an
// operator whose address starts with ak_ is still an operator.
func IsKey(subject string) bool {
	return strings.HasPrefix(subject, "ak_") && !strings.Contains(subject, "@")
}

// Permission is a "resource:action" string such as "settings:update".
type Permission string

// Split returns the resource and action of p.
func (p Permission) Split() (resource, action string) {
	resource, action, _ = strings.Cut(string(p), ":")
	return resource, action
}

// Reads reports whether p only reads (its action is "read").
func (p Permission) Reads() bool {
	_, action := p.Split()
	return action == "read"
}

func policyLines() [][]string {
	var out [][]string
	for _, raw := range strings.Split(policyText, "\n") {
		raw = strings.TrimSpace(raw)
		if raw == "" || strings.HasPrefix(raw, "#") {
			continue
		}
		fields := strings.Split(raw, ",")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		out = append(out, fields)
	}
	return out
}

// Adapter loads the "p" rules from policy.csv and the "g" rules (role
// assignments) from the database. Grants are written through Enforcer.Grant,
// so the adapter's auto-save methods only maintain role_assignments.
type Adapter struct {
	Ent *ent.Client
}

// LoadPolicy implements persist.Adapter.
func (a *Adapter) LoadPolicy(m model.Model) error {
	for _, line := range policyLines() {
		if err := persist.LoadPolicyArray(line, m); err != nil {
			return err
		}
	}
	rows, err := a.Ent.RoleAssignment.Query().All(context.Background())
	if err != nil {
		return fmt.Errorf("policy: loading role assignments: %w", err)
	}
	for _, r := range rows {
		if err := persist.LoadPolicyArray([]string{"g", r.Subject, r.Role, r.Domain}, m); err != nil {
			return err
		}
	}
	return nil
}

// SavePolicy implements persist.Adapter; the policy is data in policy.csv and is never saved whole.
func (a *Adapter) SavePolicy(model.Model) error {
	return fmt.Errorf("policy: saving the whole policy is not supported; edit policy/policy.csv")
}

// AddPolicy implements persist.Adapter.
func (a *Adapter) AddPolicy(sec, ptype string, rule []string) error {
	return fmt.Errorf("policy: use Enforcer.Grant")
}

// RemovePolicy implements persist.Adapter.
func (a *Adapter) RemovePolicy(sec, ptype string, rule []string) error {
	return fmt.Errorf("policy: use Enforcer.Revoke")
}

// RemoveFilteredPolicy implements persist.Adapter.
func (a *Adapter) RemoveFilteredPolicy(sec, ptype string, fieldIndex int, fieldValues ...string) error {
	return fmt.Errorf("policy: use Enforcer.Revoke")
}

// Enforcer answers permission questions from an in-memory Casbin enforcer
// that follows the database: every grant bumps a version row, and every
// replica reloads when it sees the version change (Watch), within its poll interval.
type Enforcer struct {
	ent *ent.Client

	mu      sync.RWMutex
	casbin  *casbin.Enforcer
	version string
}

// New builds an enforcer and loads the current policy.
func New(ctx context.Context, client *ent.Client) (*Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("policy: parsing model.conf: %w", err)
	}
	ce, err := casbin.NewEnforcer(m, &Adapter{Ent: client})
	if err != nil {
		return nil, fmt.Errorf("policy: building enforcer: %w", err)
	}
	ce.EnableAutoSave(false)
	e := &Enforcer{ent: client, casbin: ce}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Allowed reports whether subject holds permission perm in domain (an app id or *).
func (e *Enforcer) Allowed(subject, domain string, perm Permission) bool {
	resource, action := perm.Split()
	e.mu.RLock()
	defer e.mu.RUnlock()
	ok, err := e.casbin.Enforce(subject, domain, resource, action)
	return err == nil && ok
}

// Reload reads role assignments and the version again.
func (e *Enforcer) Reload(ctx context.Context) error {
	v, err := e.currentVersion(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.casbin.LoadPolicy(); err != nil {
		return fmt.Errorf("policy: loading: %w", err)
	}
	e.version = v
	return nil
}

func (e *Enforcer) currentVersion(ctx context.Context) (string, error) {
	v, ok, err := database.ConfigValue(ctx, e.ent.ServerConfig, versionKey)
	switch {
	case err != nil:
		return "", fmt.Errorf("policy: %w", err)
	case !ok:
		return "0", nil
	}
	return v, nil
}

// Watch reloads the policy whenever another replica changed it, polling the
// version row every interval until ctx ends.
func (e *Enforcer) Watch(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.Refresh(ctx); err != nil && ctx.Err() == nil && onError != nil {
				onError(err)
			}
		}
	}
}

// Refresh reloads the policy when the database holds another version than
// the one loaded (a grant made since the last poll, by the command line or
// another replica), and reports whether it did.
func (e *Enforcer) Refresh(ctx context.Context) (bool, error) {
	v, err := e.currentVersion(ctx)
	if err != nil {
		return false, err
	}
	e.mu.RLock()
	changed := v != e.version
	e.mu.RUnlock()
	if !changed {
		return false, nil
	}
	return true, e.Reload(ctx)
}

// Grant assigns role to subject in domain inside tx, at at, and bumps the
// version. A role granted already keeps its row (its id) and is renewed:
// its created_at becomes at, which is when an invitation (a grant to an
// email that names no operator yet) lapses from.
func Grant(ctx context.Context, tx *ent.Tx, subject, role, domain, by string, at time.Time) (*ent.RoleAssignment, error) {
	// Insert-or-renew in one statement: of concurrent grants of the same
	// role each succeeds, and the unique index on (subject, role, domain)
	// decides which row stays (a look-up first would let both insert). The
	// version is bumped only by the grant that inserted.
	id := ids.New("ra")
	err := tx.RoleAssignment.Create().SetID(id).SetSubject(subject).SetRole(role).SetDomain(domain).SetCreatedBy(by).SetCreatedAt(at).
		OnConflict(entsql.ConflictColumns(roleassignment.FieldSubject, roleassignment.FieldRole, roleassignment.FieldDomain),
			entsql.ResolveWith(func(u *entsql.UpdateSet) { u.SetExcluded(roleassignment.FieldCreatedAt) })).
		Exec(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	ra, err := tx.RoleAssignment.Query().Where(roleassignment.Subject(subject), roleassignment.Role(role), roleassignment.Domain(domain)).Only(ctx)
	if err != nil {
		return nil, err
	}
	if ra.ID != id {
		return ra, nil // granted already
	}
	return ra, bump(ctx, tx)
}

// Revoke removes role from subject in domain inside tx and bumps the version.
func Revoke(ctx context.Context, tx *ent.Tx, subject, role, domain string) (bool, error) {
	n, err := tx.RoleAssignment.Delete().Where(roleassignment.Subject(subject), roleassignment.Role(role), roleassignment.Domain(domain)).Exec(ctx)
	if err != nil || n == 0 {
		return false, err
	}
	return true, bump(ctx, tx)
}

// RevokeSubject removes every role of subject (a revoked key) and bumps the version.
func RevokeSubject(ctx context.Context, tx *ent.Tx, subject string) error {
	if _, err := tx.RoleAssignment.Delete().Where(roleassignment.Subject(subject)).Exec(ctx); err != nil {
		return err
	}
	return bump(ctx, tx)
}

// Serialize takes, inside tx, the lock every role change takes: the policy
// version row, bumped. A check that reads the role assignments and who may
// still act on them (the last owner's) then runs after every such change
// committed before it, and a change that begins meanwhile waits for tx; on
// PostgreSQL's read committed, two transactions could otherwise each see
// what the other is about to remove.
func Serialize(ctx context.Context, tx *ent.Tx) error { return bump(ctx, tx) }

// bump changes the policy version so every replica reloads.
func bump(ctx context.Context, tx *ent.Tx) error {
	return database.SetConfigValue(ctx, tx.ServerConfig, versionKey, strconv.FormatInt(time.Now().UnixNano(), 36))
}

// AllowedSomewhere reports whether subject holds perm in any domain.
func (e *Enforcer) AllowedSomewhere(subject string, perm Permission) bool {
	e.mu.RLock()
	grants, _ := e.casbin.GetFilteredGroupingPolicy(0, subject)
	e.mu.RUnlock()
	for _, g := range grants {
		if len(g) >= 3 && e.Allowed(subject, g[2], perm) {
			return true
		}
	}
	return false
}

// Grants lists subject's role assignments as (role, domain) pairs.
func (e *Enforcer) Grants(subject string) [][2]string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	grants, _ := e.casbin.GetFilteredGroupingPolicy(0, subject)
	out := make([][2]string, 0, len(grants))
	for _, g := range grants {
		if len(g) >= 3 {
			out = append(out, [2]string{g[1], g[2]})
		}
	}
	return out
}
