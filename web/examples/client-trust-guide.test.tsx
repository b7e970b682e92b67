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
import ExpoEmailCodePage from './expo-email-code/app/sign-in'
import ExpoSmsCodePage from './expo-sms-code/app/sign-in'
import NextEmailCodeTypedPage from './nextjs-email-code-typed/app/sign-in/page'
import { expoNavigation } from './shims/react-native'

// Seed 001 (Clerk's "custom sign-in flow with client trust", Next.js and Expo tabs) run against the SDK with the fake
// server, unchanged but for the imports: a wrong password first, then Client Trust by email or SMS.

beforeEach(() => {
  navigation.reset()
  expoNavigation.pushed.length = 0
})

function clientTrustServer(factor: typeof EMAIL_FACTOR | typeof PHONE_FACTOR) {
  return fakeServer({
    Client: emptyClient,
    SignInCreate: [
      () => gqlError('form_password_incorrect', 'Password is incorrect. Try again, or use another method.', 'password'),
      () => ({ data: { signInCreate: needsClientTrust(factor) } }),
    ],
    SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(factor, 'pending') } }),
    SignInAttemptSecondFactor: [
      () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
      () => ({ data: { signInAttemptSecondFactor: complete() } }),
    ],
    SessionTokenCreate: () => tokenReply('jwt_1'),
  })
}

// ---------------------------------------------------------------------------------------------------------------
describe('Next.js email-code page of the Client Trust guide, narrowing with `factor is EmailCodeFactor` (seed 001)', () => {
  it('password error under the field, then needs_client_trust, send, wrong code, right code, finalize, navigate', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const u = userEvent.setup()
    const server = clientTrustServer(EMAIL_FACTOR)
    const client = createClient({ fetch: server.fetch })
    render(<TrustgateProvider client={client}><NextEmailCodeTypedPage /></TrustgateProvider>)

    await u.type(screen.getByLabelText('Enter email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Enter password'), 'wrong')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    expect(await screen.findByText('Password is incorrect. Try again, or use another method.')).toBeInTheDocument()

    // React 19 resets the uncontrolled form after the action; user-event needs clear() to see it
    await u.clear(screen.getByLabelText('Enter email address'))
    await u.clear(screen.getByLabelText('Enter password'))
    await u.type(screen.getByLabelText('Enter email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Enter password'), 'right')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    expect(await screen.findByRole('heading', { name: 'Verify your account' })).toBeInTheDocument()
    await waitFor(() => expect(server.ops()).toContain('SignInPrepareSecondFactor'))
    expect(client.signIn.clientTrustState).toBe('pending')

    await u.clear(screen.getByLabelText('Code'))
    await u.type(screen.getByLabelText('Code'), '000000')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    expect(await screen.findByText('Incorrect code')).toBeInTheDocument()
    // the debug dump renders the Clerk-shaped errors object
    expect(document.body.textContent).toContain('"longMessage"')

    await u.clear(screen.getByLabelText('Code'))
    await u.type(screen.getByLabelText('Code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(navigation.pushed).toEqual(['/']))
    expect(client.session?.id).toBe('sess_1')
    logged.mockRestore()
  })
})

describe('Expo email-code page of the Client Trust guide (seed 001, React Native shimmed to the DOM)', () => {
  it('`const { error } = await signIn.password()` returns the error; then Client Trust by email completes', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const u = userEvent.setup()
    const server = clientTrustServer(EMAIL_FACTOR)
    const client = createClient({ fetch: server.fetch, clientToken: 'header' })
    render(<TrustgateProvider client={client}><ExpoEmailCodePage /></TrustgateProvider>)

    await u.type(screen.getByLabelText('Enter email'), 'jane@example.com')
    await u.type(screen.getByLabelText('Enter password'), 'wrong')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    await waitFor(() => expect(logged).toHaveBeenCalled())
    const dumped = JSON.parse(logged.mock.calls[0]![0] as string)
    expect(dumped.code).toBe('form_password_incorrect')
    expect(dumped.errors[0].longMessage).toBeTruthy()
    expect(await screen.findByText('Password is incorrect. Try again, or use another method.')).toBeInTheDocument()

    await u.click(screen.getByRole('button', { name: 'Continue' }))
    expect(await screen.findByRole('heading', { name: 'Verify your account' })).toBeInTheDocument()
    await waitFor(() => expect(server.ops()).toContain('SignInPrepareSecondFactor'))
    await u.type(screen.getByLabelText('Enter your verification code'), '000000')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    expect(await screen.findByText('Incorrect code')).toBeInTheDocument()
    await u.clear(screen.getByLabelText('Enter your verification code'))
    await u.type(screen.getByLabelText('Enter your verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(expoNavigation.pushed).toEqual(['/']))
    logged.mockRestore()
  })
})

describe('Expo SMS-code page of the Client Trust guide (seed 001)', () => {
  it('sends the SMS code, "I need a new code" resends, "Start over" returns to the form without a request', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const u = userEvent.setup()
    const server = clientTrustServer(PHONE_FACTOR)
    const client = createClient({ fetch: server.fetch })
    render(<TrustgateProvider client={client}><ExpoSmsCodePage /></TrustgateProvider>)
    await u.type(screen.getByLabelText('Enter phone number'), '+15551234567')
    await u.type(screen.getByLabelText('Enter password'), 'pw')
    await u.click(screen.getByRole('button', { name: 'Continue' })) // wrong password first
    await screen.findByText('Password is incorrect. Try again, or use another method.')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    await screen.findByRole('heading', { name: 'Verify your account' })
    await waitFor(() => expect(server.ops().filter((o) => o === 'SignInPrepareSecondFactor')).toHaveLength(1))
    expect(server.last('SignInPrepareSecondFactor')!.variables.input).toEqual({ strategy: 'phone_code', phoneNumberId: 'phn_1' })
    await u.click(screen.getByRole('button', { name: 'I need a new code' }))
    await waitFor(() => expect(server.ops().filter((o) => o === 'SignInPrepareSecondFactor')).toHaveLength(2))
    const n = server.calls.length
    await u.click(screen.getByRole('button', { name: 'Start over' }))
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument()
    expect(server.calls.length).toBe(n)
    logged.mockRestore()
  })
})
