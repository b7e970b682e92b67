import { act, render, renderHook, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState, type ReactNode } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as modern from '@trustgate/react'
import { createClient, SignInFuture, TrustgateProvider, type TrustgateClient } from '@trustgate/react'
import * as legacy from '@trustgate/react/legacy'
import { createClerk, isClerkAPIResponseError, LegacySignIn, useSignIn } from '@trustgate/react/legacy'
import {
  complete,
  emptyClient,
  fakeServer,
  gqlError,
  needsSecondFactor,
  PHONE_FACTOR,
  tokenReply,
  type Handler,
} from '../test/fakeServer'
// @ts-ignore -- the seed's code is plain JSX, as the guide prints it (tsconfig has no allowJs)
import SignInPage from './clerk-react-2021/SignInPage.jsx'
// @ts-ignore -- plain JSX, as above
import SignInComponentPage from './clerk-react-2021/SignInComponent.jsx'
// @ts-ignore -- plain JS, as above
import { components as clerkJsComponents, hostedPages as clerkJsHostedPages, run as clerkJsCustomFlow } from './clerk-react-2021/clerkjs.js'
// @ts-ignore -- plain JSX, as above
import { MyButtonRedirect, MyRedirectToSignIn, MyRedirectToSignUp } from './clerk-react-2021/Redirects.jsx'

// Seed 004 (Clerk's 2021 MFA overview) run against the SDK, its code verbatim but for the import lines
// (@clerk/clerk-react -> @trustgate/react/legacy) and, for ClerkJS, `window.Clerk = createClerk(...)` where the guide
// loads clerk.js (CONTRACT.md: "a frontend written the way Clerk's guides show ports to us by swapping the SDK
// import"; seeds/README.md: "a frontend written the way these guides show must work ... through our TypeScript SDK").
// Clerk's older API, whose methods resolve to the resource and reject with the error, is @trustgate/react/legacy
// and @trustgate/js/legacy; @trustgate/react keeps Clerk's newest API, as the last tests here check.

const AUTH = 'https://auth.example.com'
const PAGE = 'https://app.example.com/dashboard?tab=mfa'
const HERE = encodeURIComponent(PAGE)

function mfaServer(overrides: Record<string, Handler | Handler[]> = {}) {
  return fakeServer({
    SignInCreate: () => ({ data: { signInCreate: needsSecondFactor([PHONE_FACTOR]) } }),
    SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsSecondFactor([PHONE_FACTOR]) } }),
    SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
    ...overrides,
  })
}

const wrongPassword = () => gqlError('form_password_incorrect', 'Password is incorrect. Try again, or use another method.', 'password')

function clientFor(server: ReturnType<typeof fakeServer>): TrustgateClient {
  return createClient({ fetch: server.fetch, url: AUTH, publishableKey: 'pk_test', keepSessionAlive: false })
}

function provider(client: TrustgateClient, load = false) {
  return ({ children }: { children?: ReactNode }) => (
    <TrustgateProvider client={client} load={load}>
      {children}
    </TrustgateProvider>
  )
}

/** watchNavigation puts the page at PAGE and records the full-page navigations (`window.location.assign`). */
function watchNavigation() {
  const assign = vi.fn()
  const url = new URL(PAGE)
  Object.defineProperty(window, 'location', {
    configurable: true,
    value: { href: url.href, origin: url.origin, pathname: url.pathname, search: url.search, hash: '', assign },
  })
  return assign
}

const originalLocation = window.location

afterEach(() => {
  delete (window as unknown as { Clerk?: unknown }).Clerk
  Object.defineProperty(window, 'location', { configurable: true, value: originalLocation })
  document.body.innerHTML = ''
})

