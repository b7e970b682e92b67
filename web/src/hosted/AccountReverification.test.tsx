import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  accountServer,
  EMAIL_FACTOR,
  fakeServer,
  gqlError,
  mfaSessionVerification,
  PASSWORD_FACTOR,
  PHONE_FACTOR,
  reverificationRequired,
  sessionVerification,
  user,
  verifiedSession,
} from '../../test/fakeServer'
import { emulateChromiumFocusFixup } from '../../test/focus'
import { renderApp } from '../../test/renderApp'

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

/** cooldown is the server's refusal of a send within 30 s of the last code to the address (verification.Codes.Cooldown). */
const cooldown = (retryAfterSeconds = 25) =>
  gqlError('verification_code_too_many_requests', 'Too many requests.', undefined, { retryAfterSeconds })

const emailCodePending = { status: 'unverified', strategy: 'email_code', attempts: 0, expireAt: '2026-01-02T03:14:05Z' }

const totpCreated = () => ({
  data: { totpCreate: { id: 'totp_1', secret: 'JBSWY3DPEHPK3PXP', uri: 'otpauth://totp/x', qrCodePng: 'iVBORw0KGgo=', verified: false } },
})

/** accountOps lists the operations sent, without the token and list reads around them. */
function accountOps(server: ReturnType<typeof fakeServer>) {
  return server.ops().filter((o) => !['SessionTokenCreate', 'Client', 'Me', 'Sessions', 'TrustedClients', 'Environment'].includes(o))
}

const mfaUser = () => user({ twoFactorEnabled: true, totpEnabled: true, backupCodeEnabled: true })

