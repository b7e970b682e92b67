import { act, render, renderHook, waitFor } from '@testing-library/react'
import type { ReactNode } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createClient, RedirectToSignIn, SignIn, SignUp, TrustgateProvider, type TrustgateClient } from '@trustgate/react'
import { createClerk, isClerkAPIResponseError, LegacySignUp, useClerk, useSignUp } from '@trustgate/react/legacy'
import { complete, emptyClient, fakeServer, gqlError, needsSecondFactor, signUp, tokenReply, type Handler } from '../test/fakeServer'

// The legacy entries (sdk/legacy.ts, sdk/reactLegacy.ts) beyond what seed 004 uses (examples/seed004.test.tsx), and
// the hosted-page helpers' return URLs.

const AUTH = 'https://auth.example.com'

function clientWith(handlers: Record<string, Handler | Handler[]>) {
  const server = fakeServer(handlers)
  const client = createClient({ fetch: server.fetch, url: AUTH, publishableKey: 'pk_test', keepSessionAlive: false })
  return { server, client }
}

function provider(client: TrustgateClient) {
  return ({ children }: { children?: ReactNode }) => (
    <TrustgateProvider client={client} load={false}>
      {children}
    </TrustgateProvider>
  )
}

const originalLocation = window.location

/** watchNavigation puts the page at `href` and records `window.location.assign`. */
function watchNavigation(href: string) {
  const assign = vi.fn()
  const url = new URL(href)
  Object.defineProperty(window, 'location', {
    configurable: true,
    value: { href: url.href, origin: url.origin, pathname: url.pathname, search: url.search, hash: url.hash, assign },
  })
  return assign
}

afterEach(() => {
  Object.defineProperty(window, 'location', { configurable: true, value: originalLocation })
})

