import { describe, expect, it, vi } from 'vitest'
import {
  EMAIL_FACTOR,
  emptyClient,
  gqlError,
  loadSignedIn,
  mfaSessionVerification,
  PHONE_FACTOR,
  reverificationRequired,
  sessionVerification,
  signedInClient,
  tick,
  tokenReply,
  TOTP_FACTOR,
  verifiedSession,
} from '../test/fakeServer'
import { TrustgateAPIResponseError } from './errors'
import { isReverificationRequired, runWithReverification } from './reverification'
import type { Result } from './types'

describe('session reverification', () => {
  it('startVerification() sends sessionVerificationCreate with the session JWT and parses the verification', async () => {
    const { session, server } = await loadSignedIn({
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification() } }),
    })
    const r = await session.startVerification()
    const call = server.last('SessionVerificationCreate')!
    expect(call.headers.authorization).toBe('Bearer jwt_1')
    // No level: the variable is left out, so the server applies its default (second_factor).
    expect(call.variables).toEqual({})
    expect(call.query).toBe(
      'mutation SessionVerificationCreate($level: SessionVerificationLevel) { sessionVerificationCreate(level: $level) { id status level ' +
        'supportedFirstFactors { strategy safeIdentifier emailAddressId phoneNumberId primary } ' +
        'supportedSecondFactors { strategy safeIdentifier emailAddressId phoneNumberId primary } ' +
        'firstFactorVerification { status strategy attempts expireAt } ' +
        'secondFactorVerification { status strategy attempts expireAt } expireAt } }',
    )
    expect(r.error).toBeNull()
    expect(r.data).toEqual({
      id: 'sver_1',
      status: 'needs_first_factor',
      level: 'second_factor',
      supportedFirstFactors: [
        { strategy: 'password' },
        { strategy: 'email_code', safeIdentifier: 'j***@example.com', emailAddressId: 'ema_1', primary: true },
      ],
      supportedSecondFactors: [],
      firstFactorVerification: null,
      secondFactorVerification: null,
      expireAt: new Date('2026-01-02T03:14:05Z'),
    })

    await session.startVerification({ level: 'multi_factor' })
    expect(server.last('SessionVerificationCreate')!.variables).toEqual({ level: 'multi_factor' })
  })

  it('checks the password as the first factor, and returns a wrong one as an error instead of throwing', async () => {
    const { session, server } = await loadSignedIn({
      SessionTokenCreate: [() => tokenReply('jwt_1'), () => tokenReply('jwt_2')],
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification() } }),
      SessionVerificationAttemptFirstFactor: [
        () => gqlError('form_password_incorrect', 'Password is incorrect.', 'password'),
        () => ({ data: { sessionVerificationAttemptFirstFactor: verifiedSession('password') } }),
      ],
    })
    await session.startVerification()
    const wrong = await session.attemptFirstFactorVerification({ strategy: 'password', password: 'nope' })
    expect(wrong.data).toBeNull()
    expect(wrong.error).toBeInstanceOf(TrustgateAPIResponseError)
    expect(wrong.error!.code).toBe('form_password_incorrect')
    expect(wrong.error!.errors[0]!.meta.paramName).toBe('password')
    expect(server.last('SessionVerificationAttemptFirstFactor')!.variables).toEqual({
      input: { strategy: 'password', password: 'nope' },
    })

    const tokens = () => server.ops().filter((o) => o === 'SessionTokenCreate').length
    const minted = tokens()
    const right = await session.attemptFirstFactorVerification({ strategy: 'password', password: 'hunter22' })
    expect(right.data!.status).toBe('complete')
    expect(right.data!.firstFactorVerification).toEqual({ status: 'verified', strategy: 'password', attempts: 0, expireAt: null })
    expect(server.last('SessionVerificationAttemptFirstFactor')!.headers.authorization).toBe('Bearer jwt_1')
    // A wrong password kept the cached token; a complete verification drops it (its fva claim is stale).
    expect(tokens()).toBe(minted)
    expect(await session.getToken()).toBe('jwt_2')
    expect(tokens()).toBe(minted + 1)
  })

  it('sends and checks an email code as the first factor with the listed address', async () => {
    const { session, server } = await loadSignedIn({
      SessionVerificationPrepareFirstFactor: () => ({
        data: {
          sessionVerificationPrepareFirstFactor: sessionVerification({
            firstFactorVerification: { status: 'unverified', strategy: 'email_code', attempts: 0, expireAt: '2026-01-02T03:14:05Z' },
          }),
        },
      }),
      SessionVerificationAttemptFirstFactor: () => ({ data: { sessionVerificationAttemptFirstFactor: verifiedSession('email_code') } }),
    })
    const sent = await session.prepareFirstFactorVerification({ strategy: 'email_code', emailAddressId: 'ema_1' })
    expect(server.last('SessionVerificationPrepareFirstFactor')!.variables).toEqual({
      input: { strategy: 'email_code', emailAddressId: 'ema_1' },
    })
    expect(sent.data!.firstFactorVerification!.expireAt).toEqual(new Date('2026-01-02T03:14:05Z'))

    await session.prepareFirstFactorVerification({ strategy: 'phone_code', phoneNumberId: 'phn_1' })
    expect(server.last('SessionVerificationPrepareFirstFactor')!.variables).toEqual({
      input: { strategy: 'phone_code', phoneNumberId: 'phn_1' },
    })

    const r = await session.attemptFirstFactorVerification({ strategy: 'email_code', code: '123456' })
    expect(server.last('SessionVerificationAttemptFirstFactor')!.variables).toEqual({ input: { strategy: 'email_code', code: '123456' } })
    expect(r.data!.status).toBe('complete')
  })

  it('second factors: texts the listed phone number, checks totp, phone and backup codes', async () => {
    const { session, server } = await loadSignedIn({
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: mfaSessionVerification() } }),
      SessionVerificationPrepareSecondFactor: () => ({ data: { sessionVerificationPrepareSecondFactor: mfaSessionVerification() } }),
      SessionVerificationAttemptSecondFactor: () => ({ data: { sessionVerificationAttemptSecondFactor: verifiedSession('totp') } }),
    })
    const started = await session.startVerification()
    expect(started.data!.status).toBe('needs_second_factor')
    expect(started.data!.supportedSecondFactors.map((f) => f.strategy)).toEqual(['totp', 'phone_code', 'backup_code'])

    // Without a phoneNumberId, the number of the phone_code factor the last answer listed.
    await session.prepareSecondFactorVerification()
    expect(server.last('SessionVerificationPrepareSecondFactor')!.variables).toEqual({
      input: { strategy: 'phone_code', phoneNumberId: PHONE_FACTOR.phoneNumberId },
    })
    await session.prepareSecondFactorVerification({ strategy: 'phone_code', phoneNumberId: 'phn_9' })
    expect(server.last('SessionVerificationPrepareSecondFactor')!.variables).toEqual({
      input: { strategy: 'phone_code', phoneNumberId: 'phn_9' },
    })

    for (const strategy of ['totp', 'phone_code', 'backup_code'] as const) {
      await session.attemptSecondFactorVerification({ strategy, code: '123456' })
      expect(server.last('SessionVerificationAttemptSecondFactor')!.variables).toEqual({ input: { strategy, code: '123456' } })
    }
    const done = await session.attemptSecondFactorVerification({ strategy: 'totp', code: '123456' })
    expect(done.data!.status).toBe('complete')
    expect(done.data!.secondFactorVerification!.strategy).toBe('totp')
  })

  it('after a step passes, a token mint already on its way is not cached: the next getToken() carries the new fva', async () => {
    let releaseStale!: () => void
    let releaseAttempt!: () => void
    const { session } = await loadSignedIn({
      SessionTokenCreate: [
        () => tokenReply('jwt_1'),
        // Minted by the server before the pass committed (old fva), answered after the attempt's answer.
        () => new Promise((r) => (releaseStale = () => r(tokenReply('jwt_stale_fva')))),
        () => tokenReply('jwt_fresh_fva'),
      ],
      SessionVerificationAttemptFirstFactor: () =>
        new Promise((r) => (releaseAttempt = () => r({ data: { sessionVerificationAttemptFirstFactor: verifiedSession('password') } }))),
    })
    const attempt = session.attemptFirstFactorVerification({ strategy: 'password', password: 'hunter22' })
    await vi.waitFor(() => expect(releaseAttempt).toBeTypeOf('function'))
    // Meanwhile the app refreshes its token (getToken({ skipCache: true }), or the cached one reached the margin).
    const refresh = session.getToken({ skipCache: true })
    await vi.waitFor(() => expect(releaseStale).toBeTypeOf('function'))
    releaseAttempt()
    expect((await attempt).data!.status).toBe('complete')
    releaseStale()
    // The refresh started before the pass gets its answer, but it is not kept for later calls.
    expect(await refresh).toBe('jwt_stale_fva')
    expect(await session.getToken()).toBe('jwt_fresh_fva')
    expect(await session.getToken()).toBe('jwt_fresh_fva')
  })

  it('drops the cached token when a first step passes, before the verification is complete (multi_factor)', async () => {
    const { session, server } = await loadSignedIn({
      SessionTokenCreate: [() => tokenReply('jwt_1'), () => tokenReply('jwt_2')],
      SessionVerificationCreate: () => ({
        data: { sessionVerificationCreate: sessionVerification({ level: 'multi_factor', supportedSecondFactors: [TOTP_FACTOR] }) },
      }),
      SessionVerificationAttemptFirstFactor: () => ({
        data: {
          sessionVerificationAttemptFirstFactor: mfaSessionVerification({
            level: 'multi_factor',
            firstFactorVerification: { status: 'verified', strategy: 'password', attempts: 0, expireAt: null },
          }),
        },
      }),
    })
    await session.startVerification({ level: 'multi_factor' })
    const minted = () => server.ops().filter((o) => o === 'SessionTokenCreate').length
    const before = minted()
    const r = await session.attemptFirstFactorVerification({ strategy: 'password', password: 'hunter22' })
    expect(r.data!.status).toBe('needs_second_factor')
    // The session's first factor time changed, so its fva claim did: the next token is a new one.
    expect(await session.getToken()).toBe('jwt_2')
    expect(minted()).toBe(before + 1)
  })

  it('getVerification() reads the current verification, or null', async () => {
    const { session, server } = await loadSignedIn({
      SessionVerification: [
        () => ({ data: { sessionVerification: sessionVerification({ supportedFirstFactors: [EMAIL_FACTOR] }) } }),
        () => ({ data: { sessionVerification: null } }),
      ],
    })
    const r = await session.getVerification()
    expect(r.data!.supportedFirstFactors).toEqual([
      { strategy: 'email_code', safeIdentifier: 'j***@example.com', emailAddressId: 'ema_1', primary: true },
    ])
    expect(server.last('SessionVerification')!.headers.authorization).toBe('Bearer jwt_1')
    expect(server.last('SessionVerification')!.query).toMatch(/^query SessionVerification \{ sessionVerification \{ id status level /)
    expect((await session.getVerification()).data).toBeNull()
  })

  it('fails with the session error, and sends nothing more, once the session has ended', async () => {
    const { client, session, server } = await loadSignedIn({
      SessionTokenCreate: [() => tokenReply('jwt_1', 1), () => gqlError('authentication_invalid', 'Session ended') as ReturnType<typeof tokenReply>],
    })
    const r = await session.startVerification()
    expect(r.error!.code).toBe('authentication_invalid')
    expect(server.ops()).not.toContain('SessionVerificationCreate')
    expect(client.session).toBeNull()
  })

  it('a session method refused (and the mint of its retry) drops the session and reads the client again', async () => {
    const ended = () => gqlError('authentication_invalid', 'Session ended')
    const { client, server } = await loadSignedIn({
      Client: [signedInClient, emptyClient],
      SessionTokenCreate: [() => tokenReply('jwt_1'), ended],
      SessionVerification: ended,
    })
    const r = await client.session!.getVerification()
    expect(r.error!.code).toBe('authentication_invalid')
    expect(client.session).toBeNull()
    await vi.waitFor(() =>
      expect(server.ops()).toEqual(['Client', 'SessionTokenCreate', 'Me', 'SessionVerification', 'SessionTokenCreate', 'Client']),
    )
    for (let i = 0; i < 5; i++) await tick()
    expect(client.session).toBeNull()
    expect(client.status).toBe('ready')
    client.close()
  })
})

