/**
 * The background refresh of the active session's token (ClientOptions.keepSessionAlive), Clerk's 50 s poller: it
 * keeps an open app's session alive under the server's inactivity timeout and notices a session the server ended.
 * Only setTimeout and Date are faked: the fake server's promises run as usual.
 */
import { act, render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  emptyClient,
  fakeServer,
  gqlError,
  offline,
  signedInClient,
  user,
  type Handler,
  type Reply,
} from '../test/fakeServer'
import { createClient, KEEP_ALIVE_INTERVAL_MS, KEEP_ALIVE_JITTER, type ClientOptions } from './client'
import { SignedIn, SignedOut, TrustgateProvider, useAuth } from './react'

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.parse('2026-03-01T00:00:00Z') })
})

afterEach(() => {
  vi.useRealTimers()
})

/** jwt builds a session JWT whose claims say it lives `seconds` from now (the SDK reads `exp − iat`). */
function jwt(name: string, seconds = 60): string {
  const iat = Math.floor(Date.now() / 1000)
  const b64 = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, '')
  return `${b64({ alg: 'ES256' })}.${b64({ sub: 'user_1', sid: 'sess_1', iat, exp: iat + seconds, name })}.sig`
}

/** minted answers sessionTokenCreate with the next JWT of a series (`jwt_1`, `jwt_2`, …), each living `seconds`. */
function minted(seconds = 60): Handler {
  let n = 0
  return () => {
    const token = jwt(`jwt_${++n}`, seconds)
    return { data: { sessionTokenCreate: { jwt: token, expiresAt: new Date(Date.now() + seconds * 1000).toISOString() } } }
  }
}

/**
 * noJitter is the `random` of the tests about the refresh's timing: a draw of 0 leaves each wait as planned (the top of
 * the KEEP_ALIVE_JITTER window), so the times below are exact; the jitter has tests of its own.
 */
const noJitter = () => 0

/** signedIn loads a client for a device with one active session; its `me` minted the first token. */
async function signedIn(handlers: Record<string, Handler | Handler[]> = {}, options: ClientOptions = {}) {
  const server = fakeServer({
    Client: signedInClient,
    SessionTokenCreate: minted(),
    Me: () => ({ data: { me: user() } }),
    SignOut: () => ({ data: { signOut: true } }),
    ...handlers,
  })
  const client = createClient({ fetch: server.fetch, random: noJitter, ...options })
  await client.load()
  const mints = () => server.calls.filter((c) => c.operationName === 'SessionTokenCreate').map((c) => c.variables.sessionId)
  return { client, server, mints }
}

/** wait lets `ms` pass on the fake clock, running the timers due and the requests they send. */
async function wait(ms: number) {
  await vi.advanceTimersByTimeAsync(ms)
  // The fake server's answers are read through real streams: let them arrive.
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
}

