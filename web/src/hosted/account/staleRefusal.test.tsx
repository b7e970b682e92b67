import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeServer, gqlError, user, type Handler, accountServer, sessionJSON } from '../../../test/fakeServer'
import { emulateChromiumFocusFixup } from '../../../test/focus'
import { renderApp } from '../../../test/renderApp'

function signedIn(extra: Record<string, Handler | Handler[]>) {
  return accountServer({ Sessions: () => ({ data: { sessions: [sessionJSON('sess_1')] } }), ...extra })
}

const meCalls = (server: ReturnType<typeof fakeServer>) => server.ops().filter((o) => o === 'Me').length

const totpCreated = () => ({
  data: { totpCreate: { id: 'totp_1', secret: 'JBSWY3DPEHPK3PXP', uri: 'otpauth://totp/x', qrCodePng: null, verified: false } },
})

const number = { id: 'phn_1', phoneNumber: '+15551234567', verified: true, reservedForSecondFactor: false, defaultSecondFactor: false }

/** removeNumber answers "Remove" on `number`, listed in the phone numbers, with "Remove" in the question it asks. */
async function removeNumber(u: ReturnType<typeof userEvent.setup>) {
  const phones = await screen.findByRole('region', { name: 'Phone numbers' })
  await u.click(await within(phones).findByRole('button', { name: 'Remove' }))
  const question = within(phones).getByRole('group', { name: /Remove \+15551234567/ })
  await u.click(within(question).getByRole('button', { name: 'Remove' }))
  return { phones, question }
}

