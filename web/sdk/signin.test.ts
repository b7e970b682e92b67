import { describe, expect, it } from 'vitest'
import {
  BACKUP_FACTOR,
  complete,
  deferred,
  EMAIL_FACTOR,
  emptyClient,
  fakeServer,
  gqlError,
  needsClientTrust,
  needsSecondFactor,
  PHONE_FACTOR,
  signIn as signInJSON,
  signedInClient,
  tick,
  TOTP_FACTOR,
  tokenReply,
  user,
  type Reply,
} from '../test/fakeServer'
import { createClient, type TrustgateClient } from './client'
import { isClerkAPIResponseError, isTrustgateAPIResponseError } from './errors'
import type { EmailCodeFactor } from './types'

// The second-factor steps as Clerk's guides call them: seed 000 (Client Trust) and seed 004 (MFA, 2021) use the
// classic `prepareSecondFactor()` / `attemptSecondFactor()`, seed 003 the first-factor steps, seed 001 `signIn.mfa.*`.

describe('second factors through the SignInFuture helpers (seeds 001 / 003)', () => {
  it('needs_second_factor: sends the SMS code, then TOTP completes the sign-in', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: needsSecondFactor([TOTP_FACTOR, PHONE_FACTOR, BACKUP_FACTOR]) } }),
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsSecondFactor() } }),
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
    })
    const { signIn } = createClient({ fetch: server.fetch })
    await signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
    expect(signIn.status).toBe('needs_second_factor')
    expect(signIn.supportedSecondFactors.map((f) => f.strategy)).toEqual(['totp', 'phone_code', 'backup_code'])
    expect((await signIn.mfa.sendPhoneCode()).error).toBeNull()
    expect((await signIn.mfa.verifyTOTP({ code: '123456' })).error).toBeNull()
    expect(signIn.status).toBe('complete')
    expect(server.last('SignInAttemptSecondFactor')!.variables.input).toEqual({ strategy: 'totp', code: '123456' })
  })

  it('seed 003 custom flow steps 1-3: create(identifier), prepareFirstFactor, attemptFirstFactor', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: signInJSON({ supportedFirstFactors: [EMAIL_FACTOR] }) } }),
      SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: signInJSON({ supportedFirstFactors: [EMAIL_FACTOR] }) } }),
      SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: needsSecondFactor([TOTP_FACTOR]) } }),
    })
    const { signIn } = createClient({ fetch: server.fetch })
    await signIn.create({ identifier: 'jane@example.com' })
    const f = signIn.supportedFirstFactors.find((x): x is EmailCodeFactor => x.strategy === 'email_code')!
    await signIn.prepareFirstFactor({ strategy: 'email_code', emailAddressId: f.emailAddressId })
    await signIn.attemptFirstFactor({ strategy: 'email_code', code: '111111' })
    expect(signIn.status).toBe('needs_second_factor')
    expect(server.last('SignInPrepareFirstFactor')!.variables.input).toEqual({ strategy: 'email_code', emailAddressId: 'ema_1' })
    expect(server.last('SignInAttemptFirstFactor')!.variables.input).toEqual({ strategy: 'email_code', code: '111111' })
  })
})

