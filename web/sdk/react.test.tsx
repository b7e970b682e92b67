import { act, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { useEffect, useState } from 'react'
import { describe, expect, it } from 'vitest'
import {
  clientWithSessions,
  complete,
  deferred,
  emptyClient,
  fakeServer,
  gqlError,
  offline,
  reverificationRequired,
  sessionVerification,
  signedInClient,
  signIn as signInJSON,
  tick,
  tokenReply,
  user,
  verifiedSession,
} from '../test/fakeServer'
import { createClient, type TrustgateClient } from './client'
import {
  SignedIn,
  SignedOut,
  TrustgateProvider,
  useAuth,
  useReverification,
  useSession,
  useSignIn,
  useTrustgate,
  useUser,
  type NeedsReverificationParams,
  type UseAuthReturn,
} from './react'
import type { Reply } from '../test/fakeServer'

function SignInState() {
  const { signIn, errors, fetchStatus } = useSignIn()
  return (
    <dl>
      <dt>status</dt>
      <dd data-testid="status">{signIn.status}</dd>
      <dt>fetch</dt>
      <dd data-testid="fetch">{fetchStatus}</dd>
      <dt>identifier error</dt>
      <dd data-testid="identifier">{errors.fields.identifier?.code ?? '-'}</dd>
      <dt>password error</dt>
      <dd data-testid="password">{errors.fields.password?.code ?? '-'}</dd>
      <dt>code error</dt>
      <dd data-testid="code">{errors.fields.code?.code ?? '-'}</dd>
      <dt>global</dt>
      <dd data-testid="global">{errors.global?.map((e) => e.code).join(',') ?? '-'}</dd>
    </dl>
  )
}

describe('useSignIn', () => {
  it('re-renders with fetchStatus, status and field errors as calls run', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: async () => {
        await gate
        return gqlError('form_identifier_not_found', "Couldn't find your account.", 'identifier')
      },
    })
    const client = createClient({ fetch: server.fetch })
    render(
      <TrustgateProvider client={client}>
        <SignInState />
      </TrustgateProvider>,
    )
    expect(screen.getByTestId('status')).toHaveTextContent('needs_identifier')

    let done!: Promise<unknown>
    act(() => {
      done = client.signIn.password({ emailAddress: 'nobody@example.com', password: 'pw' })
    })
    expect(screen.getByTestId('fetch')).toHaveTextContent('fetching')
    await act(async () => {
      release()
      await done
    })
    expect(screen.getByTestId('fetch')).toHaveTextContent('idle')
    expect(screen.getByTestId('identifier')).toHaveTextContent('form_identifier_not_found')
    expect(screen.getByTestId('global')).toHaveTextContent('-')
  })
})

describe('useSignIn password reset', () => {
  it('shows a rejected new password on errors.fields.password, then the completed status', async () => {
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => ({ data: { signInCreate: signInJSON() } }),
      SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: signInJSON({ status: 'needs_new_password' }) } }),
      SignInResetPassword: [
        () => gqlError('form_password_pwned', 'This password was found in a data breach.', 'password'),
        () => ({ data: { signInResetPassword: signInJSON({ status: 'complete', createdSessionId: 'sess_1' }) } }),
      ],
    })
    const client = createClient({ fetch: server.fetch })
    render(
      <TrustgateProvider client={client}>
        <SignInState />
      </TrustgateProvider>,
    )
    await act(async () => {
      await client.signIn.create({ strategy: 'reset_password_email_code', identifier: 'jane@example.com' })
      await client.signIn.attemptFirstFactor({ strategy: 'reset_password_email_code', code: '424242' })
    })
    expect(screen.getByTestId('status')).toHaveTextContent('needs_new_password')

    await act(async () => {
      await client.signIn.resetPassword({ password: 'password1', signOutOfOtherSessions: true })
    })
    expect(server.last('SignInResetPassword')!.variables).toEqual({
      id: 'sia_1',
      input: { password: 'password1', signOutOfOtherSessions: true },
    })
    expect(screen.getByTestId('password')).toHaveTextContent('form_password_pwned')
    expect(screen.getByTestId('global')).toHaveTextContent('-')
    expect(screen.getByTestId('status')).toHaveTextContent('needs_new_password')

    await act(async () => {
      await client.signIn.resetPassword({ password: 'a much better passphrase' })
    })
    expect(screen.getByTestId('password')).toHaveTextContent('-')
    expect(screen.getByTestId('status')).toHaveTextContent('complete')
    expect(screen.getByTestId('fetch')).toHaveTextContent('idle')
  })
})

