/**
 * The admin (control plane) GraphQL documents the dashboard sends (graph/admin.graphqls, CONTRACT §4), and the
 * shapes of their answers. Every operation is named, so logs and tests can tell them apart.
 */

export interface AdminOperation {
  operationName: string
  query: string
}

function op(operationName: string, query: string): AdminOperation {
  return { operationName, query: query.replace(/\s+/g, ' ').trim() }
}

// ---- Types ---------------------------------------------------------------------------------------------------

export interface RoleAssignment {
  id: string
  subject: string
  role: string
  applicationId: string
  createdAt: string
}

export interface Viewer {
  actor: string
  roles: Pick<RoleAssignment, 'role' | 'applicationId' | 'subject'>[]
  permissions: string[]
}

export interface AppSettings {
  clientTrustEnabled: boolean
  emailEnabled: boolean
  phoneEnabled: boolean
  passwordEnabled: boolean
  usernameEnabled: boolean
  firstFactors: string[]
  secondFactors: string[]
  enumerationProtection: boolean
  lockoutMaxAttempts: number
  lockoutDurationSeconds: number | null
  codeTtlSeconds: number
  sessionLifetimeSeconds: number
  /** sessionInactivityTimeoutSeconds ends a session not used (no session token minted) for that long; null: off. */
  sessionInactivityTimeoutSeconds: number | null
  signInLifetimeSeconds: number
  allowedOrigins: string[]
  notifyNewDevice: boolean
  notifySecurityChanges: boolean
  singleSessionMode: boolean
  eventRetentionDays: number
  rateLimitSignInsPerIp: number
  rateLimitAttemptsPerIp: number
  rateLimitCodeSendsPerIp: number
  rateLimitIdentifierPerMinute: number
  rateLimitMessagesPerRecipientPerHour: number
}

export interface AppUpdate {
  key: string
  title: string
  description: string
  date: string
  enabled: boolean
  explicit: boolean
}

export interface Application {
  id: string
  name: string
  publishableKey: string
  createdAt: string
}

export interface EmailAddress {
  id: string
  emailAddress: string
  verified: boolean
}

export interface PhoneNumber {
  id: string
  phoneNumber: string
  verified: boolean
  reservedForSecondFactor: boolean
}

export interface UserSummary {
  id: string
  username: string | null
  emailAddresses: EmailAddress[]
  phoneNumbers: PhoneNumber[]
  primaryEmailAddressId: string | null
  primaryPhoneNumberId: string | null
  twoFactorEnabled: boolean
  locked: boolean
  lockoutExpiresInSeconds: number | null
  banned: boolean
  lastSignInAt: string | null
  createdAt: string
}

export interface Factor {
  strategy: string
  safeIdentifier: string | null
}

export interface UserDevice {
  id: string
  userAgent: string
  ipAddress: string
  createdAt: string
  lastActiveAt: string | null
  trusted: boolean
  trustedAt: string | null
}

export interface AdminSession {
  id: string
  status: string
  clientId: string
  createdAt: string
  lastActiveAt: string
  expireAt: string
  ipAddress: string | null
  userAgent: string | null
}

export interface UserDetail extends UserSummary {
  passwordEnabled: boolean
  totpEnabled: boolean
  backupCodeEnabled: boolean
  factors: Factor[]
  clients: UserDevice[]
  sessions: AdminSession[]
}

export type Outcome = 'success' | 'failure' | 'challenge' | 'info'

export interface SignInEvent {
  id: string
  at: string
  signInId: string | null
  userId: string | null
  identifier: string
  clientId: string | null
  ipAddress: string
  userAgent: string
  kind: string
  strategy: string | null
  outcome: Outcome
  reason: string | null
}

export interface AuditEvent {
  id: string
  at: string
  actor: string
  action: string
  targetType: string
  targetId: string
  applicationId: string | null
  ipAddress: string
  before: string | null
  after: string | null
}

