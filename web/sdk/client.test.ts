import { describe, expect, it, vi } from 'vitest'
import {
  clientWithSessions,
  complete,
  deferred,
  EMAIL_FACTOR,
  emptyClient,
  fakeServer,
  gqlError,
  loadSignedIn,
  needsClientTrust,
  needsSecondFactor,
  offline,
  PHONE_FACTOR,
  signedInClient,
  signIn as signInJSON,
  signUp,
  tick,
  tokenReply,
  user,
  type Handler,
  type Reply,
} from '../test/fakeServer'
import { createClient, TOKEN_REFRESH_MARGIN_MS, USER_RETRY_DELAYS_MS, type TrustgateClient } from './client'
import { TrustgateAPIResponseError } from './errors'
import * as ops from './operations'

describe('requests', () => {
  it('posts JSON {query, variables, operationName} to {url}/graphql with credentials and the publishable key', async () => {
    const server = fakeServer({ SignInCreate: () => ({ data: { signInCreate: complete() } }) })
    const client = createClient({ url: 'https://auth.example.com/', publishableKey: 'pk_test_1', fetch: server.fetch })
    await client.signIn.password({ emailAddress: 'jane@example.com', password: 'hunter22' })

    const call = server.calls[0]!
    expect(call.url).toBe('https://auth.example.com/graphql')
    expect(call.method).toBe('POST')
    expect(call.credentials).toBe('include')
    expect(call.headers['content-type']).toBe('application/json')
    expect(call.headers['x-publishable-key']).toBe('pk_test_1')
    expect(call.headers['x-client-token']).toBeUndefined()
    expect(call.operationName).toBe('SignInCreate')
    expect(call.query).toMatch(/^mutation SignInCreate\(\$input: SignInCreateInput!\) \{ signInCreate\(input: \$input\)/)
    expect(call.variables).toEqual({ input: { identifier: 'jane@example.com', password: 'hunter22', strategy: 'password' } })
  })

  it('defaults to the same origin and sends no publishable key when none is set', async () => {
    const server = fakeServer({ Client: emptyClient })
    await createClient({ fetch: server.fetch }).load()
    expect(server.calls[0]!.url).toBe('/graphql')
    expect(server.calls[0]!.headers['x-publishable-key']).toBeUndefined()
  })

  it('keeps the X-Client-Token response header and sends it back in header mode', async () => {
    const stored: string[] = []
    const server = fakeServer({
      Client: () => ({ ...emptyClient(), headers: { 'X-Client-Token': 'ct_1' } }),
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
    })
    const client = createClient({
      fetch: server.fetch,
      clientToken: 'header',
      clientTokenStore: { get: () => null, set: (t) => void stored.push(t) },
    })
    await client.load()
    await client.signIn.password({ identifier: 'jane@example.com', password: 'pw' })
    expect(server.calls[0]!.headers['x-client-token']).toBeUndefined()
    expect(server.calls[1]!.headers['x-client-token']).toBe('ct_1')
    expect(stored).toEqual(['ct_1'])
  })

  it('sends a request again, once, with the new token when a sign-in on the client replaced the one it carried', async () => {
    // A token mint on its way while the sign-in completed in another tab: the server refuses the old token for a
    // few seconds (the request did nothing); the sign-in's answer carried the new one.
    const replaced = gqlError('client_state_invalid', "This client's token was just replaced.", undefined, {
      clientTokenReplaced: true,
    })
    const server = fakeServer({
      Client: () => ({ ...emptyClient(), headers: { 'X-Client-Token': 'ct_old' } }),
      SignInCreate: () => ({ data: { signInCreate: complete() }, headers: { 'X-Client-Token': 'ct_new' } }),
      Me: [() => replaced, () => ({ data: { me: user() } })],
    })
    const client = createClient({ fetch: server.fetch, clientToken: 'header' })
    await client.load()
    await client.signIn.password({ identifier: 'jane@example.com', password: 'pw' })
    const r = await client.request<{ me: unknown }>(ops.Me)
    expect(r.error).toBeNull()
    const mes = server.calls.filter((c) => c.operationName === 'Me')
    expect(mes.map((c) => c.headers['x-client-token'])).toEqual(['ct_new', 'ct_new'])
  })

  it('does not send again a client_state_invalid of a step out of order, nor a second replaced-token refusal', async () => {
    const replaced = gqlError('client_state_invalid', 'replaced', undefined, { clientTokenReplaced: true })
    const server = fakeServer({
      Me: [() => gqlError('client_state_invalid', 'out of order'), () => replaced],
    })
    const client = createClient({ fetch: server.fetch })
    expect((await client.request(ops.Me)).error?.errors[0]?.code).toBe('client_state_invalid')
    expect(server.calls.length).toBe(1)
    expect((await client.request(ops.Me)).error?.errors[0]?.code).toBe('client_state_invalid')
    expect(server.calls.length).toBe(3)
  })

  it('starts from the stored client token in header mode', async () => {
    const server = fakeServer({ Client: emptyClient })
    const client = createClient({ fetch: server.fetch, clientToken: 'header', clientTokenStore: { get: async () => 'ct_saved', set: () => {} } })
    await client.load()
    expect(server.calls[0]!.headers['x-client-token']).toBe('ct_saved')
  })

  it('reads the stored client token once, and every request waits for it, the concurrent first ones too', async () => {
    const server = fakeServer({
      Client: () => ({ ...emptyClient(), headers: { 'X-Client-Token': 'ct_saved' } }),
      SignInCreate: () => ({ data: { signInCreate: needsClientTrust(EMAIL_FACTOR) }, headers: { 'X-Client-Token': 'ct_saved' } }),
    })
    let reads = 0
    const client = createClient({
      fetch: server.fetch,
      clientToken: 'header',
      // asynchronous, as expo-secure-store's getItemAsync
      clientTokenStore: { get: async () => (reads++, 'ct_saved'), set: () => {} },
    })
    // <TrustgateProvider> loads on mount while the screen sends its own request: without the stored token the
    // server would mint a new client, a "new device" for Client Trust.
    await Promise.all([client.load(), client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })])
    const sent = Object.fromEntries(server.calls.map((c) => [c.operationName, c.headers['x-client-token']]))
    expect(sent).toEqual({ Client: 'ct_saved', SignInCreate: 'ct_saved' })
    expect(reads).toBe(1)
  })

  it('sends no client token when the store fails to read, instead of failing the request', async () => {
    const server = fakeServer({ Client: emptyClient })
    const client = createClient({
      fetch: server.fetch,
      clientToken: 'header',
      clientTokenStore: { get: () => Promise.reject(new Error('keychain locked')), set: () => {} },
    })
    expect((await client.load()).error).toBeNull()
    expect(server.calls[0]!.headers['x-client-token']).toBeUndefined()
    const throwing = createClient({
      fetch: server.fetch,
      clientToken: 'header',
      clientTokenStore: {
        get: () => {
          throw new Error('no storage')
        },
        set: () => {},
      },
    })
    expect((await throwing.load()).error).toBeNull()
  })

  it('ignores X-Client-Token in cookie mode', async () => {
    const server = fakeServer({ Client: () => ({ ...emptyClient(), headers: { 'X-Client-Token': 'ct_1' } }) })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    await client.load()
    expect(server.calls[1]!.headers['x-client-token']).toBeUndefined()
  })

  it('selects exactly the SignIn fields of the contract', async () => {
    const server = fakeServer({ SignInCreate: () => ({ data: { signInCreate: complete() } }) })
    await createClient({ fetch: server.fetch }).signIn.create({ identifier: 'jane@example.com' })
    const q = server.calls[0]!.query
    const selection = q.slice(q.indexOf('signInCreate(input: $input) {') + 'signInCreate(input: $input) {'.length)
    const factor = '{ strategy safeIdentifier emailAddressId phoneNumberId primary }'
    const verification = '{ status strategy attempts expireAt }'
    expect(selection.trim()).toBe(
      `id status identifier clientTrustState supportedFirstFactors ${factor} supportedSecondFactors ${factor} ` +
        `firstFactorVerification ${verification} secondFactorVerification ${verification} createdSessionId } }`,
    )
  })
})

describe('errors', () => {
  it("maps GraphQL errors to Clerk's shape and returns them instead of throwing", async () => {
    const server = fakeServer({
      SignInCreate: () => gqlError('form_password_incorrect', 'Password is incorrect.', 'password'),
    })
    const client = createClient({ fetch: server.fetch })
    const { error } = await client.signIn.password({ emailAddress: 'jane@example.com', password: 'nope' })

    expect(error).toBeInstanceOf(TrustgateAPIResponseError)
    expect(error!.code).toBe('form_password_incorrect')
    expect(error!.errors).toEqual([
      {
        code: 'form_password_incorrect',
        message: 'Password is incorrect.',
        longMessage: 'Password is incorrect. (long)',
        meta: { paramName: 'password' },
      },
    ])
  })

  it('keeps meta such as lockoutExpiresInSeconds and camelizes snake_case param names', async () => {
    const server = fakeServer({
      SignInCreate: [
        () => gqlError('user_locked', 'Account locked', undefined, { lockoutExpiresInSeconds: 1800 }),
        () => gqlError('form_param_format_invalid', 'Bad email', 'email_address'),
      ],
    })
    const client = createClient({ fetch: server.fetch })
    const first = await client.signIn.password({ emailAddress: 'a@b.c', password: 'pw' })
    expect(first.error!.errors[0]!.meta).toEqual({ lockoutExpiresInSeconds: 1800 })
    const second = await client.signIn.password({ emailAddress: 'a', password: 'pw' })
    expect(second.error!.errors[0]!.meta.paramName).toBe('emailAddress')
  })

  it('reports a network failure as network_error', async () => {
    const client = createClient({
      fetch: async () => {
        throw new TypeError('Failed to fetch')
      },
    })
    const { error } = await client.signIn.create({ identifier: 'x' })
    expect(error!.code).toBe('network_error')
    expect(client.signIn.__fetchStatus).toBe('idle')
  })

  it('reports a non-JSON answer as network_error with the HTTP status', async () => {
    const client = createClient({ fetch: async () => new Response('<html>bad gateway</html>', { status: 502 }) })
    const { error } = await client.signIn.create({ identifier: 'x' })
    expect(error!.code).toBe('network_error')
    expect(error!.status).toBe(502)
  })

  it('splits sign-in errors into fields by paramName, and the rest into global', async () => {
    const server = fakeServer({
      SignInCreate: [
        () => gqlError('form_identifier_not_found', 'No account', 'phoneNumber'),
        () => gqlError('user_locked', 'Account locked'),
      ],
      SignInAttemptSecondFactor: () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
    })
    const client = createClient({ fetch: server.fetch })
    await client.signIn.password({ phoneNumber: '+15551234567', password: 'pw' })
    expect(client.signIn.__errors.fields.identifier?.code).toBe('form_identifier_not_found')
    expect(client.signIn.__errors.global).toBeNull()

    await client.signIn.password({ phoneNumber: '+15551234567', password: 'pw' })
    expect(client.signIn.__errors.fields.identifier).toBeNull()
    expect(client.signIn.__errors.global?.[0]?.code).toBe('user_locked')
    expect(client.signIn.__errors.raw).toHaveLength(1)
  })
})

