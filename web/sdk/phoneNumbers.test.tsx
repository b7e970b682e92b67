import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { describe, expect, it } from 'vitest'
import { gqlError, loadSignedIn, user as userJSON } from '../test/fakeServer'
// In a Clerk app: `import { useUser } from '@clerk/nextjs'` and `import type { PhoneNumberResource } from '@clerk/types'`.
import { TrustgateProvider, useUser } from '@trustgate/react'
import type { PhoneNumberResource } from '@trustgate/react/types'

/**
 * PhoneList is written the way Clerk's profile code drives phone numbers: every action is a method of the
 * `PhoneNumberResource` in `user.phoneNumbers`, and the list is read again from the reloaded user.
 */
function PhoneList() {
  const { isLoaded, user } = useUser()
  const [codes, setCodes] = useState<Record<string, string>>({})
  if (!isLoaded || !user) return null
  const row = (phone: PhoneNumberResource) => (
    <li key={phone.id} aria-label={phone.phoneNumber}>
      <span>{phone.verification.status === 'verified' ? 'Verified' : 'Unverified'}</span>
      {phone.reservedForSecondFactor && <span>Two-step</span>}
      {phone.defaultSecondFactor && <span>Default</span>}
      {phone.verification.status !== 'verified' && (
        <>
          <button onClick={() => phone.prepareVerification()}>Send code</button>
          <input aria-label="Code" value={codes[phone.id] ?? ''} onChange={(e) => setCodes({ ...codes, [phone.id]: e.target.value })} />
          <button onClick={() => phone.attemptVerification({ code: codes[phone.id] ?? '' })}>Verify</button>
        </>
      )}
      {phone.verification.status === 'verified' && !phone.reservedForSecondFactor && (
        <button onClick={() => phone.setReservedForSecondFactor({ reserved: true })}>Use for two-step</button>
      )}
      {phone.reservedForSecondFactor && !phone.defaultSecondFactor && (
        <button onClick={() => phone.makeDefaultSecondFactor()}>Make default</button>
      )}
      <button onClick={() => phone.destroy()}>Remove</button>
    </li>
  )
  return <ul>{user.phoneNumbers.map(row)}</ul>
}

// As the server answers them: its one reserved number is the default.
const unverified = { id: 'idn_1', phoneNumber: '+15551230001', verified: false, reservedForSecondFactor: false, defaultSecondFactor: false }
const verified = { ...unverified, verified: true }
const reserved = { ...verified, reservedForSecondFactor: true, defaultSecondFactor: true }

describe('a phone list ported from Clerk (import swapped)', () => {
  it('verifies a number, reserves it for two-step verification, and removes it through the resource methods', async () => {
    const ux = userEvent.setup()
    const { client, server } = await loadSignedIn({
      Me: [
        () => ({ data: { me: userJSON({ phoneNumbers: [unverified] }) } }),
        () => ({ data: { me: userJSON({ phoneNumbers: [verified] }) } }),
        () => ({ data: { me: userJSON({ phoneNumbers: [reserved] }) } }),
        () => ({ data: { me: userJSON({ phoneNumbers: [] }) } }),
      ],
      PhoneNumberPrepareVerification: () => ({ data: { phoneNumberPrepareVerification: unverified } }),
      PhoneNumberAttemptVerification: () => ({ data: { phoneNumberAttemptVerification: verified } }),
      PhoneNumberReserveForSecondFactor: () => ({ data: { phoneNumberReserveForSecondFactor: reserved } }),
      PhoneNumberDelete: [
        () => gqlError('resource_forbidden', 'This phone number is the last way to sign in to this account; add another first.', 'id'),
        () => ({ data: { phoneNumberDelete: true } }),
      ],
    })
    render(
      <TrustgateProvider client={client}>
        <PhoneList />
      </TrustgateProvider>,
    )
    const item = () => within(screen.getByRole('listitem', { name: '+15551230001' }))
    expect(await screen.findByText('Unverified')).toBeInTheDocument()

    await ux.click(item().getByRole('button', { name: 'Send code' }))
    await waitFor(() => expect(server.last('PhoneNumberPrepareVerification')!.variables).toEqual({ id: 'idn_1' }))
    await ux.type(item().getByLabelText('Code'), '123456')
    await ux.click(item().getByRole('button', { name: 'Verify' }))
    expect(await screen.findByText('Verified')).toBeInTheDocument()
    expect(server.last('PhoneNumberAttemptVerification')!.variables).toEqual({ id: 'idn_1', code: '123456' })

    await ux.click(item().getByRole('button', { name: 'Use for two-step' }))
    expect(await screen.findByText('Default')).toBeInTheDocument()
    expect(item().getByText('Two-step')).toBeInTheDocument()
    expect(server.last('PhoneNumberReserveForSecondFactor')!.variables).toEqual({ id: 'idn_1', reserved: true })

    // A refusal resolves to { error } (nothing throws, as the guide's code expects of no unhandled rejection).
    await ux.click(item().getByRole('button', { name: 'Remove' }))
    await waitFor(() => expect(server.ops().filter((o) => o === 'PhoneNumberDelete')).toHaveLength(1))
    expect(screen.getByRole('listitem', { name: '+15551230001' })).toBeInTheDocument()
    await ux.click(item().getByRole('button', { name: 'Remove' }))
    await waitFor(() => expect(screen.queryByRole('listitem')).not.toBeInTheDocument())
    expect(server.last('PhoneNumberDelete')!.variables).toEqual({ id: 'idn_1' })
    expect(server.last('PhoneNumberDelete')!.headers.authorization).toBe('Bearer jwt_1')
  })

  it('makes another reserved number the default through the resource method; the reloaded list moves the mark', async () => {
    const ux = userEvent.setup()
    const other = { ...reserved, id: 'idn_2', phoneNumber: '+15551230002', defaultSecondFactor: false }
    const { client, server } = await loadSignedIn({
      Me: [
        () => ({ data: { me: userJSON({ phoneNumbers: [reserved, other] }) } }),
        () => ({ data: { me: userJSON({ phoneNumbers: [{ ...reserved, defaultSecondFactor: false }, { ...other, defaultSecondFactor: true }] }) } }),
      ],
      PhoneNumberMakeDefaultSecondFactor: () => ({ data: { phoneNumberMakeDefaultSecondFactor: { ...other, defaultSecondFactor: true } } }),
    })
    render(
      <TrustgateProvider client={client}>
        <PhoneList />
      </TrustgateProvider>,
    )
    const item = (n: string) => within(screen.getByRole('listitem', { name: n }))
    expect(await item('+15551230001').findByText('Default')).toBeInTheDocument()
    expect(item('+15551230001').queryByRole('button', { name: 'Make default' })).not.toBeInTheDocument()

    await ux.click(item('+15551230002').getByRole('button', { name: 'Make default' }))
    expect(await item('+15551230002').findByText('Default')).toBeInTheDocument()
    expect(item('+15551230001').queryByText('Default')).not.toBeInTheDocument()
    expect(item('+15551230001').getByRole('button', { name: 'Make default' })).toBeInTheDocument()
    expect(server.last('PhoneNumberMakeDefaultSecondFactor')!.variables).toEqual({ id: 'idn_2' })
    expect(server.last('PhoneNumberMakeDefaultSecondFactor')!.headers.authorization).toBe('Bearer jwt_1')
  })
})
