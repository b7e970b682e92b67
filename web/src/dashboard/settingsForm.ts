import type { TrustgateAPIError } from '@trustgate/react'
import type { AppSettings } from './operations'

/** Draft is the settings form's state: numbers as typed (strings), origins one per line. */
export interface Draft extends Record<RateLimitName, string> {
  clientTrustEnabled: boolean
  notifyNewDevice: boolean
  notifySecurityChanges: boolean
  singleSessionMode: boolean
  emailEnabled: boolean
  phoneEnabled: boolean
  passwordEnabled: boolean
  usernameEnabled: boolean
  firstFactors: string[]
  secondFactors: string[]
  enumerationProtection: boolean
  lockoutMaxAttempts: string
  lockoutUntilUnlocked: boolean
  lockoutDurationSeconds: string
  codeTtlSeconds: string
  signInLifetimeSeconds: string
  sessionLifetimeSeconds: string
  inactivityTimeoutEnabled: boolean
  sessionInactivityTimeoutSeconds: string
  allowedOrigins: string
  eventRetentionDays: string
}

export const FIRST_FACTORS = [
  { value: 'password', label: 'Password' },
  { value: 'email_code', label: 'Email code (passwordless)' },
  { value: 'phone_code', label: 'SMS code (passwordless)' },
] as const

export const SECOND_FACTORS = [
  { value: 'totp', label: 'Authenticator app (TOTP)' },
  { value: 'phone_code', label: 'SMS code' },
  { value: 'backup_code', label: 'Backup codes' },
] as const

/**
 * RATE_LIMIT_RANGE is what the server's settings.Validate (internal/settings) accepts for every rate limit, bounds
 * included; the form checks it before sending. Other numbers are range-checked by the server alone.
 */
export const RATE_LIMIT_RANGE = { min: 1, max: 100000 } as const

/**
 * RATE_LIMITS are the rate-limit settings: how many requests of a kind the server lets through per window
 * before it answers too_many_requests. The windows are the server's (internal/httpserver/ratelimit.go, internal/ratelimit).
 */
export const RATE_LIMITS = [
  {
    name: 'rateLimitSignInsPerIp',
    label: 'Sign-ins per IP address',
    per: '10 seconds',
    hint: 'Sign-ins one IP address may start in 10 seconds. Sign-ups, and new devices (a browser or app seen for the first time), are counted separately, against the same limit.',
  },
  {
    name: 'rateLimitAttemptsPerIp',
    label: 'Attempts per IP address',
    per: '10 seconds',
    hint: 'Passwords and codes (email, SMS, authenticator app, backup) one IP address may try in 10 seconds, at sign-in, at sign-up and on the account page.',
  },
  {
    name: 'rateLimitCodeSendsPerIp',
    label: 'Codes sent per IP address',
    per: '10 seconds',
    hint: 'Email and SMS codes one IP address may have sent in 10 seconds.',
  },
  {
    name: 'rateLimitIdentifierPerMinute',
    label: 'Sign-ins per identifier',
    per: 'minute',
    hint: 'Sign-ins and sign-ups one email address, phone number or username may start in a minute, from any IP address. Sign-ins from devices the account already trusts count separately, against the same limit, so that others cannot use it up.',
  },
  {
    name: 'rateLimitMessagesPerRecipientPerHour',
    label: 'Messages per recipient',
    per: 'hour',
    hint: 'Codes and notices one email address or phone number may get in an hour, whoever asks and from any IP address: stops mail bombing and SMS pumping.',
  },
] as const

type RateLimitName = (typeof RATE_LIMITS)[number]['name']

/** DEFAULT_LOCKOUT_SECONDS is offered when an operator switches from "until unlocked" back to a duration. */
const DEFAULT_LOCKOUT_SECONDS = 3600

/** DEFAULT_INACTIVITY_SECONDS (30 minutes) is offered when an operator turns the inactivity timeout on. */
const DEFAULT_INACTIVITY_SECONDS = 1800

/** toDraft fills the form from the server's settings. */
export function toDraft(s: AppSettings): Draft {
  return {
    clientTrustEnabled: s.clientTrustEnabled,
    notifyNewDevice: s.notifyNewDevice,
    notifySecurityChanges: s.notifySecurityChanges,
    singleSessionMode: s.singleSessionMode,
    emailEnabled: s.emailEnabled,
    phoneEnabled: s.phoneEnabled,
    passwordEnabled: s.passwordEnabled,
    usernameEnabled: s.usernameEnabled,
    firstFactors: [...s.firstFactors],
    secondFactors: [...s.secondFactors],
    enumerationProtection: s.enumerationProtection,
    lockoutMaxAttempts: String(s.lockoutMaxAttempts),
    lockoutUntilUnlocked: s.lockoutDurationSeconds === null,
    lockoutDurationSeconds: String(s.lockoutDurationSeconds ?? DEFAULT_LOCKOUT_SECONDS),
    codeTtlSeconds: String(s.codeTtlSeconds),
    signInLifetimeSeconds: String(s.signInLifetimeSeconds),
    sessionLifetimeSeconds: String(s.sessionLifetimeSeconds),
    inactivityTimeoutEnabled: s.sessionInactivityTimeoutSeconds !== null,
    sessionInactivityTimeoutSeconds: String(s.sessionInactivityTimeoutSeconds ?? DEFAULT_INACTIVITY_SECONDS),
    allowedOrigins: s.allowedOrigins.join('\n'),
    eventRetentionDays: String(s.eventRetentionDays),
    ...(Object.fromEntries(RATE_LIMITS.map((r) => [r.name, String(s[r.name])])) as Record<RateLimitName, string>),
  }
}

