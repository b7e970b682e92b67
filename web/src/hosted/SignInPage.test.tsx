import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  complete,
  deferred,
  EMAIL_FACTOR,
  emptyClient,
  environment,
  fakeServer,
  firstFactorCodeSent,
  gqlError,
  identified,
  needsClientTrust,
  needsSecondFactor,
  PASSWORD_FACTOR,
  PHONE_FACTOR,
  signIn as signInJSON,
  signedInClient,
  tokenReply,
  TOTP_FACTOR,
  user,
  type Handler,
  type Reply,
} from '../../test/fakeServer'
import { emulateChromiumFocusFixup } from '../../test/focus'
import { renderApp } from '../../test/renderApp'
import { browser } from './location'

let assign: ReturnType<typeof vi.spyOn>
beforeEach(() => {
  assign = vi.spyOn(browser, 'assign').mockImplementation(() => {})
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

const accountHandlers: Record<string, Handler> = {
  Me: () => ({ data: { me: user() } }),
  Sessions: () => ({ data: { sessions: [] } }),
  TrustedClients: () => ({ data: { trustedClients: [] } }),
}

/** resetCodeSent is the sign-in after `signInCreate` with a reset strategy: the code is on its way. */
function resetCodeSent(strategy = 'reset_password_email_code', identifier = 'jane@example.com') {
  return signInJSON({
    identifier,
    firstFactorVerification: { status: 'unverified', strategy, attempts: 0, expireAt: '2026-03-01T00:10:00Z' },
  })
}

/** needsNewPassword is the sign-in after a reset code passed without a password. */
function needsNewPassword() {
  return signInJSON({
    status: 'needs_new_password',
    firstFactorVerification: { status: 'verified', strategy: 'reset_password_email_code', attempts: 1, expireAt: null },
  })
}

function clientWith(signIn: ReturnType<typeof signInJSON>) {
  return () => ({ data: { client: { id: 'c', signIn, sessions: [], lastActiveSessionId: null } } })
}

async function submitPassword(u: ReturnType<typeof userEvent.setup>, identifier = 'jane@example.com', password = 'correct horse') {
  await u.type(await screen.findByLabelText('Email address'), identifier)
  await u.type(screen.getByLabelText('Password'), password)
  await u.click(screen.getByRole('button', { name: 'Continue' }))
}

describe('/sign-in', () => {
  it('asks a new device for the emailed code, shows a wrong code beside the field, then goes to redirect_url', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => ({ data: { signInCreate: needsClientTrust(EMAIL_FACTOR) } }),
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } }),
      SignInAttemptSecondFactor: [
        () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
        () => ({ data: { signInAttemptSecondFactor: complete() } }),
      ],
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    renderApp('/sign-in?publishableKey=pk_test_1&redirect_url=%2Fafter%3Fx%3D1', server)

    await submitPassword(u)

    expect(await screen.findByRole('heading', { name: 'Check your email' })).toBeInTheDocument()
    expect(
      screen.getByText("You're signing in from a new device. We're asking for verification to keep your account secure."),
    ).toBeInTheDocument()
    expect(await screen.findByText('j***@example.com')).toBeInTheDocument()
    await waitFor(() => expect(server.ops()).toContain('SignInPrepareSecondFactor'))
    expect(server.calls.every((c) => c.headers['x-publishable-key'] === 'pk_test_1')).toBe(true)

    const code = screen.getByLabelText('Verification code')
    expect(code).toHaveAttribute('autocomplete', 'one-time-code')
    expect(code).toHaveAttribute('inputmode', 'numeric')
    expect(await screen.findByRole('button', { name: /Resend code in 30s/ })).toBeDisabled()

    await u.type(code, '000000')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    const error = await screen.findByText('Incorrect code (long)')
    expect(screen.getByLabelText('Verification code')).toHaveAttribute('aria-invalid', 'true')
    expect(screen.getByLabelText('Verification code').getAttribute('aria-describedby')).toContain(error.id)

    await u.clear(screen.getByLabelText('Verification code'))
    await u.type(screen.getByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(assign).toHaveBeenCalledWith(`${window.location.origin}/after?x=1`))
    expect(server.last('SessionTokenCreate')!.variables).toEqual({ sessionId: 'sess_1' })
  })

  it('texts the code when the app has no email (phone_code factor) and signs in by phone number', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => ({ data: { signInCreate: needsClientTrust(PHONE_FACTOR) } }),
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(PHONE_FACTOR, 'pending') } }),
    })
    renderApp('/sign-in', server)
    await u.click(await screen.findByRole('radio', { name: 'Phone' }))
    await u.type(screen.getByLabelText('Phone number'), '+15551234567')
    await u.type(screen.getByLabelText('Password'), 'pw')
    await u.click(screen.getByRole('button', { name: 'Continue' }))

    expect(await screen.findByRole('heading', { name: 'Check your phone' })).toBeInTheDocument()
    expect(await screen.findByText('+1******4567')).toBeInTheDocument()
    expect(server.last('SignInCreate')!.variables.input.identifier).toBe('+15551234567')
    await waitFor(() =>
      expect(server.last('SignInPrepareSecondFactor')?.variables.input).toEqual({ strategy: 'phone_code', phoneNumberId: 'phn_1' }),
    )
  })

  it('resumes a pending Client Trust check after a reload without sending another code', async () => {
    const server = fakeServer({
      Client: clientWith(needsClientTrust(EMAIL_FACTOR, 'pending')),
    })
    renderApp('/sign-in', server)
    expect(await screen.findByRole('heading', { name: 'Check your email' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Resend code' })).toBeEnabled()
    expect(server.ops()).toEqual(['Client'])
  })

  it('"Resend code" waits while a code is being checked, so its answer cannot hide the check\'s', async () => {
    const u = userEvent.setup()
    const answer = deferred<Reply>()
    const server = fakeServer({
      Client: clientWith(needsClientTrust(EMAIL_FACTOR, 'pending')),
      SignInAttemptSecondFactor: () => answer.promise,
    })
    renderApp('/sign-in', server)
    expect(await screen.findByRole('heading', { name: 'Check your email' })).toBeInTheDocument()
    await u.type(screen.getByLabelText('Verification code'), '000000')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(server.ops()).toContain('SignInAttemptSecondFactor'))
    expect(screen.getByRole('button', { name: 'Resend code' })).toBeDisabled()
    answer.resolve(gqlError('form_code_incorrect', 'Incorrect code', 'code'))
    expect(await screen.findByText('Incorrect code (long)')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Resend code' })).toBeEnabled()
  })

  it('checks a code once when Verify is pressed twice while a resend is on its way', async () => {
    const u = userEvent.setup()
    const sent = deferred<Reply>()
    const checked = deferred<Reply>()
    const server = fakeServer({
      Client: clientWith(needsClientTrust(EMAIL_FACTOR, 'pending')),
      SignInPrepareSecondFactor: () => sent.promise,
      SignInAttemptSecondFactor: () => checked.promise,
    })
    renderApp('/sign-in', server)
    await u.click(await screen.findByRole('button', { name: 'Resend code' }))
    await waitFor(() => expect(server.ops()).toContain('SignInPrepareSecondFactor'))
    await u.type(screen.getByLabelText('Verification code'), '000000')
    const verify = screen.getByRole('button', { name: 'Verify' })
    await u.click(verify)
    await waitFor(() => expect(server.ops()).toContain('SignInAttemptSecondFactor'))
    expect(verify).toBeDisabled()
    await u.click(verify)
    await u.type(screen.getByLabelText('Verification code'), '{Enter}')
    expect(server.ops().filter((o) => o === 'SignInAttemptSecondFactor')).toHaveLength(1)
    checked.resolve(gqlError('form_code_incorrect', 'Incorrect code', 'code'))
    expect(await screen.findByText('Incorrect code (long)')).toBeInTheDocument()
    sent.resolve({ data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } })
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('We sent you a new code.'))
    expect(server.ops().filter((o) => o === 'SignInAttemptSecondFactor')).toHaveLength(1)
  })

  it('moves focus to the error when "Resend code" fails (the busy button dropped it)', async () => {
    emulateChromiumFocusFixup()
    const u = userEvent.setup()
    const server = fakeServer({
      Client: clientWith(needsClientTrust(EMAIL_FACTOR, 'pending')),
      // As over a network: the answer takes a moment, while the button is busy (disabled) and focus is on <body>.
      SignInPrepareSecondFactor: async () => (
        await new Promise((r) => setTimeout(r, 50)), gqlError('delivery_failed', 'The message could not be sent.')
      ),
    })
    renderApp('/sign-in', server)
    await u.click(await screen.findByRole('button', { name: 'Resend code' }))
    const alert = await screen.findByRole('alert')
    expect(alert).toHaveTextContent('The message could not be sent. (long)')
    await waitFor(() => expect(alert).toHaveFocus())
    // Keyboard users go on from there: the button is enabled again (nothing was sent, no cooldown).
    expect(screen.getByRole('button', { name: 'Resend code' })).toBeEnabled()
  })

  it('moves focus to the code input when "Resend code" succeeds (the busy button dropped it), and says so', async () => {
    emulateChromiumFocusFixup()
    const u = userEvent.setup()
    const server = fakeServer({
      Client: clientWith(needsClientTrust(EMAIL_FACTOR, 'pending')),
      // As over a network: the answer takes a moment, while the button is busy (disabled) and focus is on <body>.
      SignInPrepareSecondFactor: async () => (
        await new Promise((r) => setTimeout(r, 50)), { data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } }
      ),
    })
    renderApp('/sign-in', server)
    await u.click(await screen.findByRole('button', { name: 'Resend code' }))
    // The live region was there, empty, before the send: its text changes.
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('We sent you a new code.'))
    // The button waits out the cooldown (disabled): the user goes on where the new code is typed.
    expect(screen.getByRole('button', { name: /Resend code in \d+s/ })).toBeDisabled()
    await waitFor(() => expect(screen.getByLabelText('Verification code')).toHaveFocus())
  })

  it('goes to redirect_url when "Resend code" finds the code used meanwhile and the sign-in completed (another tab)', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      // Then, read again: the sign-in completed elsewhere (the client lists none) and its session is this client's.
      Client: [clientWith(needsClientTrust(EMAIL_FACTOR, 'pending')), signedInClient],
      SignInPrepareSecondFactor: () => gqlError('verification_already_verified', 'Already verified.', 'strategy'),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
    })
    renderApp('/sign-in?redirect_url=%2Fafter', server)
    await u.click(await screen.findByRole('button', { name: 'Resend code' }))
    await waitFor(() => expect(assign).toHaveBeenCalledWith(`${window.location.origin}/after`))
    expect(server.ops().slice(0, 3)).toEqual(['Client', 'SignInPrepareSecondFactor', 'Client'])
    expect(screen.queryByText(/Already verified/)).not.toBeInTheDocument()
  })

  it.each([
    ['Verify', 'SignInAttemptSecondFactor'],
    ['Resend code', 'SignInPrepareSecondFactor'],
  ])('goes to redirect_url when "%s" finds the sign-in completed in another tab (already complete)', async (button, op) => {
    const u = userEvent.setup()
    const server = fakeServer({
      // The code was entered in another tab: the sign-in is complete, its session this client's active one.
      Client: [clientWith(needsClientTrust(EMAIL_FACTOR, 'pending')), signedInClient],
      [op]: () => gqlError('resource_forbidden', 'This sign-in is already complete.'),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
    })
    renderApp('/sign-in?redirect_url=%2Fafter', server)
    if (button === 'Verify') await u.type(await screen.findByLabelText('Verification code'), '123456')
    await u.click(await screen.findByRole('button', { name: button }))
    await waitFor(() => expect(assign).toHaveBeenCalledWith(`${window.location.origin}/after`))
    expect(server.ops().slice(0, 3)).toEqual(['Client', op, 'Client'])
    expect(screen.queryByText(/already complete/)).not.toBeInTheDocument()
  })

  it('does not read the sign-in again for a refused client token (the transport sends it once more): the error shows', async () => {
    const u = userEvent.setup()
    const replaced = () => gqlError('client_state_invalid', 'The client token was replaced.', undefined, { clientTokenReplaced: true })
    const server = fakeServer({
      Client: clientWith(needsClientTrust(EMAIL_FACTOR, 'pending')),
      SignInAttemptSecondFactor: replaced,
    })
    renderApp('/sign-in', server)
    await u.type(await screen.findByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    expect(await screen.findByText('The client token was replaced. (long)')).toBeInTheDocument()
    expect(server.ops()).toEqual(['Client', 'SignInAttemptSecondFactor', 'SignInAttemptSecondFactor'])
  })

  it('opens the sign-in form, not the finished sign-in, once the session it created has ended', async () => {
    const u = userEvent.setup()
    const revoked = () => gqlError('authentication_invalid', 'Your session has ended.')
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      // The session is revoked (from another device) once it is signed in: its next token is refused.
      SessionTokenCreate: [() => tokenReply('jwt_1'), revoked],
      Me: revoked,
    })
    const { router } = renderApp('/sign-in', server)
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'pw')
    await u.click(screen.getByRole('button', { name: 'Continue' }))

    // /account finds the session gone and sends the visitor back to sign in, where the finished attempt is over.
    await waitFor(() => expect(server.ops()).toContain('Me'))
    await waitFor(() => expect(router.state.location.pathname).toBe('/sign-in'))
    expect(await screen.findByLabelText('Email address')).toBeInTheDocument()
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
    // No second activation of the ended session.
    expect(server.ops().filter((o) => o === 'SessionTokenCreate')).toHaveLength(2)
  })

  it('"Start over" returns to the password form', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: clientWith(needsClientTrust(EMAIL_FACTOR, 'pending')),
    })
    renderApp('/sign-in', server)
    await u.click(await screen.findByRole('button', { name: 'Start over' }))
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument()
    expect(server.ops()).toEqual(['Client'])
  })

  it('shows a wrong password beside the password field, described by it', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => gqlError('form_password_incorrect', 'Password is incorrect.', 'password'),
    })
    renderApp('/sign-in', server)
    await submitPassword(u)
    const msg = await screen.findByText('Password is incorrect. (long)')
    const input = screen.getByLabelText('Password')
    expect(input).toHaveAttribute('aria-invalid', 'true')
    expect(input.getAttribute('aria-describedby')).toBe(msg.id)
    expect(screen.getByLabelText('Email address')).not.toHaveAttribute('aria-invalid')
  })

  it('announces a locked account with how long to wait', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => ({
        errors: [{ message: 'Account locked', extensions: { code: 'user_locked', longMessage: 'Your account is locked.', meta: { lockoutExpiresInSeconds: 1800 } } }],
      }),
    })
    renderApp('/sign-in', server)
    await submitPassword(u)
    expect(await screen.findByRole('alert')).toHaveTextContent('Your account is locked. Try again in 30 minutes.')
  })

  it('asks MFA users for their authenticator code first, and lets them switch to a backup code or SMS', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => ({ data: { signInCreate: needsSecondFactor() } }),
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsSecondFactor() } }),
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      ...accountHandlers,
    })
    const { router } = renderApp('/sign-in?redirect_url=https%3A%2F%2Fevil.example%2F', server)
    await submitPassword(u)

    expect(await screen.findByRole('heading', { name: 'Two-step verification' })).toBeInTheDocument()
    expect(screen.getByLabelText('Authentication code')).toHaveAttribute('autocomplete', 'one-time-code')
    const others = screen.getByRole('navigation', { name: 'Other ways to verify' })
    expect(within(others).getByRole('button', { name: 'Use a text message instead' })).toBeInTheDocument()

    await u.click(within(others).getByRole('button', { name: 'Use a text message instead' }))
    await waitFor(() =>
      expect(server.last('SignInPrepareSecondFactor')?.variables.input).toEqual({ strategy: 'phone_code', phoneNumberId: 'phn_1' }),
    )
    expect(await screen.findByText('+1******4567')).toBeInTheDocument()

    await u.click(screen.getByRole('button', { name: 'Use a backup code' }))
    await u.type(screen.getByLabelText('Backup code'), 'abcd-efgh')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/account'))
    expect(server.last('SignInAttemptSecondFactor')!.variables.input).toEqual({ strategy: 'backup_code', code: 'abcd-efgh' })
    // A redirect_url on another origin is not followed.
    expect(assign).not.toHaveBeenCalled()
    expect(await screen.findByRole('heading', { name: 'Your account' })).toBeInTheDocument()
  })

  it('resumes an MFA text-message code after a reload without sending another (the server would refuse one within 30 s)', async () => {
    const u = userEvent.setup()
    const smsSent = { status: 'unverified', strategy: 'phone_code', attempts: 0, expireAt: '2026-03-01T00:10:00Z' }
    const server = fakeServer({
      Client: clientWith({ ...needsSecondFactor([TOTP_FACTOR, PHONE_FACTOR]), secondFactorVerification: smsSent }),
      SignInPrepareSecondFactor: () =>
        gqlError('verification_code_too_many_requests', 'Too many requests.', undefined, { retryAfterSeconds: 20 }),
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      ...accountHandlers,
    })
    renderApp('/sign-in', server)
    expect(await screen.findByRole('heading', { name: 'Two-step verification' })).toBeInTheDocument()
    // The method the code went to, not the authenticator app offered first.
    expect(screen.getByText('+1******4567')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Resend code' })).toBeEnabled()
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
    await u.type(screen.getByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(server.last('SignInAttemptSecondFactor')?.variables.input).toEqual({ strategy: 'phone_code', code: '123456' }))
    expect(server.ops()).not.toContain('SignInPrepareSecondFactor')
  })

  it('sends a signed-in visitor on without asking again', async () => {
    const server = fakeServer({
      Client: () => ({
        data: {
          client: {
            id: 'c',
            signIn: null,
            sessions: [{ id: 'sess_1', status: 'active', userId: 'user_1', clientId: 'c', createdAt: '2026-01-01T00:00:00Z', lastActiveAt: '2026-01-01T00:00:00Z', expireAt: '2026-02-01T00:00:00Z' }],
            lastActiveSessionId: 'sess_1',
          },
        },
      }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      ...accountHandlers,
    })
    const { router } = renderApp('/sign-in', server)
    await waitFor(() => expect(router.state.location.pathname).toBe('/account'))
  })

  it("goes to a redirect_url on one of the application's allowedOrigins, and not to an origin it does not list", async () => {
    const u = userEvent.setup()
    const handlers = {
      Client: emptyClient,
      Environment: environment({ allowedOrigins: ['https://app.example.com'] }),
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      ...accountHandlers,
    }
    const allowed = renderApp('/sign-in?redirect_url=https%3A%2F%2Fapp.example.com%2Fafter%3Fx%3D1', fakeServer(handlers))
    await submitPassword(u)
    await waitFor(() => expect(assign).toHaveBeenCalledWith('https://app.example.com/after?x=1'))
    allowed.unmount()

    // The listed host behind userinfo is another origin: /account instead.
    const { router } = renderApp('/sign-in?redirect_url=https%3A%2F%2Fapp.example.com%40evil.example%2F', fakeServer(handlers))
    await submitPassword(u)
    await waitFor(() => expect(router.state.location.pathname).toBe('/account'))
    expect(assign).toHaveBeenCalledTimes(1)
  })
  describe('forgot password', () => {
    it('resets a forgotten password with the emailed code and a new password, then goes to redirect_url', async () => {
      const u = userEvent.setup()
      const server = fakeServer({
        Client: emptyClient,
        SignInCreate: () => ({ data: { signInCreate: resetCodeSent() } }),
        SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: complete() } }),
        SessionTokenCreate: () => tokenReply('jwt_1'),
      })
      renderApp('/sign-in?publishableKey=pk_test_1&redirect_url=%2Fafter', server)

      // The identifier typed on the password step is reused: no second form.
      await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
      await u.click(screen.getByRole('button', { name: 'Forgot password?' }))
      expect(await screen.findByRole('heading', { name: 'Reset your password' })).toBeInTheDocument()
      expect(server.ops()).toEqual(['Client', 'SignInCreate'])
      expect(server.last('SignInCreate')!.variables).toEqual({
        input: { identifier: 'jane@example.com', strategy: 'reset_password_email_code' },
      })
      expect(screen.getByText('jane@example.com', { selector: 'strong' })).toBeInTheDocument()
      expect(screen.getByText('Resetting your password signs you out on your other devices.')).toBeInTheDocument()
      // The code was just sent: the resend button waits out the cooldown.
      expect(screen.getByRole('button', { name: /Resend code in 30s/ })).toBeDisabled()

      const code = screen.getByLabelText('Verification code')
      expect(code).toHaveAttribute('autocomplete', 'one-time-code')
      expect(code).toHaveAttribute('inputmode', 'numeric')
      expect(screen.getByLabelText('New password')).toHaveAttribute('autocomplete', 'new-password')
      expect(screen.getByLabelText('Confirm new password')).toHaveAttribute('autocomplete', 'new-password')
      expect(document.querySelector('input[autocomplete="username"]')).toHaveValue('jane@example.com')
      expect(screen.getByRole('button', { name: 'Reset password' })).toBeDisabled()

      await u.type(code, '123456')
      await u.type(screen.getByLabelText('New password'), 'a new long passphrase')
      await u.type(screen.getByLabelText('Confirm new password'), 'a new long passphrase')
      await u.click(screen.getByRole('button', { name: 'Reset password' }))

      await waitFor(() => expect(assign).toHaveBeenCalledWith(`${window.location.origin}/after`))
      expect(server.last('SignInAttemptFirstFactor')!.variables).toEqual({
        id: 'sia_1',
        input: { strategy: 'reset_password_email_code', code: '123456', password: 'a new long passphrase' },
      })
      expect(server.last('SessionTokenCreate')!.variables).toEqual({ sessionId: 'sess_1' })
      expect(server.calls.every((c) => c.headers['x-publishable-key'] === 'pk_test_1')).toBe(true)
    })

    it('asks for the phone number when none was typed, shows a wrong code beside the code field, then hands over to MFA', async () => {
      const u = userEvent.setup()
      const server = fakeServer({
        Client: emptyClient,
        SignInCreate: () => ({ data: { signInCreate: resetCodeSent('reset_password_phone_code', '+15551234567') } }),
        SignInAttemptFirstFactor: [
          () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
          () => ({ data: { signInAttemptFirstFactor: needsSecondFactor() } }),
        ],
      })
      renderApp('/sign-in', server)

      await u.click(await screen.findByRole('button', { name: 'Forgot password?' }))
      expect(await screen.findByRole('heading', { name: 'Forgot your password?' })).toBeInTheDocument()
      expect(server.ops()).toEqual(['Client'])
      expect(screen.getByRole('button', { name: 'Send reset code' })).toBeDisabled()
      await u.click(screen.getByRole('radio', { name: 'Phone' }))
      await u.type(screen.getByLabelText('Phone number'), '+15551234567')
      await u.click(screen.getByRole('button', { name: 'Send reset code' }))

      expect(await screen.findByRole('heading', { name: 'Reset your password' })).toBeInTheDocument()
      expect(server.last('SignInCreate')!.variables.input).toEqual({ identifier: '+15551234567', strategy: 'reset_password_phone_code' })
      expect(screen.getByText(/We texted a 6-digit code to/)).toBeInTheDocument()

      await u.type(screen.getByLabelText('Verification code'), '000000')
      await u.type(screen.getByLabelText('New password'), 'a new long passphrase')
      await u.type(screen.getByLabelText('Confirm new password'), 'a new long passphrase')
      await u.click(screen.getByRole('button', { name: 'Reset password' }))

      const error = await screen.findByText('Incorrect code (long)')
      const code = screen.getByLabelText('Verification code')
      expect(code).toHaveAttribute('aria-invalid', 'true')
      expect(code.getAttribute('aria-describedby')).toContain(error.id)
      expect(screen.getByLabelText('New password')).not.toHaveAttribute('aria-invalid')
      // Nothing above the form: the only error announced is the code's.
      expect(screen.getAllByRole('alert')).toEqual([error])
      expect(server.last('SignInAttemptFirstFactor')!.variables.input).toEqual({
        strategy: 'reset_password_phone_code',
        code: '000000',
        password: 'a new long passphrase',
      })

      await u.clear(code)
      await u.type(code, '123456')
      await u.click(screen.getByRole('button', { name: 'Reset password' }))
      expect(await screen.findByRole('heading', { name: 'Two-step verification' })).toBeInTheDocument()
      expect(screen.getByLabelText('Authentication code')).toBeInTheDocument()
    })

    it('shows a weak new password beside the password field, and a mismatched confirmation without asking the server', async () => {
      const u = userEvent.setup()
      const server = fakeServer({
        Client: emptyClient,
        SignInCreate: () => ({ data: { signInCreate: resetCodeSent() } }),
        SignInAttemptFirstFactor: () => gqlError('form_password_pwned', 'This password is too common.', 'password'),
      })
      renderApp('/sign-in', server)
      await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
      await u.click(screen.getByRole('button', { name: 'Forgot password?' }))
      await screen.findByRole('heading', { name: 'Reset your password' })

      await u.type(screen.getByLabelText('Verification code'), '123456')
      await u.type(screen.getByLabelText('New password'), 'password1')
      await u.type(screen.getByLabelText('Confirm new password'), 'password2')
      await u.click(screen.getByRole('button', { name: 'Reset password' }))
      expect(await screen.findByText("The passwords don't match.")).toBeInTheDocument()
      expect(screen.getByLabelText('Confirm new password')).toHaveAttribute('aria-invalid', 'true')
      expect(server.ops()).not.toContain('SignInAttemptFirstFactor')

      await u.clear(screen.getByLabelText('Confirm new password'))
      await u.type(screen.getByLabelText('Confirm new password'), 'password1')
      await u.click(screen.getByRole('button', { name: 'Reset password' }))
      const msg = await screen.findByText('This password is too common. (long)')
      const input = screen.getByLabelText('New password')
      expect(input).toHaveAttribute('aria-invalid', 'true')
      expect(input.getAttribute('aria-describedby')).toContain(msg.id)
      expect(screen.getByLabelText('Verification code')).not.toHaveAttribute('aria-invalid')
      expect(screen.queryByText("The passwords don't match.")).not.toBeInTheDocument()
      expect(screen.getByRole('heading', { name: 'Reset your password' })).toBeInTheDocument()
    })

    it('keeps an unknown email on the forgot screen with the error beside it; "Back to sign in" keeps what was typed', async () => {
      const u = userEvent.setup()
      const server = fakeServer({
        Client: emptyClient,
        SignInCreate: () => gqlError('form_identifier_not_found', "Couldn't find your account.", 'identifier'),
      })
      renderApp('/sign-in', server)
      await u.type(await screen.findByLabelText('Email address'), 'nobody@example.com')
      await u.click(screen.getByRole('button', { name: 'Forgot password?' }))

      const msg = await screen.findByText("Couldn't find your account. (long)")
      expect(screen.getByRole('heading', { name: 'Forgot your password?' })).toBeInTheDocument()
      const field = screen.getByLabelText('Email address')
      expect(field).toHaveValue('nobody@example.com')
      expect(field).toHaveAttribute('aria-invalid', 'true')
      expect(field.getAttribute('aria-describedby')).toBe(msg.id)

      await u.click(screen.getByRole('button', { name: 'Back to sign in' }))
      expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument()
      expect(screen.getByLabelText('Email address')).toHaveValue('nobody@example.com')
      expect(screen.getByLabelText('Email address')).not.toHaveAttribute('aria-invalid')
      expect(server.ops()).toEqual(['Client', 'SignInCreate'])
    })

    it('checks the reset code once when "Reset password" is pressed twice while a resend is on its way', async () => {
      const u = userEvent.setup()
      const sent = deferred<Reply>()
      const checked = deferred<Reply>()
      const server = fakeServer({
        Client: clientWith(resetCodeSent()),
        SignInPrepareFirstFactor: () => sent.promise,
        SignInAttemptFirstFactor: () => checked.promise,
      })
      renderApp('/sign-in', server)
      await u.click(await screen.findByRole('button', { name: 'Resend code' }))
      await waitFor(() => expect(server.ops()).toContain('SignInPrepareFirstFactor'))
      await u.type(screen.getByLabelText('Verification code'), '000000')
      await u.type(screen.getByLabelText('New password'), 'a long new passphrase')
      await u.type(screen.getByLabelText('Confirm new password'), 'a long new passphrase')
      const reset = screen.getByRole('button', { name: 'Reset password' })
      await u.click(reset)
      await waitFor(() => expect(server.ops()).toContain('SignInAttemptFirstFactor'))
      expect(reset).toBeDisabled()
      await u.click(reset)
      await u.type(screen.getByLabelText('Verification code'), '{Enter}')
      expect(server.ops().filter((o) => o === 'SignInAttemptFirstFactor')).toHaveLength(1)
      checked.resolve(gqlError('form_code_incorrect', 'Incorrect code', 'code'))
      expect(await screen.findByText('Incorrect code (long)')).toBeInTheDocument()
      sent.resolve({ data: { signInPrepareFirstFactor: resetCodeSent() } })
      expect(await screen.findByText('We sent you a new code.')).toBeInTheDocument()
      expect(server.ops().filter((o) => o === 'SignInAttemptFirstFactor')).toHaveLength(1)
    })

    it('resumes a reset after a reload, resends the code on request, and goes back to sign in', async () => {
      const u = userEvent.setup()
      const server = fakeServer({
        Client: clientWith(resetCodeSent()),
        SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: resetCodeSent() } }),
      })
      renderApp('/sign-in', server)
      expect(await screen.findByRole('heading', { name: 'Reset your password' })).toBeInTheDocument()
      expect(screen.getByText(/We emailed a 6-digit code to/)).toBeInTheDocument()

      await u.click(screen.getByRole('button', { name: 'Resend code' }))
      expect(await screen.findByText('We sent you a new code.')).toBeInTheDocument()
      expect(server.last('SignInPrepareFirstFactor')!.variables).toEqual({ id: 'sia_1', input: { strategy: 'reset_password_email_code' } })
      expect(screen.getByRole('button', { name: /Resend code in 30s/ })).toBeDisabled()

      await u.click(screen.getByRole('button', { name: 'Back to sign in' }))
      expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument()
      expect(server.ops()).toEqual(['Client', 'SignInPrepareFirstFactor'])
    })
  })

  describe('needs_new_password', () => {
    it('sets a new password with resetPassword, shows a weak one beside the field, then signs in', async () => {
      const u = userEvent.setup()
      const server = fakeServer({
        Client: clientWith(needsNewPassword()),
        SignInResetPassword: [
          () => gqlError('form_password_length_too_short', 'Passwords must be 8 characters or more.', 'password'),
          () => ({ data: { signInResetPassword: complete() } }),
        ],
        SessionTokenCreate: () => tokenReply('jwt_1'),
        ...accountHandlers,
      })
      const { router } = renderApp('/sign-in', server)

      expect(await screen.findByRole('heading', { name: 'Set a new password' })).toBeInTheDocument()
      expect(screen.queryByText(/Contact your administrator/)).not.toBeInTheDocument()
      expect(screen.getByText('Resetting your password signs you out on your other devices.')).toBeInTheDocument()
      const input = screen.getByLabelText('New password')
      expect(input).toHaveAttribute('autocomplete', 'new-password')

      await u.type(input, 'short')
      await u.type(screen.getByLabelText('Confirm new password'), 'short')
      await u.click(screen.getByRole('button', { name: 'Set new password' }))
      const msg = await screen.findByText('Passwords must be 8 characters or more. (long)')
      expect(input).toHaveAttribute('aria-invalid', 'true')
      expect(input.getAttribute('aria-describedby')).toContain(msg.id)
      expect(server.last('SignInResetPassword')!.variables).toEqual({ id: 'sia_1', input: { password: 'short' } })

      await u.clear(input)
      await u.type(input, 'a new long passphrase')
      await u.clear(screen.getByLabelText('Confirm new password'))
      await u.type(screen.getByLabelText('Confirm new password'), 'a new long passphrase')
      await u.click(screen.getByRole('button', { name: 'Set new password' }))
      await waitFor(() => expect(router.state.location.pathname).toBe('/account'))
      // The server's default (true) signs the user's other sessions out: nothing else is sent.
      expect(server.last('SignInResetPassword')!.variables).toEqual({ id: 'sia_1', input: { password: 'a new long passphrase' } })
      expect(server.last('SessionTokenCreate')!.variables).toEqual({ sessionId: 'sess_1' })
    })
  })
})