describe('runWithReverification', () => {
  const needed = (): Result<string> => ({ data: null, error: new TrustgateAPIResponseError([{ code: 'session_reverification_required', message: 'x', longMessage: 'x', meta: { reverifyWithinSeconds: 600 } }]) })

  it('recognises session_reverification_required in a result or an error', async () => {
    const { client } = await loadSignedIn({ TotpCreate: () => reverificationRequired('first_factor') })
    const r = await client.user!.createTOTP()
    expect(isReverificationRequired(r)).toBe(true)
    expect(isReverificationRequired(r.error)).toBe(true)
    expect(isReverificationRequired({ data: 1, error: null })).toBe(false)
    expect(isReverificationRequired(new Error('x'))).toBe(false)
  })

  it('runs the action again after complete(), once', async () => {
    const fetcher = vi.fn<() => Promise<Result<string>>>().mockResolvedValueOnce(needed()).mockResolvedValueOnce({ data: 'ok', error: null })
    const onNeeds = vi.fn((p: { level: unknown; complete: () => void }) => {
      expect(p.level).toBeUndefined()
      p.complete()
    })
    expect(await runWithReverification(fetcher, onNeeds)).toEqual({ data: 'ok', error: null })
    expect(fetcher).toHaveBeenCalledTimes(2)
    expect(onNeeds).toHaveBeenCalledTimes(1)
  })

  it('returns the first outcome after cancel(), and as it is without a handler or without the error', async () => {
    const first = needed()
    const fetcher = vi.fn(async () => first)
    expect(await runWithReverification(fetcher, (p) => p.cancel())).toBe(first)
    expect(fetcher).toHaveBeenCalledTimes(1)
    expect(await runWithReverification(fetcher)).toBe(first)

    const onNeeds = vi.fn()
    expect(await runWithReverification(async () => ({ data: 'x', error: null }), onNeeds)).toEqual({ data: 'x', error: null })
    expect(onNeeds).not.toHaveBeenCalled()
  })

  it('handles a thrown error like a returned one, and passes meta.level on', async () => {
    const err = new TrustgateAPIResponseError([{ code: 'session_reverification_required', message: 'x', longMessage: 'x', meta: { level: 'multi_factor' } }])
    let calls = 0
    const fetcher = async () => {
      if (calls++ === 0) throw err
      return 'done'
    }
    const levels: unknown[] = []
    expect(await runWithReverification(fetcher, (p) => (levels.push(p.level), p.complete()))).toBe('done')
    expect(levels).toEqual(['multi_factor'])
    calls = 0
    await expect(runWithReverification(fetcher, (p) => p.cancel())).rejects.toBe(err)
  })
})