/**
 * rebaseDraft moves a form from the settings it was filled from (`from`) to newer ones (`to`, e.g. after an Update
 * was opted in): a field the operator left alone takes its new value, a field they changed keeps their edit.
 */
export function rebaseDraft(draft: Draft, from: AppSettings, to: AppSettings): Draft {
  const before = toDraft(from)
  const after = toDraft(to)
  const out = { ...after }
  for (const k of Object.keys(draft) as (keyof Draft)[]) {
    if (!sameField(k, draft[k], before[k])) (out as Record<keyof Draft, unknown>)[k] = draft[k]
  }
  return out
}

/**
 * sameField tells whether form field k holds what it was filled with, as saving compares them: a factor list is a
 * set (one unticked and ticked again is unchanged), the origins a list (a blank line changes nothing). Otherwise
 * the form would keep the old value over the Update's change, and the next save would undo it.
 */
function sameField(k: keyof Draft, a: Draft[keyof Draft], b: Draft[keyof Draft]): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return sameSet(a, b)
  if (k === 'allowedOrigins' && typeof a === 'string' && typeof b === 'string') return origins(a).join('\n') === origins(b).join('\n')
  return a === b
}

const NUMBER_FIELDS = [
  'lockoutMaxAttempts',
  'codeTtlSeconds',
  'signInLifetimeSeconds',
  'sessionLifetimeSeconds',
  'eventRetentionDays',
  ...RATE_LIMITS.map((r) => r.name),
] as const

const BOOLEAN_FIELDS = [
  'clientTrustEnabled',
  'notifyNewDevice',
  'notifySecurityChanges',
  'singleSessionMode',
  'emailEnabled',
  'phoneEnabled',
  'passwordEnabled',
  'usernameEnabled',
  'enumerationProtection',
] as const

function sameSet(a: readonly string[], b: readonly string[]) {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n')
}

function localError(param: string, message: string): TrustgateAPIError {
  return { code: 'form_param_format_invalid', message, longMessage: message, meta: { paramName: param } }
}

function parseWhole(raw: string): number | null {
  const t = raw.trim()
  return /^-?\d+$/.test(t) ? Number(t) : null
}

/** origins splits the allowed-origins text into entries (lines or commas, blanks dropped). */
export function origins(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((o) => o.trim())
    .filter(Boolean)
}

/**
 * diffSettings is the `UpdateAppSettingsInput` of the fields the operator changed (so the audit log records just
 * those), or the errors of inputs that are not whole numbers or, for a rate limit, fall outside RATE_LIMIT_RANGE. Every other
 * check is the server's. A nullable duration that is off (lockout until unlocked, no inactivity timeout) is sent as an
 * explicit null, and its hidden seconds input is not checked.
 */
export function diffSettings(draft: Draft, saved: AppSettings): { input: Record<string, unknown>; errors: TrustgateAPIError[] } {
  const input: Record<string, unknown> = {}
  const errors: TrustgateAPIError[] = []
  for (const f of BOOLEAN_FIELDS) if (draft[f] !== saved[f]) input[f] = draft[f]
  for (const f of NUMBER_FIELDS) {
    const n = parseWhole(draft[f])
    const range = RATE_LIMITS.some((r) => r.name === f) ? RATE_LIMIT_RANGE : undefined
    if (n === null || (range && (n < range.min || n > range.max))) {
      errors.push(localError(f, range ? `Enter a whole number between ${range.min} and ${range.max}.` : 'Enter a whole number.'))
    } else if (n !== saved[f]) input[f] = n
  }
  for (const [f, off] of [
    ['lockoutDurationSeconds', draft.lockoutUntilUnlocked],
    ['sessionInactivityTimeoutSeconds', !draft.inactivityTimeoutEnabled],
  ] as const) {
    if (off) {
      if (saved[f] !== null) input[f] = null
      continue
    }
    const n = parseWhole(draft[f])
    if (n === null) errors.push(localError(f, 'Enter a whole number of seconds.'))
    else if (n !== saved[f]) input[f] = n
  }
  if (!sameSet(draft.firstFactors, saved.firstFactors)) input.firstFactors = draft.firstFactors
  if (!sameSet(draft.secondFactors, saved.secondFactors)) input.secondFactors = draft.secondFactors
  const o = origins(draft.allowedOrigins)
  if (o.join('\n') !== saved.allowedOrigins.join('\n')) input.allowedOrigins = o
  return { input, errors }
}

/** humanSeconds reads a duration: "1 hour", "10 minutes", "7 days", else "N seconds". */
export function humanSeconds(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ]
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size
      return `${n} ${name}${n === 1 ? '' : 's'}`
    }
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`
}
