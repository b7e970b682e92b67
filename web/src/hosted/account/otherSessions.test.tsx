import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeServer, gqlError, signedInClient, tokenReply, user, type Handler, sessionJSON } from '../../../test/fakeServer'
import { renderApp } from '../../../test/renderApp'

/** session is `id` of user_1, on a device (client) of its own. */
const session = (id: string, createdAt?: string) => sessionJSON(id, { createdAt, clientId: `client_${id}` })

const ASK = 'Your sign-in methods changed. Sign out your other devices?'

/**
 * withSessions is a server whose active sessions are `ids` (sess_1 is this device's) until revoked; `refuse` lists
 * sessions whose first revocation fails.
 */
function withSessions(ids: string[], extra: Record<string, Handler | Handler[]> = {}, refuse: string[] = []) {
  let active = ids.map((id, i) => session(id, `2026-01-0${i + 2}T03:04:05Z`))
  const refused = new Set<string>()
  const server = fakeServer({
    Client: signedInClient,
    SessionTokenCreate: () => tokenReply('jwt_1'),
    Me: () => ({ data: { me: user() } }),
    Sessions: () => ({ data: { sessions: active } }),
    SessionRevoke: ({ id }) => {
      if (refuse.includes(id) && !refused.has(id)) {
        refused.add(id)
        return gqlError('internal_error', 'Something went wrong.')
      }
      const s = active.find((x) => x.id === id)!
      active = active.filter((x) => x.id !== id)
      return { data: { sessionRevoke: { ...s, status: 'revoked' } } }
    },
    TrustedClients: () => ({ data: { trustedClients: [] } }),
    ...extra,
  })
  return { server, setActive: (ids: string[]) => (active = ids.map((id) => session(id))) }
}

const totpOn = {
  Me: [() => ({ data: { me: user() } }), () => ({ data: { me: user({ totpEnabled: true, twoFactorEnabled: true }) } })],
  TotpCreate: () => ({
    data: { totpCreate: { id: 'totp_1', secret: 'JBSWY3DPEHPK3PXP', uri: 'otpauth://totp/x', qrCodePng: null, verified: false } },
  }),
  TotpVerify: () => ({ data: { totpVerify: { id: 'totp_1', verified: true, backupCodes: null } } }),
}

async function enableTOTP(u: ReturnType<typeof userEvent.setup>) {
  const mfa = await screen.findByRole('region', { name: 'Two-step verification' })
  await u.click(within(mfa).getByRole('button', { name: 'Set up authenticator app' }))
  await u.type(await within(mfa).findByLabelText('Code from the app'), '123456')
  await u.click(within(mfa).getByRole('button', { name: 'Verify' }))
  expect(await within(mfa).findByText(/Your authenticator app is set up/)).toBeInTheDocument()
  return mfa
}

const revoked = (server: ReturnType<typeof fakeServer>) => server.calls.filter((c) => c.operationName === 'SessionRevoke').map((c) => c.variables.id)