describe('signIn', () => {
  it('password() refuses more than one identifier field without calling the server', async () => {
    const server = fakeServer({})
    const client = createClient({ fetch: server.fetch })
    const { error } = await client.signIn.password({ emailAddress: 'a@b.c', phoneNumber: '+1555', password: 'pw' })
    expect(error!.code).toBe('form_param_format_invalid')
    expect(client.signIn.__errors.fields.identifier?.code).toBe('form_param_format_invalid')
    expect(server.calls).toHaveLength(0)
  })

  it('password() with no identifier reuses the current one, or fails when there is none', async () => {
    const server = fakeServer({
      SignInCreate: [() => ({ data: { signInCreate: signInJSON() } }), () => ({ data: { signInCreate: complete() } })],
    })
    const client = createClient({ fetch: server.fetch })
    const none = await client.signIn.password({ password: 'pw' })
    expect(none.error!.code).toBe('form_param_missing')
    expect(server.calls).toHaveLength(0)

    await client.signIn.create({ identifier: 'jane@example.com' })
    expect((await client.signIn.password({ password: 'pw' })).error).toBeNull()
    expect(server.last('SignInCreate')!.variables.input).toEqual({
      identifier: 'jane@example.com',
      password: 'pw',
      strategy: 'password',
    })
  })

  it('runs the Client Trust flow: password, send the email code, verify, finalize', async () => {
    const now = Date.parse('2026-03-01T00:00:00Z')
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: needsClientTrust(EMAIL_FACTOR) } }),
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } }),
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1', 60, now),
    })
    const client = createClient({ fetch: server.fetch, now: () => now })
    const signIn = client.signIn

    expect((await signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })).error).toBeNull()
    expect(signIn.status).toBe('needs_client_trust')
    expect(signIn.clientTrustState).toBe('new')
    expect(signIn.supportedSecondFactors).toEqual([
      { strategy: 'email_code', safeIdentifier: 'j***@example.com', emailAddressId: 'ema_1', primary: true },
    ])

    await signIn.mfa.sendEmailCode()
    expect(server.last('SignInPrepareSecondFactor')!.variables).toEqual({
      id: 'sia_1',
      input: { strategy: 'email_code', emailAddressId: 'ema_1' },
    })
    expect(signIn.clientTrustState).toBe('pending')

    await signIn.mfa.verifyEmailCode({ code: '123456' })
    expect(server.last('SignInAttemptSecondFactor')!.variables).toEqual({
      id: 'sia_1',
      input: { strategy: 'email_code', code: '123456' },
    })
    expect(signIn.status).toBe('complete')
    expect(signIn.createdSessionId).toBe('sess_1')

    const navigate = vi.fn()
    expect((await signIn.finalize({ navigate })).error).toBeNull()
    expect(server.last('SessionTokenCreate')!.variables).toEqual({ sessionId: 'sess_1' })
    expect(navigate).toHaveBeenCalledTimes(1)
    const { session, decorateUrl } = navigate.mock.calls[0]![0]
    expect(session.id).toBe('sess_1')
    expect(session.currentTask).toBeNull()
    expect(decorateUrl('/dashboard?x=1')).toBe('/dashboard?x=1')
    expect(client.session?.id).toBe('sess_1')
    // finalize minted the first token: getToken serves it from the cache.
    expect(await client.getToken()).toBe('jwt_1')
    expect(server.ops().filter((o) => o === 'SessionTokenCreate')).toHaveLength(1)
  })

  it('sends the SMS code to the phone factor and verifies TOTP and backup codes as second factors', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: needsSecondFactor() } }),
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsSecondFactor() } }),
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: needsSecondFactor() } }),
    })
    const signIn = createClient({ fetch: server.fetch }).signIn
    await signIn.password({ phoneNumber: '+15551234567', password: 'pw' })
    expect(server.last('SignInCreate')!.variables.input.identifier).toBe('+15551234567')

    await signIn.mfa.sendPhoneCode()
    expect(server.last('SignInPrepareSecondFactor')!.variables.input).toEqual({ strategy: 'phone_code', phoneNumberId: 'phn_1' })
    await signIn.mfa.verifyPhoneCode({ code: '111111' })
    expect(server.last('SignInAttemptSecondFactor')!.variables.input).toEqual({ strategy: 'phone_code', code: '111111' })
    await signIn.mfa.verifyTOTP({ code: '222222' })
    expect(server.last('SignInAttemptSecondFactor')!.variables.input).toEqual({ strategy: 'totp', code: '222222' })
    await signIn.mfa.verifyBackupCode({ code: 'abcd-efgh' })
    expect(server.last('SignInAttemptSecondFactor')!.variables.input).toEqual({ strategy: 'backup_code', code: 'abcd-efgh' })
  })

  it('mfa.sendEmailCode() fails with factor_not_found when no email_code factor is offered', async () => {
    const server = fakeServer({ SignInCreate: () => ({ data: { signInCreate: needsClientTrust(PHONE_FACTOR) } }) })
    const signIn = createClient({ fetch: server.fetch }).signIn
    await signIn.password({ phoneNumber: '+15551234567', password: 'pw' })
    const { error } = await signIn.mfa.sendEmailCode()
    expect(error!.code).toBe('factor_not_found')
    expect(server.ops()).toEqual(['SignInCreate'])
  })

  it('finalize() without a created session fails and does not navigate', async () => {
    const server = fakeServer({})
    const navigate = vi.fn()
    const { error } = await createClient({ fetch: server.fetch }).signIn.finalize({ navigate })
    expect(error!.code).toBe('cannot_finalize')
    expect(navigate).not.toHaveBeenCalled()
    expect(server.calls).toHaveLength(0)
  })

  it('reset() forgets the attempt locally and makes no request', async () => {
    const server = fakeServer({ SignInCreate: () => gqlError('form_password_incorrect', 'Wrong', 'password') })
    const client = createClient({ fetch: server.fetch })
    await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
    client.signIn.apply(needsClientTrust())
    const listener = vi.fn()
    client.subscribe(listener)
    const before = server.calls.length

    const { error } = await client.signIn.reset()

    expect(error).toBeNull()
    expect(server.calls.length).toBe(before)
    expect(client.signIn.id).toBeUndefined()
    expect(client.signIn.status).toBe('needs_identifier')
    expect(client.signIn.supportedSecondFactors).toEqual([])
    expect(client.signIn.__errors.fields.password).toBeNull()
    expect(client.signIn.__fetchStatus).toBe('idle')
    expect(listener).toHaveBeenCalled()
  })

  it('emailCode first factor prepares and attempts with the listed email address', async () => {
    const first = {
      ...needsClientTrust(),
      status: 'needs_first_factor',
      supportedFirstFactors: [EMAIL_FACTOR],
      supportedSecondFactors: [],
    }
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: first } }),
      SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: first } }),
      SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: complete() } }),
    })
    const signIn = createClient({ fetch: server.fetch }).signIn
    await signIn.emailCode.sendCode({ emailAddress: 'jane@example.com' })
    expect(server.ops()).toEqual(['SignInCreate', 'SignInPrepareFirstFactor'])
    expect(server.last('SignInPrepareFirstFactor')!.variables.input).toEqual({ strategy: 'email_code', emailAddressId: 'ema_1' })
    await signIn.emailCode.verifyCode({ code: '123456' })
    expect(signIn.status).toBe('complete')
  })

  it('marks the resource as fetching while a call is in flight', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const server = fakeServer({
      SignInCreate: async () => {
        await gate
        return { data: { signInCreate: complete() } }
      },
    })
    const client = createClient({ fetch: server.fetch })
    const p = client.signIn.create({ identifier: 'jane@example.com' })
    expect(client.signIn.__fetchStatus).toBe('fetching')
    release()
    await p
    expect(client.signIn.__fetchStatus).toBe('idle')
  })
})

describe('session tokens', () => {
  async function signedIn(now: { t: number }, replies: (() => ReturnType<typeof tokenReply>)[]) {
    const server = fakeServer({
      Client: signedInClient,
      SessionTokenCreate: replies,
      Me: () => ({ data: { me: user() } }),
    })
    const client = createClient({ fetch: server.fetch, now: () => now.t })
    await client.load()
    return { client, server }
  }

  it('caches the token until a few seconds before expiresAt, then fetches a new one', async () => {
    const now = { t: Date.parse('2026-03-01T00:00:00Z') }
    const start = now.t
    const { client, server } = await signedIn(now, [() => tokenReply('jwt_1', 60, start), () => tokenReply('jwt_2', 60, start + 56_000)])
    const tokenCalls = () => server.ops().filter((o) => o === 'SessionTokenCreate').length
    expect(tokenCalls()).toBe(1) // load() fetched `me` with a fresh token

    expect(await client.session!.getToken()).toBe('jwt_1')
    now.t = start + 60_000 - TOKEN_REFRESH_MARGIN_MS - 1
    expect(await client.session!.getToken()).toBe('jwt_1')
    expect(tokenCalls()).toBe(1)

    now.t = start + 60_000 - TOKEN_REFRESH_MARGIN_MS
    expect(await client.session!.getToken()).toBe('jwt_2')
    expect(tokenCalls()).toBe(2)
    expect(server.last('SessionTokenCreate')!.variables).toEqual({ sessionId: 'sess_1' })
  })

  it('shares one request between concurrent getToken calls, and skipCache forces a new token', async () => {
    const now = { t: 1_000_000 }
    const { client, server } = await signedIn(now, [
      () => tokenReply('jwt_1', 60, now.t),
      () => tokenReply('jwt_2', 60, now.t),
      () => tokenReply('jwt_3', 60, now.t),
    ])
    now.t += 3_600_000
    const [a, b] = await Promise.all([client.getToken(), client.getToken()])
    expect([a, b]).toEqual(['jwt_2', 'jwt_2'])
    expect(await client.getToken({ skipCache: true })).toBe('jwt_3')
    expect(server.ops().filter((o) => o === 'SessionTokenCreate')).toHaveLength(3)
  })

  it('sends account operations with the session JWT as Bearer', async () => {
    const now = { t: 1_000_000 }
    const { client, server } = await signedIn(now, [() => tokenReply('jwt_1', 60, now.t)])
    expect(server.last('Me')!.headers.authorization).toBe('Bearer jwt_1')
    expect(server.last('Client')!.headers.authorization).toBeUndefined()
    expect(client.user?.primaryEmailAddress?.emailAddress).toBe('jane@example.com')
    expect(client.user?.createdAt).toEqual(new Date('2026-01-01T00:00:00Z'))
  })

  it('drops the session when the server no longer accepts it', async () => {
    const now = { t: 1_000_000 }
    const { client } = await signedIn(now, [
      () => tokenReply('jwt_1', 60, now.t),
      () => gqlError('authentication_invalid', 'Session ended') as ReturnType<typeof tokenReply>,
    ])
    now.t += 3_600_000
    expect(await client.getToken()).toBeNull()
    expect(client.session).toBeNull()
    expect(client.user).toBeNull()
  })
})

