/**
 * A fake trustgate GraphQL endpoint for tests: a `fetch` that answers each operation (by `operationName`) from a
 * handler and records every request, so tests can assert both what the SDK sent and how it reacted.
 */
import type { SessionVerificationJSON, SignInJSON, SignUpJSON, UserJSON } from '../sdk/parse'
import type { EnvironmentJSON } from '../sdk/environment'
import { createClient } from '../sdk/client'

export interface GraphQLBody {
  data?: Record<string, unknown> | null
  errors?: { message: string; extensions?: Record<string, unknown> }[]
}

/** Reply is a handler's answer: a GraphQL body, optionally with HTTP status and response headers. */
export interface Reply extends GraphQLBody {
  status?: number
  headers?: Record<string, string>
}

export interface RecordedCall {
  url: string
  method: string
  credentials: RequestCredentials | undefined
  headers: Record<string, string>
  operationName: string
  query: string
  // any: tests read nested inputs freely.
  variables: Record<string, any>
}

export type Handler = (variables: Record<string, any>, call: RecordedCall) => Reply | Promise<Reply>

/** GetHandler answers a plain GET (e.g. `/dashboard/config.json`) with a JSON body. */
export type GetHandler = (url: URL, headers: Record<string, string>) => { status?: number; body: unknown; text?: string }

/**
 * fakeServer returns a fetch that dispatches on operationName. A handler given as an array answers successive
 * calls of that operation in turn (the last one repeats). `gets` answers GET requests by path. `Environment` has a
 * default answer (DEFAULT_ENVIRONMENT, the server's default settings) when no handler is given.
 */
export function fakeServer(handlers: Record<string, Handler | Handler[]>, gets: Record<string, GetHandler> = {}) {
  const calls: RecordedCall[] = []
  const getCalls: { url: URL; headers: Record<string, string> }[] = []
  const defaulted: RecordedCall[] = []
  const counts = new Map<string, number>()
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    )
    if ((init.method ?? 'GET') === 'GET') {
      const url = new URL(String(input), 'http://localhost')
      getCalls.push({ url, headers })
      const g = gets[url.pathname]
      if (!g) return new Response('not found', { status: 404 })
      const r = g(url, headers)
      return new Response(r.text ?? JSON.stringify(r.body), {
        status: r.status ?? 200,
        headers: { 'Content-Type': r.text !== undefined ? 'text/csv' : 'application/json' },
      })
    }
    const body = JSON.parse(String(init.body))
    const call: RecordedCall = {
      url: String(input),
      method: init.method ?? 'GET',
      credentials: init.credentials,
      headers,
      operationName: body.operationName,
      query: body.query,
      variables: body.variables ?? {},
    }
    if (!(call.operationName in handlers) && call.operationName in defaultHandlers) {
      // A default answer (DEFAULT_ENVIRONMENT): recorded apart, so that tests about other operations need not
      // list it in `ops()`; a test that gives its own handler sees the call in `calls` as usual.
      defaulted.push(call)
      return new Response(JSON.stringify(await defaultHandlers[call.operationName]!(call.variables, call)), {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      })
    }
    calls.push(call)
    const h = handlers[call.operationName]
    let handler: Handler | undefined
    if (Array.isArray(h)) {
      const n = counts.get(call.operationName) ?? 0
      counts.set(call.operationName, n + 1)
      handler = h[Math.min(n, h.length - 1)]
    } else handler = h
    const reply: Reply = handler
      ? await handler(call.variables, call)
      : { errors: [{ message: `fake server: no handler for ${call.operationName}`, extensions: { code: 'internal_error' } }] }
    const { status = 200, headers: replyHeaders = {}, ...payload } = reply
    return new Response(JSON.stringify(payload), {
      status,
      headers: { 'Content-Type': 'application/json', ...replyHeaders },
    })
  }
  return {
    fetch: fetch as typeof globalThis.fetch,
    calls,
    getCalls,
    /** defaulted are the calls answered by a default handler (`Environment` when the test gives none). */
    defaulted,
    /** ops lists the operation names sent so far, in order. */
    ops: () => calls.map((c) => c.operationName),
    /** last returns the most recent call of an operation. */
    last: (operationName: string) => [...calls].reverse().find((c) => c.operationName === operationName),
  }
}