/** unhandled collects the promise rejections nobody handled while `body` runs (the seed's onClick has no catch). */
async function unhandled(body: () => Promise<void>): Promise<unknown[]> {
  const thrown: unknown[] = []
  const onRejection = (e: unknown) => thrown.push(e)
  process.on('unhandledRejection', onRejection)
  try {
    await body()
    await new Promise((r) => setTimeout(r, 0))
  } finally {
    process.off('unhandledRejection', onRejection)
  }
  return thrown
}

describe('seed 004 "Custom flow", ClerkJS tab, verbatim', () => {
  it('`const signIn = await client.signIn.create(...)` then `signIn.prepareSecondFactor` / `attemptSecondFactor` complete the sign-in', async () => {
    const server = mfaServer()
    const clerk = createClerk({ fetch: server.fetch, keepSessionAlive: false })
    ;(window as unknown as { Clerk: unknown }).Clerk = clerk // where the guide loads clerk.js
    await expect(clerkJsCustomFlow()).resolves.toBeUndefined()
    expect(server.ops()).toEqual(['SignInCreate', 'SignInPrepareSecondFactor', 'SignInAttemptSecondFactor'])
    expect(server.last('SignInCreate')!.variables).toEqual({ input: { identifier: 'user@example.com', password: '**********' } })
    expect(server.last('SignInPrepareSecondFactor')!.variables).toEqual({ id: 'sia_1', input: { strategy: 'phone_code' } })
    expect(server.last('SignInAttemptSecondFactor')!.variables).toEqual({ id: 'sia_1', input: { strategy: 'phone_code', code: '123456' } })
    expect(clerk.client.signIn.status).toBe('complete')
    expect(clerk.client.signIn.createdSessionId).toBe('sess_1')
    // The same state as the @trustgate/js client underneath: one sign-in, two views.
    expect(clerk.trustgate.signIn.status).toBe('complete')
  })

  it('create() resolves to the sign-in, its fields those of the modern resource', async () => {
    const server = mfaServer()
    const clerk = createClerk({ fetch: server.fetch, keepSessionAlive: false })
    const signIn = await clerk.client.signIn.create({ identifier: 'user@example.com', password: 'pw' })
    expect(signIn).toBeInstanceOf(LegacySignIn)
    expect(signIn).toBe(clerk.client.signIn)
    expect(signIn.status).toBe('needs_second_factor')
    expect(signIn.supportedSecondFactors).toEqual([
      { strategy: 'phone_code', safeIdentifier: '+1******4567', phoneNumberId: 'phn_1', primary: true },
    ])
    expect(signIn.firstFactorVerification?.status).toBe('verified')
    expect(signIn.clientTrustState).toBeNull()
    expect(signIn.createdSessionId).toBeNull()
    expect(JSON.parse(JSON.stringify(signIn))).toEqual(JSON.parse(JSON.stringify(clerk.trustgate.signIn)))
  })

  it('a wrong password rejects with Clerk\'s error shape, and the flow stops there', async () => {
    const server = mfaServer({ SignInCreate: wrongPassword })
    ;(window as unknown as { Clerk: unknown }).Clerk = createClerk({ fetch: server.fetch, keepSessionAlive: false })
    const err: any = await clerkJsCustomFlow().then(
      () => null,
      (e: unknown) => e,
    )
    expect(isClerkAPIResponseError(err)).toBe(true)
    expect(err.errors[0]).toEqual({
      code: 'form_password_incorrect',
      message: 'Password is incorrect. Try again, or use another method.',
      longMessage: 'Password is incorrect. Try again, or use another method. (long)',
      meta: { paramName: 'password' },
    })
    expect(server.ops()).toEqual(['SignInCreate'])
  })

  it('a wrong code rejects attemptSecondFactor with form_code_incorrect; the sign-in stays at needs_second_factor', async () => {
    const server = mfaServer({ SignInAttemptSecondFactor: () => gqlError('form_code_incorrect', 'Incorrect code', 'code') })
    const clerk = createClerk({ fetch: server.fetch, keepSessionAlive: false })
    ;(window as unknown as { Clerk: unknown }).Clerk = clerk
    await expect(clerkJsCustomFlow()).rejects.toMatchObject({ errors: [{ code: 'form_code_incorrect', meta: { paramName: 'code' } }] })
    expect(clerk.client.signIn.status).toBe('needs_second_factor')
  })
})

