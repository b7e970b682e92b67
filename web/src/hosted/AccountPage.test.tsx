import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { emptyClient, fakeServer, gqlError, signedInClient, tokenReply, user, type Handler } from '../../test/fakeServer'
import { renderApp } from '../../test/renderApp'

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

const session = (id: string) => ({
  id,
  status: 'active',
  userId: 'user_1',
  clientId: 'client_1',
  createdAt: '2026-01-02T03:04:05Z',
  lastActiveAt: '2026-01-02T03:04:05Z',
  expireAt: '2026-01-09T03:04:05Z',
})

const trusted = {
  id: 'tc_1',
  clientId: 'client_2',
  method: 'email_code',
  ipAddress: '203.0.113.9',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  createdAt: '2026-01-02T03:04:05Z',
  lastUsedAt: null,
  current: false,
}

function signedIn(extra: Record<string, Handler | Handler[]> = {}) {
  return fakeServer({
    Client: signedInClient,
    SessionTokenCreate: () => tokenReply('jwt_1'),
    Me: () => ({ data: { me: user() } }),
    Sessions: () => ({ data: { sessions: [session('sess_1'), session('sess_2')] } }),
    TrustedClients: () => ({ data: { trustedClients: [trusted] } }),
    ...extra,
  })
}

describe('/account', () => {
  it('sends a signed-out visitor to sign in, coming back here afterwards', async () => {
    const { router } = renderApp('/account?publishableKey=pk_1', fakeServer({ Client: emptyClient }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/sign-in'))
    expect(new URLSearchParams(router.state.location.search).get('redirect_url')).toBe('/account')
    expect(new URLSearchParams(router.state.location.search).get('publishableKey')).toBe('pk_1')
  })

  it("shows the user's email addresses, sessions and trusted devices, with the session JWT", async () => {
    const server = signedIn()
    renderApp('/account', server)
    expect(await screen.findByRole('heading', { name: 'Your account' })).toBeInTheDocument()
    const emails = screen.getByRole('region', { name: 'Email addresses' })
    expect(within(emails).getByText('jane@example.com')).toBeInTheDocument()
    expect(within(emails).getByText('Primary')).toBeInTheDocument()

    const sessions = screen.getByRole('region', { name: 'Active sessions' })
    expect(await within(sessions).findByText('This device')).toBeInTheDocument()
    expect(within(sessions).getAllByRole('button', { name: /Revoke/ })).toHaveLength(1)

    const devices = screen.getByRole('region', { name: 'Trusted devices' })
    expect(await within(devices).findByText('Firefox on Linux', { selector: 'div' })).toBeInTheDocument()
    expect(server.last('TrustedClients')!.headers.authorization).toBe('Bearer jwt_1')
  })

  it('revokes a trusted device and another session', async () => {
    const u = userEvent.setup()
    const server = signedIn({
      TrustedClientRevoke: () => ({ data: { trustedClientRevoke: true } }),
      SessionRevoke: () => ({ data: { sessionRevoke: { ...session('sess_2'), status: 'revoked' } } }),
    })
    renderApp('/account', server)
    const devices = await screen.findByRole('region', { name: 'Trusted devices' })
    await u.click(await within(devices).findByRole('button', { name: /Revoke/ }))
    await waitFor(() => expect(server.last('TrustedClientRevoke')?.variables).toEqual({ id: 'tc_1' }))
    expect(await within(devices).findByText(/is no longer trusted/)).toBeInTheDocument()

    const sessions = screen.getByRole('region', { name: 'Active sessions' })
    await u.click(await within(sessions).findByRole('button', { name: /Revoke/ }))
    await waitFor(() => expect(server.last('SessionRevoke')?.variables).toEqual({ id: 'sess_2' }))
  })

  it('enrols an authenticator app: QR code and secret, verify, then backup codes shown once', async () => {
    const u = userEvent.setup()
    const server = signedIn({
      Me: [() => ({ data: { me: user() } }), () => ({ data: { me: user({ totpEnabled: true, twoFactorEnabled: true, backupCodeEnabled: true }) } })],
      TotpCreate: () => ({
        data: { totpCreate: { id: 'totp_1', secret: 'JBSWY3DPEHPK3PXP', uri: 'otpauth://totp/x', qrCodePng: 'iVBORw0KGgo=', verified: false } },
      }),
      TotpVerify: [
        () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
        () => ({ data: { totpVerify: { id: 'totp_1', verified: true, backupCodes: ['aaaa-1111', 'bbbb-2222'] } } }),
      ],
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Set up authenticator app' }))

    const qr = await screen.findByRole('img', { name: 'QR code to scan with your authenticator app' })
    expect(qr).toHaveAttribute('src', 'data:image/png;base64,iVBORw0KGgo=')
    expect(screen.getByText('JBSW Y3DP EHPK 3PXP')).toBeInTheDocument()

    await u.type(screen.getByLabelText('Code from the app'), '000000')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    expect(await screen.findByText('Incorrect code (long)')).toBeInTheDocument()
    await u.clear(screen.getByLabelText('Code from the app'))
    await u.type(screen.getByLabelText('Code from the app'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))

    const codes = await screen.findByRole('list', { name: 'Backup codes' })
    expect(within(codes).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['aaaa-1111', 'bbbb-2222'])
    expect(server.last('TotpVerify')!.variables).toEqual({ code: '123456' })

    await u.click(screen.getByRole('button', { name: 'Copy' }))
    expect(await navigator.clipboard.readText()).toBe('aaaa-1111\nbbbb-2222')

    const print = vi.spyOn(window, 'print').mockImplementation(() => {})
    await u.click(screen.getByRole('button', { name: 'Print' }))
    expect(print).toHaveBeenCalled()

    await u.click(screen.getByRole('button', { name: "I've saved my codes" }))
    expect(screen.queryByRole('list', { name: 'Backup codes' })).not.toBeInTheDocument()
    expect(await screen.findByRole('button', { name: 'Generate new codes' })).toBeInTheDocument()
  })

  it('adds a phone number, verifies it by SMS and uses it for two-step verification', async () => {
    const u = userEvent.setup()
    const unverified = { id: 'phn_1', phoneNumber: '+15551234567', verified: false, reservedForSecondFactor: false }
    const verified = { ...unverified, verified: true }
    const server = signedIn({
      Me: [
        () => ({ data: { me: user() } }),
        () => ({ data: { me: user({ phoneNumbers: [unverified] }) } }),
        () => ({ data: { me: user({ phoneNumbers: [verified] }) } }),
        () => ({ data: { me: user({ phoneNumbers: [{ ...verified, reservedForSecondFactor: true }], twoFactorEnabled: true }) } }),
      ],
      PhoneNumberCreate: () => ({ data: { phoneNumberCreate: unverified } }),
      PhoneNumberPrepareVerification: () => ({ data: { phoneNumberPrepareVerification: unverified } }),
      PhoneNumberAttemptVerification: () => ({ data: { phoneNumberAttemptVerification: verified } }),
      PhoneNumberReserveForSecondFactor: () => ({
        data: { phoneNumberReserveForSecondFactor: { ...verified, reservedForSecondFactor: true } },
      }),
    })
    renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Add a phone number' }))
    await u.type(screen.getByLabelText('New phone number'), '+15551234567')
    await u.click(screen.getByRole('button', { name: 'Add phone number' }))
    await waitFor(() => expect(server.last('PhoneNumberPrepareVerification')?.variables).toEqual({ id: 'phn_1' }))
    expect(server.last('PhoneNumberCreate')!.variables).toEqual({ phoneNumber: '+15551234567' })

    await u.type(await screen.findByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    expect(await screen.findByText('+15551234567 is verified.')).toBeInTheDocument()

    await u.click(screen.getByRole('button', { name: 'Use for two-step verification' }))
    await waitFor(() =>
      expect(server.last('PhoneNumberReserveForSecondFactor')?.variables).toEqual({ id: 'phn_1', reserved: true }),
    )
    expect(await screen.findByText('Two-step verification', { selector: '.badge' })).toBeInTheDocument()
  })

  it('changes the password, checking the confirmation first and showing a wrong current password', async () => {
    const u = userEvent.setup()
    const server = signedIn({
      PasswordUpdate: [
        () => gqlError('form_password_incorrect', 'Password is incorrect.', 'current'),
        () => ({ data: { passwordUpdate: true } }),
      ],
    })
    renderApp('/account', server)
    await u.type(await screen.findByLabelText('Current password'), 'old')
    await u.type(screen.getByLabelText('New password'), 'a new passphrase')
    await u.type(screen.getByLabelText('Confirm new password'), 'a different one')
    await u.click(screen.getByRole('button', { name: 'Change password' }))
    expect(await screen.findByText("The passwords don't match.")).toBeInTheDocument()
    expect(server.ops()).not.toContain('PasswordUpdate')

    await u.clear(screen.getByLabelText('Confirm new password'))
    await u.type(screen.getByLabelText('Confirm new password'), 'a new passphrase')
    await u.click(screen.getByRole('button', { name: 'Change password' }))
    const wrong = await screen.findByText('Password is incorrect. (long)')
    expect(screen.getByLabelText('Current password').getAttribute('aria-describedby')).toBe(wrong.id)

    await u.click(screen.getByRole('button', { name: 'Change password' }))
    expect(await screen.findByText(/Your password was changed/)).toBeInTheDocument()
    expect(server.last('PasswordUpdate')!.variables).toEqual({ current: 'old', new: 'a new passphrase' })
  })

  it('keeps "Sign in again" as the fallback when a change needs a recent sign-in, and comes back here', async () => {
    const u = userEvent.setup()
    const server = signedIn({
      TotpCreate: () => gqlError('session_reverification_required', 'Sign in again to continue.'),
      SessionVerificationCreate: () => gqlError('too_many_requests', 'Too many requests.', undefined, { retryAfterSeconds: 90 }),
      SignOut: () => ({ data: { signOut: true } }),
    })
    const { router } = renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Set up authenticator app' }))
    // "Confirm it's you" could not start: its error, a retry, and the fallback.
    const dialog = await screen.findByRole('dialog', { name: "Confirm it's you" })
    expect(await within(dialog).findByText('Too many requests. (long) Try again in 2 minutes.')).toBeInTheDocument()
    expect(within(dialog).getByRole('button', { name: 'Try again' })).toBeInTheDocument()
    await u.click(within(dialog).getByRole('button', { name: 'Sign in again' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/sign-in'))
    expect(server.last('SignOut')).toBeDefined()
    expect(new URLSearchParams(router.state.location.search).get('redirect_url')).toBe('/account')
  })

  it('signs out and returns to sign-in', async () => {
    const u = userEvent.setup()
    const server = signedIn({ SignOut: () => ({ data: { signOut: true } }) })
    const { router } = renderApp('/account', server)
    await u.click(await screen.findByRole('button', { name: 'Sign out' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/sign-in'))
    expect(server.last('SignOut')!.variables).toEqual({ sessionId: null })
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument()
  })
})