describe('/sign-in follows the application\'s settings (Environment)', () => {
  it('asks a username-only application for a username, with no email / phone switch and no "Forgot password?"', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment({ emailEnabled: false, phoneEnabled: false, usernameEnabled: true, firstFactors: ['password'] }),
      SignInCreate: () => ({ data: { signInCreate: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      ...accountHandlers,
    })
    const { router } = renderApp('/sign-in', server)

    const input = await screen.findByLabelText('Username')
    expect(input).toHaveAttribute('type', 'text')
    expect(input).toHaveAttribute('autocomplete', 'username')
    expect(screen.queryByRole('radio')).not.toBeInTheDocument()
    expect(screen.queryByLabelText(/Email address/)).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Forgot password?' })).not.toBeInTheDocument()

    await u.type(input, 'jane_doe')
    await u.type(screen.getByLabelText('Password'), 'correct horse')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/account'))
    expect(server.last('SignInCreate')!.variables.input).toEqual({ identifier: 'jane_doe', password: 'correct horse', strategy: 'password' })
  })

  it('labels the field "Email address or username" when usernames are on, and keeps the phone switch', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment({ usernameEnabled: true }),
      SignInCreate: () => ({ data: { signInCreate: resetCodeSent('reset_password_email_code', 'jane_doe') } }),
    })
    renderApp('/sign-in', server)

    const input = await screen.findByLabelText('Email address or username')
    expect(input).toHaveAttribute('type', 'text')
    expect(screen.getByRole('radio', { name: 'Email or username' })).toBeChecked()
    expect(screen.getByRole('radio', { name: 'Phone' })).toBeInTheDocument()

    // A username's reset code goes by email (the server picks the account's primary address).
    await u.type(input, 'jane_doe')
    await u.click(screen.getByRole('button', { name: 'Forgot password?' }))
    expect(await screen.findByRole('heading', { name: 'Reset your password' })).toBeInTheDocument()
    expect(server.last('SignInCreate')!.variables.input).toEqual({ identifier: 'jane_doe', strategy: 'reset_password_email_code' })
  })

  it('asks an email-only application for an email address without the switch', async () => {
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment({ phoneEnabled: false, firstFactors: ['password', 'email_code'], secondFactors: ['totp', 'backup_code'] }),
    })
    renderApp('/sign-in', server)
    expect(await screen.findByLabelText('Email address')).toHaveAttribute('type', 'email')
    expect(screen.queryByRole('radio')).not.toBeInTheDocument()
  })

  it('asks a phone-only application for a phone number, and sends it as a phone number', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment({ emailEnabled: false, firstFactors: ['password', 'phone_code'] }),
      SignInCreate: () => gqlError('form_password_incorrect', 'Password is incorrect.', 'password'),
    })
    renderApp('/sign-in', server)
    const input = await screen.findByLabelText('Phone number')
    expect(input).toHaveAttribute('type', 'tel')
    expect(screen.queryByRole('radio')).not.toBeInTheDocument()
    await u.type(input, '+15551234567')
    await u.type(screen.getByLabelText('Password'), 'pw')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    expect(await screen.findByText('Password is incorrect. (long)')).toBeInTheDocument()
    expect(server.last('SignInCreate')!.variables.input.identifier).toBe('+15551234567')
  })

  it('shows a failure to load the settings with "Try again"', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: [() => ({ status: 502, errors: [] }), environment()],
    })
    renderApp('/sign-in', server)
    expect(await screen.findByRole('heading', { name: 'This page could not be loaded' })).toBeInTheDocument()
    expect(screen.queryByLabelText('Password')).not.toBeInTheDocument()
    await u.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByLabelText('Email address')).toBeInTheDocument()
  })
})

