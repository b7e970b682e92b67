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
})
