import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { emptyClient, environment, fakeServer, gqlError, signUp, tokenReply, user } from '../../test/fakeServer'
import { emulateChromiumFocusFixup } from '../../test/focus'
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

  it('shows, on the code step, an error about a field of the first step (a username taken meanwhile)', async () => {
    // Two sign-ups may both pass create with the same username; the one verified second is refused when its user is
    // created (form_identifier_exists on username). The code step shows no username field: the error goes above it.
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment({ usernameEnabled: true }),
      SignUpCreate: () => ({ data: { signUpCreate: signUp() } }),
      SignUpPrepareVerification: () => ({ data: { signUpPrepareVerification: signUp() } }),
      SignUpAttemptVerification: () => gqlError('form_identifier_exists', 'That username is taken.', 'username'),
    })
    renderApp('/sign-up', server)
    await u.type(await screen.findByLabelText(/Username/), 'jane_doe')
    await u.type(screen.getByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Create account' }))
    expect(await screen.findByRole('heading', { name: 'Verify your email' })).toBeInTheDocument()

    await u.type(screen.getByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    const alert = await screen.findByRole('alert')
    expect(alert).toHaveTextContent('That username is taken. (long)')
    await waitFor(() => expect(alert).toHaveFocus())
    expect(screen.getByRole('button', { name: 'Start over' })).toBeInTheDocument()
  })

  it('moves focus to the code input when "Resend code" succeeds (the busy button dropped it)', async () => {
    emulateChromiumFocusFixup()
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      SignUpCreate: () => ({ data: { signUpCreate: signUp() } }),
      SignUpPrepareVerification: [
        // The first send fails (no cooldown), so the resend button is ready at once.
        () => gqlError('delivery_failed', 'The message could not be sent.'),
        async () => (await new Promise((r) => setTimeout(r, 50)), { data: { signUpPrepareVerification: signUp() } }),
      ],
    })
    renderApp('/sign-up', server)
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Create account' }))
    expect(await screen.findByText('The message could not be sent. (long)')).toBeInTheDocument()

    await u.click(screen.getByRole('button', { name: 'Resend code' }))
    // The live region was there, empty, before the send: its text changes.
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('We sent you a new code.'))
    await waitFor(() => expect(screen.getByLabelText('Verification code')).toHaveFocus())
  })

  it('moves on to the phone number when "Verify" finds the email verified meanwhile (another tab)', async () => {
    const u = userEvent.setup()
    const both = ['email_address', 'phone_number']
    const server = fakeServer({
      Client: emptyClient,
      SignUpCreate: () => ({ data: { signUpCreate: signUp({ unverifiedFields: both }) } }),
      SignUpPrepareVerification: (v) => ({ data: { signUpPrepareVerification: signUp({ unverifiedFields: v.strategy === 'email_code' ? both : ['phone_number'] }) } }),
      SignUpAttemptVerification: () => gqlError('verification_already_verified', 'Already verified.'),
      ClientSignUp: () => ({ data: { client: { id: 'c', signUp: signUp({ unverifiedFields: ['phone_number'] }) } } }),
    })
    renderApp('/sign-up', server)
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.type(screen.getByLabelText(/Phone number/), '+15551234567')
    await u.click(screen.getByRole('button', { name: 'Create account' }))
    await u.type(await screen.findByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))

    expect(await screen.findByRole('heading', { name: 'Verify your phone' })).toBeInTheDocument()
    expect(screen.queryByText(/Already verified/)).not.toBeInTheDocument()
    expect(server.ops()).toContain('ClientSignUp')
  })

  it('finishes the sign-up when "Verify" finds it completed in another tab (already complete)', async () => {
    const u = userEvent.setup()
    const done = signUp({ status: 'complete', unverifiedFields: [], createdUserId: 'user_1', createdSessionId: 'sess_1' })
    const server = fakeServer({
      Client: emptyClient,
      SignUpCreate: () => ({ data: { signUpCreate: signUp() } }),
      SignUpPrepareVerification: () => ({ data: { signUpPrepareVerification: signUp() } }),
      SignUpAttemptVerification: () => gqlError('resource_forbidden', 'This sign-up is already complete.'),
      ClientSignUp: () => ({ data: { client: { id: 'c', signUp: done } } }),
      SessionTokenCreate: () => tokenReply('jwt_1'),
      Me: () => ({ data: { me: user() } }),
      Sessions: () => ({ data: { sessions: [] } }),
      TrustedClients: () => ({ data: { trustedClients: [] } }),
    })
    const { router } = renderApp('/sign-up', server)
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Create account' }))
    await u.type(await screen.findByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))

    await waitFor(() => expect(router.state.location.pathname).toBe('/account'))
    expect(server.ops()).toContain('SessionTokenCreate')
  })

  it('moves on to the phone number when "Resend code" finds the email verified meanwhile (another tab)', async () => {
    const u = userEvent.setup()
    const both = ['email_address', 'phone_number']
    const server = fakeServer({
      Client: emptyClient,
      SignUpCreate: () => ({ data: { signUpCreate: signUp({ unverifiedFields: both }) } }),
      SignUpPrepareVerification: [
        // The first send fails (no cooldown), so the resend button is ready at once.
        () => gqlError('delivery_failed', 'The message could not be sent.'),
        () => gqlError('verification_already_verified', 'Already verified.', 'strategy'),
        () => ({ data: { signUpPrepareVerification: signUp({ unverifiedFields: ['phone_number'] }) } }),
      ],
      ClientSignUp: () => ({ data: { client: { id: 'c', signUp: signUp({ unverifiedFields: ['phone_number'] }) } } }),
    })
    renderApp('/sign-up', server)
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.type(screen.getByLabelText(/Phone number/), '+15551234567')
    await u.click(screen.getByRole('button', { name: 'Create account' }))
    expect(await screen.findByText('The message could not be sent. (long)')).toBeInTheDocument()

    await u.click(screen.getByRole('button', { name: 'Resend code' }))
    expect(await screen.findByRole('heading', { name: 'Verify your phone' })).toBeInTheDocument()
    expect(screen.queryByText(/Already verified/)).not.toBeInTheDocument()
    await waitFor(() => expect(server.last('SignUpPrepareVerification')?.variables).toEqual({ id: 'sua_1', strategy: 'phone_code' }))
  })

  it('links to sign-in keeping the app and destination', async () => {
    renderApp('/sign-up?publishableKey=pk_1&redirect_url=%2Fx', fakeServer({ Client: emptyClient }))
    expect(await screen.findByRole('link', { name: 'Sign in' })).toHaveAttribute(
      'href',
      '/sign-in?publishableKey=pk_1&redirect_url=%2Fx',
    )
  })
})