describe('/sign-in with an emailed or texted code (passwordless first factor)', () => {
  /** PASSWORDLESS is an application whose first factors are codes only: passwords are off. */
  const PASSWORDLESS = { passwordEnabled: false, firstFactors: ['email_code', 'phone_code'] }
  // The account's primary address, and the one typed (its safeIdentifier is the server's mask of it).
  const PRIMARY_EMAIL = { ...EMAIL_FACTOR, safeIdentifier: 'o***@example.org', emailAddressId: 'ema_0', primary: true }
  const TYPED_EMAIL = { ...EMAIL_FACTOR, safeIdentifier: 'j***@example.com', emailAddressId: 'ema_1', primary: false }
  const TYPED_PHONE = { ...PHONE_FACTOR, safeIdentifier: '+*********67', phoneNumberId: 'phn_1' }
  /** codePassed is what the sign-in holds once the code passed (Finalize and the MFA screen must not read it as a code to ask for). */
  const codePassed = { status: 'verified', strategy: 'email_code', attempts: 1, expireAt: null }
  /** signInOps are the operations sent but the settings (asked for when the test gives its own Environment). */
  const signInOps = (server: ReturnType<typeof fakeServer>) => server.ops().filter((op) => op !== 'Environment')

  it('asks a passwordless app for the email address alone, emails the code to that address, then signs in and goes to redirect_url', async () => {
    const u = userEvent.setup()
    // The server lists the typed address first among its kind, then the account's others.
    const factors = [TYPED_EMAIL, PRIMARY_EMAIL]
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment(PASSWORDLESS),
      SignInCreate: () => ({ data: { signInCreate: identified(factors) } }),
      SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: firstFactorCodeSent('email_code', factors) } }),
      SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: { ...complete(), firstFactorVerification: codePassed } } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    renderApp('/sign-in?publishableKey=pk_test_1&redirect_url=%2Fafter%3Fx%3D1', server)

    const input = await screen.findByLabelText('Email address')
    expect(screen.getByText("Enter your email address and we'll email you a code to sign in.")).toBeInTheDocument()
    expect(screen.queryByLabelText('Password')).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Forgot password?' })).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Use your password instead' })).not.toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Continue' })).toBeDisabled()

    await u.type(input, 'jane@example.com')
    await u.click(screen.getByRole('button', { name: 'Continue' }))

    expect(await screen.findByRole('heading', { name: 'Check your email' })).toBeInTheDocument()
    expect(signInOps(server)).toEqual(['Client', 'SignInCreate', 'SignInPrepareFirstFactor'])
    // No password and no strategy: the server answers with the factors it offers.
    expect(server.last('SignInCreate')!.variables).toEqual({ input: { identifier: 'jane@example.com' } })
    // The code goes to the first listed, the address typed, not to the primary one.
    expect(server.last('SignInPrepareFirstFactor')!.variables).toEqual({
      id: 'sia_1',
      input: { strategy: 'email_code', emailAddressId: 'ema_1' },
    })
    expect(screen.getByText('jane@example.com', { selector: 'strong' })).toBeInTheDocument()
    expect(screen.getByText(/We emailed a 6-digit code to/)).toBeInTheDocument()
    // Passwordless sign-ins never meet Client Trust: no new-device notice.
    expect(screen.queryByText(/signing in from a new device/)).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Use your password instead' })).not.toBeInTheDocument()
    // The code was just sent: the resend button waits out the cooldown.
    expect(screen.getByRole('button', { name: /Resend code in 30s/ })).toBeDisabled()

    const code = screen.getByLabelText('Verification code')
    expect(code).toHaveAttribute('autocomplete', 'one-time-code')
    await u.type(code, '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(assign).toHaveBeenCalledWith(`${window.location.origin}/after?x=1`))
    expect(server.last('SignInAttemptFirstFactor')!.variables).toEqual({ id: 'sia_1', input: { strategy: 'email_code', code: '123456' } })
    expect(server.last('SessionTokenCreate')!.variables).toEqual({ sessionId: 'sess_1' })
    expect(server.calls.every((c) => c.headers['x-publishable-key'] === 'pk_test_1')).toBe(true)
  })

  it('texts the code in a phone-code app and signs in', async () => {
    const u = userEvent.setup()
    const factors = [TYPED_PHONE]
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment({ emailEnabled: false, passwordEnabled: false, firstFactors: ['phone_code'] }),
      SignInCreate: () => ({ data: { signInCreate: identified(factors, '+15551234567') } }),
      SignInPrepareFirstFactor: () => ({
        data: { signInPrepareFirstFactor: firstFactorCodeSent('phone_code', factors, '+15551234567') },
      }),
      SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: { ...complete(), firstFactorVerification: codePassed } } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      ...accountHandlers,
    })
    const { router } = renderApp('/sign-in', server)

    const input = await screen.findByLabelText('Phone number')
    expect(screen.queryByRole('radio')).not.toBeInTheDocument()
    expect(screen.getByText("Enter your phone number and we'll text you a code to sign in.")).toBeInTheDocument()
    await u.type(input, '+15551234567')
    await u.click(screen.getByRole('button', { name: 'Continue' }))

    expect(await screen.findByRole('heading', { name: 'Check your phone' })).toBeInTheDocument()
    expect(server.last('SignInCreate')!.variables.input).toEqual({ identifier: '+15551234567' })
    expect(server.last('SignInPrepareFirstFactor')!.variables.input).toEqual({ strategy: 'phone_code', phoneNumberId: 'phn_1' })
    expect(screen.getByText(/We texted a 6-digit code to/)).toBeInTheDocument()
    expect(screen.getByText('+15551234567', { selector: 'strong' })).toBeInTheDocument()

    await u.type(screen.getByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/account'))
    expect(server.last('SignInAttemptFirstFactor')!.variables.input).toEqual({ strategy: 'phone_code', code: '123456' })
  })

  it('offers "Email me a code instead" beside the password, sends the code to the identifier typed, and can go back to the password', async () => {
    const u = userEvent.setup()
    const factors = [PASSWORD_FACTOR, TYPED_EMAIL]
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => ({ data: { signInCreate: identified(factors) } }),
      SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: firstFactorCodeSent('email_code', factors) } }),
      SignInAttemptFirstFactor: () => ({ data: { signInAttemptFirstFactor: { ...complete(), firstFactorVerification: codePassed } } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
    })
    renderApp('/sign-in?redirect_url=%2Fafter', server)

    // The default settings: passwords, and email and SMS codes.
    expect(await screen.findByLabelText('Password')).toBeInTheDocument()
    const others = screen.getByRole('navigation', { name: 'Other ways to sign in' })
    expect(within(others).getByRole('button', { name: 'Email me a code instead' })).toBeInTheDocument()
    await u.click(screen.getByRole('radio', { name: 'Phone' }))
    expect(within(others).getByRole('button', { name: 'Text me a code instead' })).toBeInTheDocument()
    await u.click(screen.getByRole('radio', { name: 'Email' }))

    await u.type(screen.getByLabelText('Email address'), 'jane@example.com')
    await u.click(screen.getByRole('button', { name: 'Email me a code instead' }))

    expect(await screen.findByRole('heading', { name: 'Check your email' })).toBeInTheDocument()
    expect(server.last('SignInCreate')!.variables).toEqual({ input: { identifier: 'jane@example.com' } })
    expect(server.last('SignInPrepareFirstFactor')!.variables.input).toEqual({ strategy: 'email_code', emailAddressId: 'ema_1' })

    // "Use your password instead" returns to the password form with the address still typed, without a request.
    await u.click(screen.getByRole('button', { name: 'Use your password instead' }))
    expect(await screen.findByLabelText('Password')).toBeInTheDocument()
    expect(screen.getByLabelText('Email address')).toHaveValue('jane@example.com')
    expect(server.ops()).toEqual(['Client', 'SignInCreate', 'SignInPrepareFirstFactor'])

    // Without an identifier typed, the code form asks for it first; then the code, and the sign-in completes.
    await u.clear(screen.getByLabelText('Email address'))
    await u.click(screen.getByRole('button', { name: 'Email me a code instead' }))
    expect(await screen.findByText("Enter your email address and we'll email you a code to sign in.")).toBeInTheDocument()
    expect(screen.queryByLabelText('Password')).not.toBeInTheDocument()
    expect(server.ops()).toHaveLength(3)
    await u.type(screen.getByLabelText('Email address'), 'jane@example.com')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    await u.type(await screen.findByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(assign).toHaveBeenCalledWith(`${window.location.origin}/after`))
    expect(server.last('SignInAttemptFirstFactor')!.variables.input).toEqual({ strategy: 'email_code', code: '123456' })
  })

  it('shows a wrong code beside the code field (as for an unknown address under enumeration protection), and keeps the screen', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment(PASSWORDLESS),
      SignInCreate: () => ({ data: { signInCreate: identified([TYPED_EMAIL], 'nobody@example.com') } }),
      SignInPrepareFirstFactor: () => ({
        data: { signInPrepareFirstFactor: firstFactorCodeSent('email_code', [TYPED_EMAIL], 'nobody@example.com') },
      }),
      SignInAttemptFirstFactor: () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
    })
    renderApp('/sign-in', server)
    await u.type(await screen.findByLabelText('Email address'), 'nobody@example.com')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    await u.type(await screen.findByLabelText('Verification code'), '000000')
    await u.click(screen.getByRole('button', { name: 'Verify' }))

    const error = await screen.findByText('Incorrect code (long)')
    const code = screen.getByLabelText('Verification code')
    expect(code).toHaveAttribute('aria-invalid', 'true')
    expect(code.getAttribute('aria-describedby')).toContain(error.id)
    // Nothing above the form: the only error announced is the code's.
    expect(screen.getAllByRole('alert')).toEqual([error])
    expect(screen.getByRole('heading', { name: 'Check your email' })).toBeInTheDocument()
  })

  it('goes on to the MFA screen when the code passes for a user with two-step verification', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment(PASSWORDLESS),
      SignInCreate: () => ({ data: { signInCreate: identified([TYPED_EMAIL]) } }),
      SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: firstFactorCodeSent('email_code', [TYPED_EMAIL]) } }),
      SignInAttemptFirstFactor: () => ({
        data: { signInAttemptFirstFactor: { ...needsSecondFactor(), firstFactorVerification: codePassed } },
      }),
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      ...accountHandlers,
    })
    const { router } = renderApp('/sign-in', server)
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    await u.type(await screen.findByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))

    expect(await screen.findByRole('heading', { name: 'Two-step verification' })).toBeInTheDocument()
    await u.type(screen.getByLabelText('Authentication code'), '654321')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/account'))
    expect(server.last('SignInAttemptSecondFactor')!.variables.input).toEqual({ strategy: 'totp', code: '654321' })
  })

  it('sends one text when "Text me a code instead" is pressed twice while the send is on its way', async () => {
    const u = userEvent.setup()
    const sent = deferred<Reply>()
    const server = fakeServer({
      Client: clientWith(firstFactorCodeSent('email_code', [TYPED_EMAIL, TYPED_PHONE])),
      Environment: environment(PASSWORDLESS),
      SignInPrepareFirstFactor: [
        () => sent.promise,
        () => gqlError('verification_code_too_many_requests', 'Too many requests.', undefined, { retryAfterSeconds: 30 }),
      ],
    })
    renderApp('/sign-in', server)
    const other = await screen.findByRole('button', { name: 'Text me a code instead' })
    await u.dblClick(other)
    await u.click(other)
    sent.resolve({ data: { signInPrepareFirstFactor: firstFactorCodeSent('phone_code', [TYPED_EMAIL, TYPED_PHONE]) } })
    expect(await screen.findByRole('heading', { name: 'Check your phone' })).toBeInTheDocument()
    expect(signInOps(server).filter((o) => o === 'SignInPrepareFirstFactor')).toHaveLength(1)
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
  })

  it('moves on to the second factor when "Resend code" finds the code used meanwhile (another tab)', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: [
        clientWith(firstFactorCodeSent('email_code', [TYPED_EMAIL])),
        clientWith({ ...needsSecondFactor([TOTP_FACTOR]), supportedFirstFactors: [TYPED_EMAIL], firstFactorVerification: codePassed }),
      ],
      Environment: environment(PASSWORDLESS),
      SignInPrepareFirstFactor: () => gqlError('verification_already_verified', 'Already verified.', 'strategy'),
    })
    renderApp('/sign-in', server)
    await u.click(await screen.findByRole('button', { name: 'Resend code' }))
    expect(await screen.findByRole('heading', { name: 'Two-step verification' })).toBeInTheDocument()
    expect(screen.getByLabelText('Authentication code')).toBeInTheDocument()
    expect(screen.queryByText(/Already verified/)).not.toBeInTheDocument()
    expect(signInOps(server)).toEqual(['Client', 'SignInPrepareFirstFactor', 'Client'])
  })

  it.each([
    ['Verify', 'SignInAttemptFirstFactor'],
    ['Resend code', 'SignInPrepareFirstFactor'],
  ])('moves on to the second factor when "%s" finds the sign-in moved on (its code used in another tab)', async (button, op) => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: [
        clientWith(firstFactorCodeSent('email_code', [TYPED_EMAIL])),
        clientWith({ ...needsSecondFactor([TOTP_FACTOR]), supportedFirstFactors: [TYPED_EMAIL], firstFactorVerification: codePassed }),
      ],
      Environment: environment(PASSWORDLESS),
      [op]: () => gqlError('client_state_invalid', 'This sign-in does not need a first factor now.'),
    })
    renderApp('/sign-in', server)
    if (button === 'Verify') await u.type(await screen.findByLabelText('Verification code'), '123456')
    await u.click(await screen.findByRole('button', { name: button }))
    expect(await screen.findByRole('heading', { name: 'Two-step verification' })).toBeInTheDocument()
    expect(screen.getByLabelText('Authentication code')).toBeInTheDocument()
    expect(screen.queryByText(/does not need a first factor/)).not.toBeInTheDocument()
    expect(signInOps(server)).toEqual(['Client', op, 'Client'])
  })

  it('resumes a sent code after a reload, resends it to the same address, and "Start over" keeps the passwordless form', async () => {
    const u = userEvent.setup()
    // The server lists the typed address first among its kind, then the account's others.
    const factors = [TYPED_EMAIL, PRIMARY_EMAIL]
    const server = fakeServer({
      Client: clientWith(firstFactorCodeSent('email_code', factors)),
      Environment: environment(PASSWORDLESS),
      SignInPrepareFirstFactor: () => ({ data: { signInPrepareFirstFactor: firstFactorCodeSent('email_code', factors) } }),
    })
    renderApp('/sign-in', server)
    expect(await screen.findByRole('heading', { name: 'Check your email' })).toBeInTheDocument()
    expect(screen.getByText('jane@example.com', { selector: 'strong' })).toBeInTheDocument()

    await u.click(screen.getByRole('button', { name: 'Resend code' }))
    expect(await screen.findByText('We sent you a new code.')).toBeInTheDocument()
    expect(server.last('SignInPrepareFirstFactor')!.variables).toEqual({
      id: 'sia_1',
      input: { strategy: 'email_code', emailAddressId: 'ema_1' },
    })

    await u.click(screen.getByRole('button', { name: 'Start over' }))
    expect(await screen.findByLabelText('Email address')).toBeInTheDocument()
    expect(screen.queryByLabelText('Password')).not.toBeInTheDocument()
    expect(signInOps(server)).toEqual(['Client', 'SignInPrepareFirstFactor'])
  })

  it('says so when the sign-in lists no code to send (a username under enumeration protection), and sends nothing', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment({ usernameEnabled: true }),
      SignInCreate: () => ({ data: { signInCreate: identified([PASSWORD_FACTOR], 'jane_doe') } }),
    })
    renderApp('/sign-in', server)
    await u.type(await screen.findByLabelText('Email address or username'), 'jane_doe')
    await u.click(screen.getByRole('button', { name: 'Email me a code instead' }))
    expect(await screen.findByRole('alert')).toHaveTextContent(
      "We can't send a sign-in code for this account. Sign in with your password instead.",
    )
    expect(signInOps(server)).toEqual(['Client', 'SignInCreate'])
  })
})