describe('prepareSecondFactor() / attemptSecondFactor() (Clerk classic, seeds 000 and 004)', () => {
  // Seed 000's Client Trust steps 3 and 5, as clerk.md §2.4 gives the legacy flow.
  async function clientTrustFlow(client: TrustgateClient, code: string) {
    const signIn = client.signIn
    await signIn.create({ identifier: 'jane@example.com', password: 'pw' })
    if (signIn.status === 'needs_client_trust') {
      const f = signIn.supportedSecondFactors.find((f) => f.strategy === 'email_code')
      if (f && f.strategy === 'email_code') {
        await signIn.prepareSecondFactor({ strategy: 'email_code', emailAddressId: f.emailAddressId })
        await signIn.attemptSecondFactor({ strategy: 'email_code', code })
      }
    }
  }

  it('seed 000: complete a needs_client_trust sign-in, sending the listed address and the code', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: needsClientTrust(EMAIL_FACTOR) } }),
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } }),
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
    })
    const client = createClient({ fetch: server.fetch })
    await clientTrustFlow(client, '123456')
    expect(client.signIn.status).toBe('complete')
    expect(client.signIn.createdSessionId).toBe('sess_1')
    expect(server.last('SignInPrepareSecondFactor')!.variables).toEqual({
      id: 'sia_1',
      input: { strategy: 'email_code', emailAddressId: 'ema_1' },
    })
    expect(server.last('SignInAttemptSecondFactor')!.variables).toEqual({
      id: 'sia_1',
      input: { strategy: 'email_code', code: '123456' },
    })
  })

  it('seed 004 (ClerkJS tab): create, then prepareSecondFactor({ strategy }) with no id, then attemptSecondFactor', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: needsSecondFactor([PHONE_FACTOR]) } }),
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsSecondFactor([PHONE_FACTOR]) } }),
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
    })
    const { client } = { client: createClient({ fetch: server.fetch }) } // the guide's `const { client } = window.Clerk`

    // The guide's `const signIn = await client.signIn.create(...)` is Clerk's classic API, where methods resolve to
    // the sign-in. Here, as in Clerk's SignInFuture, they resolve to `{ error }` and `client.signIn` is updated in
    // place, so the sign-in is read from the client. The rest is the guide's code.
    await client.signIn.create({
      identifier: 'user@example.com',
      password: '**********',
    })
    const signIn = client.signIn

    await signIn.prepareSecondFactor({
      strategy: 'phone_code',
    })

    await signIn.attemptSecondFactor({
      strategy: 'phone_code',
      code: '123456',
    })

    expect(server.ops()).toEqual(['SignInCreate', 'SignInPrepareSecondFactor', 'SignInAttemptSecondFactor'])
    expect(server.last('SignInPrepareSecondFactor')!.variables.input).toEqual({ strategy: 'phone_code' })
    expect(signIn.status).toBe('complete')
  })

  // Not ported from seed 004: its React tab's `const signIn = useSignIn()` (the hook returning the sign-in itself)
  // and `<RedirectToSignIn/>`, `<RedirectToSignUp/>`, `useClerk().redirectToSignIn()` and `<SignIn/>`. They are
  // Clerk's 2021 React API, which Clerk has since dropped (useSignIn() returns { signIn, errors, fetchStatus }), and
  // trustgate's hosted pages are plain URLs rather than prebuilt components.

  it('resolves a wrong code to { error } on errors.fields.code and keeps the status', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: needsClientTrust(EMAIL_FACTOR) } }),
      SignInAttemptSecondFactor: () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
    })
    const { signIn } = createClient({ fetch: server.fetch })
    await signIn.create({ identifier: 'jane@example.com', password: 'pw' })
    const { error } = await signIn.attemptSecondFactor({ strategy: 'email_code', code: '000000' })
    expect(error?.code).toBe('form_code_incorrect')
    expect(signIn.__errors.fields.code?.message).toBe('Incorrect code')
    expect(signIn.status).toBe('needs_client_trust')
  })

  it('without a sign-in, fail with sign_in_missing and send nothing', async () => {
    const server = fakeServer({})
    const { signIn } = createClient({ fetch: server.fetch })
    expect((await signIn.prepareSecondFactor({ strategy: 'phone_code' })).error?.code).toBe('sign_in_missing')
    expect((await signIn.attemptSecondFactor({ strategy: 'totp', code: '123456' })).error?.code).toBe('sign_in_missing')
    expect(server.calls).toHaveLength(0)
  })
})

describe('isClerkAPIResponseError', () => {
  it('is isTrustgateAPIResponseError under Clerk’s name, so ported error handling keeps its import', async () => {
    const server = fakeServer({ SignInCreate: () => gqlError('form_password_incorrect', 'Password is incorrect.', 'password') })
    const { signIn } = createClient({ fetch: server.fetch })
    const { error } = await signIn.password({ emailAddress: 'jane@example.com', password: 'wrong' })
    expect(isClerkAPIResponseError).toBe(isTrustgateAPIResponseError)
    expect(isClerkAPIResponseError(error)).toBe(true)
    expect(isClerkAPIResponseError(new Error('x'))).toBe(false)
  })
})

/** atClientTrust signs in with a password up to needs_client_trust; `handlers` answer the later steps. */
async function atClientTrust(handlers: Parameters<typeof fakeServer>[0] = {}) {
  const server = fakeServer({
    SignInCreate: () => ({ data: { signInCreate: needsClientTrust(EMAIL_FACTOR) } }),
    SessionTokenCreate: () => tokenReply('jwt_1'),
    ...handlers,
  })
  const client = createClient({ fetch: server.fetch })
  await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
  expect(client.signIn.status).toBe('needs_client_trust')
  return { server, client }
}

