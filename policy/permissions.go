package policy

import "slices"

// The permissions the admin API checks, named as @can names them in
// graph/admin.graphqls (TestPermissionsMatchSchema keeps the two in step).
const (
	SelfRead           Permission = "self:read"
	ApplicationsRead   Permission = "applications:read"
	ApplicationsCreate Permission = "applications:create"
	SettingsRead       Permission = "settings:read"
	SettingsUpdate     Permission = "settings:update"
	UsersRead          Permission = "users:read"
	UsersCreate        Permission = "users:create"
	UsersLock          Permission = "users:lock"
	UsersBan           Permission = "users:ban"
	UsersResetMFA      Permission = "users:reset_mfa"
	SessionsRevoke     Permission = "sessions:revoke"
	TrustRevoke        Permission = "trust:revoke"
	EventsRead         Permission = "events:read"
	AuditRead          Permission = "audit:read"
	OutboxRead         Permission = "outbox:read"
	RolesRead          Permission = "roles:read"
	RolesGrant         Permission = "roles:grant"
	KeysRead           Permission = "keys:read"
	KeysCreate         Permission = "keys:create"
)

// all lists every permission.
var all = []Permission{
	SelfRead, ApplicationsRead, ApplicationsCreate, SettingsRead, SettingsUpdate,
	UsersRead, UsersCreate, UsersLock, UsersBan, UsersResetMFA, SessionsRevoke, TrustRevoke,
	EventsRead, AuditRead, OutboxRead, RolesRead, RolesGrant, KeysRead, KeysCreate,
}

// Permissions lists every permission the admin API checks.
func Permissions() []Permission { return slices.Clone(all) }

// Granted lists the permissions subject holds in domain (an application id or *).
func (e *Enforcer) Granted(subject, domain string) []Permission {
	var out []Permission
	for _, p := range all {
		if e.Allowed(subject, domain, p) {
			out = append(out, p)
		}
	}
	return out
}