/** gqlError is one GraphQL error carrying trustgate's extensions (CONTRACT §3 Errors). */
export function gqlError(code: string, message: string, paramName?: string, meta?: Record<string, unknown>): Reply {
  return {
    errors: [
      {
        message,
        path: ['x'],
        extensions: { code, longMessage: `${message} (long)`, paramName: paramName ?? null, meta: meta ?? null },
      } as { message: string; extensions: Record<string, unknown> },
    ],
    data: null,
  }
}

export const EMAIL_FACTOR = {
  strategy: 'email_code',
  safeIdentifier: 'j***@example.com',
  emailAddressId: 'ema_1',
  phoneNumberId: null,
  primary: true,
}
export const PHONE_FACTOR = {
  strategy: 'phone_code',
  safeIdentifier: '+1******4567',
  emailAddressId: null,
  phoneNumberId: 'phn_1',
  primary: true,
}
export const TOTP_FACTOR = { strategy: 'totp', safeIdentifier: null, emailAddressId: null, phoneNumberId: null, primary: null }
export const BACKUP_FACTOR = { strategy: 'backup_code', safeIdentifier: null, emailAddressId: null, phoneNumberId: null, primary: null }

/** signIn builds a SignIn as the server returns it. */
export function signIn(overrides: Partial<SignInJSON> = {}): SignInJSON {
  return {
    id: 'sia_1',
    status: 'needs_first_factor',
    identifier: 'jane@example.com',
    clientTrustState: null,
    supportedFirstFactors: [{ strategy: 'password' }],
    supportedSecondFactors: [],
    firstFactorVerification: null,
    secondFactorVerification: null,
    createdSessionId: null,
    ...overrides,
  }
}

const verified = { status: 'verified', strategy: 'password', attempts: 1, expireAt: null }

/** needsClientTrust is the answer to a valid password on a new device. */
export function needsClientTrust(factor: typeof EMAIL_FACTOR | typeof PHONE_FACTOR = EMAIL_FACTOR, state = 'new'): SignInJSON {
  return signIn({
    status: 'needs_client_trust',
    clientTrustState: state,
    firstFactorVerification: verified,
    supportedSecondFactors: [factor],
  })
}

/** needsSecondFactor is the answer to a valid password of a user with MFA. */
export function needsSecondFactor(factors = [TOTP_FACTOR, PHONE_FACTOR, BACKUP_FACTOR]): SignInJSON {
  return signIn({ status: 'needs_second_factor', firstFactorVerification: verified, supportedSecondFactors: factors })
}

/** complete is a finished sign-in with its session. */
export function complete(): SignInJSON {
  return signIn({ status: 'complete', firstFactorVerification: verified, createdSessionId: 'sess_1' })
}

export function signUp(overrides: Partial<SignUpJSON> = {}): SignUpJSON {
  return {
    id: 'sua_1',
    status: 'missing_requirements',
    unverifiedFields: ['email_address'],
    createdUserId: null,
    createdSessionId: null,
    ...overrides,
  }
}

export function user(overrides: Partial<UserJSON> = {}): UserJSON {
  return {
    id: 'user_1',
    emailAddresses: [{ id: 'ema_1', emailAddress: 'jane@example.com', verified: true }],
    phoneNumbers: [],
    primaryEmailAddressId: 'ema_1',
    twoFactorEnabled: false,
    totpEnabled: false,
    backupCodeEnabled: false,
    locked: false,
    banned: false,
    lastSignInAt: '2026-01-02T03:04:05Z',
    createdAt: '2026-01-01T00:00:00Z',
    ...overrides,
  }
}

