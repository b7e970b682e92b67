import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  complete,
  EMAIL_FACTOR,
  emptyClient,
  fakeServer,
  gqlError,
  needsClientTrust,
  needsSecondFactor,
  PHONE_FACTOR,
  tokenReply,
  user,
  type Handler,
} from '../../test/fakeServer'
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
      Client: () => ({
        data: { client: { id: 'c', signIn: needsClientTrust(EMAIL_FACTOR, 'pending'), sessions: [], lastActiveSessionId: null } },
      }),
    })
    renderApp('/sign-in', server)
    expect(await screen.findByRole('heading', { name: 'Check your email' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Resend code' })).toBeEnabled()
    expect(server.ops()).toEqual(['Client'])
  })

  it('"Start over" returns to the password form', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: () => ({
        data: { client: { id: 'c', signIn: needsClientTrust(EMAIL_FACTOR, 'pending'), sessions: [], lastActiveSessionId: null } },
      }),
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
})
