/**
 * What an operator may do in an application, so the dashboard can hide the controls their role cannot use.
 * The server enforces every permission regardless (Casbin, policy/); this only decides what to show.
 */

/** ROLES are the roles of CONTRACT §5, most powerful first. */
export const ROLES = ['owner', 'admin', 'support', 'auditor'] as const
export type Role = (typeof ROLES)[number]

/** ROLE_DESCRIPTIONS say what each role may do, in the words of CONTRACT §5. */
export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: 'Everything, including applications, roles and API keys',
  admin: 'Read everything; update settings; manage users and sessions',
  support: 'Read users and sign-in history; lock, unlock, reset MFA, revoke sessions and trusted devices',
  auditor: 'Read settings, users, sign-in history and the audit log; change nothing',
}

/**
 * ROLE_PERMISSIONS mirrors policy/policy.csv. It is used only when the server's `viewer.permissions` answers an
 * empty list for an application the viewer holds roles in (see `effectivePermissions`).
 */
export const ROLE_PERMISSIONS: Record<Role, readonly string[]> = {
  owner: ['*:*'],
  admin: [
    'self:read',
    'applications:read',
    'settings:read',
    'settings:update',
    'users:read',
    'users:create',
    'users:lock',
    'users:ban',
    'users:reset_mfa',
    'sessions:revoke',
    'trust:revoke',
    'events:read',
    'audit:read',
    'outbox:read',
    'roles:read',
    'keys:read',
  ],
  support: [
    'self:read',
    'applications:read',
    'users:read',
    'users:lock',
    'users:reset_mfa',
    'sessions:revoke',
    'trust:revoke',
    'events:read',
  ],
  auditor: ['self:read', 'applications:read', 'settings:read', 'users:read', 'events:read', 'audit:read'],
}

/** RoleGrant is one of the viewer's role assignments: a role in an application, or in every one (`*`). */
export interface RoleGrant {
  role: string
  applicationId: string
}

/** ALL_APPS is the domain of grants that apply in every application. */
export const ALL_APPS = '*'

/** permissionsFromRoles lists what the given grants allow in `applicationId` (grants in `*` count everywhere). */
export function permissionsFromRoles(grants: readonly RoleGrant[], applicationId: string): string[] {
  const out = new Set<string>()
  for (const g of grants) {
    if (g.applicationId !== applicationId && g.applicationId !== ALL_APPS) continue
    for (const p of ROLE_PERMISSIONS[g.role as Role] ?? []) out.add(p)
  }
  return [...out]
}

/**
 * effectivePermissions prefers the server's answer; when it is empty although the viewer holds a role that
 * applies here, the permissions come from the role table instead.
 */
export function effectivePermissions(
  server: readonly string[] | null | undefined,
  grants: readonly RoleGrant[],
  applicationId: string,
): string[] {
  if (server && server.length > 0) return [...server]
  return permissionsFromRoles(grants, applicationId)
}

/** hasPermission reports whether `perms` grant `perm` ("resource:action"), honouring `*` wildcards. */
export function hasPermission(perms: readonly string[], perm: string): boolean {
  const [resource, action] = perm.split(':')
  return perms.some((p) => {
    const [r, a] = p.split(':')
    return (r === '*' || r === resource) && (a === '*' || a === action)
  })
}