describe("/account: Confirm it's you", () => {
  it('a user without MFA confirms with the password (a wrong one shown beside it), then the action runs again', async () => {
    const u = userEvent.setup()
    const server = accountServer({
      TotpCreate: [() => reverificationRequired('first_factor'), totpCreated],
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification() } }),
      SessionVerificationAttemptFirstFactor: [
        () => gqlError('form_password_incorrect', 'Password is incorrect.', 'password'),
        () => ({ data: { sessionVerificationAttemptFirstFactor: verifiedSession('password') } }),
      ],
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Set up authenticator app' }))

    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    const password = await within(dialog).findByLabelText('Password')
    expect(password).toHaveFocus()
    expect(password).toHaveAttribute('autocomplete', 'current-password')
    // The level the server named in the error's meta.
    expect(server.last('SessionVerificationCreate')!.variables).toEqual({ level: 'first_factor' })
    expect(server.last('SessionVerificationCreate')!.headers.authorization).toBe('Bearer jwt_1')
    // The other way offered, and the fallback.
    expect(within(dialog).getByRole('button', { name: 'Email a code to j***@example.com' })).toBeInTheDocument()
    expect(within(dialog).getByRole('button', { name: 'Sign in again' })).toBeInTheDocument()

    await u.type(password, 'wrong')
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }))
    const wrong = await within(dialog).findByText('Password is incorrect. (long)')
    expect(password.getAttribute('aria-describedby')).toBe(wrong.id)
    expect(password).toHaveAttribute('aria-invalid', 'true')
    expect(password).toHaveFocus()
    expect(server.last('SessionVerificationAttemptFirstFactor')!.variables).toEqual({ input: { strategy: 'password', password: 'wrong' } })

    await u.clear(password)
    await u.type(password, 'hunter22')
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }))

    expect(await screen.findByRole('img', { name: 'QR code to scan with your authenticator app' })).toBeInTheDocument()
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    expect(server.last('SessionVerificationAttemptFirstFactor')!.variables).toEqual({ input: { strategy: 'password', password: 'hunter22' } })
    expect(accountOps(server)).toEqual([
      'TotpCreate',
      'SessionVerificationCreate',
      'SessionVerificationAttemptFirstFactor',
      'SessionVerificationAttemptFirstFactor',
      'TotpCreate',
    ])
    // The error of the first try is not shown: the retry succeeded.
    expect(screen.queryByText(/recent verification/)).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Sign in again' })).not.toBeInTheDocument()
  })

  it('asks before making an email address primary, then makes it primary once the password passes', async () => {
    const u = userEvent.setup()
    const work = { id: 'ema_2', emailAddress: 'jane@work.example', verified: true }
    const after = user({ emailAddresses: [{ id: 'ema_1', emailAddress: 'jane@example.com', verified: true }, work], primaryEmailAddressId: 'ema_2' })
    const server = accountServer({
      Me: [() => ({ data: { me: user({ emailAddresses: after.emailAddresses }) } }), () => ({ data: { me: after } })],
      EmailAddressSetPrimary: [() => reverificationRequired('first_factor'), () => ({ data: { emailAddressSetPrimary: after } })],
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification() } }),
      SessionVerificationAttemptFirstFactor: () => ({ data: { sessionVerificationAttemptFirstFactor: verifiedSession('password') } }),
    })
    renderApp('/account', server)
    const emails = await screen.findByRole('region', { name: 'Email addresses' })
    await u.click(within(emails).getByRole('button', { name: 'Make primary' }))
    await u.click(within(within(emails).getByRole('group')).getByRole('button', { name: 'Make primary' }))

    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    await u.type(await within(dialog).findByLabelText('Password'), 'hunter22')
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }))
    expect(await within(emails).findByText(/jane@work.example is now your primary email address/)).toBeInTheDocument()
    expect(accountOps(server)).toEqual(['EmailAddressSetPrimary', 'SessionVerificationCreate', 'SessionVerificationAttemptFirstFactor', 'EmailAddressSetPrimary'])
  })

  it('a user with MFA confirms with the authenticator app, can switch factors, then the action runs again', async () => {
    const u = userEvent.setup()
    const server = accountServer({
      Me: () => ({ data: { me: mfaUser() } }),
      BackupCodesCreate: [() => reverificationRequired('second_factor'), () => ({ data: { backupCodesCreate: { codes: ['cccc-3333', 'dddd-4444'] } } })],
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: mfaSessionVerification() } }),
      SessionVerificationAttemptSecondFactor: [
        () => gqlError('form_code_incorrect', 'Incorrect code.', 'code'),
        () => ({ data: { sessionVerificationAttemptSecondFactor: verifiedSession('totp') } }),
      ],
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Generate new codes' }))

    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    const code = await within(dialog).findByLabelText('Authentication code')
    expect(code).toHaveAttribute('autocomplete', 'one-time-code')
    expect(server.last('SessionVerificationCreate')!.variables).toEqual({ level: 'second_factor' })
    expect(within(dialog).queryByLabelText('Password')).not.toBeInTheDocument()
    const others = within(dialog).getByRole('navigation', { name: 'Other ways to confirm' })
    expect(within(others).getAllByRole('button').map((b) => b.textContent)).toEqual(['Text a code to +1******4567', 'Use a backup code'])

    // Switch to a backup code and back: the authenticator app is offered again.
    await u.click(within(others).getByRole('button', { name: 'Use a backup code' }))
    expect(await within(dialog).findByLabelText('Backup code')).toHaveFocus()
    await u.click(within(dialog).getByRole('button', { name: 'Use your authenticator app' }))

    await u.type(await within(dialog).findByLabelText('Authentication code'), '000000')
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }))
    expect(await within(dialog).findByText('Incorrect code. (long)')).toBeInTheDocument()
    expect(within(dialog).getByLabelText('Authentication code')).toHaveFocus()
    await u.clear(within(dialog).getByLabelText('Authentication code'))
    await u.type(within(dialog).getByLabelText('Authentication code'), '123456')
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }))

    const codes = await screen.findByRole('list', { name: 'Backup codes' })
    expect(within(codes).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['cccc-3333', 'dddd-4444'])
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    expect(server.last('SessionVerificationAttemptSecondFactor')!.variables).toEqual({ input: { strategy: 'totp', code: '123456' } })
    expect(accountOps(server)).toEqual([
      'BackupCodesCreate',
      'SessionVerificationCreate',
      'SessionVerificationAttemptSecondFactor',
      'SessionVerificationAttemptSecondFactor',
      'BackupCodesCreate',
    ])
  })

  it('sends an email code on request, shows the resend cooldown, and retries the action once the code passes', async () => {
    const u = userEvent.setup()
    const added = { id: 'phn_2', phoneNumber: '+15557654321', verified: false, reservedForSecondFactor: false, defaultSecondFactor: false }
    const sent = sessionVerification({
      supportedFirstFactors: [EMAIL_FACTOR],
      firstFactorVerification: { status: 'unverified', strategy: 'email_code', attempts: 0, expireAt: '2026-01-02T03:14:05Z' },
    })
    const server = accountServer({
      PhoneNumberCreate: [() => reverificationRequired('first_factor'), () => ({ data: { phoneNumberCreate: added } })],
      PhoneNumberPrepareVerification: () => ({ data: { phoneNumberPrepareVerification: added } }),
      // A user without a password: the email code is the only first factor.
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification({ supportedFirstFactors: [EMAIL_FACTOR] }) } }),
      SessionVerificationPrepareFirstFactor: () => ({ data: { sessionVerificationPrepareFirstFactor: sent } }),
      SessionVerificationAttemptFirstFactor: [
        () => gqlError('verification_failed', 'Too many failed attempts.'),
        () => ({ data: { sessionVerificationAttemptFirstFactor: verifiedSession('email_code') } }),
      ],
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Add a phone number' }))
    await u.type(screen.getByLabelText('New phone number'), '+15557654321')
    await u.click(screen.getByRole('button', { name: 'Add phone number' }))

    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    expect(await within(dialog).findByText(/We'll email a 6-digit code to/)).toHaveTextContent("We'll email a 6-digit code to j***@example.com.")
    // Nothing is sent until asked.
    expect(accountOps(server)).toEqual(['PhoneNumberCreate', 'SessionVerificationCreate'])
    await u.click(within(dialog).getByRole('button', { name: 'Send code' }))

    const code = await within(dialog).findByLabelText('Verification code')
    expect(code).toHaveAttribute('autocomplete', 'one-time-code')
    expect(code).toHaveFocus()
    expect(server.last('SessionVerificationPrepareFirstFactor')!.variables).toEqual({
      input: { strategy: 'email_code', emailAddressId: 'ema_1' },
    })
    expect(within(dialog).getByText(/We sent a 6-digit code to/)).toHaveTextContent('We sent a 6-digit code to j***@example.com.')
    expect(within(dialog).getByRole('button', { name: /Resend code in \d+s/ })).toBeDisabled()

    await u.type(code, '111111')
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }))
    const failed = await within(dialog).findByText('Too many failed attempts. (long)')
    expect(code.getAttribute('aria-describedby')).toBe(failed.id)

    await u.clear(code)
    await u.type(code, '424242')
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }))
    await waitFor(() => expect(server.last('PhoneNumberPrepareVerification')?.variables).toEqual({ id: 'phn_2' }))
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    expect(server.last('SessionVerificationAttemptFirstFactor')!.variables).toEqual({ input: { strategy: 'email_code', code: '424242' } })
    expect(accountOps(server)).toEqual([
      'PhoneNumberCreate',
      'SessionVerificationCreate',
      'SessionVerificationPrepareFirstFactor',
      'SessionVerificationAttemptFirstFactor',
      'SessionVerificationAttemptFirstFactor',
      'PhoneNumberCreate',
      'PhoneNumberPrepareVerification',
    ])
    expect(server.last('PhoneNumberCreate')!.variables).toEqual({ phoneNumber: '+15557654321' })
  })

  it.each([
    ['Resend code', 'SessionVerificationPrepareFirstFactor', 'verification_already_verified'],
    ['Confirm', 'SessionVerificationAttemptFirstFactor', 'verification_already_verified'],
    ['Confirm', 'SessionVerificationAttemptFirstFactor', 'client_state_invalid'],
  ])('"%s" answering %s\'s %s (the code passed in another tab) reads the verification again and goes on', async (button, op, code) => {
    const u = userEvent.setup()
    const added = { id: 'phn_2', phoneNumber: '+15557654321', verified: false, reservedForSecondFactor: false, defaultSecondFactor: false }
    const sent = sessionVerification({ supportedFirstFactors: [EMAIL_FACTOR], firstFactorVerification: emailCodePending })
    const movedOn = () => gqlError(code, 'The code was used meanwhile.')
    const server = accountServer({
      PhoneNumberCreate: [() => reverificationRequired('first_factor'), () => ({ data: { phoneNumberCreate: added } })],
      PhoneNumberPrepareVerification: () => ({ data: { phoneNumberPrepareVerification: added } }),
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification({ supportedFirstFactors: [EMAIL_FACTOR] }) } }),
      SessionVerificationPrepareFirstFactor: [
        // A code sent a moment ago (the cooldown ends at once), so the code form and "Resend code" are there.
        () => cooldown(1),
        op === 'SessionVerificationPrepareFirstFactor' ? movedOn : () => ({ data: { sessionVerificationPrepareFirstFactor: sent } }),
      ],
      SessionVerificationAttemptFirstFactor: movedOn,
      SessionVerification: () => ({ data: { sessionVerification: verifiedSession('email_code') } }),
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Add a phone number' }))
    await u.type(screen.getByLabelText('New phone number'), '+15557654321')
    await u.click(screen.getByRole('button', { name: 'Add phone number' }))
    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    await u.click(await within(dialog).findByRole('button', { name: 'Send code' }))
    const input = await within(dialog).findByLabelText('Verification code')
    if (button === 'Confirm') await u.type(input, '424242')
    else await within(dialog).findByRole('button', { name: 'Resend code' }, { timeout: 3000 })
    await u.click(within(dialog).getByRole('button', { name: button }))

    await waitFor(() => expect(server.last('PhoneNumberPrepareVerification')?.variables).toEqual({ id: 'phn_2' }))
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    expect(accountOps(server)).toEqual(['PhoneNumberCreate', 'SessionVerificationCreate', 'SessionVerificationPrepareFirstFactor', op, 'SessionVerification', 'PhoneNumberCreate', 'PhoneNumberPrepareVerification'])
  })

  it('switching an MFA user to a text message sends it at once to the listed number', async () => {
    const u = userEvent.setup()
    const server = accountServer({
      Me: () => ({ data: { me: mfaUser() } }),
      TotpDisable: [() => reverificationRequired('second_factor'), () => ({ data: { totpDisable: true } })],
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: mfaSessionVerification() } }),
      SessionVerificationPrepareSecondFactor: [
        () => gqlError('too_many_requests', 'Too many requests.', undefined, { retryAfterSeconds: 20 }),
        () => ({ data: { sessionVerificationPrepareSecondFactor: mfaSessionVerification() } }),
      ],
      SessionVerificationAttemptSecondFactor: () => ({ data: { sessionVerificationAttemptSecondFactor: verifiedSession('totp') } }),
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Turn off' }))
    await u.click(screen.getByRole('button', { name: 'Turn off authenticator app' }))

    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    await u.click(await within(dialog).findByRole('button', { name: `Text a code to ${PHONE_FACTOR.safeIdentifier}` }))
    await waitFor(() =>
      expect(server.last('SessionVerificationPrepareSecondFactor')?.variables).toEqual({
        input: { strategy: 'phone_code', phoneNumberId: 'phn_1' },
      }),
    )
    // Refused by the rate limit (not a code's cooldown: no code is on its way): the wait is shown and the send
    // button counts it down.
    expect(await within(dialog).findByText(/Too many requests\. \(long\)/)).toBeInTheDocument()
    expect(within(dialog).getByRole('button', { name: /Send code in \d+s/ })).toBeDisabled()
    expect(within(dialog).queryByLabelText('Verification code')).not.toBeInTheDocument()
  })

  it('Cancel closes the dialog (focus back on the page) and leaves the error with "Sign in again"', async () => {
    const u = userEvent.setup()
    const server = accountServer({
      TotpCreate: () => reverificationRequired('first_factor'),
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification() } }),
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Set up authenticator app' }))
    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    await within(dialog).findByLabelText('Password')
    await u.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Set up authenticator app' })).toHaveFocus()
    // The page's own words, not the server's (which name the API).
    expect(await screen.findByRole('alert')).toHaveTextContent(
      "For your security, changing how you sign in needs a recent verification. Try again to confirm it's you, or sign in again.",
    )
    expect(screen.getByRole('button', { name: 'Sign in again' })).toBeInTheDocument()
    expect(server.ops().filter((o) => o === 'TotpCreate')).toHaveLength(1)
  })

  it('gives focus back to the action\'s button even though the busy button dropped it (as Chromium does)', async () => {
    emulateChromiumFocusFixup()
    const u = userEvent.setup()
    const server = accountServer({
      // As over a network: the answer takes a moment, while the button is busy (disabled) and focus is on <body>.
      TotpCreate: async () => (await new Promise((r) => setTimeout(r, 50)), reverificationRequired('first_factor')),
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification() } }),
    })
    renderApp('/account', server)
    const button = await screen.findByRole('button', { name: 'Set up authenticator app' })
    await u.click(button)
    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    await within(dialog).findByLabelText('Password')
    await u.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Set up authenticator app' })).toHaveFocus()

    // And after Cancel.
    await u.click(screen.getByRole('button', { name: 'Set up authenticator app' }))
    const again = await screen.findByRole('dialog', { name: "Confirm it's you" })
    await within(again).findByLabelText('Password')
    await u.click(within(again).getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Set up authenticator app' })).toHaveFocus()
  })

  it('after Cancel and "Try again", the code already sent can be entered (the cooldown refuses a new send)', async () => {
    const u = userEvent.setup()
    const server = accountServer({
      TotpCreate: [() => reverificationRequired('first_factor'), () => reverificationRequired('first_factor'), totpCreated],
      // A user without a password. The second start keeps the code sent meanwhile (reverify.go StartVerification).
      SessionVerificationCreate: [
        () => ({ data: { sessionVerificationCreate: sessionVerification({ supportedFirstFactors: [EMAIL_FACTOR] }) } }),
        () => ({
          data: { sessionVerificationCreate: sessionVerification({ supportedFirstFactors: [EMAIL_FACTOR], firstFactorVerification: emailCodePending }) },
        }),
      ],
      SessionVerificationPrepareFirstFactor: [
        () => ({
          data: {
            sessionVerificationPrepareFirstFactor: sessionVerification({ supportedFirstFactors: [EMAIL_FACTOR], firstFactorVerification: emailCodePending }),
          },
        }),
        () => cooldown(25),
      ],
      SessionVerificationAttemptFirstFactor: () => ({ data: { sessionVerificationAttemptFirstFactor: verifiedSession('email_code') } }),
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Set up authenticator app' }))
    let dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    await u.click(await within(dialog).findByRole('button', { name: 'Send code' }))
    await within(dialog).findByLabelText('Verification code')
    await u.click(within(dialog).getByRole('button', { name: 'Cancel' }))

    // "Try again to confirm it's you", as the page says.
    await u.click(screen.getByRole('button', { name: 'Set up authenticator app' }))
    dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    await u.click(await within(dialog).findByRole('button', { name: 'Send code' }))
    await waitFor(() => expect(server.ops().filter((o) => o === 'SessionVerificationPrepareFirstFactor')).toHaveLength(2))
    // The code in the user's inbox is still the one the verification holds: it is asked for, with the cooldown
    // on the resend button instead of an error.
    const code = await within(dialog).findByLabelText('Verification code')
    expect(within(dialog).getByText(/We sent a 6-digit code to/)).toHaveTextContent('We sent a 6-digit code to j***@example.com.')
    expect(within(dialog).getByRole('button', { name: /Resend code in (2[0-5])s/ })).toBeDisabled()
    expect(within(dialog).queryByText(/Too many requests/)).not.toBeInTheDocument()

    await u.type(code, '123456')
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }))
    expect(await screen.findByRole('img', { name: 'QR code to scan with your authenticator app' })).toBeInTheDocument()
    expect(server.last('SessionVerificationAttemptFirstFactor')!.variables).toEqual({ input: { strategy: 'email_code', code: '123456' } })
  })

  it('switching to the password and back to the email code asks for the code sent (the cooldown refuses a new one)', async () => {
    const u = userEvent.setup()
    const pending = sessionVerification({ firstFactorVerification: emailCodePending })
    const server = accountServer({
      TotpCreate: () => reverificationRequired('first_factor'),
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification() } }),
      SessionVerificationPrepareFirstFactor: [() => ({ data: { sessionVerificationPrepareFirstFactor: pending } }), () => cooldown(12)],
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Set up authenticator app' }))
    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    await within(dialog).findByLabelText('Password')
    const emailMe = `Email a code to ${EMAIL_FACTOR.safeIdentifier}`
    await u.click(within(dialog).getByRole('button', { name: emailMe }))
    await within(dialog).findByLabelText('Verification code')
    await u.click(within(dialog).getByRole('button', { name: 'Use your password' }))
    await within(dialog).findByLabelText('Password')
    await u.click(within(dialog).getByRole('button', { name: emailMe }))
    await waitFor(() => expect(server.ops().filter((o) => o === 'SessionVerificationPrepareFirstFactor')).toHaveLength(2))
    expect(await within(dialog).findByLabelText('Verification code')).toBeInTheDocument()
    expect(within(dialog).getByRole('button', { name: /Resend code in \d+s/ })).toBeDisabled()
    expect(within(dialog).queryByText(/Too many requests/)).not.toBeInTheDocument()
  })

  it('fills the hidden username for password managers with the username of a user without email or phone', async () => {
    const u = userEvent.setup()
    const server = accountServer({
      Me: () => ({ data: { me: user({ username: 'jane', emailAddresses: [], primaryEmailAddressId: null, phoneNumbers: [] }) } }),
      TotpCreate: () => reverificationRequired('first_factor'),
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification({ supportedFirstFactors: [PASSWORD_FACTOR] }) } }),
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Set up authenticator app' }))
    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    const password = await within(dialog).findByLabelText('Password')
    const username = password.closest('form')!.querySelector('input[name="username"]')
    expect(username).toHaveAttribute('autocomplete', 'username')
    expect(username).toHaveValue('jane')
  })

  it('an expired verification offers to start again', async () => {
    const u = userEvent.setup()
    const server = accountServer({
      TotpCreate: [() => reverificationRequired('first_factor'), totpCreated],
      SessionVerificationCreate: () => ({ data: { sessionVerificationCreate: sessionVerification() } }),
      SessionVerificationAttemptFirstFactor: [
        () => gqlError('verification_expired', 'Verification expired.'),
        () => ({ data: { sessionVerificationAttemptFirstFactor: verifiedSession('password') } }),
      ],
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Set up authenticator app' }))
    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    await u.type(await within(dialog).findByLabelText('Password'), 'hunter22')
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }))
    expect(await within(dialog).findByText('Verification expired. (long)')).toBeInTheDocument()
    await u.click(within(dialog).getByRole('button', { name: 'Start again' }))
    await waitFor(() => expect(server.ops().filter((o) => o === 'SessionVerificationCreate')).toHaveLength(2))
    await u.type(await within(dialog).findByLabelText('Password'), 'hunter22')
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }))
    expect(await screen.findByRole('img', { name: 'QR code to scan with your authenticator app' })).toBeInTheDocument()
  })
})
