import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { navigation } from 'next/navigation'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createClient, TrustgateProvider } from '@trustgate/react'
import {
  complete,
  EMAIL_FACTOR,
  emptyClient,
  fakeServer,
  gqlError,
  needsClientTrust,
  PHONE_FACTOR,
  tokenReply,
} from '../test/fakeServer'
import EmailCodePage from './nextjs-email-code/app/sign-in/page'
import SmsCodePage from './nextjs-sms-code/app/sign-in/page'

// These render Clerk's guide pages, unchanged but for the import, against a fake server that plays trustgate's
// GraphQL answers: the proof that a Clerk custom flow ports by swapping the SDK import. The guide's forms are
// uncontrolled and React reuses the same <input> for the email and the code, so the tests clear it as a user would.

beforeEach(() => navigation.reset())

function clientTrustServer(factor: typeof EMAIL_FACTOR | typeof PHONE_FACTOR) {
  return fakeServer({
    Client: emptyClient,
    SignInCreate: () => ({ data: { signInCreate: needsClientTrust(factor) } }),
    SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(factor, 'pending') } }),
    SignInAttemptSecondFactor: [
      () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
      () => ({ data: { signInAttemptSecondFactor: complete() } }),
    ],
    SessionTokenCreate: () => tokenReply('jwt_1'),
  })
}

describe('Next.js email-code example (Clerk guide, import swapped)', () => {
  it('signs in through Client Trust: password, email code, wrong code shown, right code, navigate', async () => {
    const user = userEvent.setup()
    const server = clientTrustServer(EMAIL_FACTOR)
    const client = createClient({ fetch: server.fetch, publishableKey: 'pk_test_1' })
    render(
      <TrustgateProvider client={client}>
        <EmailCodePage />
      </TrustgateProvider>,
    )

    await user.type(screen.getByLabelText('Enter email address'), 'jane@example.com')
    await user.type(screen.getByLabelText('Enter password'), 'correct horse')
    await user.click(screen.getByRole('button', { name: 'Continue' }))

    expect(await screen.findByRole('heading', { name: 'Verify your account' })).toBeInTheDocument()
    await waitFor(() => expect(server.ops()).toContain('SignInPrepareSecondFactor'))
    expect(server.last('SignInCreate')!.variables.input).toEqual({
      identifier: 'jane@example.com',
      password: 'correct horse',
      strategy: 'password',
    })
    expect(server.last('SignInPrepareSecondFactor')!.variables.input).toEqual({ strategy: 'email_code', emailAddressId: 'ema_1' })

    await user.clear(screen.getByLabelText('Code'))
    await user.type(screen.getByLabelText('Code'), '000000')
    await user.click(screen.getByRole('button', { name: 'Verify' }))
    expect(await screen.findByText('Incorrect code')).toBeInTheDocument()
    expect(navigation.pushed).toEqual([])

    await user.clear(screen.getByLabelText('Code'))
    await user.type(screen.getByLabelText('Code'), '123456')
    await user.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(navigation.pushed).toEqual(['/']))
    expect(server.last('SignInAttemptSecondFactor')!.variables.input).toEqual({ strategy: 'email_code', code: '123456' })
    expect(server.last('SessionTokenCreate')!.variables).toEqual({ sessionId: 'sess_1' })
    expect(client.session?.id).toBe('sess_1')
  })

  it('"Start over" goes back to the sign-in form without a request', async () => {
    const user = userEvent.setup()
    const server = clientTrustServer(EMAIL_FACTOR)
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <EmailCodePage />
      </TrustgateProvider>,
    )
    await user.type(screen.getByLabelText('Enter email address'), 'jane@example.com')
    await user.type(screen.getByLabelText('Enter password'), 'pw')
    await user.click(screen.getByRole('button', { name: 'Continue' }))
    await screen.findByRole('heading', { name: 'Verify your account' })
    await waitFor(() => expect(server.ops()).toContain('SignInPrepareSecondFactor'))
    const sent = server.calls.length

    await user.click(screen.getByRole('button', { name: 'Start over' }))
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument()
    expect(server.calls.length).toBe(sent)
  })

  it('shows the password error under the password field', async () => {
    // The guide logs "Sign-in attempt not complete" when the password fails; keep the test output clean.
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const user = userEvent.setup()
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: () => gqlError('form_password_incorrect', 'Password is incorrect. Try again, or use another method.', 'password'),
    })
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <EmailCodePage />
      </TrustgateProvider>,
    )
    await user.type(screen.getByLabelText('Enter email address'), 'jane@example.com')
    await user.type(screen.getByLabelText('Enter password'), 'wrong')
    await user.click(screen.getByRole('button', { name: 'Continue' }))
    expect(await screen.findByText('Password is incorrect. Try again, or use another method.')).toBeInTheDocument()
    expect(logged).toHaveBeenCalledWith('Sign-in attempt not complete:', expect.anything())
    logged.mockRestore()
  })
})

describe('Next.js SMS-code example (Clerk guide, import swapped)', () => {
  it('signs in through Client Trust with an SMS code', async () => {
    const user = userEvent.setup()
    const server = clientTrustServer(PHONE_FACTOR)
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <SmsCodePage />
      </TrustgateProvider>,
    )

    await user.type(screen.getByLabelText('Enter phone number'), '+15551234567')
    await user.type(screen.getByLabelText('Enter password'), 'correct horse')
    await user.click(screen.getByRole('button', { name: 'Continue' }))
    await screen.findByRole('heading', { name: 'Verify your account' })
    await waitFor(() => expect(server.ops()).toContain('SignInPrepareSecondFactor'))
    expect(server.last('SignInCreate')!.variables.input.identifier).toBe('+15551234567')
    expect(server.last('SignInPrepareSecondFactor')!.variables.input).toEqual({ strategy: 'phone_code', phoneNumberId: 'phn_1' })

    await user.clear(screen.getByLabelText('Code'))
    await user.type(screen.getByLabelText('Code'), '000000')
    await user.click(screen.getByRole('button', { name: 'Verify' }))
    expect(await screen.findByText('Incorrect code')).toBeInTheDocument()

    await user.clear(screen.getByLabelText('Code'))
    await user.type(screen.getByLabelText('Code'), '654321')
    await user.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(navigation.pushed).toEqual(['/']))
    expect(server.last('SignInAttemptSecondFactor')!.variables.input).toEqual({ strategy: 'phone_code', code: '654321' })
  })

  it('"I need a new code" sends the SMS code again', async () => {
    const user = userEvent.setup()
    const server = clientTrustServer(PHONE_FACTOR)
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <SmsCodePage />
      </TrustgateProvider>,
    )
    await user.type(screen.getByLabelText('Enter phone number'), '+15551234567')
    await user.type(screen.getByLabelText('Enter password'), 'pw')
    await user.click(screen.getByRole('button', { name: 'Continue' }))
    await screen.findByRole('heading', { name: 'Verify your account' })
    await waitFor(() => expect(server.ops().filter((o) => o === 'SignInPrepareSecondFactor')).toHaveLength(1))
    await user.click(screen.getByRole('button', { name: 'I need a new code' }))
    await waitFor(() => expect(server.ops().filter((o) => o === 'SignInPrepareSecondFactor')).toHaveLength(2))
  })
})