describe('useSignIn password reset with resetPasswordEmailCode', () => {
  it('shows a wrong code on errors.fields.code, a refused password on errors.fields.password, then complete', async () => {
    const strategy = 'reset_password_email_code'
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => ({ data: { signInCreate: signInJSON() } }),
      SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: signInJSON() } }),
      SignInAttemptFirstFactor: [
        () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
        () => ({ data: { signInAttemptFirstFactor: signInJSON({ status: 'needs_new_password' }) } }),
      ],
      SignInResetPassword: [
        () => gqlError('form_password_length_too_short', 'Passwords must be 8 characters or more.', 'password'),
        () => ({ data: { signInResetPassword: signInJSON({ status: 'complete', createdSessionId: 'sess_1' }) } }),
      ],
    })
    const client = createClient({ fetch: server.fetch })
    render(
      <TrustgateProvider client={client}>
        <SignInState />
      </TrustgateProvider>,
    )
    await act(async () => {
      await client.signIn.create({ identifier: 'jane@example.com' })
      await client.signIn.resetPasswordEmailCode.sendCode()
    })
    expect(server.last('SignInPrepareFirstFactor')!.variables).toEqual({ id: 'sia_1', input: { strategy } })

    await act(async () => {
      await client.signIn.resetPasswordEmailCode.verifyCode({ code: '000000' })
    })
    expect(screen.getByTestId('code')).toHaveTextContent('form_code_incorrect')
    expect(screen.getByTestId('status')).toHaveTextContent('needs_first_factor')

    await act(async () => {
      await client.signIn.resetPasswordEmailCode.verifyCode({ code: '424242' })
    })
    expect(server.last('SignInAttemptFirstFactor')!.variables).toEqual({ id: 'sia_1', input: { strategy, code: '424242' } })
    expect(screen.getByTestId('code')).toHaveTextContent('-')
    expect(screen.getByTestId('status')).toHaveTextContent('needs_new_password')

    await act(async () => {
      await client.signIn.resetPasswordEmailCode.submitPassword({ password: 'short' })
    })
    expect(screen.getByTestId('password')).toHaveTextContent('form_password_length_too_short')
    expect(screen.getByTestId('global')).toHaveTextContent('-')

    await act(async () => {
      await client.signIn.resetPasswordEmailCode.submitPassword({ password: 'a much better passphrase', signOutOfOtherSessions: true })
    })
    expect(server.last('SignInResetPassword')!.variables).toEqual({
      id: 'sia_1',
      input: { password: 'a much better passphrase', signOutOfOtherSessions: true },
    })
    expect(screen.getByTestId('password')).toHaveTextContent('-')
    expect(screen.getByTestId('status')).toHaveTextContent('complete')
    expect(screen.getByTestId('fetch')).toHaveTextContent('idle')
  })

  it('shows sign_in_missing as a global error when there is no sign-in', async () => {
    const server = fakeServer({ Client: emptyClient })
    const client = createClient({ fetch: server.fetch })
    render(
      <TrustgateProvider client={client}>
        <SignInState />
      </TrustgateProvider>,
    )
    await waitFor(() => expect(server.ops()).toEqual(['Client']))
    await act(async () => {
      await client.signIn.resetPasswordEmailCode.sendCode()
    })
    expect(screen.getByTestId('global')).toHaveTextContent('sign_in_missing')
    expect(server.ops()).toEqual(['Client'])
  })
})

function Who() {
  const { isLoaded, isSignedIn, user: u } = useUser()
  const { sessionId } = useAuth()
  if (!isLoaded) return <p>loading</p>
  return <p>{isSignedIn ? `${u.primaryEmailAddress?.emailAddress} ${sessionId}` : 'signed out'}</p>
}