describe('/account, a refusal because the page is out of date', () => {
  it('a wrong authenticator code is shown beside its input without reading the account again; a setup finished in another tab closes the panel, saying so', async () => {
    emulateChromiumFocusFixup()
    const u = userEvent.setup()
    const server = signedIn({
      Me: [() => ({ data: { me: user() } }), () => ({ data: { me: user({ totpEnabled: true, twoFactorEnabled: true }) } })],
      TotpCreate: totpCreated,
      TotpVerify: [
        () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
        () => gqlError('totp_already_enabled', 'An authenticator app is already set up.'),
      ],
    })
    renderApp('/account', server)
    const mfa = await screen.findByRole('region', { name: 'Two-step verification' })
    await u.click(within(mfa).getByRole('button', { name: 'Set up authenticator app' }))
    await u.type(await within(mfa).findByLabelText('Code from the app'), '000000')
    await u.click(within(mfa).getByRole('button', { name: 'Verify' }))
    expect(await within(mfa).findByText('Incorrect code (long)')).toBeInTheDocument()
    // About the input: the account is not read again, and the code can be typed again.
    expect(meCalls(server)).toBe(1)
    expect(within(mfa).getByLabelText('Code from the app')).toBeEnabled()

    await u.clear(within(mfa).getByLabelText('Code from the app'))
    await u.type(within(mfa).getByLabelText('Code from the app'), '123456')
    await u.click(within(mfa).getByRole('button', { name: 'Verify' }))
    // Another tab finished the setup: the account, read again, shows the app on, and this setup's panel closes
    // (its secret and code input no longer apply), the section saying why, with the focus the busy button dropped.
    expect(await within(mfa).findByText('On')).toBeInTheDocument()
    expect(meCalls(server)).toBe(2)
    await waitFor(() => expect(within(mfa).queryByLabelText('Code from the app')).not.toBeInTheDocument())
    expect(within(mfa).queryByText(/Enter this key instead/)).not.toBeInTheDocument()
    const alert = within(mfa).getByRole('alert')
    expect(alert).toHaveTextContent('An authenticator app is already on your account: it was set up elsewhere.')
    await waitFor(() => expect(alert).toHaveFocus())
    expect(within(mfa).getByRole('button', { name: 'Turn off' })).toBeInTheDocument()
  })

  it('an authenticator setup removed in another tab (verification_missing) reads the account again and closes its panel, saying so', async () => {
    emulateChromiumFocusFixup()
    const u = userEvent.setup()
    const server = signedIn({
      Me: () => ({ data: { me: user() } }),
      TotpCreate: totpCreated,
      TotpVerify: () => gqlError('verification_missing', 'Verification missing.'),
    })
    renderApp('/account', server)
    const mfa = await screen.findByRole('region', { name: 'Two-step verification' })
    await u.click(within(mfa).getByRole('button', { name: 'Set up authenticator app' }))
    await u.type(await within(mfa).findByLabelText('Code from the app'), '123456')
    await u.click(within(mfa).getByRole('button', { name: 'Verify' }))
    // The enrolment this panel shows is gone: the account is read again, and the panel closes, saying so.
    await waitFor(() => expect(within(mfa).queryByLabelText('Code from the app')).not.toBeInTheDocument())
    expect(meCalls(server)).toBe(2)
    const alert = within(mfa).getByRole('alert')
    expect(alert).toHaveTextContent('This authenticator app setup is no longer on your account: it was cancelled elsewhere.')
    await waitFor(() => expect(alert).toHaveFocus())
    // It can be started again, afresh: neither the message nor the old refusal comes with the new panel.
    await u.click(within(mfa).getByRole('button', { name: 'Set up authenticator app' }))
    expect(await within(mfa).findByLabelText('Code from the app')).toBeInTheDocument()
    expect(within(mfa).queryByRole('alert')).not.toBeInTheDocument()
    expect(server.ops().filter((o) => o === 'TotpCreate')).toHaveLength(2)
  })

  it('revoking a session that ended elsewhere reads the list again, keeping the refusal shown with focus on it', async () => {
    const u = userEvent.setup()
    const server = signedIn({
      Sessions: [() => ({ data: { sessions: [sessionJSON('sess_1'), sessionJSON('sess_2')] } }), () => ({ data: { sessions: [sessionJSON('sess_1')] } })],
      SessionRevoke: () => gqlError('resource_not_found', 'Not found.', 'id'),
    })
    renderApp('/account', server)
    const sessions = await screen.findByRole('region', { name: 'Active sessions' })
    await u.click(await within(sessions).findByRole('button', { name: /Revoke/ }))
    await waitFor(() => expect(within(sessions).queryByRole('button', { name: /Revoke/ })).not.toBeInTheDocument())
    expect(server.ops().filter((o) => o === 'Sessions')).toHaveLength(2)
    const alert = within(sessions).getByRole('alert')
    expect(alert).toHaveTextContent('Not found. (long)')
    await waitFor(() => expect(alert).toHaveFocus())
    expect(meCalls(server)).toBe(1)
  })

  it.each([
    ['Remove', 'EmailAddressDelete', /Remove jane@work.example/],
    ['Make primary', 'EmailAddressSetPrimary', /Make jane@work.example your primary/],
  ])(
    '"%s" asked about an address removed in another tab: the question closes, the section saying so, with focus there',
    async (button, op, name) => {
      emulateChromiumFocusFixup()
      const u = userEvent.setup()
      const primary = { id: 'ema_1', emailAddress: 'jane@example.com', verified: true }
      const other = { id: 'ema_2', emailAddress: 'jane@work.example', verified: true }
      const server = signedIn({
        Me: [() => ({ data: { me: user({ emailAddresses: [primary, other] }) } }), () => ({ data: { me: user({ emailAddresses: [primary] }) } })],
        [op]: () => gqlError('resource_not_found', 'Not found.', 'id'),
      })
      renderApp('/account', server)
      const emails = await screen.findByRole('region', { name: 'Email addresses' })
      const row = (await within(emails).findByText('jane@work.example')).closest('li')!
      await u.click(within(row).getByRole('button', { name: button }))
      const question = within(emails).getByRole('group', { name })
      await u.click(within(question).getByRole('button', { name: button }))
      // The account read again no longer lists the address: the question about it closes, not offering to try again.
      await waitFor(() => expect(question).not.toBeInTheDocument())
      expect(meCalls(server)).toBe(2)
      expect(within(emails).queryByText('jane@work.example', { selector: '.list .identifier' })).not.toBeInTheDocument()
      // Its refusal left with it: the section says what happened, and focus (dropped with the busy button) goes there.
      const alert = within(emails).getByRole('alert')
      expect(alert).toHaveTextContent('jane@work.example is no longer on your account: it was removed elsewhere.')
      await waitFor(() => expect(alert).toHaveFocus())
    },
  )

  it('"Remove" asked about a number removed in another tab: the question closes, the section saying so, with focus there', async () => {
    emulateChromiumFocusFixup()
    const u = userEvent.setup()
    const server = signedIn({
      Me: [() => ({ data: { me: user({ phoneNumbers: [number] }) } }), () => ({ data: { me: user() } })],
      PhoneNumberDelete: () => gqlError('resource_not_found', 'Not found.', 'id'),
    })
    renderApp('/account', server)
    const { phones, question } = await removeNumber(u)
    await waitFor(() => expect(question).not.toBeInTheDocument())
    expect(meCalls(server)).toBe(2)
    const alert = within(phones).getByRole('alert')
    expect(alert).toHaveTextContent('+15551234567 is no longer on your account: it was removed elsewhere.')
    await waitFor(() => expect(alert).toHaveFocus())
    expect(server.ops().filter((o) => o === 'PhoneNumberDelete')).toHaveLength(1)
  })

  it('a question whose refusal is about something else stays open with it when the account read again still lists its number', async () => {
    const u = userEvent.setup()
    const server = signedIn({
      Me: () => ({ data: { me: user({ phoneNumbers: [number] }) } }),
      PhoneNumberDelete: () => gqlError('resource_forbidden', 'This phone number is the last way to sign in to this account.', 'id'),
    })
    renderApp('/account', server)
    const { phones, question } = await removeNumber(u)
    // resource_forbidden reads the account again; the number is still there, so the question and its refusal stay.
    await waitFor(() => expect(meCalls(server)).toBe(2))
    expect(await within(question).findByRole('alert')).toHaveTextContent('the last way to sign in')
    await waitFor(() => expect(within(question).getByRole('button', { name: 'Remove' })).toBeEnabled())
    expect(question).toBeInTheDocument()
    expect(within(phones).queryByText(/no longer on your account/)).not.toBeInTheDocument()
  })
})