// The guide pages never disable "I need a new code" or "Start over", so any call can be overtaken by another.
describe('sign-in answers that arrive late', () => {
  it('"Start over" (reset) while "I need a new code" is on its way stays reset: the late answer is dropped', async () => {
    const held = deferred<Reply>()
    const { client } = await atClientTrust({ SignInPrepareSecondFactor: () => held.promise })
    const sending = client.signIn.mfa.sendEmailCode()
    await tick()
    await client.signIn.reset()
    expect(client.signIn.status).toBe('needs_identifier')
    held.resolve({ data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } })
    expect((await sending).error).toBeNull()
    expect(client.signIn.status).toBe('needs_identifier')
    expect(client.signIn.id).toBeUndefined()
  })

  it('a late error after reset() does not show up in the fresh form either', async () => {
    const held = deferred<Reply>()
    const { client } = await atClientTrust({ SignInAttemptSecondFactor: () => held.promise })
    const verifying = client.signIn.mfa.verifyEmailCode({ code: '000000' })
    await tick()
    await client.signIn.reset()
    held.resolve(gqlError('form_code_incorrect', 'Incorrect code', 'code'))
    expect((await verifying).error?.code).toBe('form_code_incorrect') // the caller still gets its own outcome
    expect(client.signIn.__errors.fields.code).toBeNull()
  })

  it('a slow resend answering after a fast successful verify does not roll complete back', async () => {
    const held = deferred<Reply>()
    const { client } = await atClientTrust({
      SignInPrepareSecondFactor: () => held.promise,
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
    })
    const resend = client.signIn.mfa.sendEmailCode()
    await tick()
    await client.signIn.mfa.verifyEmailCode({ code: '123456' })
    expect(client.signIn.status).toBe('complete')
    held.resolve({ data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } })
    await resend
    expect(client.signIn.status).toBe('complete')
    expect(client.signIn.createdSessionId).toBe('sess_1')
    expect((await client.signIn.finalize()).error).toBeNull()
  })

  it('a verify that completes after a resend started later still completes: complete is final on the server', async () => {
    const held = deferred<Reply>()
    const { client } = await atClientTrust({
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } }),
      SignInAttemptSecondFactor: () => held.promise,
    })
    const verifying = client.signIn.mfa.verifyEmailCode({ code: '123456' }) // "Verify", slow
    await client.signIn.mfa.sendEmailCode() // then "I need a new code", answered first
    expect(client.signIn.clientTrustState).toBe('pending')
    held.resolve({ data: { signInAttemptSecondFactor: complete() } })
    await verifying
    expect(client.signIn.status).toBe('complete') // the guide's handleVerify goes on to finalize()
    expect(client.signIn.createdSessionId).toBe('sess_1')
  })

  it('answers in the order they were sent apply in that order', async () => {
    const { client } = await atClientTrust({
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } }),
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
    })
    await client.signIn.mfa.sendEmailCode()
    expect(client.signIn.clientTrustState).toBe('pending')
    await client.signIn.mfa.verifyEmailCode({ code: '123456' })
    expect(client.signIn.status).toBe('complete')
  })
})

describe('fetchStatus', () => {
  it('stays "fetching" while any call is in flight, not only the last one started', async () => {
    const held = deferred<Reply>()
    const { client } = await atClientTrust({
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } }),
      SignInAttemptSecondFactor: () => held.promise,
    })
    const verifying = client.signIn.mfa.verifyEmailCode({ code: '123456' }) // slow
    await client.signIn.mfa.sendEmailCode() // fast, finishes first
    // The guide's <button type="submit" disabled={fetchStatus === 'fetching'}>Verify</button> must stay disabled.
    expect(client.signIn.__fetchStatus).toBe('fetching')
    held.resolve({ data: { signInAttemptSecondFactor: complete() } })
    await verifying
    expect(client.signIn.__fetchStatus).toBe('idle')
    expect(client.signIn.status).toBe('complete')
  })

  it('is "idle" right after reset(), though a call from before it is still on its way', async () => {
    const held = deferred<Reply>()
    const { client } = await atClientTrust({ SignInPrepareSecondFactor: () => held.promise })
    const sending = client.signIn.mfa.sendEmailCode()
    expect(client.signIn.__fetchStatus).toBe('fetching')
    await client.signIn.reset()
    expect(client.signIn.__fetchStatus).toBe('idle') // "Start over" shows a usable form at once
    held.resolve({ data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } })
    await sending
    expect(client.signIn.__fetchStatus).toBe('idle')
  })
})