/** tokenReply answers sessionTokenCreate with a JWT valid for `seconds` from `now`. */
export function tokenReply(jwt: string, seconds = 60, now = Date.now()): Reply {
  return { data: { sessionTokenCreate: { jwt, expiresAt: new Date(now + seconds * 1000).toISOString() } } }
}

/** emptyClient answers the `Client` query for a device with no session and no sign-in. */
export function emptyClient(): Reply {
  return { data: { client: { id: 'client_1', signIn: null, sessions: [], lastActiveSessionId: null } } }
}

/**
 * sessionJSON is an active session as the API answers it: of user_1 on client_1, last active when it was created;
 * `overrides` replace fields.
 */
export function sessionJSON(id: string, overrides: { createdAt?: string; clientId?: string; userId?: string } = {}) {
  const createdAt = overrides.createdAt ?? '2026-01-02T03:04:05Z'
  return {
    id,
    status: 'active',
    userId: overrides.userId ?? 'user_1',
    clientId: overrides.clientId ?? 'client_1',
    createdAt,
    lastActiveAt: createdAt,
    expireAt: '2026-01-09T03:04:05Z',
  }
}

/**
 * accountServer is the server of the hosted /account page for user_1 signed in on this device (sess_1): no sessions
 * or trusted devices listed; `extra` replaces or adds operations.
 */
export function accountServer(extra: Record<string, Handler | Handler[]> = {}) {
  return fakeServer({
    Client: signedInClient,
    SessionTokenCreate: () => tokenReply('jwt_1'),
    Me: () => ({ data: { me: user() } }),
    Sessions: () => ({ data: { sessions: [] } }),
    TrustedClients: () => ({ data: { trustedClients: [] } }),
    ...extra,
  })
}

/** signedInClient answers the `Client` query for a device with one active session. */
export function signedInClient(): Reply {
  return clientWithSessions(['sess_1'])
}

/**
 * clientWithSessions answers the `Client` query for a device with these active sessions (`sess_N` of `user_N`), the
 * first the last active one unless `lastActiveSessionId` says otherwise.
 */
export function clientWithSessions(ids: string[], lastActiveSessionId: string | null = ids[0] ?? null): Reply {
  return {
    data: {
      client: {
        id: 'client_1',
        signIn: null,
        sessions: ids.map((id) => sessionJSON(id, { userId: id.replace('sess_', 'user_') })),
        lastActiveSessionId,
      },
    },
  }
}

export const PASSWORD_FACTOR = { strategy: 'password', safeIdentifier: null, emailAddressId: null, phoneNumberId: null, primary: null }

/**
 * sessionVerification builds a SessionVerification (session reverification) as the server returns it; by default
 * a user without MFA at `needs_first_factor`, with the password and an email code.
 */
export function sessionVerification(overrides: Partial<SessionVerificationJSON> = {}): SessionVerificationJSON {
  return {
    id: 'sver_1',
    status: 'needs_first_factor',
    level: 'second_factor',
    supportedFirstFactors: [PASSWORD_FACTOR, EMAIL_FACTOR],
    supportedSecondFactors: [],
    firstFactorVerification: null,
    secondFactorVerification: null,
    expireAt: '2026-01-02T03:14:05Z',
    ...overrides,
  }
}

/** mfaSessionVerification is a reverification of a user with MFA: it starts at `needs_second_factor`. */
export function mfaSessionVerification(overrides: Partial<SessionVerificationJSON> = {}): SessionVerificationJSON {
  return sessionVerification({
    status: 'needs_second_factor',
    supportedSecondFactors: [TOTP_FACTOR, PHONE_FACTOR, BACKUP_FACTOR],
    ...overrides,
  })
}

/**
 * verifiedSession is a reverification whose first (or, for `totp`, `backup_code`, second) factor passed. As the
 * server shows a passed step (internal/account/reverify.go viewOf): verified, its strategy, no attempts, no expiry.
 */
