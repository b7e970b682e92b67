/**
 * A fake trustgate for the dashboard's tests: the dashboard application's config, an operator signed in on it,
 * the viewer's roles, and an application with settings, users, events and keys. Tests override any operation.
 */
import type { AppSettings, AppUpdate, SignInEvent, UserDetail } from '../src/dashboard/operations'
import { fakeServer, signedInClient, tokenReply, user, type GetHandler, type Handler } from './fakeServer'

export const DASHBOARD_KEY = 'pk_dashboard'
export const APP_ID = 'app_1'

export function settings(overrides: Partial<AppSettings> = {}): AppSettings {
  return {
    clientTrustEnabled: true,
    emailEnabled: true,
    phoneEnabled: true,
    passwordEnabled: true,
    usernameEnabled: false,
    firstFactors: ['password', 'email_code', 'phone_code'],
    secondFactors: ['totp', 'phone_code', 'backup_code'],
    enumerationProtection: false,
    lockoutMaxAttempts: 10,
    lockoutDurationSeconds: 3600,
    codeTtlSeconds: 600,
    sessionLifetimeSeconds: 604800,
    sessionInactivityTimeoutSeconds: null,
    signInLifetimeSeconds: 7200,
    allowedOrigins: [],
    notifyNewDevice: true,
    notifySecurityChanges: true,
    singleSessionMode: false,
    eventRetentionDays: 90,
    rateLimitSignInsPerIp: 5,
    rateLimitAttemptsPerIp: 3,
    rateLimitCodeSendsPerIp: 5,
    rateLimitIdentifierPerMinute: 10,
    rateLimitMessagesPerRecipientPerHour: 10,
    ...overrides,
  }
}

/**
 * selected keeps the settings fields that `query` asks for, as the real server answers, so a field missing from
 * the dashboard's GraphQL document is missing from the answer too.
 */
export function selected(s: AppSettings, query: string): AppSettings {
  return Object.fromEntries(Object.entries(s).filter(([k]) => new RegExp(`\\b${k}\\b`).test(query))) as AppSettings
}

/** settingsReply answers DashboardSettings with `s`, as much of it as the query asks for. */
export function settingsReply(s: AppSettings): Handler {
  return (_, call) => ({ data: { application: { id: APP_ID, createdAt: '2026-02-01T00:00:00Z', settings: selected(s, call.query), updates: UPDATES } } })
}

export const UPDATES: AppUpdate[] = [
  {
    key: 'client_trust',
    title: 'Client Trust',
    description: 'Password sign-ins from a new device need a code.',
    date: '2025-11-14T00:00:00Z',
    enabled: true,
    explicit: false,
  },
  {
    key: 'lockout_10_attempts',
    title: 'Lockout after 10 failed attempts',
    description: 'Users are locked after 10 failed attempts instead of 100.',
    date: '2026-07-06T00:00:00Z',
    enabled: false,
    explicit: true,
  },
]

export function adminUser(overrides: Partial<UserDetail> = {}): UserDetail {
  return {
    id: 'user_9',
    username: null,
    emailAddresses: [{ id: 'ema_9', emailAddress: 'sam@example.com', verified: true }],
    phoneNumbers: [],
    primaryEmailAddressId: 'ema_9',
    primaryPhoneNumberId: null,
    twoFactorEnabled: true,
    locked: false,
    lockoutExpiresInSeconds: null,
    banned: false,
    lastSignInAt: '2026-11-01T10:00:00Z',
    createdAt: '2026-10-01T10:00:00Z',
    passwordEnabled: true,
    totpEnabled: true,
    backupCodeEnabled: true,
    factors: [{ strategy: 'totp', safeIdentifier: null }],
    clients: [
      {
        id: 'client_7',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0',
        ipAddress: '203.0.113.7',
        createdAt: '2026-10-01T10:00:00Z',
        lastActiveAt: '2026-11-01T10:00:00Z',
        trusted: true,
        trustedAt: '2026-10-01T10:01:00Z',
      },
    ],
    sessions: [
      {
        id: 'sess_7',
        status: 'active',
        clientId: 'client_7',
        createdAt: '2026-11-01T10:00:00Z',
        lastActiveAt: '2026-11-01T10:00:00Z',
        expireAt: '2026-11-08T10:00:00Z',
        ipAddress: '203.0.113.7',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0',
      },
    ],
    ...overrides,
  }
}

export function event(overrides: Partial<SignInEvent> = {}): SignInEvent {
  return {
    id: 'sie_1',
    at: '2026-11-01T10:00:00Z',
    signInId: 'sia_1',
    userId: 'user_9',
    identifier: 's**@example.com',
    clientId: 'client_7',
    ipAddress: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0',
    kind: 'sign_in.completed',
    strategy: 'password',
    outcome: 'success',
    reason: null,
    ...overrides,
  }
}

export function connection<T>(items: T[], hasNextPage = false, endCursor: string | null = null, totalCount = items.length) {
  return { totalCount, pageInfo: { hasNextPage, endCursor }, edges: items.map((node) => ({ node, cursor: 'c' })) }
}

/**
 * dashboardServer fakes trustgate for a signed-in operator holding `role` in every application (`*`);
 * `permissions` is what the server answers for `viewer.permissions` (empty: the dashboard derives them).
 */
export function dashboardServer(
  role: string,
  overrides: Record<string, Handler | Handler[]> = {},
  options: { permissions?: string[]; gets?: Record<string, GetHandler> } = {},
) {
  const handlers: Record<string, Handler | Handler[]> = {
    Client: signedInClient,
    SessionTokenCreate: () => tokenReply('jwt_operator', 300),
    Me: () => ({ data: { me: user({ emailAddresses: [{ id: 'ema_1', emailAddress: 'ops@example.com', verified: true }] }) } }),
    DashboardViewer: () => ({
      data: {
        viewer: {
          actor: 'operator:ops@example.com',
          roles: [{ subject: 'ops@example.com', role, applicationId: '*' }],
          permissions: options.permissions ?? [],
        },
      },
    }),
    DashboardApplications: () => ({
      data: {
        applications: [
          { id: 'app_dash', name: 'trustgate dashboard', publishableKey: DASHBOARD_KEY, createdAt: '2026-01-01T00:00:00Z' },
          { id: APP_ID, name: 'Storefront', publishableKey: 'pk_store', createdAt: '2026-02-01T00:00:00Z' },
        ],
      },
    }),
    DashboardApplication: () => ({
      data: { application: { id: APP_ID, name: 'Storefront', publishableKey: 'pk_store', createdAt: '2026-02-01T00:00:00Z' } },
    }),
    DashboardSettings: settingsReply(settings()),
    DashboardUsers: () => ({ data: { users: connection([adminUser()]) } }),
    DashboardUser: () => ({ data: { user: adminUser() } }),
    DashboardSignInEvents: () => ({ data: { signInEvents: connection([event()]) } }),
    DashboardAuditEvents: () => ({ data: { auditEvents: connection([]) } }),
    DashboardAccess: () => ({ data: { roleAssignments: [], apiKeys: [] } }),
    ...overrides,
  }
  return fakeServer(handlers, {
    '/dashboard/config.json': () => ({ body: { publishableKey: DASHBOARD_KEY } }),
    ...options.gets,
  })
}