describe('seed 004 "Custom flow", Clerk React tab, verbatim', () => {
  it('`const signIn = useSignIn()` then signIn.create / prepareSecondFactor / attemptSecondFactor', async () => {
    const server = mfaServer()
    const client = clientFor(server)
    const thrown = await unhandled(async () => {
      render(
        <TrustgateProvider client={client} load={false}>
          <SignInPage />
        </TrustgateProvider>,
      )
      await userEvent.setup().click(screen.getByRole('button', { name: 'Sign in with MFA' }))
      await waitFor(() => expect(client.signIn.status).toBe('complete'))
    })
    expect(thrown).toEqual([])
    expect(server.ops()).toEqual(['SignInCreate', 'SignInPrepareSecondFactor', 'SignInAttemptSecondFactor'])
    expect(server.last('SignInCreate')!.variables).toEqual({ input: { identifier: 'user@example.com', password: '********' } })
  })

  it('a wrong password: signIn.create() rejects with err.errors[0].code form_password_incorrect, a ClerkAPIResponseError', async () => {
    const server = mfaServer({ SignInCreate: wrongPassword })
    const { result } = renderHook(() => useSignIn(), { wrapper: provider(clientFor(server)) })
    let err: any = null
    await act(async () => {
      await result.current.create({ identifier: 'user@example.com', password: 'wrong' }).catch((e: unknown) => (err = e))
    })
    expect(isClerkAPIResponseError(err)).toBe(true)
    expect(err.errors[0].code).toBe('form_password_incorrect')
    expect(err.errors[0].longMessage).toBe('Password is incorrect. Try again, or use another method. (long)')
    expect(err.errors[0].meta.paramName).toBe('password')
    expect(result.current.status).toBe('needs_identifier')
  })
})

