import type {
  ClientTrustState,
  EmailAddress,
  PhoneNumber,
  SessionData,
  SessionVerificationFirstFactor,
  SessionVerificationLevel,
  SessionVerificationResource,
  SessionVerificationSecondFactor,
  SessionVerificationStatus,
  SignInFirstFactor,
  SignInSecondFactor,
  SignInStatus,
  SignUpStatus,
  TrustedClient,
  UserData,
  Verification,
  VerificationStatus,
} from './types'

/** The wire shapes, as the GraphQL API returns them (nullable where the schema says so). */
export interface FactorJSON {
  strategy: string
  safeIdentifier?: string | null
  emailAddressId?: string | null
  phoneNumberId?: string | null
  primary?: boolean | null
}
export interface VerificationJSON {
  status: string
  strategy?: string | null
  attempts: number
  expireAt?: string | number | null
}
export interface SignInJSON {
  id: string
  status: string
  identifier?: string | null
  clientTrustState?: string | null
  supportedFirstFactors: FactorJSON[]
  supportedSecondFactors: FactorJSON[]
  firstFactorVerification?: VerificationJSON | null
  secondFactorVerification?: VerificationJSON | null
  createdSessionId?: string | null
}
export interface SignUpJSON {
  id: string
  status: string
  unverifiedFields: string[]
  createdUserId?: string | null
  createdSessionId?: string | null
}
export interface SessionJSON {
  id: string
  status: string
  userId: string
  clientId: string
  createdAt: string | number
  lastActiveAt: string | number
  expireAt: string | number
}
export interface UserJSON {
  id: string
  username?: string | null
  emailAddresses: EmailAddress[]
  phoneNumbers: PhoneNumber[]
  primaryEmailAddressId?: string | null
  twoFactorEnabled: boolean
  totpEnabled: boolean
  backupCodeEnabled: boolean
  locked: boolean
  banned: boolean
  lastSignInAt?: string | number | null
  createdAt: string | number
}
export interface SessionVerificationJSON {
  id: string
  status: string
  level: string
  supportedFirstFactors: FactorJSON[]
  supportedSecondFactors: FactorJSON[]
  firstFactorVerification?: VerificationJSON | null
  secondFactorVerification?: VerificationJSON | null
  expireAt: string | number
}
export interface TrustedClientJSON {
  id: string
  clientId: string
  method: string
  ipAddress: string
  userAgent: string
  createdAt: string | number
  lastUsedAt?: string | number | null
  current: boolean
}

/**
 * toDate reads a GraphQL `Time`: an RFC 3339 string, or epoch milliseconds (seconds when the number is small),
 * so the SDK does not break if the server's scalar changes representation.
 */
export function toDate(v: string | number | null | undefined): Date | null {
  if (v === null || v === undefined || v === '') return null
  if (typeof v === 'number') return new Date(v < 1e11 ? v * 1000 : v)
  const d = new Date(v)
  return Number.isNaN(d.getTime()) ? null : d
}

/**
 * jwtLifetimeMs reads how long a session JWT lives, `exp − iat` of its claims, in milliseconds: a span measured on
 * the server's clock alone, so a device clock that is off does not change it. It is null for a token whose claims
 * cannot be read (not a JWT, or no numeric `iat` / `exp`). The signature is not checked: the server does that.
 */
export function jwtLifetimeMs(jwt: string): number | null {
  const payload = jwt.split('.')[1]
  if (!payload) return null
  try {
    const b64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=')
    const claims: unknown = JSON.parse(atob(b64))
    if (typeof claims !== 'object' || claims === null) return null
    const { iat, exp } = claims as { iat?: unknown; exp?: unknown }
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= iat) return null
    return (exp - iat) * 1000
  } catch {
    return null
  }
}

function toDateStrict(v: string | number): Date {
  return toDate(v) ?? new Date(0)
}

/** parseFactor turns a wire factor into the matching typed factor, dropping nulls. */
export function parseFactor(f: FactorJSON): SignInFirstFactor | SignInSecondFactor {
  const out: Record<string, unknown> = { strategy: f.strategy }
  if (f.safeIdentifier != null) out.safeIdentifier = f.safeIdentifier
  if (f.emailAddressId != null) out.emailAddressId = f.emailAddressId
  if (f.phoneNumberId != null) out.phoneNumberId = f.phoneNumberId
  if (f.primary != null) out.primary = f.primary
  return out as unknown as SignInFirstFactor | SignInSecondFactor
}