describe('/sign-up follows the application\'s settings (Environment)', () => {
  const accountHandlers = {
    SessionTokenCreate: () => tokenReply('jwt_1'),
    Me: () => ({ data: { me: user({ emailAddresses: [], primaryEmailAddressId: null }) } }),
    Sessions: () => ({ data: { sessions: [] } }),
    TrustedClients: () => ({ data: { trustedClients: [] } }),
  }
  const usernameOnly = environment({ emailEnabled: false, phoneEnabled: false, usernameEnabled: true, firstFactors: ['password'] })

  it('signs a username-only application up with a username and a password, completing at once', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: usernameOnly,
      SignUpCreate: () => ({
        data: { signUpCreate: signUp({ status: 'complete', unverifiedFields: [], createdUserId: 'user_1', createdSessionId: 'sess_1' }) },
      }),
      ...accountHandlers,
    })
    const { router } = renderApp('/sign-up?publishableKey=pk_test_1', server)

    const username = await screen.findByLabelText('Username')
    expect(username).toHaveAttribute('autocomplete', 'username')
    expect(username).toBeRequired()
    expect(screen.queryByLabelText(/Email address/)).not.toBeInTheDocument()
    expect(screen.queryByLabelText(/Phone number/)).not.toBeInTheDocument()
    expect(screen.getByText('Sign up with a username and a password.')).toBeInTheDocument()

    await u.type(username, 'jane_doe')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Create account' }))

    await waitFor(() => expect(router.state.location.pathname).toBe('/account'))
    expect(server.last('SignUpCreate')!.variables.input).toEqual({ username: 'jane_doe', password: 'a long passphrase' })
    expect(server.last('SessionTokenCreate')!.variables).toEqual({ sessionId: 'sess_1' })
    expect(server.ops()).not.toContain('SignUpPrepareVerification')
    expect(server.last('Environment')!.headers['x-publishable-key']).toBe('pk_test_1')
  })

  it('sends an optional username with the email address, then asks for the emailed code', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment({ usernameEnabled: true }),
      SignUpCreate: () => ({ data: { signUpCreate: signUp() } }),
      SignUpPrepareVerification: () => ({ data: { signUpPrepareVerification: signUp() } }),
    })
    renderApp('/sign-up', server)

    const username = await screen.findByLabelText(/Username/)
    expect(username).not.toBeRequired()
    expect(username.closest('.field')).toHaveTextContent('Optional')
    await u.type(username, 'jane_doe')
    await u.type(screen.getByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Create account' }))

    expect(await screen.findByRole('heading', { name: 'Verify your email' })).toBeInTheDocument()
    expect(server.last('SignUpCreate')!.variables.input).toEqual({
      username: 'jane_doe',
      emailAddress: 'jane@example.com',
      password: 'a long passphrase',
    })
    await waitFor(() => expect(server.last('SignUpPrepareVerification')?.variables).toEqual({ id: 'sua_1', strategy: 'email_code' }))
  })

  it('shows a taken username beside the username field', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: usernameOnly,
      SignUpCreate: () => gqlError('form_identifier_exists', 'That username is taken.', 'username'),
    })
    renderApp('/sign-up', server)
    await u.type(await screen.findByLabelText('Username'), 'jane_doe')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Create account' }))

    const msg = await screen.findByText('That username is taken. (long)')
    const field = screen.getByLabelText('Username')
    expect(field).toHaveAttribute('aria-invalid', 'true')
    expect(field.getAttribute('aria-describedby')).toContain(msg.id)
    // Nothing above the form: the only error announced is the field's.
    expect(screen.getAllByRole('alert')).toEqual([msg])
  })

  it('shows every field the server finds at fault at once, each beside its field', async () => {
    const u = userEvent.setup()
    const taken = gqlError('form_identifier_exists', 'That username is taken.', 'username')
    const short = gqlError('form_password_length_too_short', 'Passwords must be 8 characters or more.', 'password')
    const server = fakeServer({
      Client: emptyClient,
      Environment: usernameOnly,
      SignUpCreate: () => ({ ...taken, errors: [...taken.errors!, ...short.errors!] }),
    })
    renderApp('/sign-up', server)
    await u.type(await screen.findByLabelText('Username'), 'jane_doe')
    await u.type(screen.getByLabelText('Password'), 'short')
    await u.click(screen.getByRole('button', { name: 'Create account' }))

    for (const [label, text] of [
      ['Username', 'That username is taken. (long)'],
      ['Password', 'Passwords must be 8 characters or more. (long)'],
    ]) {
      const msg = await screen.findByText(text)
      const field = screen.getByLabelText(label)
      expect(field).toHaveAttribute('aria-invalid', 'true')
      expect(field.getAttribute('aria-describedby')).toContain(msg.id)
    }
    // Nothing above the form: the errors announced are the fields'.
    expect(screen.getAllByRole('alert').map((a) => a.textContent)).toEqual([
      'That username is taken. (long)',
      'Passwords must be 8 characters or more. (long)',
    ])
  })

  it('shows only email and password to an email-only application', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment({ phoneEnabled: false, firstFactors: ['password', 'email_code'], secondFactors: ['totp', 'backup_code'] }),
      SignUpCreate: () => ({ data: { signUpCreate: signUp() } }),
      SignUpPrepareVerification: () => ({ data: { signUpPrepareVerification: signUp() } }),
    })
    renderApp('/sign-up', server)

    const email = await screen.findByLabelText('Email address')
    expect(email).toBeRequired()
    expect(screen.queryByLabelText(/Username/)).not.toBeInTheDocument()
    expect(screen.queryByLabelText(/Phone number/)).not.toBeInTheDocument()
    expect(screen.getByText('Sign up with your email address and a password.')).toBeInTheDocument()
    await u.type(email, 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Create account' }))
    expect(await screen.findByRole('heading', { name: 'Verify your email' })).toBeInTheDocument()
    expect(server.last('SignUpCreate')!.variables.input).toEqual({ emailAddress: 'jane@example.com', password: 'a long passphrase' })
  })

  it('signs up with a phone number alone when email and phone are both on, and without a password field when passwords are off', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment({ passwordEnabled: false, firstFactors: ['email_code', 'phone_code'] }),
      SignUpCreate: () => ({ data: { signUpCreate: signUp({ unverifiedFields: ['phone_number'] }) } }),
      SignUpPrepareVerification: () => ({ data: { signUpPrepareVerification: signUp({ unverifiedFields: ['phone_number'] }) } }),
    })
    renderApp('/sign-up', server)

    expect(await screen.findByLabelText('Email address')).not.toBeRequired()
    expect(screen.queryByLabelText('Password')).not.toBeInTheDocument()
    await u.type(screen.getByLabelText(/Phone number/), '+15551234567')
    await u.click(screen.getByRole('button', { name: 'Create account' }))

    expect(await screen.findByRole('heading', { name: 'Verify your phone' })).toBeInTheDocument()
    expect(server.last('SignUpCreate')!.variables.input).toEqual({ phoneNumber: '+15551234567' })
    await waitFor(() => expect(server.last('SignUpPrepareVerification')?.variables).toEqual({ id: 'sua_1', strategy: 'phone_code' }))
  })

  it('shows an `identifier` error of a phone-only application beside the phone number', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: environment({ emailEnabled: false, phoneEnabled: true, firstFactors: ['password', 'phone_code'] }),
      SignUpCreate: () => gqlError('form_identifier_exists', 'That phone number is taken.', 'identifier'),
    })
    renderApp('/sign-up', server)
    await u.type(await screen.findByLabelText('Phone number'), '+15551234567')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Create account' }))

    const msg = await screen.findByText('That phone number is taken. (long)')
    const field = screen.getByLabelText('Phone number')
    expect(field).toHaveAttribute('aria-invalid', 'true')
    expect(field.getAttribute('aria-describedby')).toContain(msg.id)
    // Nothing above the form: the only error announced is the field's.
    expect(screen.getAllByRole('alert')).toEqual([msg])
  })

  it('shows an error about a field the form does not show above the form', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      // The page was loaded before usernames became required; the server now asks for one.
      Environment: environment({ phoneEnabled: false }),
      SignUpCreate: () => gqlError('form_param_missing', 'Enter a username.', 'username'),
    })
    renderApp('/sign-up', server)
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Create account' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Enter a username. (long)')
  })

  it('shows a failure to load the settings with "Try again", which loads them', async () => {
    const u = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      Environment: [() => gqlError('internal_error', 'Something went wrong.'), usernameOnly],
    })
    renderApp('/sign-up', server)
    expect(await screen.findByRole('alert')).toHaveTextContent('Something went wrong. (long)')
    expect(screen.queryByRole('button', { name: 'Create account' })).not.toBeInTheDocument()
    await u.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByLabelText('Username')).toBeInTheDocument()
    expect(server.ops().filter((o) => o === 'Environment')).toHaveLength(2)
  })
})