export function verifiedSession(strategy = 'password'): SessionVerificationJSON {
  const passed = { status: 'verified', strategy, attempts: 0, expireAt: null }
  return ['totp', 'backup_code'].includes(strategy)
    ? mfaSessionVerification({ status: 'complete', secondFactorVerification: passed })
    : sessionVerification({ status: 'complete', firstFactorVerification: passed })
}

/**
 * reverificationRequired is the answer of an account change made without a recent verification of the session; the
 * server names the level it wants (`first_factor`, or `second_factor` for a user with MFA).
 */
export function reverificationRequired(level?: string): Reply {
  return gqlError('session_reverification_required', "Confirm it's you to continue.", undefined, {
    reverifyWithinSeconds: 600,
    ...(level ? { level } : {}),
  })
}

/**
 * DEFAULT_ENVIRONMENT is the server's default application settings (internal/settings base()): email and phone,
 * passwords, no usernames; what the hosted-page tests that give no `Environment` handler assume.
 */
export const DEFAULT_ENVIRONMENT: EnvironmentJSON = {
  applicationName: 'Test app',
  emailEnabled: true,
  phoneEnabled: true,
  usernameEnabled: false,
  passwordEnabled: true,
  firstFactors: ['password', 'email_code', 'phone_code'],
  secondFactors: ['totp', 'phone_code', 'backup_code'],
  allowedOrigins: [],
}

/** environment answers the `Environment` query: the default settings with `overrides`. */
export function environment(overrides: Partial<EnvironmentJSON> = {}): Handler {
  return () => ({ data: { environment: { ...DEFAULT_ENVIRONMENT, ...overrides } } })
}

const defaultHandlers: Record<string, Handler> = { Environment: environment() }

/**
 * identified is the answer to `signInCreate` with an identifier alone (no password): the sign-in waits for a first
 * factor and lists those it offers. Under enumeration protection an unknown identifier gets the same list.
 */
export function identified(
  factors: SignInJSON['supportedFirstFactors'] = [PASSWORD_FACTOR, EMAIL_FACTOR],
  identifier = 'jane@example.com',
): SignInJSON {
  return signIn({ identifier, supportedFirstFactors: factors })
}

/** firstFactorCodeSent is the sign-in after `signInPrepareFirstFactor` of an `email_code` or `phone_code` factor. */
export function firstFactorCodeSent(
  strategy: 'email_code' | 'phone_code' = 'email_code',
  factors: SignInJSON['supportedFirstFactors'] = [PASSWORD_FACTOR, EMAIL_FACTOR],
  identifier = 'jane@example.com',
): SignInJSON {
  return signIn({
    identifier,
    supportedFirstFactors: factors,
    firstFactorVerification: { status: 'unverified', strategy, attempts: 0, expireAt: '2026-03-01T00:10:00Z' },
  })
}

/**
 * loadSignedIn makes an SDK client against a fake server for a device with one active session (token `jwt_1`, the
 * default user), loads it, and returns the client, its session and the server; `handlers` add or replace answers.
 */
export async function loadSignedIn(handlers: Record<string, Handler | Handler[]>) {
  const server = fakeServer({
    Client: signedInClient,
    SessionTokenCreate: () => tokenReply('jwt_1'),
    Me: () => ({ data: { me: user() } }),
    ...handlers,
  })
  const client = createClient({ fetch: server.fetch })
  await client.load()
  return { client, session: client.session!, server }
}

/** offline answers no request: the fetch rejects, as when the network drops (a handler, in place of a reply). */
export const offline = (): Reply => {
  throw new TypeError('Failed to fetch')
}

/** deferred is a promise the test resolves when it chooses (an answer held back to arrive late). */
export function deferred<T>() {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** tick lets the requests and callbacks already on their way run. */
export const tick = () => new Promise((r) => setTimeout(r, 0))