describe('session tokens and a device clock that is off', () => {
  const serverStart = Date.parse('2026-03-01T00:00:00Z')

  /** jwt builds a token shaped like the server's: claims `iat` and `exp` (seconds on the server's clock). */
  function jwt(id: number, iatMs: number, lifetimeS = 60): string {
    const b64url = (o: object) => btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    const iat = Math.floor(iatMs / 1000)
    return `${b64url({ alg: 'EdDSA', kid: 'k1' })}.${b64url({ sid: 'sess_1', n: id, iat, exp: iat + lifetimeS })}.sig`
  }

  /** skewedServer mints tokens on the server's clock and refuses, in `me`, one that expired on it. */
  function skewedServer(clock: { server: number }, mint: (n: number) => string) {
    const expiry = new Map<string, number>()
    let n = 0
    return fakeServer({
      Client: signedInClient,
      SessionTokenCreate: () => {
        const token = mint(++n)
        expiry.set(token, clock.server + 60_000)
        return tokenReply(token, 60, clock.server)
      },
      Me: (_v, call) => {
        const token = (call.headers.authorization ?? '').replace('Bearer ', '')
        if ((expiry.get(token) ?? 0) <= clock.server) return gqlError('authentication_invalid', 'Session token expired')
        return { data: { me: user() } }
      },
    })
  }

  it('a device clock 30 s behind the server sends no expired JWT: the cache counts its lifetime (exp − iat) from when it was asked for', async () => {
    const clock = { server: serverStart }
    const server = skewedServer(clock, (n) => jwt(n, clock.server))
    const client = createClient({ fetch: server.fetch, now: () => clock.server - 30_000 })
    await client.load()
    const first = server.last('Me')!.headers.authorization
    clock.server += 70_000 // expired on the server; the device's expiresAt would still be 20 s away
    await client.reloadUser()
    expect(server.last('Me')!.headers.authorization).not.toBe(first)
    expect(server.ops()).toEqual(['Client', 'SessionTokenCreate', 'Me', 'SessionTokenCreate', 'Me']) // none refused
    expect(client.session?.id).toBe('sess_1')
  })

  it('a device clock 2 minutes ahead still caches the token instead of minting one per call', async () => {
    const clock = { server: serverStart }
    const server = skewedServer(clock, (n) => jwt(n, clock.server))
    const client = createClient({ fetch: server.fetch, now: () => clock.server + 120_000 })
    await client.load()
    clock.server += 10_000
    await client.getToken()
    await client.getToken()
    expect(server.ops().filter((o) => o === 'SessionTokenCreate')).toHaveLength(1)
    clock.server += 50_000 // 60 s since it was minted: within the margin, a new one
    await client.getToken()
    expect(server.ops().filter((o) => o === 'SessionTokenCreate')).toHaveLength(2)
  })

  it('a token the server refuses as expired is minted again and the call retried once, before any sign-out', async () => {
    // Tokens whose claims cannot be read fall back to expiresAt on the device's clock, here 30 s behind.
    const clock = { server: serverStart }
    const server = skewedServer(clock, (n) => `jwt_${n}`)
    const client = createClient({ fetch: server.fetch, now: () => clock.server - 30_000 })
    await client.load()
    clock.server += 70_000
    await client.reloadUser()
    expect(server.ops()).toEqual(['Client', 'SessionTokenCreate', 'Me', 'Me', 'SessionTokenCreate', 'Me'])
    expect(server.last('Me')!.headers.authorization).toBe('Bearer jwt_2')
    expect(client.session?.id).toBe('sess_1')
    expect(client.user?.id).toBe('user_1')
  })

  it('a session that is really gone is dropped after that one retry (and the client read again)', async () => {
    const server = fakeServer({
      Client: [signedInClient, emptyClient],
      SessionTokenCreate: [() => tokenReply('jwt_1'), () => gqlError('authentication_invalid', 'Session ended')],
      Me: [() => ({ data: { me: user() } }), () => gqlError('authentication_invalid', 'Session ended')],
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    const r = await client.reloadUser()
    expect(r.error?.code).toBe('authentication_invalid')
    expect(server.ops()).toEqual(['Client', 'SessionTokenCreate', 'Me', 'Me', 'SessionTokenCreate', 'Client'])
    expect(client.session).toBeNull()
    expect(client.user).toBeNull()
  })
})

describe('client', () => {
  it('load() restores the sign-in in progress and the active session', async () => {
    const server = fakeServer({
      Client: () => ({
        data: { client: { id: 'client_1', signIn: needsClientTrust(EMAIL_FACTOR, 'pending'), sessions: [], lastActiveSessionId: null } },
      }),
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    expect(client.isLoaded).toBe(true)
    expect(client.signIn.status).toBe('needs_client_trust')
    expect(client.signIn.clientTrustState).toBe('pending')
    expect(client.session).toBeNull()
    expect(server.ops()).toEqual(['Client'])
  })

  it('load() does not resume a completed sign-in (its session may have been signed out since)', async () => {
    const server = fakeServer({
      Client: () => ({
        data: { client: { id: 'client_1', signIn: complete(), sessions: [], lastActiveSessionId: null } },
      }),
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    expect(client.signIn.id).toBeUndefined()
    expect(client.signIn.status).not.toBe('complete')
    expect(server.ops()).toEqual(['Client'])
  })

  it('signOut() ends the sessions of this device and forgets the session, user and token', async () => {
    const server = fakeServer({
      Client: signedInClient,
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
      SignOut: () => ({ data: { signOut: true } }),
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    expect(client.session?.id).toBe('sess_1')
    expect((await client.signOut()).error).toBeNull()
    expect(server.last('SignOut')!.variables).toEqual({ sessionId: null })
    expect(client.session).toBeNull()
    expect(client.user).toBeNull()
    expect(await client.getToken()).toBeNull()
  })

  it('account methods reload the user after a change', async () => {
    const server = fakeServer({
      Client: signedInClient,
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: [() => ({ data: { me: user() } }), () => ({ data: { me: user({ totpEnabled: true, twoFactorEnabled: true }) } })],
      TotpVerify: () => ({ data: { totpVerify: { id: 'totp_1', verified: true, backupCodes: ['a1', 'b2'] } } }),
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    const before = client.user!
    const r = await before.verifyTOTP({ code: '123456' })
    expect(r.data?.backupCodes).toEqual(['a1', 'b2'])
    expect(server.last('TotpVerify')!.variables).toEqual({ code: '123456' })
    expect(client.user).not.toBe(before)
    expect(client.user!.totpEnabled).toBe(true)
  })

  it('treats a session whose `me` is null as signed out', async () => {
    const server = fakeServer({ Client: signedInClient, SessionTokenCreate: () => tokenReply('jwt_1'), Me: () => ({ data: { me: null } }) })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    expect(client.session).toBeNull()
    expect(client.user).toBeNull()
    expect(client.isLoaded).toBe(true)
  })

  it('account methods fail with authentication_invalid when signed out', async () => {
    const server = fakeServer({ Client: signedInClient, SessionTokenCreate: () => tokenReply('jwt_1'), Me: () => ({ data: { me: user() } }), SignOut: () => ({ data: { signOut: true } }) })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    const u = client.user!
    await client.signOut()
    const r = await u.createTOTP()
    expect(r.error!.code).toBe('authentication_invalid')
  })
})

describe('the first load() on a network that fails', () => {
  const clientCalls = (server: ReturnType<typeof fakeServer>) => server.ops().filter((o) => o === 'Client').length

  it('asks again (as `me` does, USER_RETRY_DELAYS_MS) and then loads the session', async () => {
    const server = fakeServer({
      Client: [offline, offline, signedInClient],
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
    })
    const client = createClient({ fetch: server.fetch })
    expect(await client.load()).toEqual({ error: null })
    expect(clientCalls(server)).toBe(1 + USER_RETRY_DELAYS_MS.length)
    expect(client.isLoaded).toBe(true)
    expect(client.status).toBe('ready')
    expect(client.loadError).toBeNull()
    expect(client.session?.id).toBe('sess_1')
    expect(client.user?.id).toBe('user_1')
  }, 10_000)

  it('is not "signed out" when it never gets an answer: not loaded, status error, the error in loadError; load() asks again', async () => {
    const server = fakeServer({
      Client: [offline, offline, offline, signedInClient],
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
    })
    const client = createClient({ fetch: server.fetch })
    const seen: string[] = []
    client.subscribe(() => seen.push(client.status))
    const r = await client.load()
    expect(r.error?.code).toBe('network_error')
    expect(clientCalls(server)).toBe(1 + USER_RETRY_DELAYS_MS.length)
    expect(client.isLoaded).toBe(false)
    expect(client.status).toBe('error')
    expect(client.loadError?.code).toBe('network_error')
    expect(client.session).toBeNull()
    expect(seen.at(-1)).toBe('error') // subscribers are told, so a page can stop its spinner
    // Bounded: nothing more on its own.
    await new Promise((resolve) => setTimeout(resolve, 1_200))
    expect(clientCalls(server)).toBe(1 + USER_RETRY_DELAYS_MS.length)

    const again = client.load()
    expect(client.status).toBe('loading') // the error is cleared while it is asked again
    expect(client.loadError).toBeNull()
    expect(await again).toEqual({ error: null })
    expect(client.status).toBe('ready')
    expect(client.isLoaded).toBe(true)
    expect(client.session?.id).toBe('sess_1')
  }, 10_000)

  it('an error answer is not "signed out" either, and is not asked again', async () => {
    const server = fakeServer({ Client: [() => gqlError('internal_error', 'Something went wrong'), emptyClient] })
    const client = createClient({ fetch: server.fetch })
    expect((await client.load()).error?.code).toBe('internal_error')
    expect(clientCalls(server)).toBe(1)
    expect(client.isLoaded).toBe(false)
    expect(client.status).toBe('error')
    expect(client.loadError?.code).toBe('internal_error')
  })

  it('a "no session" answer still means signed out', async () => {
    const server = fakeServer({ Client: emptyClient })
    const client = createClient({ fetch: server.fetch })
    expect(client.status).toBe('loading')
    expect(await client.load()).toEqual({ error: null })
    expect(client.isLoaded).toBe(true)
    expect(client.status).toBe('ready')
    expect(client.loadError).toBeNull()
    expect(client.session).toBeNull()
  })

  it('a later load() that fails keeps what the first one loaded, and gives its caller the error', async () => {
    const server = fakeServer({
      Client: [signedInClient, offline],
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    expect((await client.load()).error?.code).toBe('network_error')
    expect(client.isLoaded).toBe(true)
    expect(client.status).toBe('ready')
    expect(client.loadError).toBeNull()
    expect(client.session?.id).toBe('sess_1')
    expect(client.user?.id).toBe('user_1')
  }, 10_000)

  it('stops asking, and counts as loaded, once a session is activated meanwhile', async () => {
    const server = fakeServer({
      Client: offline,
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    const client = createClient({ fetch: server.fetch })
    const loading = client.load()
    await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
    await client.signIn.finalize()
    await loading
    expect(clientCalls(server)).toBeLessThanOrEqual(2)
    expect(client.session?.id).toBe('sess_1')
    expect(client.isLoaded).toBe(true)
    expect(client.status).toBe('ready')
  }, 10_000)
})

describe('close()', () => {
  it('ends the retries waiting (of `me` and of the first load) at once, and sends nothing more', async () => {
    for (const [op, handlers] of [
      ['Me', { Client: signedInClient, SessionTokenCreate: () => tokenReply('jwt_1'), Me: offline }],
      ['Client', { Client: offline }],
    ] as const) {
      const server = fakeServer(handlers)
      const client = createClient({ fetch: server.fetch })
      const loading = client.load()
      await vi.waitFor(() => expect(server.ops()).toContain(op))
      await tick()
      const started = Date.now()
      client.close()
      expect(client.closed).toBe(true)
      const r = await loading
      expect(Date.now() - started).toBeLessThan(USER_RETRY_DELAYS_MS[0]!) // not after the wait
      if (op === 'Client') expect(r.error?.code).toBe('network_error')
      expect(server.ops().filter((o) => o === op)).toHaveLength(1)

      const after = await client.request(ops.Me)
      expect(after.error?.code).toBe('client_closed')
      await new Promise((resolve) => setTimeout(resolve, USER_RETRY_DELAYS_MS[0]! + 50))
      expect(server.ops().filter((o) => o === op)).toHaveLength(1)
    }
  })
})

describe('activating a session after the first load() failed (status error)', () => {
  const internal = (): Reply => gqlError('internal_error', 'Something went wrong')
  const clientCalls = (server: ReturnType<typeof fakeServer>) => server.ops().filter((o) => o === 'Client').length

  it('finalize() of a sign-in makes the client loaded (status ready, loadError cleared), and subscribers are told', async () => {
    const mint = deferred<Reply>()
    const server = fakeServer({
      Client: internal,
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => mint.promise,
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    expect(client.status).toBe('error')
    const seen: string[] = []
    client.subscribe(() => seen.push(client.status))
    await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
    const finalizing = client.signIn.finalize()
    await tick()
    expect(client.status).toBe('error') // not before the server has confirmed the session
    mint.resolve(tokenReply('jwt_1'))
    expect((await finalizing).error).toBeNull()
    expect(client.session?.id).toBe('sess_1')
    expect(client.isLoaded).toBe(true)
    expect(client.status).toBe('ready')
    expect(client.loadError).toBeNull()
    expect(seen).toContain('ready')
    expect(clientCalls(server)).toBe(1) // no load() needed
  })

  it('signOut() of every session makes the client loaded and signed out; signing out one other session does not', async () => {
    const server = fakeServer({ Client: internal, SignOut: () => ({ data: { signOut: true } }) })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    expect(client.status).toBe('error')
    // One session by id: the device may have others the failed load never listed, so nothing is known yet.
    expect((await client.signOut({ sessionId: 'sess_9' })).error).toBeNull()
    expect(client.status).toBe('error')
    // Every session of this device ended, as the server confirmed: that is what a load would say.
    expect((await client.signOut()).error).toBeNull()
    expect([client.status, client.isLoaded, client.loadError, client.session]).toEqual(['ready', true, null, null])
    expect(clientCalls(server)).toBe(1)
  })

  it('setActive() and a sign-up finalize() do the same', async () => {
    const server = fakeServer({
      Client: internal,
      SignUpCreate: () => ({
        data: { signUpCreate: signUp({ status: 'complete', unverifiedFields: [], createdUserId: 'user_1', createdSessionId: 'sess_2' }) },
      }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    const a = createClient({ fetch: server.fetch })
    await a.load()
    expect(a.status).toBe('error')
    expect((await a.setActive({ session: 'sess_1' })).error).toBeNull()
    expect([a.status, a.isLoaded, a.loadError, a.session?.id]).toEqual(['ready', true, null, 'sess_1'])

    const b = createClient({ fetch: server.fetch })
    await b.load()
    expect(b.status).toBe('error')
    await b.signUp.create({ username: 'jane_doe', password: 'a long passphrase' })
    expect((await b.signUp.finalize()).error).toBeNull()
    expect([b.status, b.isLoaded, b.loadError, b.session?.id]).toEqual(['ready', true, null, 'sess_2'])
  })

  it('a finalize() whose mint fails leaves the client in the error state', async () => {
    const server = fakeServer({
      Client: internal,
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => gqlError('internal_error', 'Something went wrong'),
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
    expect((await client.signIn.finalize()).error?.code).toBe('internal_error')
    expect(client.status).toBe('error')
    expect(client.loadError?.code).toBe('internal_error')
    expect(client.session).toBeNull()
  })

  it('the load() fails while finalize() mints the token: the client ends loaded with the session', async () => {
    const read = deferred<Reply>()
    const mint = deferred<Reply>()
    const server = fakeServer({
      Client: () => read.promise,
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => mint.promise,
    })
    const client = createClient({ fetch: server.fetch })
    const loading = client.load()
    await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
    const finalizing = client.signIn.finalize()
    await tick()
    read.resolve(internal()) // the load's answer, before the session was confirmed
    await loading
    expect(client.status).toBe('error')
    mint.resolve(tokenReply('jwt_1'))
    expect((await finalizing).error).toBeNull()
    expect([client.status, client.loadError, client.session?.id]).toEqual(['ready', null, 'sess_1'])
  })

  it('a "Try again" load() on its way when finalize() answers: loaded at once, and its late answer (failed or not) changes nothing', async () => {
    for (const late of [internal, emptyClient]) {
      const read = deferred<Reply>()
      const server = fakeServer({
        Client: [internal, () => read.promise],
        SignInCreate: () => ({ data: { signInCreate: complete() } }),
        SessionTokenCreate: () => tokenReply('jwt_1'),
      })
      const client = createClient({ fetch: server.fetch })
      await client.load()
      expect(client.status).toBe('error')
      const again = client.load()
      expect(client.status).toBe('loading')
      await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
      expect((await client.signIn.finalize()).error).toBeNull()
      expect([client.status, client.session?.id]).toEqual(['ready', 'sess_1'])
      read.resolve(late())
      await again
      expect([client.status, client.loadError, client.session?.id]).toEqual(['ready', null, 'sess_1'])
    }
  })
})

describe('client answers that arrive late', () => {
  it('a slow first load() does not sign out a session finalize() activated meanwhile', async () => {
    const held = deferred<Reply>()
    const server = fakeServer({
      Client: () => held.promise, // the provider's load on mount, answered late
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    const client = createClient({ fetch: server.fetch })
    const loading = client.load()
    await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
    await client.signIn.finalize()
    expect(client.session?.id).toBe('sess_1')
    held.resolve(emptyClient()) // the state from before the sign-in
    await loading
    expect(client.session?.id).toBe('sess_1')
    expect(client.isLoaded).toBe(true)
  })

  it('load() does not resume a sign-in the user reset while it was on its way', async () => {
    const held = deferred<Reply>()
    const server = fakeServer({
      Client: () => held.promise,
      SignInCreate: () => ({ data: { signInCreate: needsClientTrust(EMAIL_FACTOR) } }),
    })
    const client = createClient({ fetch: server.fetch })
    const loading = client.load()
    await client.signIn.reset()
    held.resolve({ data: { client: { id: 'client_1', signIn: needsClientTrust(EMAIL_FACTOR), sessions: [], lastActiveSessionId: null } } })
    await loading
    expect(client.signIn.id).toBeUndefined()
  })

  it('a `me` answer that arrives after signOut() does not bring the user back', async () => {
    const held = deferred<Reply>()
    const server = fakeServer({
      Client: signedInClient,
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: [() => ({ data: { me: user() } }), () => held.promise],
      SignOut: () => ({ data: { signOut: true } }),
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    const reloading = client.reloadUser()
    await tick()
    await client.signOut()
    held.resolve({ data: { me: user() } })
    await reloading
    expect(client.session).toBeNull()
    expect(client.user).toBeNull()
  })

  it('a `me` answer that arrives after the session was dropped (its token refused) does not bring the user back', async () => {
    const held = deferred<Reply>()
    const server = fakeServer({
      Client: signedInClient,
      SessionTokenCreate: [() => tokenReply('jwt_1'), () => gqlError('authentication_invalid', 'Session ended')],
      Me: [() => ({ data: { me: user() } }), () => held.promise],
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    const reloading = client.reloadUser() // with the cached jwt_1
    await tick()
    // The session was signed out elsewhere: the next mint is refused, and the client forgets the session.
    expect(await client.getToken({ skipCache: true })).toBeNull()
    expect(client.session).toBeNull()
    held.resolve({ data: { me: user() } }) // read before the session ended
    await reloading
    expect(client.session).toBeNull()
    expect(client.user).toBeNull()
  })

  it('a load() on its way when the session is dropped (its token refused) does not bring that session back', async () => {
    const read = deferred<Reply>()
    const mint = deferred<Reply>()
    const server = fakeServer({
      // The third read is the one the refusal starts, after the session ended.
      Client: [signedInClient, () => read.promise, emptyClient],
      SessionTokenCreate: [() => tokenReply('jwt_1'), () => gqlError('authentication_invalid', 'Session ended'), () => mint.promise],
      Me: () => ({ data: { me: user() } }),
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    const loading = client.load() // e.g. "Try again", or a page reloading the device's state
    await tick()
    // The session was signed out elsewhere: the next mint is refused, and the client forgets the session.
    expect(await client.getToken({ skipCache: true })).toBeNull()
    expect(client.session).toBeNull()
    read.resolve(signedInClient()) // read before the session ended
    await tick()
    await tick()
    expect(client.session).toBeNull()
    expect(client.user).toBeNull()
    mint.resolve(gqlError('authentication_invalid', 'Session ended'))
    await loading
    expect(client.session).toBeNull()
    expect(client.isLoaded).toBe(true)
    expect(server.ops().filter((o) => o === 'Client')).toHaveLength(3) // the read the refusal started
    // It did not ask for a token of the session it had forgotten.
    expect(server.ops().filter((o) => o === 'SessionTokenCreate')).toHaveLength(2)
  })

  it('a session activated while a load() and the dropping of the previous session are on their way stays active', async () => {
    const read = deferred<Reply>()
    const mint2 = deferred<Reply>()
    const reread = deferred<Reply>()
    let sess1Ended = false
    const server = fakeServer({
      // The third read is the one the refusal of sess_1 starts, answered last: the sign-in made sess_2 the last active.
      Client: [signedInClient, () => read.promise, () => reread.promise],
      SessionTokenCreate: (v) =>
        v.sessionId === 'sess_2' ? mint2.promise : sess1Ended ? gqlError('authentication_invalid', 'Session ended') : tokenReply('jwt_1'),
      Me: [() => ({ data: { me: user() } }), () => ({ data: { me: user({ id: 'user_2' }) } })],
      SignInCreate: () => ({ data: { signInCreate: { ...complete(), createdSessionId: 'sess_2' } } }),
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    const loading = client.load()
    await tick()
    await client.signIn.password({ emailAddress: 'joe@example.com', password: 'pw' })
    const finalizing = client.signIn.finalize() // sess_2's mint on its way
    await tick()
    sess1Ended = true
    expect(await client.getToken({ skipCache: true })).toBeNull() // sess_1 refused: dropped
    expect(client.session).toBeNull()
    read.resolve(signedInClient()) // sess_1, read before it was dropped
    await tick()
    expect(client.session).toBeNull()
    mint2.resolve(tokenReply('jwt_2'))
    expect((await finalizing).error).toBeNull()
    await loading
    expect(client.session?.id).toBe('sess_2')
    expect(client.isLoaded).toBe(true)
    reread.resolve(clientWithSessions(['sess_2']))
    await vi.waitFor(() => expect(server.ops().filter((o) => o === 'Me')).toHaveLength(2))
    expect(client.session?.id).toBe('sess_2')
    expect(client.user?.id).toBe('user_2')
    // Nothing asked for a token of sess_1 again once it was dropped (the load did not take it back).
    expect(server.calls.filter((c) => c.operationName === 'SessionTokenCreate' && c.variables.sessionId === 'sess_1')).toHaveLength(2)
  })

  it('a `me` of the previous session is not shared with, nor taken as the user of, a session activated after it', async () => {
    const held = deferred<Reply>()
    const server = fakeServer({
      Client: signedInClient,
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: [() => ({ data: { me: user() } }), () => held.promise, () => ({ data: { me: user({ id: 'user_2' }) } })],
      SignInCreate: () => ({ data: { signInCreate: { ...complete(), createdSessionId: 'sess_2' } } }),
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    const stale = client.reloadUser() // of sess_1
    await tick()
    await client.signIn.password({ emailAddress: 'joe@example.com', password: 'pw' })
    await client.signIn.finalize()
    expect(client.session?.id).toBe('sess_2')
    const fresh = client.reloadUser()
    expect(fresh).not.toBe(stale)
    await fresh
    held.resolve({ data: { me: user() } })
    await stale
    expect(client.user?.id).toBe('user_2')
  })

  /**
   * switchingServer is a device with sess_1 (user_1) and sess_2 (user_2): `Client` answers `reads` in turn, and `me`
   * answers the user of the session whose JWT it carries, except while `hold` is set: that `me` waits for the
   * deferred it returns (and clears `hold`).
   */
  function switchingServer(reads: Handler[]) {
    let held: ReturnType<typeof deferred<Reply>> | null = null
    const server = fakeServer({
      Client: reads,
      SessionTokenCreate: (v) => tokenReply(`jwt_${v.sessionId}`),
      Me: (_v, call) => {
        if (held) {
          const answer = held.promise
          held = null
          return answer
        }
        const id = (call.headers.authorization ?? '').replace('Bearer jwt_sess_', 'user_')
        return { data: { me: user({ id }) } }
      },
    })
    const hold = () => (held = deferred<Reply>())
    return { server, hold }
  }

  /** states records, on every change, the active session and the user (`sess_2 user_1`, `null null`). */
  function recordStates(client: TrustgateClient): string[] {
    const states: string[] = []
    client.subscribe(() => states.push(`${client.session?.id ?? null} ${client.user?.id ?? null}`))
    return states
  }

  it("a `me` of the previous session is stale once a load() makes another session active: that session's own `me` neither waits for it nor is overwritten by it", async () => {
    const { server, hold } = switchingServer([signedInClient, () => clientWithSessions(['sess_1', 'sess_2'], 'sess_2')])
    const client = createClient({ fetch: server.fetch })
    await client.load()
    expect(client.user?.id).toBe('user_1')
    const states = recordStates(client)
    const held = hold()
    const stale = client.reloadUser() // of sess_1, answered after the switch
    await tick()
    const loading = client.load() // another tab made sess_2 the active session
    await vi.waitFor(() => expect(client.session?.id).toBe('sess_2'))
    for (let i = 0; i < 5; i++) await tick()
    // sess_2's `me` went out and was applied while sess_1's was still on its way.
    const userBeforeRelease = client.user?.id ?? null
    held.resolve({ data: { me: user() } }) // user_1, read for sess_1
    await loading
    await stale
    expect(userBeforeRelease).toBe('user_2')
    expect(client.user?.id).toBe('user_2')
    // From the switch on, user_1 never showed with sess_2.
    expect(states.slice(states.findIndex((s) => s.startsWith('sess_2')))).not.toContain('sess_2 user_1')
    expect(server.calls.filter((c) => c.operationName === 'Me').map((c) => c.headers.authorization)).toEqual([
      'Bearer jwt_sess_1',
      'Bearer jwt_sess_1',
      'Bearer jwt_sess_2',
    ])
  })

  it('a load() that reads the session already active keeps its user while it asks for it again; one that finds no session drops it', async () => {
    const { server, hold } = switchingServer([signedInClient, signedInClient, emptyClient])
    const client = createClient({ fetch: server.fetch })
    await client.load()
    const states = recordStates(client)
    const held = hold() // the `me` of the second load
    const loading = client.load()
    await vi.waitFor(() => expect(server.ops().filter((o) => o === 'Me')).toHaveLength(2))
    // The same session read again: no flicker to "no user" while its `me` is on its way.
    expect(client.session?.id).toBe('sess_1')
    expect(client.user?.id).toBe('user_1')
    held.resolve({ data: { me: user() } })
    await loading
    expect(states).not.toContain('sess_1 null')
    expect(client.user?.id).toBe('user_1')

    // Signed out elsewhere: the user of the session that was active goes with it.
    await client.load()
    expect(client.session).toBeNull()
    expect(client.user).toBeNull()
  })
})

describe('a session the server refuses in the foreground (getToken(), account calls): the client is read again', () => {
  const refused = () => gqlError('authentication_invalid', 'Session ended')
  const reads = (server: ReturnType<typeof fakeServer>) => server.ops().filter((o) => o === 'Client').length
  /** settle lets the read a refusal started, and what follows it (`me`), arrive. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await tick()
  }

  /**
   * signedInTwice loads a device signed in with sess_1 (user_1, the active one) and sess_2 (user_2), against a server
   * that, once `end(id)` is called, refuses that session (its tokens, and `me` with one of its JWTs) and no longer
   * lists it; the first session it lists is the last active one. After `hold(id)`, that session's mints wait for the
   * answer the test gives the deferred it returns. `handlers` add or replace answers.
   */
  async function signedInTwice(handlers: Record<string, Handler | Handler[]> = {}) {
    const ended = new Set<string>()
    const held = new Map<string, Promise<Reply>>()
    const made = await loadSignedIn({
      Client: () => clientWithSessions(['sess_1', 'sess_2'].filter((id) => !ended.has(id))),
      SessionTokenCreate: (v) =>
        held.get(v.sessionId) ?? (ended.has(v.sessionId) ? refused() : tokenReply(`jwt_${v.sessionId}`)),
      Me: (_v, call) => {
        const id = (call.headers.authorization ?? '').replace('Bearer jwt_', '')
        return ended.has(id) ? refused() : { data: { me: user({ id: id.replace('sess_', 'user_') }) } }
      },
      ...handlers,
    })
    const hold = (id: string) => {
      const answer = deferred<Reply>()
      held.set(id, answer.promise)
      return answer
    }
    return { ...made, end: (id: string) => void ended.add(id), hold }
  }

  it("getToken(): the session is dropped, and the read makes the device's other session the active one", async () => {
    const { client, server, end } = await signedInTwice()
    expect(client.session?.id).toBe('sess_1')
    end('sess_1')
    expect(await client.getToken({ skipCache: true })).toBeNull()
    expect(client.session).toBeNull()
    await settle()
    expect(client.session?.id).toBe('sess_2')
    expect(client.user?.id).toBe('user_2')
    expect(client.status).toBe('ready')
    expect(server.ops()).toEqual(['Client', 'SessionTokenCreate', 'Me', 'SessionTokenCreate', 'Client', 'SessionTokenCreate', 'Me'])
    client.close()
  })

  it.each([
    ['user.createTOTP() (refused, and so is the mint of its retry)', (c: TrustgateClient) => c.user!.createTOTP()],
    ['reloadUser() (`me` refused, and so is the mint of its retry)', (c: TrustgateClient) => c.reloadUser()],
  ])('an account call, %s: the session is dropped and the client read again', async (_, call) => {
    const { client, server, end } = await signedInTwice({ TotpCreate: refused })
    end('sess_1')
    expect((await call(client)).error?.code).toBe('authentication_invalid')
    await settle()
    expect(reads(server)).toBe(2)
    expect(client.session?.id).toBe('sess_2')
    expect(client.user?.id).toBe('user_2')
    client.close()
  })

  it('a `me` refused although a token was just minted, or naming no user, counts as a refusal too', async () => {
    const noUser = (): Reply => ({ data: { me: null } })
    // `me` refused twice: with the cached token, then with the one minted for the retry.
    for (const answers of [[refused, refused], [noUser]]) {
      const { client, server } = await signedInTwice({
        Me: [() => ({ data: { me: user() } }), ...answers, () => ({ data: { me: user({ id: 'user_2' }) } })],
        Client: [() => clientWithSessions(['sess_1', 'sess_2']), () => clientWithSessions(['sess_2'])],
      })
      await client.reloadUser()
      await settle()
      expect(reads(server)).toBe(2)
      expect(client.session?.id).toBe('sess_2')
      expect(client.user?.id).toBe('user_2')
      client.close()
    }
  })

  it('several calls refused at once read the client once', async () => {
    const { client, server, end } = await signedInTwice({ TotpCreate: refused, SessionVerification: refused })
    const u = client.user!
    const session = client.session!
    end('sess_1')
    const [token, me, totp, verification, sessionToken] = await Promise.all([
      client.getToken({ skipCache: true }),
      client.reloadUser(),
      u.createTOTP(),
      session.getVerification(),
      session.getToken({ skipCache: true }),
    ])
    expect([token, sessionToken]).toEqual([null, null])
    for (const r of [me, totp, verification]) expect(r.error?.code).toBe('authentication_invalid')
    await settle()
    expect(reads(server)).toBe(2)
    expect(client.session?.id).toBe('sess_2')
    client.close()
  })

  it('the refusal of a session the user has since switched from changes nothing; the active one refused reads once', async () => {
    const { client, server, end, hold } = await signedInTwice()
    const old = client.session!
    const held = hold('sess_1')
    const late = old.getToken({ skipCache: true }) // sess_1's mint, answered after the switch
    await tick()
    expect((await client.setActive({ session: 'sess_2' })).error).toBeNull()
    await client.reloadUser()
    held.resolve(refused())
    expect(await late).toBeNull()
    await settle()
    expect(reads(server)).toBe(1)
    expect(client.session?.id).toBe('sess_2')
    expect(client.user?.id).toBe('user_2')

    // The control: the active session refused is dropped, and read again once.
    end('sess_2')
    expect(await client.getToken({ skipCache: true })).toBeNull()
    await settle()
    expect(reads(server)).toBe(2)
    client.close()
  })

  it('a refusal that arrives after close() drops the session and reads nothing; before close() it reads the client', async () => {
    for (const closeFirst of [false, true]) {
      const { client, server, hold } = await signedInTwice()
      const held = hold('sess_1')
      const changes = vi.fn()
      client.subscribe(changes)
      const token = client.getToken({ skipCache: true })
      await tick()
      if (closeFirst) client.close()
      held.resolve(refused())
      expect(await token).toBeNull()
      await settle()
      expect(client.session).toBeNull()
      expect(reads(server)).toBe(closeFirst ? 1 : 2)
      // Closed: the drop is told, and nothing after it.
      if (closeFirst) expect(changes).toHaveBeenCalledTimes(1)
      client.close()
    }
  })

  /** mints counts the `sessionTokenCreate` requests of one session. */
  const mints = (server: ReturnType<typeof fakeServer>, sessionId: string) =>
    server.calls.filter((c) => c.operationName === 'SessionTokenCreate' && c.variables.sessionId === sessionId).length

  it("the active session refused keeps the device's other session's token: cached, and its mint on its way, are used, not minted again", async () => {
    const { client, server, end, hold } = await signedInTwice()
    const first = client.session! // sess_1, whose token the load's `me` cached
    expect((await client.setActive({ session: 'sess_2' })).error).toBeNull()
    await client.reloadUser()
    expect(mints(server, 'sess_1')).toBe(1)
    const held = hold('sess_1')
    const minting = first.getToken({ skipCache: true }) // e.g. the app calling an API as sess_1, on its way
    await tick()
    expect(mints(server, 'sess_1')).toBe(2)

    end('sess_2')
    expect(await client.getToken({ skipCache: true })).toBeNull() // sess_2 refused: dropped, and the client read again
    const cached = first.getToken()
    const sharing = first.getToken({ skipCache: true })
    await settle()
    // The read made sess_1 active again, and its `me` took the cached token; the second skipCache call shares the mint.
    expect(client.session?.id).toBe('sess_1')
    expect(mints(server, 'sess_1')).toBe(2)
    held.resolve(tokenReply('jwt_sess_1'))
    expect(await Promise.all([minting, cached, sharing])).toEqual(['jwt_sess_1', 'jwt_sess_1', 'jwt_sess_1'])
    await settle()
    expect(client.user?.id).toBe('user_1')
    expect(mints(server, 'sess_1')).toBe(2)
    client.close()
  })

  it("signOut() of the active session keeps the other session's cached token; signOut() of every session drops them all", async () => {
    const { client, server } = await signedInTwice({ SignOut: () => ({ data: { signOut: true } }) })
    const first = client.session!
    expect((await client.setActive({ session: 'sess_2' })).error).toBeNull()
    expect((await client.signOut({ sessionId: 'sess_2' })).error).toBeNull()
    expect(client.session).toBeNull()
    expect(await first.getToken()).toBe('jwt_sess_1')
    expect(mints(server, 'sess_1')).toBe(1)

    // The control: the server ended every session of the device, so none of their tokens is any use.
    expect((await client.setActive({ session: 'sess_1' })).error).toBeNull()
    expect(mints(server, 'sess_1')).toBe(2)
    const second = client.session!
    expect((await client.setActive({ session: 'sess_2' })).error).toBeNull()
    expect((await client.signOut()).error).toBeNull()
    expect(await second.getToken()).toBe('jwt_sess_1')
    expect(mints(server, 'sess_1')).toBe(3)
    client.close()
  })

  it("signOut() of a session that is not the active one drops that session's cached token, and only it", async () => {
    const { client, server, end } = await signedInTwice({
      SignOut: (v) => {
        end(v.sessionId)
        return { data: { signOut: true } }
      },
    })
    const first = client.session!
    expect(await first.getToken()).toBe('jwt_sess_1')
    expect((await client.setActive({ session: 'sess_2' })).error).toBeNull()
    const mintsOf2 = mints(server, 'sess_2')
    expect((await client.signOut({ sessionId: 'sess_1' })).error).toBeNull()
    expect(client.session?.id).toBe('sess_2')
    // Not the JWT cached for the ended session: the server is asked, and refuses.
    expect(await first.getToken()).toBeNull()
    expect(mints(server, 'sess_1')).toBe(2)
    expect(await client.getToken()).toBe('jwt_sess_2')
    expect(mints(server, 'sess_2')).toBe(mintsOf2)
    client.close()
  })

  it('a read whose session is refused again reads no more: a server listing a session it refuses makes no loop', async () => {
    const { client, server } = await loadSignedIn({
      // The fourth read no longer lists the session, so that a loop, were there one, ends (and shows in the reads).
      Client: [signedInClient, signedInClient, signedInClient, emptyClient],
      SessionTokenCreate: [() => tokenReply('jwt_1'), refused],
    })
    expect(await client.getToken({ skipCache: true })).toBeNull()
    await settle()
    await new Promise((r) => setTimeout(r, 50))
    // The read listed sess_1 again; its `me` needed a token, which was refused: dropped, and not read again.
    expect(server.ops()).toEqual(['Client', 'SessionTokenCreate', 'Me', 'SessionTokenCreate', 'Client', 'SessionTokenCreate'])
    expect(client.session).toBeNull()
    expect(client.user).toBeNull()
    expect(client.status).toBe('ready')
    client.close()
  })
})

describe('signUp', () => {
  it('creates, sends and checks the email code, then finalizes', async () => {
    const server = fakeServer({
      SignUpCreate: () => ({ data: { signUpCreate: signUp() } }),
      SignUpPrepareVerification: () => ({ data: { signUpPrepareVerification: signUp() } }),
      SignUpAttemptVerification: () => ({
        data: { signUpAttemptVerification: signUp({ status: 'complete', unverifiedFields: [], createdUserId: 'user_1', createdSessionId: 'sess_1' }) },
      }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    const client = createClient({ fetch: server.fetch })
    const signUpRes = client.signUp
    await signUpRes.create({ emailAddress: 'jane@example.com', password: 'a long passphrase' })
    expect(server.last('SignUpCreate')!.variables).toEqual({ input: { emailAddress: 'jane@example.com', password: 'a long passphrase' } })
    expect(signUpRes.unverifiedFields).toEqual(['email_address'])
    await signUpRes.prepareVerification({ strategy: 'email_code' })
    expect(server.last('SignUpPrepareVerification')!.variables).toEqual({ id: 'sua_1', strategy: 'email_code' })
    await signUpRes.attemptVerification({ strategy: 'email_code', code: '123456' })
    expect(server.last('SignUpAttemptVerification')!.variables).toEqual({ id: 'sua_1', strategy: 'email_code', code: '123456' })
    expect(signUpRes.status).toBe('complete')
    const navigate = vi.fn()
    await signUpRes.finalize({ navigate })
    expect(navigate.mock.calls[0]![0].session.id).toBe('sess_1')
  })

  it('puts sign-up errors on their fields', async () => {
    const server = fakeServer({ SignUpCreate: () => gqlError('form_identifier_exists', 'Taken', 'email_address') })
    const client = createClient({ fetch: server.fetch })
    await client.signUp.create({ emailAddress: 'jane@example.com', password: 'pw' })
    expect(client.signUp.__errors.fields.emailAddress?.code).toBe('form_identifier_exists')
  })

  it('puts an error about the `identifier` on the field the sign-up filled in: the email address, else the phone number, else the username', async () => {
    const named = () => gqlError('form_identifier_exists', 'Taken', 'identifier')
    const unnamed = () => gqlError('form_identifier_exists', 'Taken')
    for (const [params, field] of [
      [{ phoneNumber: '+15551234567', password: 'pw' }, 'phoneNumber'],
      [{ username: 'jane_doe', password: 'pw' }, 'username'],
      [{ emailAddress: 'jane@example.com', phoneNumber: '+15551234567' }, 'emailAddress'],
    ] as const) {
      for (const reply of [named, unnamed]) {
        const client = createClient({ fetch: fakeServer({ SignUpCreate: reply }).fetch })
        await client.signUp.create(params)
        const { fields, global } = client.signUp.__errors
        expect({ field: Object.entries(fields).find(([, e]) => e !== null)?.[0], global }).toEqual({ field, global: null })
      }
    }
  })
})

describe('signUp.reload()', () => {
  const current = (signUpJSON: ReturnType<typeof signUp> | null) => (): Reply => ({ data: { client: { id: 'client_1', signUp: signUpJSON } } })

  it('reads the sign-up again and takes what the server says of it now (its email verified in another tab)', async () => {
    const server = fakeServer({
      SignUpCreate: () => ({ data: { signUpCreate: signUp({ unverifiedFields: ['email_address', 'phone_number'] }) } }),
      SignUpPrepareVerification: () => gqlError('verification_already_verified', 'Already verified.', 'strategy'),
      ClientSignUp: current(signUp({ unverifiedFields: ['phone_number'] })),
    })
    const { signUp: s } = createClient({ fetch: server.fetch })
    await s.create({ emailAddress: 'jane@example.com', phoneNumber: '+15551234567' })
    expect((await s.prepareVerification({ strategy: 'email_code' })).error?.code).toBe('verification_already_verified')

    expect(await s.reload()).toEqual({ error: null })
    expect(s.unverifiedFields).toEqual(['phone_number'])
    expect(s.__errors.raw).toBeNull()
  })

  it('takes a sign-up completed elsewhere, ready to finalize', async () => {
    const done = signUp({ status: 'complete', unverifiedFields: [], createdUserId: 'user_1', createdSessionId: 'sess_1' })
    const server = fakeServer({
      SignUpCreate: () => ({ data: { signUpCreate: signUp() } }),
      ClientSignUp: current(done),
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    const client = createClient({ fetch: server.fetch })
    await client.signUp.create({ emailAddress: 'jane@example.com' })
    expect(await client.signUp.reload()).toEqual({ error: null })
    expect(client.signUp.status).toBe('complete')
    expect((await client.signUp.finalize()).error).toBeNull()
    expect(client.session?.id).toBe('sess_1')
  })

  it('forgets a sign-up the client no longer has (another began since), and without one sends nothing', async () => {
    const server = fakeServer({
      SignUpCreate: () => ({ data: { signUpCreate: signUp() } }),
      ClientSignUp: current(signUp({ id: 'sua_2' })),
    })
    const { signUp: s } = createClient({ fetch: server.fetch })
    expect((await s.reload()).error?.code).toBe('sign_up_missing')
    expect(server.ops()).toEqual([])
    await s.create({ emailAddress: 'jane@example.com' })
    expect(await s.reload()).toEqual({ error: null })
    expect(s.id).toBeUndefined()
  })
})

describe('password reset', () => {
  const unverified = (strategy: string) => ({ status: 'unverified', strategy, attempts: 0, expireAt: '2026-03-01T00:10:00Z' })
  const verifiedBy = (strategy: string) => ({ status: 'verified', strategy, attempts: 1, expireAt: null })
  /** codeSent is the sign-in after `signInCreate` with a reset strategy: the code is on its way. */
  const codeSent = (strategy = 'reset_password_email_code', identifier = 'jane@example.com') =>
    signInJSON({ identifier, firstFactorVerification: unverified(strategy) })
  const needsNewPassword = (strategy = 'reset_password_email_code') =>
    signInJSON({ status: 'needs_new_password', firstFactorVerification: verifiedBy(strategy) })
  const resetComplete = (strategy = 'reset_password_email_code') =>
    signInJSON({ status: 'complete', firstFactorVerification: verifiedBy(strategy), createdSessionId: 'sess_2' })

  it('create() with reset_password_email_code sends the strategy and identifier, then code and password complete it', async () => {
    const now = Date.parse('2026-03-01T00:00:00Z')
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: codeSent() } }),
      SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: resetComplete() } }),
      SessionTokenCreate: () => tokenReply('jwt_r', 60, now),
    })
    const client = createClient({ fetch: server.fetch, now: () => now })
    const signIn = client.signIn

    expect((await signIn.create({ strategy: 'reset_password_email_code', identifier: 'jane@example.com' })).error).toBeNull()
    expect(server.last('SignInCreate')!.variables).toEqual({
      input: { identifier: 'jane@example.com', strategy: 'reset_password_email_code' },
    })
    expect(Object.keys(server.last('SignInCreate')!.variables.input).sort()).toEqual(['identifier', 'strategy'])
    expect(signIn.status).toBe('needs_first_factor')
    expect(signIn.firstFactorVerification).toEqual({
      status: 'unverified',
      strategy: 'reset_password_email_code',
      attempts: 0,
      expireAt: new Date('2026-03-01T00:10:00Z'),
    })

    const r = await signIn.attemptFirstFactor({ strategy: 'reset_password_email_code', code: '424242', password: 'a new long passphrase' })
    expect(r.error).toBeNull()
    const attempt = server.last('SignInAttemptFirstFactor')!
    expect(attempt.query).toMatch(
      /^mutation SignInAttemptFirstFactor\(\$id: ID!, \$input: AttemptFactorInput!\) \{ signInAttemptFirstFactor\(id: \$id, input: \$input\)/,
    )
    expect(attempt.variables).toEqual({
      id: 'sia_1',
      input: { strategy: 'reset_password_email_code', code: '424242', password: 'a new long passphrase' },
    })
    expect(signIn.status).toBe('complete')
    expect(signIn.createdSessionId).toBe('sess_2')
    expect(signIn.__fetchStatus).toBe('idle')

    expect((await signIn.finalize()).error).toBeNull()
    expect(server.last('SessionTokenCreate')!.variables).toEqual({ sessionId: 'sess_2' })
    expect(client.session?.id).toBe('sess_2')
  })

  it('a reset code with a password may ask for the second factor', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: codeSent() } }),
      SignInAttemptFirstFactor: () => ({
        data: { signInAttemptFirstFactor: { ...needsSecondFactor(), firstFactorVerification: verifiedBy('reset_password_email_code') } },
      }),
    })
    const signIn = createClient({ fetch: server.fetch }).signIn
    await signIn.create({ strategy: 'reset_password_email_code', identifier: 'jane@example.com' })
    await signIn.attemptFirstFactor({ strategy: 'reset_password_email_code', code: '424242', password: 'a new long passphrase' })
    expect(signIn.status).toBe('needs_second_factor')
    expect(signIn.createdSessionId).toBeNull()
    expect(signIn.supportedSecondFactors.map((f) => f.strategy)).toEqual(['totp', 'phone_code', 'backup_code'])
  })

  it('in two steps: the code alone gives needs_new_password, then resetPassword() sends signInResetPassword', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: codeSent() } }),
      SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: needsNewPassword() } }),
      SignInResetPassword: () => ({ data: { signInResetPassword: resetComplete() } }),
    })
    const client = createClient({ fetch: server.fetch })
    const signIn = client.signIn
    await signIn.create({ strategy: 'reset_password_email_code', identifier: 'jane@example.com' })

    await signIn.attemptFirstFactor({ strategy: 'reset_password_email_code', code: '424242' })
    const attemptInput = server.last('SignInAttemptFirstFactor')!.variables.input
    expect(attemptInput).toEqual({ strategy: 'reset_password_email_code', code: '424242' })
    expect('password' in attemptInput).toBe(false)
    expect(signIn.status).toBe('needs_new_password')

    const listener = vi.fn()
    client.subscribe(listener)
    const { error } = await signIn.resetPassword({ password: 'a new long passphrase', signOutOfOtherSessions: true })
    expect(error).toBeNull()
    const call = server.last('SignInResetPassword')!
    expect(call.operationName).toBe('SignInResetPassword')
    expect(call.query).toMatch(
      /^mutation SignInResetPassword\(\$id: ID!, \$input: SignInResetPasswordInput!\) \{ signInResetPassword\(id: \$id, input: \$input\) \{ /,
    )
    // The same SignIn selection as the other sign-in mutations.
    const selection = (q: string, field: string) => q.slice(q.indexOf(`${field}(id: $id, input: $input) {`) + field.length)
    expect(selection(call.query, 'signInResetPassword')).toBe(
      selection(server.last('SignInAttemptFirstFactor')!.query, 'signInAttemptFirstFactor'),
    )
    expect(call.variables).toEqual({ id: 'sia_1', input: { password: 'a new long passphrase', signOutOfOtherSessions: true } })
    expect(server.ops()).toEqual(['SignInCreate', 'SignInAttemptFirstFactor', 'SignInResetPassword'])
    expect(signIn.status).toBe('complete')
    expect(signIn.createdSessionId).toBe('sess_2')
    expect(signIn.firstFactorVerification?.strategy).toBe('reset_password_email_code')
    expect(listener).toHaveBeenCalled()
  })

  it('resetPassword() leaves signOutOfOtherSessions to the server unless given, and sends false as false', async () => {
    const server = fakeServer({ SignInResetPassword: () => ({ data: { signInResetPassword: resetComplete() } }) })
    const signIn = createClient({ fetch: server.fetch }).signIn
    signIn.apply(needsNewPassword())

    await signIn.resetPassword({ password: 'pw one two three' })
    expect(server.last('SignInResetPassword')!.variables).toEqual({ id: 'sia_1', input: { password: 'pw one two three' } })
    expect('signOutOfOtherSessions' in server.last('SignInResetPassword')!.variables.input).toBe(false)

    signIn.apply(needsNewPassword())
    await signIn.resetPassword({ password: 'pw one two three', signOutOfOtherSessions: false })
    expect(server.last('SignInResetPassword')!.variables.input).toEqual({ password: 'pw one two three', signOutOfOtherSessions: false })
  })

  it('puts a new password that breaks the policy in errors.fields.password and keeps the status', async () => {
    const server = fakeServer({
      SignInResetPassword: [
        () => gqlError('form_password_pwned', 'This password was found in a data breach.', 'password'),
        () => ({ data: { signInResetPassword: resetComplete() } }),
      ],
    })
    const signIn = createClient({ fetch: server.fetch }).signIn
    signIn.apply(needsNewPassword())

    const { error } = await signIn.resetPassword({ password: 'password1' })
    expect(error!.code).toBe('form_password_pwned')
    expect(signIn.__errors.fields.password).toEqual({
      code: 'form_password_pwned',
      message: 'This password was found in a data breach.',
      longMessage: 'This password was found in a data breach. (long)',
      meta: { paramName: 'password' },
    })
    expect(signIn.__errors.fields.code).toBeNull()
    expect(signIn.__errors.global).toBeNull()
    expect(signIn.__fetchStatus).toBe('idle')
    expect(signIn.status).toBe('needs_new_password')

    // The next call clears the error.
    expect((await signIn.resetPassword({ password: 'a much better passphrase' })).error).toBeNull()
    expect(signIn.__errors.fields.password).toBeNull()
    expect(signIn.status).toBe('complete')
  })

  it('puts a policy error of attemptFirstFactor on the password field and a wrong code on the code field', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: codeSent() } }),
      SignInAttemptFirstFactor: [
        () => gqlError('form_password_length_too_short', 'Passwords must be 8 characters or more.', 'password'),
        () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
      ],
    })
    const signIn = createClient({ fetch: server.fetch }).signIn
    await signIn.create({ strategy: 'reset_password_email_code', identifier: 'jane@example.com' })

    await signIn.attemptFirstFactor({ strategy: 'reset_password_email_code', code: '424242', password: 'short' })
    expect(signIn.__errors.fields.password?.code).toBe('form_password_length_too_short')
    expect(signIn.__errors.fields.code).toBeNull()

    await signIn.attemptFirstFactor({ strategy: 'reset_password_email_code', code: '000000', password: 'a new long passphrase' })
    expect(signIn.__errors.fields.code?.code).toBe('form_code_incorrect')
    expect(signIn.__errors.fields.password).toBeNull()
    expect(signIn.status).toBe('needs_first_factor')
  })

  it('resetPassword() and attemptFirstFactor() without a sign-in fail with sign_in_missing and send nothing', async () => {
    const server = fakeServer({})
    const signIn = createClient({ fetch: server.fetch }).signIn
    expect((await signIn.resetPassword({ password: 'pw' })).error!.code).toBe('sign_in_missing')
    expect((await signIn.attemptFirstFactor({ strategy: 'reset_password_phone_code', code: '1' })).error!.code).toBe('sign_in_missing')
    expect((await signIn.prepareFirstFactor({ strategy: 'reset_password_phone_code' })).error!.code).toBe('sign_in_missing')
    expect(signIn.__errors.global?.[0]?.code).toBe('sign_in_missing')
    expect(server.calls).toHaveLength(0)
  })

  it('runs the SMS flow: create with reset_password_phone_code, resend the code, verify, then set the password', async () => {
    const strategy = 'reset_password_phone_code'
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: codeSent(strategy, '+15551234567') } }),
      SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: codeSent(strategy, '+15551234567') } }),
      SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: needsNewPassword(strategy) } }),
      SignInResetPassword: () => ({ data: { signInResetPassword: resetComplete(strategy) } }),
    })
    const signIn = createClient({ fetch: server.fetch }).signIn

    await signIn.create({ strategy, identifier: '+15551234567' })
    expect(server.last('SignInCreate')!.variables.input).toEqual({ identifier: '+15551234567', strategy })
    expect(signIn.firstFactorVerification?.strategy).toBe(strategy)

    await signIn.prepareFirstFactor({ strategy })
    expect(server.last('SignInPrepareFirstFactor')!.variables).toEqual({ id: 'sia_1', input: { strategy } })
    await signIn.prepareFirstFactor({ strategy, phoneNumberId: 'phn_1' })
    expect(server.last('SignInPrepareFirstFactor')!.variables).toEqual({ id: 'sia_1', input: { strategy, phoneNumberId: 'phn_1' } })

    await signIn.attemptFirstFactor({ strategy, code: '135790' })
    expect(server.last('SignInAttemptFirstFactor')!.variables.input).toEqual({ strategy, code: '135790' })
    expect(signIn.status).toBe('needs_new_password')

    await signIn.resetPassword({ password: 'a new long passphrase' })
    expect(server.last('SignInResetPassword')!.variables.input).toEqual({ password: 'a new long passphrase' })
    expect(signIn.status).toBe('complete')
    expect(server.ops()).toEqual([
      'SignInCreate',
      'SignInPrepareFirstFactor',
      'SignInPrepareFirstFactor',
      'SignInAttemptFirstFactor',
      'SignInResetPassword',
    ])
  })

  it('prepareFirstFactor() for reset_password_email_code sends only the fields given', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: codeSent() } }),
      SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: codeSent() } }),
    })
    const signIn = createClient({ fetch: server.fetch }).signIn
    await signIn.create({ strategy: 'reset_password_email_code', identifier: 'jane@example.com' })
    await signIn.prepareFirstFactor({ strategy: 'reset_password_email_code', emailAddressId: 'ema_1' })
    expect(server.last('SignInPrepareFirstFactor')!.variables).toEqual({
      id: 'sia_1',
      input: { strategy: 'reset_password_email_code', emailAddressId: 'ema_1' },
    })
    expect(Object.keys(server.last('SignInPrepareFirstFactor')!.variables.input).sort()).toEqual(['emailAddressId', 'strategy'])
  })

  it('create() takes no password with a reset strategy (a type error)', () => {
    const signIn = createClient({ fetch: fakeServer({}).fetch }).signIn
    // Never called: the check is tsc's.
    void (() =>
      // @ts-expect-error a reset strategy starts without a password
      signIn.create({ strategy: 'reset_password_email_code', identifier: 'jane@example.com', password: 'pw' }))
    expect(typeof signIn.resetPassword).toBe('function')
  })
})