describe('useUser and useAuth', () => {
  it('load the signed-in user of the active session', async () => {
    const server = fakeServer({ Client: signedInClient, SessionTokenCreate: () => tokenReply('jwt_1'), Me: () => ({ data: { me: user() } }) })
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <Who />
      </TrustgateProvider>,
    )
    expect(screen.getByText('loading')).toBeInTheDocument()
    expect(await screen.findByText('jane@example.com sess_1')).toBeInTheDocument()
  })

  it('say signed out when the device has no session', async () => {
    const server = fakeServer({ Client: emptyClient })
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <Who />
      </TrustgateProvider>,
    )
    await waitFor(() => expect(screen.getByText('signed out')).toBeInTheDocument())
    expect(server.ops()).toEqual(['Client'])
  })
})

describe("useAuth, useUser and useSession while not loaded (Clerk's shape)", () => {
  /**
   * Guard is code written from Clerk's guides that tests `isSignedIn === false` without checking `isLoaded` first:
   * with Clerk, `isSignedIn` is undefined until loaded, so it never redirects a signed-in user during the load.
   */
  function Guard({ redirect, seen }: { redirect: (from: string) => void; seen: string[] }) {
    const auth = useAuth()
    const u = useUser()
    const s = useSession()
    seen.push(
      `auth ${auth.isLoaded} ${auth.isSignedIn} ${auth.sessionId} ${auth.userId}; ` +
        `user ${u.isLoaded} ${u.isSignedIn} ${u.user?.id}; session ${s.isLoaded} ${s.isSignedIn} ${s.session?.id}`,
    )
    useEffect(() => {
      if (auth.isSignedIn === false) redirect('auth')
      if (u.isSignedIn === false) redirect('user')
      if (s.isSignedIn === false) redirect('session')
    })
    return <p>{auth.isLoaded ? (auth.isSignedIn ? `signed in ${auth.userId} ${auth.sessionId}` : 'signed out') : 'loading'}</p>
  }

  it('gives isSignedIn, sessionId and userId undefined until the signed-in state is loaded, so nothing redirects', async () => {
    const held = deferred<Reply>()
    const server = fakeServer({ Client: () => held.promise, SessionTokenCreate: () => tokenReply('jwt_1'), Me: () => ({ data: { me: user() } }) })
    const redirects: string[] = []
    const seen: string[] = []
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <Guard redirect={(from) => redirects.push(from)} seen={seen} />
      </TrustgateProvider>,
    )
    await act(tick)
    expect(screen.getByText('loading')).toBeInTheDocument()
    expect(seen.at(-1)).toBe(
      'auth false undefined undefined undefined; user false undefined undefined; session false undefined undefined',
    )
    await act(async () => held.resolve(signedInClient()))
    expect(await screen.findByText('signed in user_1 sess_1')).toBeInTheDocument()
    expect(redirects).toEqual([])
    expect(seen.at(-1)).toBe('auth true true sess_1 user_1; user true true user_1; session true true sess_1')
  })

  it('gives them undefined while the user of a session just activated is on its way, and false / null once signed out', async () => {
    const me = deferred<Reply>()
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => me.promise,
    })
    const client = createClient({ fetch: server.fetch })
    const redirects: string[] = []
    const seen: string[] = []
    render(
      <TrustgateProvider client={client}>
        <Guard redirect={(from) => redirects.push(from)} seen={seen} />
      </TrustgateProvider>,
    )
    await screen.findByText('signed out')
    expect(seen.at(-1)).toBe('auth true false null null; user true false undefined; session true false undefined')
    expect(redirects).toContain('auth')
    await act(async () => {
      await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
      await client.signIn.finalize()
    })
    expect(seen.at(-1)).toMatch(/^auth false undefined undefined undefined; user false undefined undefined; /)
    await act(async () => me.resolve({ data: { me: user() } }))
    expect(await screen.findByText('signed in user_1 sess_1')).toBeInTheDocument()
  })

  it('narrows the types as Clerk does: a string userId and sessionId once loaded and signed in', () => {
    // Compiles only with Clerk's discriminated union (checked by `npm run typecheck`).
    const ids = (auth: UseAuthReturn): string[] | 'signed out' | undefined => {
      if (!auth.isLoaded) {
        const unknown: undefined = auth.isSignedIn
        return unknown
      }
      if (!auth.isSignedIn) {
        const none: null = auth.userId
        return none ?? 'signed out'
      }
      return [auth.userId, auth.sessionId]
    }
    expect(ids).toBeTypeOf('function')
  })
})

