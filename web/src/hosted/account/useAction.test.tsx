import { act, renderHook } from '@testing-library/react'
import type { ReactNode } from 'react'
import { describe, expect, it } from 'vitest'
import { createClient, TrustgateProvider, type Result } from '@trustgate/react'
import { fakeServer } from '../../../test/fakeServer'
import { useAction } from './useAction'

const stale: Result<never> = {
  data: null,
  error: {
    status: 404,
    errors: [{ code: 'resource_not_found', message: 'Not found', longMessage: 'The resource was not found.', meta: {} }],
  },
} as unknown as Result<never>

describe('useAction', () => {
  it('a reread that throws after a stale refusal leaves the button usable and the refusal shown', async () => {
    const client = createClient({ fetch: fakeServer({}).fetch, keepSessionAlive: false })
    const wrapper = ({ children }: { children: ReactNode }) => <TrustgateProvider client={client}>{children}</TrustgateProvider>
    const { result } = renderHook(() => useAction({ refresh: () => Promise.reject(new Error('boom')) }), { wrapper })
    await act(async () => {
      await result.current.run(() => Promise.resolve(stale))
    })
    expect(result.current.busy).toBe(false)
    expect(result.current.error?.errors[0]?.code).toBe('resource_not_found')
  })

  it('reads the account again after a refusal that says it is out of date, by the code the server answers', async () => {
    const client = createClient({ fetch: fakeServer({}).fetch, keepSessionAlive: false })
    const wrapper = ({ children }: { children: ReactNode }) => <TrustgateProvider client={client}>{children}</TrustgateProvider>
    let rereads = 0
    const { result } = renderHook(() => useAction({ refresh: async () => void rereads++ }), { wrapper })
    const refusal = (code: string, paramName?: string) =>
      ({
        data: null,
        error: { status: 403, errors: [{ code, message: code, longMessage: code, meta: paramName ? { paramName } : {} }] },
      }) as unknown as Result<never>
    // A number reserved for two-step verification that is no longer verified (CONTRACT's
    // identification_create_second_factor_unverified), then an error about what the user typed.
    for (const [r, want] of [
      [refusal('identification_create_second_factor_unverified', 'id'), 1],
      [refusal('form_identifier_not_found', 'identifier'), 1],
      [refusal('form_code_incorrect', 'code'), 1],
    ] as const) {
      await act(async () => {
        await result.current.run(() => Promise.resolve(r))
      })
      expect(rereads).toBe(want)
    }
  })
})