export interface APIKey {
  id: string
  name: string
  prefix: string
  role: string
  applicationId: string
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
  /** Whether this operator may revoke the key (a key with roles beyond its application needs keys:create everywhere). */
  revocable: boolean
}

export interface PageInfo {
  hasNextPage: boolean
  endCursor: string | null
}

export interface Connection<T> {
  totalCount: number
  pageInfo: PageInfo
  edges: ({ node: T | null } | null)[] | null
}

/** nodes lists the non-null nodes of a connection. */
export function nodes<T>(c: Connection<T> | null | undefined): T[] {
  return (c?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []))
}

/** SignInEventFilter is `SignInEventWhereInput` (CONTRACT §4). */
export interface SignInEventFilter {
  userId?: string
  identifier?: string
  clientId?: string
  kind?: string
  outcome?: Outcome
  ipAddress?: string
  from?: string
  to?: string
}

// ---- Selections ----------------------------------------------------------------------------------------------

export const SETTINGS_FIELDS = `clientTrustEnabled emailEnabled phoneEnabled passwordEnabled usernameEnabled firstFactors
  secondFactors enumerationProtection lockoutMaxAttempts lockoutDurationSeconds codeTtlSeconds sessionLifetimeSeconds sessionInactivityTimeoutSeconds
  signInLifetimeSeconds allowedOrigins notifyNewDevice notifySecurityChanges singleSessionMode eventRetentionDays rateLimitSignInsPerIp rateLimitAttemptsPerIp
  rateLimitCodeSendsPerIp rateLimitIdentifierPerMinute rateLimitMessagesPerRecipientPerHour`

const UPDATE_FIELDS = 'key title description date enabled explicit'

const USER_SUMMARY_FIELDS = `id username emailAddresses { id emailAddress verified }
  phoneNumbers { id phoneNumber verified reservedForSecondFactor } primaryEmailAddressId primaryPhoneNumberId
  twoFactorEnabled locked lockoutExpiresInSeconds banned lastSignInAt createdAt`

const USER_DETAIL_FIELDS = `${USER_SUMMARY_FIELDS} passwordEnabled totpEnabled backupCodeEnabled
  factors { strategy safeIdentifier }
  clients { id userAgent ipAddress createdAt lastActiveAt trusted trustedAt }
  sessions { id status clientId createdAt lastActiveAt expireAt ipAddress userAgent }`

const EVENT_FIELDS = 'id at signInId userId identifier clientId ipAddress userAgent kind strategy outcome reason'

const AUDIT_FIELDS = 'id at actor action targetType targetId applicationId ipAddress before after'

const KEY_FIELDS = 'id name prefix role applicationId createdAt lastUsedAt revokedAt revocable'

const ROLE_FIELDS = 'id subject role applicationId createdAt'

// ---- Operations ----------------------------------------------------------------------------------------------

export const ViewerQuery = op(
  'DashboardViewer',
  `query DashboardViewer($applicationId: ID) { viewer { actor roles { subject role applicationId } permissions(applicationId: $applicationId) } }`,
)

export const ApplicationsQuery = op(
  'DashboardApplications',
  `query DashboardApplications { applications { id name publishableKey createdAt } }`,
)

export const CreateApplication = op(
  'DashboardCreateApplication',
  `mutation DashboardCreateApplication($input: CreateApplicationInput!) { createApplication(input: $input) { id name publishableKey createdAt } }`,
)

export const ApplicationQuery = op(
  'DashboardApplication',
  `query DashboardApplication($id: ID!) { application(id: $id) { id name publishableKey createdAt } }`,
)

export const SettingsQuery = op(
  'DashboardSettings',
  `query DashboardSettings($id: ID!) { application(id: $id) { id createdAt settings { ${SETTINGS_FIELDS} } updates { ${UPDATE_FIELDS} } } }`,
)