/** Hello is Clerk's useAuth() example: the user's id once loaded and signed in, without useUser(). */
function Hello() {
  const { isLoaded, isSignedIn, userId } = useAuth()
  if (!isLoaded) return <p>loading</p>
  return <p>{isSignedIn ? `Hello, ${userId}!` : 'signed out'}</p>
}

describe('useAuth after a sign-in', () => {
  function signingIn() {
    return fakeServer({
      Client: emptyClient,
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
    })
  }

  async function signIn(client: ReturnType<typeof createClient>) {
    await act(async () => {
      await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
      await client.signIn.finalize()
    })
  }

  it('gives the userId of the session finalize() activated, as Clerk does whenever isSignedIn is true', async () => {
    const server = signingIn()
    const client = createClient({ fetch: server.fetch })
    const seen: string[] = []
    function Record() {
      const { isLoaded, isSignedIn, userId } = useAuth()
      seen.push(`${isLoaded} ${isSignedIn} ${userId}`)
      return null
    }
    render(
      <TrustgateProvider client={client}>
        <Hello />
        <Record />
      </TrustgateProvider>,
    )
    await screen.findByText('signed out')
    await signIn(client)
    expect(await screen.findByText('Hello, user_1!')).toBeInTheDocument()
    expect(seen).not.toContain('true true null') // never loaded and signed in without the user's id
    expect(server.ops().filter((o) => o === 'Me')).toHaveLength(1)
  })

  it('fetches the user once for useUser() and useAuth() together', async () => {
    const server = signingIn()
    const client = createClient({ fetch: server.fetch })
    render(
      <TrustgateProvider client={client}>
        <Who />
        <Hello />
      </TrustgateProvider>,
    )
    await screen.findAllByText('signed out')
    await signIn(client)
    expect(await screen.findByText('jane@example.com sess_1')).toBeInTheDocument()
    expect(await screen.findByText('Hello, user_1!')).toBeInTheDocument()
    expect(server.ops().filter((o) => o === 'Me')).toHaveLength(1)
  })
})

describe('useUser and useAuth when the user cannot be fetched', () => {
  function Status() {
    const { isLoaded, isSignedIn, user: u, error } = useUser()
    const auth = useAuth()
    const client = useTrustgate()
    if (error) {
      return (
        <>
          <p>{`failed: ${error.code}; auth loaded ${auth.isLoaded}; auth error ${auth.error?.code}`}</p>
          <button onClick={() => void client.reloadUser()}>Try again</button>
        </>
      )
    }
    if (!isLoaded) return <p>loading</p>
    return <p>{isSignedIn ? `${u.primaryEmailAddress?.emailAddress} ${auth.userId}` : 'signed out'}</p>
  }

  it('retry a `me` that failed with a network error after finalize(), and load the user', async () => {
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: [offline, () => ({ data: { me: user() } })],
    })
    const client = createClient({ fetch: server.fetch })
    render(
      <TrustgateProvider client={client}>
        <Status />
      </TrustgateProvider>,
    )
    await screen.findByText('signed out')
    await act(async () => {
      await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
      await client.signIn.finalize()
    })
    expect(await screen.findByText('jane@example.com user_1', {}, { timeout: 3000 })).toBeInTheDocument()
    expect(server.ops().filter((o) => o === 'Me')).toHaveLength(2)
  })

  it('give up after a few attempts with the error, and load the user when asked again', async () => {
    const server = fakeServer({
      Client: signedInClient,
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: [offline, offline, offline, () => ({ data: { me: user() } })],
    })
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <Status />
      </TrustgateProvider>,
    )
    expect(
      await screen.findByText('failed: network_error; auth loaded false; auth error network_error', {}, { timeout: 5000 }),
    ).toBeInTheDocument()
    // Bounded: no further attempt on its own.
    await new Promise((r) => setTimeout(r, 1500))
    expect(server.ops().filter((o) => o === 'Me')).toHaveLength(3)

    fireEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByText('jane@example.com user_1')).toBeInTheDocument()
    expect(server.ops().filter((o) => o === 'Me')).toHaveLength(4)
  }, 10_000)
})