describe('finalize()', () => {
  it('a navigate callback that throws resolves to { error } like every other method; the session stays active', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    const client = createClient({ fetch: server.fetch })
    await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
    const outcome = await client.signIn
      .finalize({
        navigate: () => {
          throw new Error('router exploded')
        },
      })
      .then(
        (r) => ({ resolved: r.error?.code ?? null, message: r.error?.message }),
        (e: Error) => ({ rejected: e.message }),
      )
    expect(outcome).toEqual({ resolved: 'unexpected_error', message: 'router exploded' })
    expect(client.signIn.__errors.global?.[0]?.message).toBe('router exploded')
    expect(client.signIn.__fetchStatus).toBe('idle')
    expect(client.session?.id).toBe('sess_1')
  })

  it('stays fetching until an asynchronous navigate is done, and reports its rejection', async () => {
    const server = fakeServer({
      SignUpCreate: () => ({ data: { signUpCreate: { id: 'sua_1', status: 'complete', unverifiedFields: [], createdUserId: 'user_1', createdSessionId: 'sess_1' } } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    const client = createClient({ fetch: server.fetch })
    await client.signUp.create({ emailAddress: 'jane@example.com', password: 'pw' })
    const navigating = deferred<void>()
    let during: string | null = null
    const finalizing = client.signUp.finalize({
      navigate: async () => {
        during = client.signUp.__fetchStatus
        await navigating.promise
        throw new Error('route not found')
      },
    })
    await tick()
    expect(during).toBe('fetching')
    navigating.resolve()
    expect((await finalizing).error?.message).toBe('route not found')
    expect(client.signUp.__fetchStatus).toBe('idle')
  })
})

describe('reload()', () => {
  const clientWith = (signIn: ReturnType<typeof signInJSON> | null, sessions: Reply = emptyClient()) => (): Reply => ({
    data: { client: { ...(sessions.data!.client as object), signIn } },
  })

  it('reads the sign-in again from the server and takes the step it is at now (its code used in another tab)', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: needsClientTrust(EMAIL_FACTOR, 'pending') } }),
      SignInPrepareSecondFactor: () => gqlError('verification_already_verified', 'Already verified.', 'strategy'),
      Client: clientWith(needsSecondFactor([TOTP_FACTOR])),
    })
    const client = createClient({ fetch: server.fetch })
    const { signIn } = client
    await signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
    expect((await signIn.mfa.sendEmailCode()).error?.code).toBe('verification_already_verified')

    expect(await signIn.reload()).toEqual({ error: null })
    expect(signIn.status).toBe('needs_second_factor')
    expect(signIn.supportedSecondFactors.map((f) => f.strategy)).toEqual(['totp'])
    expect(signIn.__errors.raw).toBeNull()
    expect(server.ops()).toEqual(['SignInCreate', 'SignInPrepareSecondFactor', 'Client'])
  })

  it('forgets a sign-in the server no longer has as current, and the client takes the session it completed with', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: needsClientTrust(EMAIL_FACTOR, 'pending') } }),
      // Completed in another tab: the client lists no sign-in, and the session it created is the active one.
      Client: clientWith(null, signedInClient()),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
    })
    const client = createClient({ fetch: server.fetch })
    await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })

    expect(await client.signIn.reload()).toEqual({ error: null })
    expect(client.signIn.id).toBeUndefined()
    expect(client.session?.id).toBe('sess_1')
    expect(client.user?.id).toBe('user_1')
  })

  it('keeps a newer sign-in of this client (another tab began one) out: the one reloaded is forgotten', async () => {
    const server = fakeServer({
      SignInCreate: () => ({ data: { signInCreate: needsClientTrust(EMAIL_FACTOR, 'pending') } }),
      Client: clientWith(signInJSON({ id: 'sia_2' })),
    })
    const { signIn } = createClient({ fetch: server.fetch })
    await signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
    expect(await signIn.reload()).toEqual({ error: null })
    expect(signIn.id).toBeUndefined()
  })

  it('without a sign-in, fails with sign_in_missing and sends nothing', async () => {
    const server = fakeServer({})
    const { signIn } = createClient({ fetch: server.fetch })
    expect((await signIn.reload()).error?.code).toBe('sign_in_missing')
    expect(server.ops()).toEqual([])
  })
})
