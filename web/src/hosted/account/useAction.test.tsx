import { act, renderHook } from '@testing-library/react'
import type { ReactNode } from 'react'
import { describe, expect, it } from 'vitest'
import { createClient, TrustgateProvider, type Result } from '@trustgate/react'
import { fakeServer } from '../../../test/fakeServer'
import { useAction, type UseActionOptions } from './useAction'

/** refusal is an action's answer refused with `code` (about the input `paramName`, if given). */
const refusal = (code: string, paramName?: string) =>
  ({
    data: null,
    error: { status: 403, errors: [{ code, message: code, longMessage: code, meta: paramName ? { paramName } : {} }] },
  }) as unknown as Result<never>

/** renderUseAction renders useAction(options) under a provider whose client makes no request. */
function renderUseAction(options: UseActionOptions) {
  const client = createClient({ fetch: fakeServer({}).fetch, keepSessionAlive: false })
  const wrapper = ({ children }: { children: ReactNode }) => <TrustgateProvider client={client}>{children}</TrustgateProvider>
  return renderHook(() => useAction(options), { wrapper }).result
}

describe('useAction', () => {
  it('a reread that throws after a stale refusal leaves the button usable and the refusal shown', async () => {
    const result = renderUseAction({ refresh: () => Promise.reject(new Error('boom')) })
    await act(async () => {
      await result.current.run(() => Promise.resolve(refusal('resource_not_found')))
    })
    expect(result.current.busy).toBe(false)
    expect(result.current.error?.errors[0]?.code).toBe('resource_not_found')
  })

  it('reads the account again after a refusal that says it is out of date, by the code the server answers', async () => {
    let rereads = 0
    const result = renderUseAction({ refresh: async () => void rereads++ })
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