describe('Clerk React v2–v5 shape: `const { isLoaded, signIn, setActive } = useSignIn()`', () => {
  // Clerk's v5 custom flow for a user with SMS MFA, as its guides wrote it.
  function V5SignIn() {
    const { isLoaded, signIn, setActive } = useSignIn()
    const [error, setError] = useState('')
    if (!isLoaded) return <p>Loading</p>
    async function submit(password: string) {
      try {
        await signIn.create({ identifier: 'user@example.com', password })
        if (signIn.status === 'needs_second_factor') {
          await signIn.prepareSecondFactor({ strategy: 'phone_code' })
          const attempt = await signIn.attemptSecondFactor({ strategy: 'phone_code', code: '123456' })
          if (attempt.status === 'complete') await setActive({ session: attempt.createdSessionId! })
        }
      } catch (err) {
        if (isClerkAPIResponseError(err)) setError(err.errors[0]!.longMessage)
      }
    }
    return (
      <>
        <p>status: {signIn.status}</p>
        {error && <p role="alert">{error}</p>}
        <button onClick={() => void submit('wrong')}>Wrong password</button>
        <button onClick={() => void submit('right')}>Sign in</button>
      </>
    )
  }

  it('waits for isLoaded, shows the errors it catches, completes and activates the session; re-renders on each change', async () => {
    const server = mfaServer({
      Client: () => emptyClient(),
      SignInCreate: [wrongPassword, () => ({ data: { signInCreate: needsSecondFactor([PHONE_FACTOR]) } })],
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    const client = clientFor(server)
    render(
      <TrustgateProvider client={client}>
        <V5SignIn />
      </TrustgateProvider>,
    )
    expect(screen.getByText('Loading')).toBeInTheDocument()
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Wrong password' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Password is incorrect. Try again, or use another method. (long)')
    expect(screen.getByText('status: needs_identifier')).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    expect(await screen.findByText('status: complete')).toBeInTheDocument()
    await waitFor(() => expect(client.session?.id).toBe('sess_1'))
    expect(server.ops()).toEqual([
      'Client',
      'SignInCreate',
      'SignInCreate',
      'SignInPrepareSecondFactor',
      'SignInAttemptSecondFactor',
      'SessionTokenCreate',
    ])
    expect(server.last('SessionTokenCreate')!.variables).toEqual({ sessionId: 'sess_1' })
  })

  it('setActive rejects with the error when the server refuses the session', async () => {
    const server = mfaServer({ SessionTokenCreate: () => gqlError('authentication_invalid', 'Session not found') })
    const { result } = renderHook(() => useSignIn(), { wrapper: provider(clientFor(server)) })
    await expect(result.current.setActive({ session: 'sess_gone' })).rejects.toMatchObject({ errors: [{ code: 'authentication_invalid' }] })
  })

  it('useSignIn().signIn is the sign-in itself, so both shapes hold the same object', () => {
    const { result } = renderHook(() => useSignIn(), { wrapper: provider(clientFor(mfaServer())) })
    expect(result.current.signIn).toBe(result.current)
    expect(result.current.isLoaded).toBe(false)
  })
})

describe('seed 004 "Using Clerk Hosted Pages" / "Using Clerk Components"', () => {
  it('@trustgate/react and @trustgate/react/legacy export the names the seed imports: useClerk, RedirectToSignIn, RedirectToSignUp, SignIn', () => {
    const names = ['useClerk', 'RedirectToSignIn', 'RedirectToSignUp', 'SignIn', 'SignUp']
    expect(names.filter((n) => !(n in modern))).toEqual([])
    expect(names.filter((n) => !(n in legacy))).toEqual([])
  })

  it('<RedirectToSignIn/> sends the browser to the hosted /sign-in page, with the application and the way back', async () => {
    const assign = watchNavigation()
    render(<MyRedirectToSignIn />, { wrapper: provider(clientFor(mfaServer())) })
    await waitFor(() => expect(assign).toHaveBeenCalledTimes(1))
    expect(assign).toHaveBeenCalledWith(`${AUTH}/sign-in?publishableKey=pk_test&redirect_url=${HERE}`)
  })

  it('<RedirectToSignUp/> sends the browser to the hosted /sign-up page', async () => {
    const assign = watchNavigation()
    render(<MyRedirectToSignUp />, { wrapper: provider(clientFor(mfaServer())) })
    await waitFor(() => expect(assign).toHaveBeenCalledTimes(1))
    expect(assign).toHaveBeenCalledWith(`${AUTH}/sign-up?publishableKey=pk_test&redirect_url=${HERE}`)
  })

  it('useClerk()\'s redirectToSignUp / redirectToSignIn, given to onClick as they are, redirect on a click', async () => {
    const assign = watchNavigation()
    render(<MyButtonRedirect />, { wrapper: provider(clientFor(mfaServer())) })
    expect(assign).not.toHaveBeenCalled()
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Redirect to hosted Sign Up page' }))
    expect(assign).toHaveBeenLastCalledWith(`${AUTH}/sign-up?publishableKey=pk_test&redirect_url=${HERE}`)
    await user.click(screen.getByRole('button', { name: 'Redirect to hosted Sign In page' }))
    expect(assign).toHaveBeenLastCalledWith(`${AUTH}/sign-in?publishableKey=pk_test&redirect_url=${HERE}`)
    expect(assign).toHaveBeenCalledTimes(2)
  })

  it('<SignIn/> sends the browser to the hosted sign-in page, coming back to the site\'s root (not to the page it is on)', async () => {
    const assign = watchNavigation()
    render(<SignInComponentPage />, { wrapper: provider(clientFor(mfaServer())) })
    await waitFor(() => expect(assign).toHaveBeenCalledTimes(1))
    expect(assign).toHaveBeenCalledWith(`${AUTH}/sign-in?publishableKey=pk_test&redirect_url=${encodeURIComponent('https://app.example.com/')}`)
  })

  it('without a url or key, the hosted page is on the page\'s own origin and the server\'s default application', async () => {
    const assign = watchNavigation()
    const client = createClient({ fetch: mfaServer().fetch, keepSessionAlive: false })
    await client.redirectToSignIn({ redirectUrl: '/after' })
    expect(assign).toHaveBeenCalledWith(`/sign-in?redirect_url=${encodeURIComponent('https://app.example.com/after')}`)
    expect(client.buildSignUpUrl()).toBe(`/sign-up?redirect_url=${HERE}`)
  })

  it('ClerkJS tab: window.Clerk.redirectToSignUp() and redirectToSignIn()', () => {
    const assign = watchNavigation()
    ;(window as unknown as { Clerk: unknown }).Clerk = createClerk({ url: AUTH, publishableKey: 'pk_test', fetch: mfaServer().fetch })
    clerkJsHostedPages()
    expect(assign.mock.calls).toEqual([
      [`${AUTH}/sign-up?publishableKey=pk_test&redirect_url=${HERE}`],
      [`${AUTH}/sign-in?publishableKey=pk_test&redirect_url=${HERE}`],
    ])
  })

  it('ClerkJS components tab: mountSignIn(el) and openSignIn() send the browser to the hosted sign-in page', () => {
    const assign = watchNavigation()
    document.body.innerHTML = '<div id="sign-in"></div>'
    ;(window as unknown as { Clerk: unknown }).Clerk = createClerk({ url: AUTH, publishableKey: 'pk_test', fetch: mfaServer().fetch })
    clerkJsComponents()
    const toSignIn = `${AUTH}/sign-in?publishableKey=pk_test&redirect_url=${encodeURIComponent('https://app.example.com/')}`
    expect(assign.mock.calls).toEqual([[toSignIn], [toSignIn]])
    expect(document.getElementById('sign-in')).toBeEmptyDOMElement()
  })
})

describe('@trustgate/react keeps Clerk\'s newest API', () => {
  it('useSignIn() is still { signIn, errors, fetchStatus }, its methods resolving to { error } without throwing', async () => {
    const server = mfaServer({ SignInCreate: wrongPassword })
    const { result } = renderHook(() => modern.useSignIn(), { wrapper: provider(clientFor(server)) })
    expect(Object.keys(result.current).sort()).toEqual(['errors', 'fetchStatus', 'signIn'])
    expect(result.current.signIn).toBeInstanceOf(SignInFuture)
    expect(result.current.fetchStatus).toBe('idle')
    let outcome: unknown
    await act(async () => {
      outcome = await result.current.signIn.create({ identifier: 'user@example.com', password: 'wrong' })
    })
    expect(outcome).toEqual({ error: expect.objectContaining({ code: 'form_password_incorrect' }) })
    expect(result.current.errors.fields.password?.code).toBe('form_password_incorrect')
  })

  it('useTrustgate() is the client; useClerk() is the same client with bound methods', async () => {
    const server = mfaServer({ SignOut: () => ({ data: { signOut: true } }) })
    const client = clientFor(server)
    const { result } = renderHook(() => ({ trustgate: modern.useTrustgate(), clerk: modern.useClerk() }), { wrapper: provider(client) })
    expect(result.current.trustgate).toBe(client)
    expect(result.current.clerk).toBeInstanceOf(modern.TrustgateClient)
    expect(result.current.clerk.signIn).toBe(client.signIn)
    const { signOut, getToken } = result.current.clerk
    await expect(signOut()).resolves.toEqual({ error: null })
    await expect(getToken()).resolves.toBeNull()
    expect(server.ops()).toEqual(['SignOut'])
  })
})