describe('LegacySignUp (useSignUp() of @trustgate/react/legacy)', () => {
  it('create / prepareEmailAddressVerification / attemptEmailAddressVerification resolve to the sign-up, then setActive', async () => {
    const { server, client } = clientWith({
      SignUpCreate: () => ({ data: { signUpCreate: signUp() } }),
      SignUpPrepareVerification: () => ({ data: { signUpPrepareVerification: signUp() } }),
      SignUpAttemptVerification: () => ({
        data: { signUpAttemptVerification: signUp({ status: 'complete', unverifiedFields: [], createdUserId: 'user_1', createdSessionId: 'sess_1' }) },
      }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    const { result } = renderHook(() => useSignUp(), { wrapper: provider(client) })
    const { isLoaded, signUp: resource, setActive } = result.current
    expect(isLoaded).toBe(false)
    expect(resource).toBe(result.current)
    expect(resource).toBeInstanceOf(LegacySignUp)
    let done: LegacySignUp | undefined
    await act(async () => {
      const created = await resource.create({ emailAddress: 'jane@example.com', password: 'pw' })
      expect(created.unverifiedFields).toEqual(['email_address'])
      await created.prepareEmailAddressVerification({ strategy: 'email_code' })
      done = await created.attemptEmailAddressVerification({ code: '123456' })
      await setActive({ session: done.createdSessionId! })
    })
    expect(done).toBe(result.current)
    expect(result.current.status).toBe('complete')
    expect(result.current.createdUserId).toBe('user_1')
    expect(client.session?.id).toBe('sess_1')
    expect(server.ops()).toEqual(['SignUpCreate', 'SignUpPrepareVerification', 'SignUpAttemptVerification', 'SessionTokenCreate'])
    expect(server.last('SignUpAttemptVerification')!.variables).toEqual({ id: 'sua_1', strategy: 'email_code', code: '123456' })
  })

  it('a wrong code rejects; the modern resource underneath holds the same error for its hook', async () => {
    const { client } = clientWith({
      SignUpCreate: () => ({ data: { signUpCreate: signUp({ unverifiedFields: ['phone_number'] }) } }),
      SignUpAttemptVerification: () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
    })
    const clerk = createClerk(client)
    await clerk.client.signUp.create({ phoneNumber: '+15551234567' })
    const err: unknown = await clerk.client.signUp.attemptPhoneNumberVerification({ code: '000000' }).catch((e: unknown) => e)
    expect(isClerkAPIResponseError(err)).toBe(true)
    expect((err as { errors: { code: string }[] }).errors[0]!.code).toBe('form_code_incorrect')
    expect(client.signUp.__errors.fields.code?.code).toBe('form_code_incorrect')
  })
})

describe('createClerk() / useClerk() of the legacy entries', () => {
  it('useClerk() is the window.Clerk object of the provider\'s client, its methods bound', async () => {
    const { server, client } = clientWith({ SignOut: () => gqlError('internal_error', 'Boom') })
    const { result } = renderHook(() => useClerk(), { wrapper: provider(client) })
    expect(result.current).toBe(createClerk(client))
    expect(result.current.trustgate).toBe(client)
    const { signOut, redirectToSignIn } = result.current
    await expect(signOut()).rejects.toMatchObject({ errors: [{ code: 'internal_error' }] })
    const assign = watchNavigation('https://app.example.com/p')
    await redirectToSignIn({ redirectUrl: 'https://app.example.com/done' })
    expect(assign).toHaveBeenCalledWith(`${AUTH}/sign-in?publishableKey=pk_test&redirect_url=${encodeURIComponent('https://app.example.com/done')}`)
    expect(server.ops()).toEqual(['SignOut'])
  })

  it('signOut(callback) and signOut({ redirectUrl }) run after the sign-out; load() rejects with the error', async () => {
    const assign = watchNavigation('https://app.example.com/p')
    const { client } = clientWith({
      SignOut: () => ({ data: { signOut: true } }),
      Client: () => gqlError('permission_denied', 'This origin may not call the API'),
    })
    const clerk = createClerk(client)
    const after = vi.fn()
    await clerk.signOut(after)
    expect(after).toHaveBeenCalledTimes(1)
    await clerk.signOut({ redirectUrl: '/bye' })
    expect(assign).toHaveBeenCalledWith('/bye')
    await expect(clerk.load()).rejects.toMatchObject({ errors: [{ code: 'permission_denied' }] })
  })

  it('addListener is told now when loaded, and after each change, until removed', async () => {
    const { client } = clientWith({
      Client: () => emptyClient(),
      SignInCreate: () => ({ data: { signInCreate: needsSecondFactor() } }),
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
    })
    const clerk = createClerk(client)
    const early = vi.fn()
    clerk.addListener(early)
    expect(early).not.toHaveBeenCalled()
    await clerk.load()
    expect(clerk.loaded).toBe(true)
    expect(early).toHaveBeenCalled()
    const listener = vi.fn()
    const remove = clerk.addListener(listener)
    expect(listener).toHaveBeenCalledTimes(1)
    expect(listener.mock.calls[0]![0]).toEqual({ client: clerk.client, session: null, user: null })
    await clerk.client.signIn.create({ identifier: 'jane@example.com', password: 'pw' })
    const seen = listener.mock.calls.length
    expect(seen).toBeGreaterThan(1)
    remove()
    await clerk.client.signIn.attemptSecondFactor({ strategy: 'totp', code: '123456' })
    expect(listener.mock.calls.length).toBe(seen)
    expect(clerk.client.signIn.status).toBe('complete')
  })

  it('setActive takes a session or its id; none rejects without a request', async () => {
    const { server, client } = clientWith({ SessionTokenCreate: () => tokenReply('jwt_1') })
    const clerk = createClerk(client)
    await clerk.setActive({ session: { id: 'sess_1' } })
    expect(clerk.session?.id).toBe('sess_1')
    expect(clerk.client.lastActiveSessionId).toBe('sess_1')
    await expect(clerk.setActive({ session: '' })).rejects.toMatchObject({ errors: [{ code: 'form_param_missing' }] })
    expect(server.ops()).toEqual(['SessionTokenCreate'])
  })

  it('mountSignUp / openSignUp go to the hosted sign-up page; unmount and close do nothing', () => {
    const assign = watchNavigation('https://app.example.com/join?redirect_url=%2Fwelcome')
    const clerk = createClerk({ url: AUTH })
    clerk.mountSignUp(null)
    clerk.openSignUp({ redirectUrl: 'https://app.example.com/x' })
    clerk.unmountSignIn()
    clerk.closeSignUp()
    expect(assign.mock.calls).toEqual([
      [`${AUTH}/sign-up?redirect_url=${encodeURIComponent('https://app.example.com/welcome')}`],
      [`${AUTH}/sign-up?redirect_url=${encodeURIComponent('https://app.example.com/x')}`],
    ])
  })
})

describe('hosted-page components: where the user comes back to', () => {
  it('<RedirectToSignIn redirectUrl/> comes back there, made absolute', async () => {
    const assign = watchNavigation('https://app.example.com/p')
    const { client } = clientWith({})
    render(<RedirectToSignIn redirectUrl="/orders?id=1" />, { wrapper: provider(client) })
    await waitFor(() => expect(assign).toHaveBeenCalledTimes(1))
    expect(assign).toHaveBeenCalledWith(`${AUTH}/sign-in?publishableKey=pk_test&redirect_url=${encodeURIComponent('https://app.example.com/orders?id=1')}`)
  })

  it('<SignIn/> comes back to the current page\'s ?redirect_url= when it has one; <SignUp/> as well', async () => {
    const assign = watchNavigation('https://app.example.com/sign-in?redirect_url=https%3A%2F%2Fapp.example.com%2Fcart')
    const { client } = clientWith({})
    render(
      <>
        <SignIn />
        <SignUp redirectUrl="https://app.example.com/new" />
      </>,
      { wrapper: provider(client) },
    )
    await waitFor(() => expect(assign).toHaveBeenCalledTimes(2))
    expect(assign).toHaveBeenCalledWith(`${AUTH}/sign-in?publishableKey=pk_test&redirect_url=${encodeURIComponent('https://app.example.com/cart')}`)
    expect(assign).toHaveBeenCalledWith(`${AUTH}/sign-up?publishableKey=pk_test&redirect_url=${encodeURIComponent('https://app.example.com/new')}`)
  })
})