export function parseVerification(v: VerificationJSON | null | undefined): Verification | null {
  if (!v) return null
  return {
    status: v.status as VerificationStatus,
    strategy: v.strategy ?? null,
    attempts: v.attempts,
    expireAt: toDate(v.expireAt),
  }
}

/** SignInState is the data part of a sign-in resource. */
export interface SignInState {
  id: string | undefined
  status: SignInStatus
  identifier: string | null
  clientTrustState: ClientTrustState | null
  supportedFirstFactors: SignInFirstFactor[]
  supportedSecondFactors: SignInSecondFactor[]
  firstFactorVerification: Verification | null
  secondFactorVerification: Verification | null
  createdSessionId: string | null
}

export function emptySignIn(): SignInState {
  return {
    id: undefined,
    status: 'needs_identifier',
    identifier: null,
    clientTrustState: null,
    supportedFirstFactors: [],
    supportedSecondFactors: [],
    firstFactorVerification: null,
    secondFactorVerification: null,
    createdSessionId: null,
  }
}

export function parseSignIn(s: SignInJSON): SignInState {
  return {
    id: s.id,
    status: s.status as SignInStatus,
    identifier: s.identifier ?? null,
    clientTrustState: (s.clientTrustState as ClientTrustState | null | undefined) ?? null,
    supportedFirstFactors: (s.supportedFirstFactors ?? []).map(parseFactor) as SignInFirstFactor[],
    supportedSecondFactors: (s.supportedSecondFactors ?? []).map(parseFactor) as SignInSecondFactor[],
    firstFactorVerification: parseVerification(s.firstFactorVerification),
    secondFactorVerification: parseVerification(s.secondFactorVerification),
    createdSessionId: s.createdSessionId ?? null,
  }
}

/** SignUpState is the data part of a sign-up resource. */
export interface SignUpState {
  id: string | undefined
  status: SignUpStatus | null
  unverifiedFields: string[]
  createdUserId: string | null
  createdSessionId: string | null
}

export function emptySignUp(): SignUpState {
  return { id: undefined, status: null, unverifiedFields: [], createdUserId: null, createdSessionId: null }
}

export function parseSignUp(s: SignUpJSON): SignUpState {
  return {
    id: s.id,
    status: s.status as SignUpStatus,
    unverifiedFields: s.unverifiedFields ?? [],
    createdUserId: s.createdUserId ?? null,
    createdSessionId: s.createdSessionId ?? null,
  }
}

export function parseSession(s: SessionJSON): SessionData {
  return {
    id: s.id,
    status: s.status,
    userId: s.userId,
    clientId: s.clientId,
    createdAt: toDateStrict(s.createdAt),
    lastActiveAt: toDateStrict(s.lastActiveAt),
    expireAt: toDateStrict(s.expireAt),
  }
}

export function parseUser(u: UserJSON): UserData {
  return {
    id: u.id,
    username: u.username ?? null,
    emailAddresses: u.emailAddresses ?? [],
    phoneNumbers: u.phoneNumbers ?? [],
    primaryEmailAddressId: u.primaryEmailAddressId ?? null,
    twoFactorEnabled: u.twoFactorEnabled,
    totpEnabled: u.totpEnabled,
    backupCodeEnabled: u.backupCodeEnabled,
    locked: u.locked,
    banned: u.banned,
    lastSignInAt: toDate(u.lastSignInAt),
    createdAt: toDateStrict(u.createdAt),
  }
}

export function parseTrustedClient(t: TrustedClientJSON): TrustedClient {
  return {
    id: t.id,
    clientId: t.clientId,
    method: t.method,
    ipAddress: t.ipAddress,
    userAgent: t.userAgent,
    createdAt: toDateStrict(t.createdAt),
    lastUsedAt: toDate(t.lastUsedAt),
    current: t.current,
  }
}

export function parseSessionVerification(v: SessionVerificationJSON): SessionVerificationResource {
  return {
    id: v.id,
    status: v.status as SessionVerificationStatus,
    level: v.level as SessionVerificationLevel,
    supportedFirstFactors: (v.supportedFirstFactors ?? []).map(parseFactor) as SessionVerificationFirstFactor[],
    supportedSecondFactors: (v.supportedSecondFactors ?? []).map(parseFactor) as SessionVerificationSecondFactor[],
    firstFactorVerification: parseVerification(v.firstFactorVerification),
    secondFactorVerification: parseVerification(v.secondFactorVerification),
    expireAt: toDateStrict(v.expireAt),
  }
}