describe('/account, signing out the other devices after a factor change', () => {
  it('after an authenticator app is added, offers to sign out the other sessions, ends only those, and the list shows it', async () => {
    const u = userEvent.setup()
    const { server } = withSessions(['sess_1', 'sess_2', 'sess_3'], totpOn)
    renderApp('/account', server)
    const sessions = await screen.findByRole('region', { name: 'Active sessions' })
    await waitFor(() => expect(within(sessions).getAllByRole('button', { name: /Revoke/ })).toHaveLength(2))
    const mfa = await enableTOTP(u)

    const offer = await within(mfa).findByText(new RegExp(ASK.replace('?', '\\?')))
    expect(offer).toHaveAttribute('role', 'status')
    expect(offer).toHaveTextContent('You are signed in on 2 other devices.')
    // It appears without taking focus.
    expect(offer.parentElement).not.toContainElement(document.activeElement as HTMLElement)

    await u.click(within(mfa).getByRole('button', { name: 'Sign out other devices' }))
    expect(await within(mfa).findByText('Signed out 2 other devices.')).toHaveAttribute('role', 'status')
    expect(revoked(server).sort()).toEqual(['sess_2', 'sess_3'])
    expect(within(mfa).queryByRole('button', { name: 'Sign out other devices' })).not.toBeInTheDocument()
    // Its button left with the answer: focus goes to Dismiss, not the page's body.
    expect(within(mfa).getByRole('button', { name: 'Dismiss' })).toHaveFocus()
    // The sessions list reads itself again: only this device is left.
    await waitFor(() => expect(within(sessions).queryByRole('button', { name: /Revoke/ })).not.toBeInTheDocument())
    expect(within(sessions).getByText('This device')).toBeInTheDocument()
  })

  it('asks only when other sessions are active: not after a change with none, but after the next one with another', async () => {
    const u = userEvent.setup()
    const reserved = { id: 'phn_1', phoneNumber: '+15551234567', verified: true, reservedForSecondFactor: true, defaultSecondFactor: true }
    const freed = { ...reserved, reservedForSecondFactor: false, defaultSecondFactor: false }
    const { server, setActive } = withSessions(['sess_1'], {
      Me: [
        () => ({ data: { me: user({ phoneNumbers: [reserved], twoFactorEnabled: true }) } }),
        () => ({ data: { me: user({ phoneNumbers: [freed] }) } }),
        () => ({ data: { me: user({ phoneNumbers: [reserved], twoFactorEnabled: true }) } }),
      ],
      PhoneNumberReserveForSecondFactor: [
        () => ({ data: { phoneNumberReserveForSecondFactor: freed } }),
        () => ({ data: { phoneNumberReserveForSecondFactor: reserved } }),
      ],
    })
    renderApp('/account', server)
    const phones = await screen.findByRole('region', { name: 'Phone numbers' })
    const sessionReads = () => server.ops().filter((o) => o === 'Sessions').length
    await waitFor(() => expect(sessionReads()).toBeGreaterThan(0))

    const before = sessionReads()
    await u.click(await within(phones).findByRole('button', { name: 'Stop using for two-step verification' }))
    expect(await within(phones).findByText('+15551234567 is no longer used for two-step verification.')).toBeInTheDocument()
    // The offer read the sessions (as did the list, for the user read again), and found no other.
    await waitFor(() => expect(sessionReads()).toBeGreaterThanOrEqual(before + 2))
    expect(screen.queryByText(/Sign out your other devices/)).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Sign out other devices' })).not.toBeInTheDocument()

    // Signed in on another device meanwhile.
    setActive(['sess_1', 'sess_2'])
    await u.click(within(phones).getByRole('button', { name: 'Use for two-step verification' }))
    expect(await within(phones).findByText(/You are signed in on 1 other device\./)).toBeInTheDocument()
    expect(within(phones).getByRole('button', { name: 'Sign out other devices' })).toBeInTheDocument()
  })

  it('lists the sessions that could not be signed out, keeps the others ended, and tries the rest again', async () => {
    const u = userEvent.setup()
    const { server } = withSessions(['sess_1', 'sess_2', 'sess_3'], totpOn, ['sess_3'])
    renderApp('/account', server)
    const mfa = await enableTOTP(u)
    await u.click(await within(mfa).findByRole('button', { name: 'Sign out other devices' }))

    expect(await within(mfa).findByText('Signed out 1 of 2 other devices.')).toBeInTheDocument()
    const failure = within(mfa).getByRole('alert')
    expect(failure).toHaveTextContent(/The session signed in .+ is still signed in: Something went wrong\. \(long\)/)
    await waitFor(() => expect(failure).toHaveFocus())
    const sessions = screen.getByRole('region', { name: 'Active sessions' })
    await waitFor(() => expect(within(sessions).getAllByRole('button', { name: /Revoke/ })).toHaveLength(1))

    // Again: only the one left is asked for.
    await u.click(within(mfa).getByRole('button', { name: 'Sign out other devices' }))
    expect(await within(mfa).findByText('Signed out 1 other device.')).toBeInTheDocument()
    expect(revoked(server).filter((id) => id === 'sess_2')).toHaveLength(1)
    expect(revoked(server).filter((id) => id === 'sess_3')).toHaveLength(2)
    expect(within(mfa).queryByRole('alert')).not.toBeInTheDocument()
    await waitFor(() => expect(within(sessions).queryByRole('button', { name: /Revoke/ })).not.toBeInTheDocument())
  })

  it('Dismiss closes the offer without signing anything out, focus going to the section heading', async () => {
    const u = userEvent.setup()
    const { server } = withSessions(['sess_1', 'sess_2'], totpOn)
    renderApp('/account', server)
    const mfa = await enableTOTP(u)
    await within(mfa).findByText(/You are signed in on 1 other device\./)
    await u.click(within(mfa).getByRole('button', { name: 'Dismiss' }))
    expect(within(mfa).queryByText(/Sign out your other devices/)).not.toBeInTheDocument()
    expect(within(mfa).queryByRole('button', { name: 'Sign out other devices' })).not.toBeInTheDocument()
    expect(within(mfa).getByRole('heading', { name: 'Two-step verification' })).toHaveFocus()
    expect(revoked(server)).toEqual([])
  })
})