export const UpdateSettings = op(
  'DashboardUpdateSettings',
  `mutation DashboardUpdateSettings($applicationId: ID!, $input: UpdateAppSettingsInput!) {
    updateAppSettings(applicationId: $applicationId, input: $input) { ${SETTINGS_FIELDS} } }`,
)

export const SetAppUpdate = op(
  'DashboardSetAppUpdate',
  `mutation DashboardSetAppUpdate($applicationId: ID!, $key: String!, $enabled: Boolean) {
    setAppUpdate(applicationId: $applicationId, key: $key, enabled: $enabled) { id settings { ${SETTINGS_FIELDS} } updates { ${UPDATE_FIELDS} } } }`,
)

export const UsersQuery = op(
  'DashboardUsers',
  `query DashboardUsers($applicationId: ID!, $first: Int, $after: Cursor, $where: UserWhereInput) {
    users(applicationId: $applicationId, first: $first, after: $after, where: $where) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${USER_SUMMARY_FIELDS} } } } }`,
)

export const UserQuery = op('DashboardUser', `query DashboardUser($id: ID!) { user(id: $id) { ${USER_DETAIL_FIELDS} } }`)

function userMutation(name: string, field: string, arg = 'id') {
  return op(name, `mutation ${name}($${arg}: ID!) { ${field}(${arg}: $${arg}) { ${USER_DETAIL_FIELDS} } }`)
}

export const LockUser = userMutation('DashboardLockUser', 'lockUser')
export const UnlockUser = userMutation('DashboardUnlockUser', 'unlockUser')
export const BanUser = userMutation('DashboardBanUser', 'banUser')
export const UnbanUser = userMutation('DashboardUnbanUser', 'unbanUser')
export const ResetUserMfa = userMutation('DashboardResetUserMfa', 'resetUserMfa')
export const RevokeTrustedClients = userMutation('DashboardRevokeTrustedClients', 'revokeTrustedClients', 'userId')

export const RevokeSession = op(
  'DashboardRevokeSession',
  `mutation DashboardRevokeSession($id: ID!) { revokeSession(id: $id) { id status } }`,
)

export const SignInEventsQuery = op(
  'DashboardSignInEvents',
  `query DashboardSignInEvents($applicationId: ID!, $first: Int, $after: Cursor, $where: SignInEventWhereInput) {
    signInEvents(applicationId: $applicationId, first: $first, after: $after, where: $where) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${EVENT_FIELDS} } } } }`,
)

export const AuditEventsQuery = op(
  'DashboardAuditEvents',
  `query DashboardAuditEvents($applicationId: ID, $first: Int, $after: Cursor) {
    auditEvents(applicationId: $applicationId, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${AUDIT_FIELDS} } } } }`,
)

export const AccessQuery = op(
  'DashboardAccess',
  `query DashboardAccess($applicationId: ID, $withRoles: Boolean!, $withKeys: Boolean!) {
    roleAssignments(applicationId: $applicationId) @include(if: $withRoles) { ${ROLE_FIELDS} }
    apiKeys(applicationId: $applicationId) @include(if: $withKeys) { ${KEY_FIELDS} } }`,
)

export const GrantRole = op(
  'DashboardGrantRole',
  `mutation DashboardGrantRole($input: GrantRoleInput!) { grantRole(input: $input) { ${ROLE_FIELDS} } }`,
)

export const RevokeRole = op(
  'DashboardRevokeRole',
  `mutation DashboardRevokeRole($input: RevokeRoleInput!) { revokeRole(input: $input) }`,
)

export const CreateAPIKey = op(
  'DashboardCreateAPIKey',
  `mutation DashboardCreateAPIKey($input: CreateAPIKeyInput!) { createAPIKey(input: $input) { key apiKey { ${KEY_FIELDS} } } }`,
)

export const RevokeAPIKey = op(
  'DashboardRevokeAPIKey',
  `mutation DashboardRevokeAPIKey($id: ID!) { revokeAPIKey(id: $id) { ${KEY_FIELDS} } }`,
)