describe('/account, a code step whose identifier was removed in another tab', () => {
  it('"Verify" refused because the address is gone: the step closes, saying so, with focus on that (not the body)', async () => {
    const u = userEvent.setup()
    const primary = { id: 'ema_1', emailAddress: 'jane@example.com', verified: true }
    const added = { id: 'ema_2', emailAddress: 'jane@work.example', verified: false }
    const server = signedIn({
      Me: [() => ({ data: { me: user({ emailAddresses: [primary, added] }) } }), () => ({ data: { me: user({ emailAddresses: [primary] }) } })],
      EmailAddressPrepareVerification: () => ({ data: { emailAddressPrepareVerification: added } }),
      EmailAddressAttemptVerification: () => gqlError('resource_not_found', 'Not found.', 'id'),
    })
    renderApp('/account', server)
    const emails = await screen.findByRole('region', { name: 'Email addresses' })
    const row = (await within(emails).findByText('jane@work.example')).closest('li')!
    await u.click(within(row).getByRole('button', { name: 'Verify' }))
    await u.type(await within(emails).findByLabelText('Verification code'), '123456')
    await u.click(within(emails).getByRole('button', { name: 'Verify' }))
    // The account read again no longer lists the address: its step closes.
    await waitFor(() => expect(within(emails).queryByLabelText('Verification code')).not.toBeInTheDocument())
    expect(meCalls(server)).toBe(2)
    // The step's refusal left with it: the section says why the step closed, and focus is not dropped on the body.
    const alert = await within(emails).findByRole('alert')
    expect(alert).toHaveTextContent('jane@work.example is no longer on your account')
    await waitFor(() => expect(alert).toHaveFocus())
  })
})