describe('password reset with the Core 3 helpers (resetPasswordEmailCode / resetPasswordPhoneCode)', () => {
  const unverified = (strategy: string) => ({ status: 'unverified', strategy, attempts: 0, expireAt: '2026-03-01T00:10:00Z' })
  const verifiedBy = (strategy: string) => ({ status: 'verified', strategy, attempts: 1, expireAt: null })
  const identified = (identifier = 'jane@example.com') => signInJSON({ identifier })
  const codeSent = (strategy: string, identifier = 'jane@example.com') =>
    signInJSON({ identifier, firstFactorVerification: unverified(strategy) })
  const needsNewPassword = (strategy: string) =>
    signInJSON({ status: 'needs_new_password', firstFactorVerification: verifiedBy(strategy) })
  const resetComplete = (strategy: string) =>
    signInJSON({ status: 'complete', firstFactorVerification: verifiedBy(strategy), createdSessionId: 'sess_2' })
  const email = 'reset_password_email_code'
  const phone = 'reset_password_phone_code'

  it('email: sendCode, verifyCode and submitPassword send the exact variables and move the status on', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: identified() } }),
      SignInPrepareFirstFactor: async () => {
        await gate
        return { data: { signInPrepareFirstFactor: codeSent(email) } }
      },
      SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: needsNewPassword(email) } }),
      SignInResetPassword: () => ({ data: { signInResetPassword: resetComplete(email) } }),
    })
    const client = createClient({ fetch: server.fetch })
    const signIn = client.signIn
    await signIn.create({ identifier: 'jane@example.com' })
    expect(server.last('SignInCreate')!.variables).toEqual({ input: { identifier: 'jane@example.com' } })

    const sending = signIn.resetPasswordEmailCode.sendCode()
    expect(signIn.__fetchStatus).toBe('fetching')
    release()
    expect((await sending).error).toBeNull()
    expect(signIn.__fetchStatus).toBe('idle')
    const prepare = server.last('SignInPrepareFirstFactor')!
    expect(prepare.query).toMatch(
      /^mutation SignInPrepareFirstFactor\(\$id: ID!, \$input: PrepareFactorInput!\) \{ signInPrepareFirstFactor\(id: \$id, input: \$input\)/,
    )
    // No address id: the server never lists the reset factors, and picks the address itself.
    expect(prepare.variables).toEqual({ id: 'sia_1', input: { strategy: email } })
    expect(Object.keys(prepare.variables.input)).toEqual(['strategy'])
    expect(signIn.status).toBe('needs_first_factor')
    expect(signIn.firstFactorVerification?.strategy).toBe(email)

    expect((await signIn.resetPasswordEmailCode.verifyCode({ code: '424242' })).error).toBeNull()
    const attempt = server.last('SignInAttemptFirstFactor')!
    expect(attempt.variables).toEqual({ id: 'sia_1', input: { strategy: email, code: '424242' } })
    expect(Object.keys(attempt.variables.input).sort()).toEqual(['code', 'strategy'])
    expect(signIn.status).toBe('needs_new_password')

    const listener = vi.fn()
    client.subscribe(listener)
    const r = await signIn.resetPasswordEmailCode.submitPassword({ password: 'a new long passphrase', signOutOfOtherSessions: false })
    expect(r.error).toBeNull()
    const reset = server.last('SignInResetPassword')!
    expect(reset.query).toMatch(/^mutation SignInResetPassword\(\$id: ID!, \$input: SignInResetPasswordInput!\)/)
    expect(reset.variables).toEqual({ id: 'sia_1', input: { password: 'a new long passphrase', signOutOfOtherSessions: false } })
    expect(signIn.status).toBe('complete')
    expect(signIn.createdSessionId).toBe('sess_2')
    expect(listener).toHaveBeenCalled()
    expect(server.ops()).toEqual(['SignInCreate', 'SignInPrepareFirstFactor', 'SignInAttemptFirstFactor', 'SignInResetPassword'])
  })

  it('email: submitPassword without signOutOfOtherSessions leaves it to the server, and may ask for the second factor', async () => {
    const server = fakeServer({
      SignInResetPassword: () => ({
        data: { signInResetPassword: { ...needsSecondFactor(), firstFactorVerification: verifiedBy(email) } },
      }),
    })
    const signIn = createClient({ fetch: server.fetch }).signIn
    signIn.apply(needsNewPassword(email))
    expect((await signIn.resetPasswordEmailCode.submitPassword({ password: 'a new long passphrase' })).error).toBeNull()
    expect(server.last('SignInResetPassword')!.variables).toEqual({ id: 'sia_1', input: { password: 'a new long passphrase' } })
    expect(signIn.status).toBe('needs_second_factor')
    expect(signIn.createdSessionId).toBeNull()
  })

  it('email: a wrong code lands in errors.fields.code, a refused password in errors.fields.password', async () => {
    const server = fakeServer({
      SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: codeSent(email) } }),
      SignInAttemptFirstFactor: [
        () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
        () => ({ data: { signInAttemptFirstFactor: needsNewPassword(email) } }),
      ],
      SignInResetPassword: [
        () => gqlError('form_password_pwned', 'This password was found in a data breach.', 'password'),
        () => ({ data: { signInResetPassword: resetComplete(email) } }),
      ],
    })
    const signIn = createClient({ fetch: server.fetch }).signIn
    signIn.apply(identified())
    await signIn.resetPasswordEmailCode.sendCode()

    const wrong = await signIn.resetPasswordEmailCode.verifyCode({ code: '000000' })
    expect(wrong.error!.code).toBe('form_code_incorrect')
    expect(signIn.__errors.fields.code).toEqual({
      code: 'form_code_incorrect',
      message: 'Incorrect code',
      longMessage: 'Incorrect code (long)',
      meta: { paramName: 'code' },
    })
    expect(signIn.__errors.fields.password).toBeNull()
    expect(signIn.__errors.global).toBeNull()
    expect(signIn.status).toBe('needs_first_factor')
    expect(signIn.__fetchStatus).toBe('idle')

    expect((await signIn.resetPasswordEmailCode.verifyCode({ code: '424242' })).error).toBeNull()
    expect(signIn.__errors.fields.code).toBeNull()
    expect(signIn.status).toBe('needs_new_password')

    const refused = await signIn.resetPasswordEmailCode.submitPassword({ password: 'password1' })
    expect(refused.error!.code).toBe('form_password_pwned')
    expect(signIn.__errors.fields.password?.code).toBe('form_password_pwned')
    expect(signIn.__errors.fields.password?.meta).toEqual({ paramName: 'password' })
    expect(signIn.__errors.fields.code).toBeNull()
    expect(signIn.__errors.global).toBeNull()
    expect(signIn.status).toBe('needs_new_password')

    expect((await signIn.resetPasswordEmailCode.submitPassword({ password: 'a much better passphrase' })).error).toBeNull()
    expect(signIn.__errors.fields.password).toBeNull()
    expect(signIn.status).toBe('complete')
  })

  it('email: a sendCode the server refuses is a global error and keeps the sign-in', async () => {
    const server = fakeServer({
      SignInPrepareFirstFactor: () => gqlError('strategy_for_user_invalid', 'This strategy is not allowed.', 'strategy'),
    })
    const signIn = createClient({ fetch: server.fetch }).signIn
    signIn.apply(identified())
    const { error } = await signIn.resetPasswordEmailCode.sendCode()
    expect(error!.code).toBe('strategy_for_user_invalid')
    expect(signIn.__errors.global?.map((e) => e.code)).toEqual(['strategy_for_user_invalid'])
    expect(signIn.__errors.fields.code).toBeNull()
    expect(signIn.id).toBe('sia_1')
    expect(signIn.status).toBe('needs_first_factor')
  })

  it('without a sign-in, every reset helper fails with sign_in_missing and sends nothing', async () => {
    const server = fakeServer({})
    const signIn = createClient({ fetch: server.fetch }).signIn
    const results = [
      await signIn.resetPasswordEmailCode.sendCode(),
      await signIn.resetPasswordEmailCode.verifyCode({ code: '424242' }),
      await signIn.resetPasswordEmailCode.submitPassword({ password: 'a new long passphrase' }),
      await signIn.resetPasswordPhoneCode.sendCode(),
      await signIn.resetPasswordPhoneCode.verifyCode({ code: '424242' }),
      await signIn.resetPasswordPhoneCode.submitPassword({ password: 'a new long passphrase' }),
    ]
    for (const r of results) {
      expect(r.error).toBeInstanceOf(TrustgateAPIResponseError)
      expect(r.error!.code).toBe('sign_in_missing')
    }
    expect(signIn.__errors.global?.map((e) => e.code)).toEqual(['sign_in_missing'])
    expect(signIn.__fetchStatus).toBe('idle')
    expect(signIn.status).toBe('needs_identifier')
    expect(server.calls).toHaveLength(0)

    // After reset() the helpers are refused again.
    signIn.apply(identified())
    await signIn.reset()
    expect((await signIn.resetPasswordEmailCode.sendCode()).error!.code).toBe('sign_in_missing')
    expect(server.calls).toHaveLength(0)
  })

  it('phone: sendCode({ phoneNumber }) starts a sign-in for the number, then the code, code check and new password follow', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: identified('+15551234567') } }),
      SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: codeSent(phone, '+15551234567') } }),
      SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: needsNewPassword(phone) } }),
      SignInResetPassword: () => ({ data: { signInResetPassword: resetComplete(phone) } }),
    })
    const signIn = createClient({ fetch: server.fetch }).signIn

    expect((await signIn.resetPasswordPhoneCode.sendCode({ phoneNumber: '+15551234567' })).error).toBeNull()
    expect(server.last('SignInCreate')!.variables).toEqual({ input: { identifier: '+15551234567' } })
    expect(server.last('SignInPrepareFirstFactor')!.variables).toEqual({ id: 'sia_1', input: { strategy: phone } })
    expect(signIn.identifier).toBe('+15551234567')
    expect(signIn.firstFactorVerification?.strategy).toBe(phone)

    // Without phoneNumber: a fresh code on the current sign-in, no new sign-in.
    expect((await signIn.resetPasswordPhoneCode.sendCode()).error).toBeNull()
    expect(server.last('SignInPrepareFirstFactor')!.variables).toEqual({ id: 'sia_1', input: { strategy: phone } })

    await signIn.resetPasswordPhoneCode.verifyCode({ code: '135790' })
    expect(server.last('SignInAttemptFirstFactor')!.variables).toEqual({ id: 'sia_1', input: { strategy: phone, code: '135790' } })
    expect(signIn.status).toBe('needs_new_password')

    await signIn.resetPasswordPhoneCode.submitPassword({ password: 'a new long passphrase', signOutOfOtherSessions: true })
    expect(server.last('SignInResetPassword')!.variables).toEqual({
      id: 'sia_1',
      input: { password: 'a new long passphrase', signOutOfOtherSessions: true },
    })
    expect(signIn.status).toBe('complete')
    expect(server.ops()).toEqual([
      'SignInCreate',
      'SignInPrepareFirstFactor',
      'SignInPrepareFirstFactor',
      'SignInAttemptFirstFactor',
      'SignInResetPassword',
    ])
  })

  it('phone: a refused phoneNumber stops before the code, on errors.fields.identifier', async () => {
    const server = fakeServer({
      SignInCreate: () => gqlError('form_identifier_not_found', "Couldn't find your account.", 'identifier'),
    })
    const signIn = createClient({ fetch: server.fetch }).signIn
    const { error } = await signIn.resetPasswordPhoneCode.sendCode({ phoneNumber: '+15550000000' })
    expect(error!.code).toBe('form_identifier_not_found')
    expect(signIn.__errors.fields.identifier?.code).toBe('form_identifier_not_found')
    expect(server.ops()).toEqual(['SignInCreate'])
  })

  it('phone: a wrong code lands in errors.fields.code', async () => {
    const server = fakeServer({ SignInAttemptFirstFactor: () => gqlError('form_code_incorrect', 'Incorrect code', 'code') })
    const signIn = createClient({ fetch: server.fetch }).signIn
    signIn.apply(codeSent(phone, '+15551234567'))
    expect((await signIn.resetPasswordPhoneCode.verifyCode({ code: '000000' })).error!.code).toBe('form_code_incorrect')
    expect(signIn.__errors.fields.code?.code).toBe('form_code_incorrect')
    expect(server.last('SignInAttemptFirstFactor')!.variables.input).toEqual({ strategy: phone, code: '000000' })
  })
})