describe('useAuth and useUser when the first load gets no answer', () => {
  function AuthStatus() {
    const auth = useAuth()
    const { error } = useUser()
    const client = useTrustgate()
    if (auth.isLoaded) return <p>{auth.isSignedIn ? `signed in ${auth.userId}` : 'signed out'}</p>
    if (client.status !== 'error') return <p>loading</p>
    return (
      <>
        <p>{`not loaded; status ${client.status}; auth error ${auth.error?.code}; user error ${error?.code}`}</p>
        <button onClick={() => void client.load()}>Try again</button>
      </>
    )
  }

  it('stay not loaded (never signed out) with the error, and load when asked again', async () => {
    const server = fakeServer({
      Client: [offline, offline, offline, signedInClient],
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
    })
    const seen: string[] = []
    const observer = new MutationObserver(() => seen.push(document.body.textContent ?? ''))
    observer.observe(document.body, { subtree: true, childList: true, characterData: true })
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <AuthStatus />
      </TrustgateProvider>,
    )
    expect(
      await screen.findByText('not loaded; status error; auth error network_error; user error network_error', {}, { timeout: 5000 }),
    ).toBeInTheDocument()
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByText('signed in user_1')).toBeInTheDocument()
    observer.disconnect()
    expect(seen.some((t) => t.includes('signed out'))).toBe(false)
  }, 10_000)

  it('a custom flow that signs in meanwhile makes the hooks loaded, signed in, without another load()', async () => {
    const me = deferred<Reply>()
    const server = fakeServer({
      Client: () => gqlError('internal_error', 'Something went wrong'),
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => me.promise,
    })
    const client = createClient({ fetch: server.fetch })
    render(
      <TrustgateProvider client={client}>
        <AuthStatus />
      </TrustgateProvider>,
    )
    await screen.findByText(/^not loaded; status error; auth error internal_error/)
    await act(async () => {
      await client.signIn.password({ emailAddress: 'jane@example.com', password: 'pw' })
      await client.signIn.finalize()
    })
    // The session is known; its user is on its way (not loaded, but no longer in error).
    expect(screen.getByText('loading')).toBeInTheDocument()
    await act(async () => me.resolve({ data: { me: user() } }))
    expect(await screen.findByText('signed in user_1')).toBeInTheDocument()
    expect(server.ops().filter((o) => o === 'Client')).toHaveLength(1)
  })

  it('load again when the browser says it is back online', async () => {
    const server = fakeServer({
      Client: [offline, offline, offline, signedInClient],
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
    })
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <AuthStatus />
      </TrustgateProvider>,
    )
    await screen.findByText(/^not loaded; status error/, {}, { timeout: 5000 })
    act(() => {
      window.dispatchEvent(new Event('online'))
    })
    expect(await screen.findByText('signed in user_1')).toBeInTheDocument()
    expect(server.ops().filter((o) => o === 'Client')).toHaveLength(4)
  }, 10_000)
})

/** TotpButton is Clerk's useReverification example: the action, and a password prompt when it needs one. */
function TotpButton() {
  const { user: u } = useUser()
  const { session } = useSession()
  const [pending, setPending] = useState<NeedsReverificationParams | null>(null)
  const [result, setResult] = useState('-')
  const createTOTP = useReverification(() => u!.createTOTP(), { onNeedsReverification: setPending })
  const confirm = async () => {
    await session!.startVerification({ level: pending!.level })
    const r = await session!.attemptFirstFactorVerification({ strategy: 'password', password: 'hunter22' })
    if (r.data?.status === 'complete') pending!.complete()
    setPending(null)
  }
  if (!u) return <p>loading</p>
  return (
    <>
      <button onClick={async () => setResult((await createTOTP()).data?.secret ?? 'error')}>Set up</button>
      {pending && <button onClick={confirm}>Confirm</button>}
      <p data-testid="result">{result}</p>
    </>
  )
}

