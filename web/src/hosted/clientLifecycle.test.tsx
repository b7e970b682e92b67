/**
 * The pages' own SDK clients are closed when the pages unmount: a retry still waiting (USER_RETRY_DELAYS_MS) must not
 * wake up later and send its request through whatever global fetch is there then (in tests, the next test's fake server).
 */
import { act, render } from '@testing-library/react'
import { StrictMode } from 'react'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createClient, TrustgateProvider, type TrustgateClient } from '@trustgate/react'
import { useOwnClient } from '../ui/useOwnClient'
import { dashboardServer } from '../../test/dashboardServer'
import { fakeServer, offline, signedInClient, tokenReply } from '../../test/fakeServer'
import { renderApp } from '../../test/renderApp'

beforeAll(async () => {
  await import('../dashboard/DashboardApp')
}, 60_000)

beforeEach(() => {
  // Only setTimeout is faked: the retry sleeps. Promises and React's scheduler run as usual.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
})

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

/** sentAfterUnmount renders url, waits for `op` to fail once, unmounts, swaps the global fetch and lets 5 s pass. */
async function sentAfterUnmount(url: string, server: ReturnType<typeof fakeServer>, op: string) {
  const view = renderApp(url, server)
  await vi.waitFor(() => expect(server.ops()).toContain(op))
  // Let the failed request's answer reach the client: its retry is now asleep.
  await vi.advanceTimersByTimeAsync(0)
  expect(server.ops().filter((o) => o === op)).toHaveLength(1)
  view.unmount()
  const next = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => new Response(JSON.stringify({ data: null }), { status: 200 }))
  vi.stubGlobal('fetch', next)
  await vi.advanceTimersByTimeAsync(5_000)
  return next.mock.calls.map(([, init]) => JSON.parse(String((init as RequestInit).body)).operationName as string)
}

describe('a page unmounted with a retry asleep', () => {
  it('hosted pages: the `me` retry sends nothing afterwards', async () => {
    const server = fakeServer({ Client: signedInClient, SessionTokenCreate: () => tokenReply('jwt_1'), Me: offline })
    expect(await sentAfterUnmount('/account', server, 'Me')).toEqual([])
  })

  it("hosted pages: the first load's retry sends nothing afterwards", async () => {
    const server = fakeServer({ Client: offline })
    expect(await sentAfterUnmount('/sign-in', server, 'Client')).toEqual([])
  })

  it('dashboard: the `me` retry sends nothing afterwards', async () => {
    const server = dashboardServer('owner', { Me: offline })
    expect(await sentAfterUnmount('/dashboard', server, 'Me')).toEqual([])
  })
})

describe('useOwnClient', () => {
  it("closes its client on unmount, not on StrictMode's remount of the effects", async () => {
    let client: TrustgateClient | null = null
    function Owner() {
      client = useOwnClient(() => ({ fetch: fakeServer({}).fetch }))
      return null
    }
    const view = render(<StrictMode><Owner /></StrictMode>)
    await act(async () => {})
    expect(client!.closed).toBe(false)
    view.unmount()
    await act(async () => {})
    expect(client!.closed).toBe(true)
  })

  it("TrustgateProvider leaves an app's own client open when it unmounts", async () => {
    const server = fakeServer({ Client: offline })
    const client = createClient({ fetch: server.fetch })
    const view = render(<TrustgateProvider client={client}>{null}</TrustgateProvider>)
    view.unmount()
    await act(async () => {})
    expect(client.closed).toBe(false)
    client.close() // its load's retry, no one else's business here
  })
})
