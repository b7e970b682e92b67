import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { emptyClient, fakeServer, gqlError, signUp, tokenReply, user } from '../../test/fakeServer'
import { renderApp } from '../../test/renderApp'

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

describe('/sign-up', () => {
  it('creates the account, verifies the emailed code, then opens /account', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      SignUpCreate: () => ({ data: { signUpCreate: signUp() } }),
      SignUpPrepareVerification: () => ({ data: { signUpPrepareVerification: signUp() } }),
      SignUpAttemptVerification: [
        () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
        () => ({
          data: {
            signUpAttemptVerification: signUp({ status: 'complete', unverifiedFields: [], createdUserId: 'user_1', createdSessionId: 'sess_1' }),
          },
        }),
      ],
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
      Sessions: () => ({ data: { sessions: [] } }),
      TrustedClients: () => ({ data: { trustedClients: [] } }),
    })
    const { router } = renderApp('/sign-up?publishableKey=pk_test_1', server)

    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.type(screen.getByLabelText(/Phone number/), '+15551234567')
    await u.click(screen.getByRole('button', { name: 'Create account' }))

    expect(await screen.findByRole('heading', { name: 'Verify your email' })).toBeInTheDocument()
    expect(screen.getByText('jane@example.com')).toBeInTheDocument()
    expect(server.last('SignUpCreate')!.variables.input).toEqual({
      emailAddress: 'jane@example.com',
      password: 'a long passphrase',
      phoneNumber: '+15551234567',
    })
    await waitFor(() => expect(server.last('SignUpPrepareVerification')?.variables).toEqual({ id: 'sua_1', strategy: 'email_code' }))

    await u.type(screen.getByLabelText('Verification code'), '000000')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    expect(await screen.findByText('Incorrect code (long)')).toBeInTheDocument()

    await u.clear(screen.getByLabelText('Verification code'))
    await u.type(screen.getByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/account'))
    expect(router.state.location.search).toBe('?publishableKey=pk_test_1')
    expect(await screen.findByRole('heading', { name: 'Your account' })).toBeInTheDocument()
  })

  it('leaves the phone number out when it is empty and shows a taken email beside its field', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      SignUpCreate: () => gqlError('form_identifier_exists', 'That email address is taken.', 'emailAddress'),
    })
    renderApp('/sign-up', server)
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Create account' }))
    const msg = await screen.findByText('That email address is taken. (long)')
    expect(screen.getByLabelText('Email address').getAttribute('aria-describedby')).toBe(msg.id)
    expect(server.last('SignUpCreate')!.variables.input).toEqual({ emailAddress: 'jane@example.com', password: 'a long passphrase' })
  })

  it('links to sign-in keeping the app and destination', async () => {
    renderApp('/sign-up?publishableKey=pk_1&redirect_url=%2Fx', fakeServer({ Client: emptyClient }))
    expect(await screen.findByRole('link', { name: 'Sign in' })).toHaveAttribute(
      'href',
      '/sign-in?publishableKey=pk_1&redirect_url=%2Fx',
    )
  })
})