describe('useReverification', () => {
  it('runs the verification UI on session_reverification_required, then the action again', async () => {
    const server = fakeServer({
      Client: signedInClient,
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
      TotpCreate: [
        () => reverificationRequired(),
        () => ({ data: { totpCreate: { id: 'totp_1', secret: 'JBSWY3DP', uri: 'otpauth://x', qrCodePng: null, verified: false } } }),
      ],
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification() } }),
      SessionVerificationAttemptFirstFactor: () => ({ data: { sessionVerificationAttemptFirstFactor: verifiedSession('password') } }),
    })
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <TotpButton />
      </TrustgateProvider>,
    )
    fireEvent.click(await screen.findByRole('button', { name: 'Set up' }))
    fireEvent.click(await screen.findByRole('button', { name: 'Confirm' }))
    await waitFor(() => expect(screen.getByTestId('result')).toHaveTextContent('JBSWY3DP'))
    expect(server.ops().filter((o) => o !== 'SessionTokenCreate')).toEqual([
      'Client',
      'Me',
      'TotpCreate',
      'SessionVerificationCreate',
      'SessionVerificationAttemptFirstFactor',
      'TotpCreate',
    ])
    expect(server.last('SessionVerificationCreate')!.variables).toEqual({})
  })
})

describe('<SignedOut> and useAuth() when the server refuses the session in the foreground', () => {
  const refused = () => gqlError('authentication_invalid', 'Session ended')

  function Page() {
    return (
      <>
        <SignedIn>welcome back</SignedIn>
        <SignedOut>please sign in</SignedOut>
        <Hello />
      </>
    )
  }

  it.each([
    ['getToken()', (c: TrustgateClient) => c.getToken({ skipCache: true })],
    ['an account call (user.createTOTP())', (c: TrustgateClient) => c.user!.createTOTP()],
    ['a session call (session.startVerification())', (c: TrustgateClient) => c.session!.startVerification()],
  ])('%s refused: the client is read again, and the page shows what it says', async (_, call) => {
    // Once the session ended, the server refuses it and no longer lists it.
    const server = fakeServer({
      Client: [signedInClient, emptyClient],
      SessionTokenCreate: [() => tokenReply('jwt_1'), refused],
      Me: () => ({ data: { me: user() } }),
      TotpCreate: refused,
      SessionVerificationCreate: refused,
    })
    const client = createClient({ fetch: server.fetch, keepSessionAlive: false })
    render(
      <TrustgateProvider client={client}>
        <Page />
      </TrustgateProvider>,
    )
    expect(await screen.findByText('Hello, user_1!')).toBeInTheDocument()
    expect(screen.getByText('welcome back')).toBeInTheDocument()

    await act(async () => {
      await call(client)
    })
    await waitFor(() => expect(server.ops().filter((o) => o === 'Client')).toHaveLength(2))
    await act(() => tick())
    expect(screen.getByText('please sign in')).toBeInTheDocument()
    expect(screen.queryByText('welcome back')).toBeNull()
    expect(screen.getByText('signed out')).toBeInTheDocument()
    expect(client.status).toBe('ready')
    client.close()
  })

  it("shows the device's other session at once when the read makes it the active one", async () => {
    let ended = false
    const server = fakeServer({
      Client: () => clientWithSessions(ended ? ['sess_2'] : ['sess_1', 'sess_2']),
      SessionTokenCreate: (v) => (v.sessionId === 'sess_1' && ended ? refused() : tokenReply(`jwt_${v.sessionId}`)),
      Me: (_v, call) => ({ data: { me: user({ id: call.headers.authorization === 'Bearer jwt_sess_2' ? 'user_2' : 'user_1' }) } }),
    })
    const client = createClient({ fetch: server.fetch, keepSessionAlive: false })
    render(
      <TrustgateProvider client={client}>
        <Page />
      </TrustgateProvider>,
    )
    expect(await screen.findByText('Hello, user_1!')).toBeInTheDocument()
    ended = true
    await act(async () => {
      await client.getToken({ skipCache: true })
    })
    expect(await screen.findByText('Hello, user_2!')).toBeInTheDocument()
    expect(screen.getByText('welcome back')).toBeInTheDocument()
    client.close()
  })
})
