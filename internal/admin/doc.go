// Package admin is the control plane's domain: applications and their settings
// and dated updates, user management (create/import, lock, ban, reset MFA,
// revoke sessions and trust), role grants, API keys and operators. Every
// mutation writes an audit event with its before/after values in the same
// transaction. Authorization happens before these methods run (graph's @can).
package admin