describe('keepSessionAlive: the background token refresh', () => {
  it('is off by default where there is no window (server-side rendering), as clerk-js polls only in a browser', async () => {
    vi.stubGlobal('window', undefined)
    let made: Awaited<ReturnType<typeof signedIn>>
    try {
      made = await signedIn()
    } finally {
      vi.unstubAllGlobals()
    }
    expect(made.mints()).toHaveLength(1) // load()'s `me`
    await wait(3 * KEEP_ALIVE_INTERVAL_MS)
    expect(made.mints()).toHaveLength(1)
  })

  it('mints a new token every 50 s while signed in, which getToken() then serves from the cache', async () => {
    const { client, mints } = await signedIn()
    expect(mints()).toHaveLength(1) // load()'s `me`

    await wait(KEEP_ALIVE_INTERVAL_MS - 1)
    expect(mints()).toHaveLength(1)
    await wait(1)
    expect(mints()).toEqual(['sess_1', 'sess_1'])
    await wait(KEEP_ALIVE_INTERVAL_MS)
    expect(mints()).toHaveLength(3)

    // The last refresh was 0 s ago: getToken() needs no request.
    const token = await client.getToken()
    expect(JSON.parse(atob(token!.split('.')[1]!)).name).toBe('jwt_3')
    expect(mints()).toHaveLength(3)
    client.close()
  })

  it('keeps a single timer, and none once closed', async () => {
    const { client } = await signedIn()
    expect(vi.getTimerCount()).toBe(1)
    await wait(3 * KEEP_ALIVE_INTERVAL_MS)
    expect(vi.getTimerCount()).toBe(1)
    client.close()
    expect(vi.getTimerCount()).toBe(0)
  })

  it.each([
    ['closed', async (c: Awaited<ReturnType<typeof signedIn>>['client']) => c.close()],
    ['signed out', async (c: Awaited<ReturnType<typeof signedIn>>['client']) => void (await c.signOut())],
  ])('stops once the client is %s', async (_, end) => {
    const { client, server, mints } = await signedIn()
    await wait(KEEP_ALIVE_INTERVAL_MS)
    expect(mints()).toHaveLength(2)
    await end(client)
    const sent = server.calls.length
    await wait(5 * KEEP_ALIVE_INTERVAL_MS)
    expect(server.calls.length).toBe(sent)
  })

  it('does nothing with keepSessionAlive: false: tokens are minted on demand only', async () => {
    const { client, mints } = await signedIn({}, { keepSessionAlive: false })
    await wait(5 * KEEP_ALIVE_INTERVAL_MS)
    expect(mints()).toHaveLength(1)
    expect(await client.getToken()).not.toBeNull() // the first one expired long ago: minted now
    expect(mints()).toHaveLength(2)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('sends no request while a token minted meanwhile is fresh, and refreshes that one 50 s after it was asked for', async () => {
    const { client, mints } = await signedIn()
    await wait(30_000)
    await client.getToken({ skipCache: true })
    expect(mints()).toHaveLength(2)

    await wait(KEEP_ALIVE_INTERVAL_MS - 30_000) // the first token's refresh time
    expect(mints()).toHaveLength(2)
    await wait(30_000 - 1)
    expect(mints()).toHaveLength(2)
    await wait(1) // 50 s after the app's own mint
    expect(mints()).toHaveLength(3)
    client.close()
  })

  it('refreshes on time even when the device clock does not move with the timers', async () => {
    const stopped = Date.now()
    const { client, mints } = await signedIn({}, { now: () => stopped })
    await wait(KEEP_ALIVE_INTERVAL_MS + 1_000) // the token minted by the load is still "new" on that clock
    expect(mints()).toHaveLength(2)
    await wait(KEEP_ALIVE_INTERVAL_MS)
    expect(mints()).toHaveLength(3)
    client.close()
  })

  it('follows the active session: setActive() moves the refresh to the new session, without a second timer', async () => {
    const { client, mints } = await signedIn()
    await wait(20_000)
    expect((await client.setActive({ session: 'sess_2' })).error).toBeNull()
    expect(mints()).toEqual(['sess_1', 'sess_2'])
    expect(vi.getTimerCount()).toBe(1)

    await wait(KEEP_ALIVE_INTERVAL_MS)
    expect(mints()).toEqual(['sess_1', 'sess_2', 'sess_2'])
    client.close()
  })

  it.each([
    ['another session is activated', async (c: Awaited<ReturnType<typeof signedIn>>['client']) => void (await c.setActive({ session: 'sess_2' })), 1],
    ['the client is closed', async (c: Awaited<ReturnType<typeof signedIn>>['client']) => c.close(), 0],
  ])('drops a refresh that was on its way when %s: no second timer, nothing more for the old session', async (_, change, timers) => {
    // The background refresh of sess_1 is held on its way; the change happens meanwhile.
    let release: () => void = () => {}
    let n = 0
    const mint = minted()
    const { client, mints } = await signedIn({
      SessionTokenCreate: (v, call): Reply | Promise<Reply> =>
        ++n === 2
          ? new Promise<Reply>((resolve) => (release = () => resolve(mint(v, call) as Reply)))
          : mint(v, call),
    })
    await wait(KEEP_ALIVE_INTERVAL_MS)
    expect(mints()).toEqual(['sess_1', 'sess_1']) // the refresh, not answered yet
    await change(client)
    release()
    await wait(0)
    expect(vi.getTimerCount()).toBe(timers)

    const before = mints().filter((id) => id === 'sess_1').length
    await wait(3 * KEEP_ALIVE_INTERVAL_MS)
    expect(mints().filter((id) => id === 'sess_1')).toHaveLength(before)
    expect(vi.getTimerCount()).toBe(timers)
    client.close()
  })

  it('reads the client again when the server ended the session, and shows signed out', async () => {
    const ended = () => gqlError('authentication_invalid', 'Session expired')
    const { client, server } = await signedIn({
      Client: [signedInClient, emptyClient],
      SessionTokenCreate: [minted(), ended],
    })
    const changes = vi.fn()
    client.subscribe(changes)
    expect(client.session?.id).toBe('sess_1')

    await wait(KEEP_ALIVE_INTERVAL_MS)
    expect(server.ops()).toEqual(['Client', 'SessionTokenCreate', 'Me', 'SessionTokenCreate', 'Client'])
    expect(client.session).toBeNull()
    expect(client.user).toBeNull()
    expect(client.status).toBe('ready')
    expect(changes).toHaveBeenCalled()

    // Signed out: nothing more is sent.
    await wait(5 * KEEP_ALIVE_INTERVAL_MS)
    expect(server.calls).toHaveLength(5)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('tries again at the next tick after a network error, with no retry in between', async () => {
    let n = 0
    const mint = minted()
    const { client, mints } = await signedIn({
      SessionTokenCreate: (v, call): Reply | Promise<Reply> => (++n === 2 ? offline() : mint(v, call)),
    })
    await wait(KEEP_ALIVE_INTERVAL_MS)
    expect(mints()).toHaveLength(2) // the failed one
    expect(client.session?.id).toBe('sess_1')

    await wait(KEEP_ALIVE_INTERVAL_MS - 1)
    expect(mints()).toHaveLength(2)
    await wait(1)
    expect(mints()).toHaveLength(3)
    expect(vi.getTimerCount()).toBe(1)
    await wait(KEEP_ALIVE_INTERVAL_MS)
    expect(mints()).toHaveLength(4)
    client.close()
  })

  it('refreshes every 50 s a token that lives an hour, and every 5 s (not back to back) one that lives 10 s', async () => {
    const long = await signedIn({ SessionTokenCreate: minted(3600) })
    await wait(3 * KEEP_ALIVE_INTERVAL_MS)
    expect(long.mints()).toHaveLength(4)
    long.client.close()

    const short = await signedIn({ SessionTokenCreate: minted(10) })
    expect(short.mints()).toHaveLength(1)
    await wait(4_999)
    expect(short.mints()).toHaveLength(1)
    await wait(1)
    expect(short.mints()).toHaveLength(2)
    await wait(4_999)
    expect(short.mints()).toHaveLength(2)
    await wait(1)
    expect(short.mints()).toHaveLength(3)
    await wait(5_000)
    expect(short.mints()).toHaveLength(4)
    short.client.close()
  })

  it('waits a random 45–50 s before each refresh, a fresh draw of the injected randomness each time', async () => {
    // Each draw and the wait it makes: 50 s less up to a tenth (KEEP_ALIVE_JITTER), never more than 50 s.
    const draws: [number, number][] = [
      [0.5, 47_500],
      [0, 50_000],
      [0.999, 45_005],
      [0.25, 48_750],
    ]
    let n = 0
    const { client, mints } = await signedIn({}, { random: () => draws[n++]?.[0] ?? 0 })
    for (const [, interval] of draws) {
      const before = mints().length
      await wait(interval - 1)
      expect(mints()).toHaveLength(before)
      await wait(1)
      expect(mints()).toHaveLength(before + 1)
    }
    expect(n).toBe(draws.length + 1) // and the next wait drawn already
    client.close()
  })

  it('keeps every wait within 45–50 s of the last mint, whatever the draws, and getToken() answering from the cache', async () => {
    // A fixed series spread over [0, 1), from a small linear congruential generator (no Math.random in the test).
    let seed = 42
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const sentAt: number[] = []
    const mint = minted()
    const { client } = await signedIn(
      {
        SessionTokenCreate: (v, call) => {
          sentAt.push(Date.now())
          return mint(v, call)
        },
      },
      { random },
    )
    // A getToken() every second: one that had to mint would show below as a short interval.
    for (let s = 0; s < 10 * 50; s++) {
      await wait(1_000)
      expect(await client.getToken()).not.toBeNull()
    }
    const intervals = sentAt.slice(1).map((t, i) => t - sentAt[i]!)
    expect(intervals.length).toBeGreaterThanOrEqual(10)
    for (const interval of intervals) {
      expect(interval).toBeGreaterThanOrEqual(KEEP_ALIVE_INTERVAL_MS * (1 - KEEP_ALIVE_JITTER))
      expect(interval).toBeLessThanOrEqual(KEEP_ALIVE_INTERVAL_MS)
    }
    expect(new Set(intervals).size).toBeGreaterThan(1) // drawn, not fixed
    client.close()
  })

  it('draws from Math.random when no `random` is given', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5)
    try {
      const { client, mints } = await signedIn({}, { random: undefined })
      await wait(47_499)
      expect(mints()).toHaveLength(1)
      await wait(1)
      expect(mints()).toHaveLength(2)
      client.close()
    } finally {
      random.mockRestore()
    }
  })
})

describe('keepSessionAlive in React', () => {
  function AuthState() {
    const { isLoaded, isSignedIn } = useAuth()
    return <p>{!isLoaded ? 'loading' : isSignedIn ? 'auth: signed in' : 'auth: signed out'}</p>
  }

  it('shows signed out once a background refresh finds the session ended, with no call from the page', async () => {
    const server = fakeServer({
      Client: [signedInClient, emptyClient],
      SessionTokenCreate: [minted(), () => gqlError('authentication_invalid', 'Session expired')],
      Me: () => ({ data: { me: user() } }),
    })
    const client = createClient({ fetch: server.fetch, random: noJitter })
    render(
      <TrustgateProvider client={client}>
        <SignedIn>welcome back</SignedIn>
        <SignedOut>please sign in</SignedOut>
        <AuthState />
      </TrustgateProvider>,
    )
    await act(() => wait(0))
    expect(screen.getByText('welcome back')).toBeInTheDocument()
    expect(screen.getByText('auth: signed in')).toBeInTheDocument()

    await act(() => wait(KEEP_ALIVE_INTERVAL_MS))
    expect(screen.getByText('please sign in')).toBeInTheDocument()
    expect(screen.queryByText('welcome back')).toBeNull()
    expect(screen.getByText('auth: signed out')).toBeInTheDocument()
    expect(server.ops()).toEqual(['Client', 'SessionTokenCreate', 'Me', 'SessionTokenCreate', 'Client'])
    client.close()
  })
})
