import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  accountServer,
  deferred,
  emptyClient,
  environment,
  fakeServer,
  gqlError,
  needsClientTrust,
  signUp,
  user,
  type Reply,
} from '../../test/fakeServer'
import { renderApp } from '../../test/renderApp'
import { browser } from './location'

// The accessibility pass of the hosted pages: labels, errors tied to their fields and announced, the autocomplete
// and inputmode hints, focus after a failed submit, and busy buttons that cannot send twice.

beforeEach(() => {
  vi.spyOn(browser, 'assign').mockImplementation(() => {})
})

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

/** expectLabelled checks that every input a person can reach has a label naming it. */
function expectLabelled(container: HTMLElement) {
  const inputs = [...container.querySelectorAll<HTMLInputElement>('input')].filter((i) => !i.hidden && i.type !== 'hidden')
  expect(inputs.length).toBeGreaterThan(0)
  for (const input of inputs) {
    const names = [...(input.labels ?? [])].map((l) => l.textContent?.trim()).filter(Boolean)
    expect(names, `input ${input.name} has no label`).not.toHaveLength(0)
  }
}

/** expectFieldError checks that the field is invalid, described by its error, and the error is announced. */
function expectFieldError(field: HTMLElement, text: string) {
  expect(field).toHaveAttribute('aria-invalid', 'true')
  const msg = screen.getByText(text)
  expect(field.getAttribute('aria-describedby')?.split(' ')).toContain(msg.id)
  expect(msg).toHaveAttribute('role', 'alert')
}

describe('/sign-in accessibility', () => {
  it('labels every input and asks for the current password', async () => {
    const { container } = renderApp('/sign-in', fakeServer({ Client: emptyClient }))
    expect(await screen.findByRole('textbox', { name: 'Email address' })).toHaveAttribute('autocomplete', 'username email')
    expect(screen.getByLabelText('Password')).toHaveAttribute('autocomplete', 'current-password')
    expectLabelled(container)
  })

  it('moves focus to a refused password, ties and announces its error', async () => {
    const u = userEvent.setup()
    renderApp(
      '/sign-in',
      fakeServer({ Client: emptyClient, SignInCreate: () => gqlError('form_password_incorrect', 'Password is incorrect.', 'password') }),
    )
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'wrong password')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    await screen.findByText('Password is incorrect. (long)')
    expectFieldError(screen.getByLabelText('Password'), 'Password is incorrect. (long)')
    await waitFor(() => expect(screen.getByLabelText('Password')).toHaveFocus())
  })

  it('moves focus to the error of no field after a failed submit', async () => {
    const u = userEvent.setup()
    renderApp(
      '/sign-in',
      fakeServer({
        Client: emptyClient,
        SignInCreate: () => ({ errors: [{ message: 'Account locked', extensions: { code: 'user_locked', longMessage: 'Your account is locked.' } }] }),
      }),
    )
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    const alert = await screen.findByRole('alert')
    expect(alert).toHaveTextContent('Your account is locked.')
    await waitFor(() => expect(alert).toHaveFocus())
  })

  it('shows the submit button busy while the sign-in is on its way, and sends it once', async () => {
    const u = userEvent.setup()
    const answer = deferred<Reply>()
    const server = fakeServer({ Client: emptyClient, SignInCreate: () => answer.promise })
    renderApp('/sign-in', server)
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    const button = screen.getByRole('button', { name: 'Continue' })
    await u.click(button)
    expect(button).toHaveAttribute('aria-busy', 'true')
    expect(button).toBeDisabled()
    await u.click(button)
    await u.type(screen.getByLabelText('Password'), '{Enter}')
    // A submit that reaches the form anyway (script, assistive technology) is ignored while busy too.
    fireEvent.submit(button.closest('form')!)
    answer.resolve(gqlError('form_password_incorrect', 'Password is incorrect.', 'password'))
    await screen.findByText('Password is incorrect. (long)')
    expect(server.ops().filter((o) => o === 'SignInCreate')).toHaveLength(1)
    expect(button).not.toHaveAttribute('aria-busy')
  })

  it('asks for the new-device code as a one-time code, and puts focus back in it when refused', async () => {
    const u = userEvent.setup()
    const { container } = renderApp(
      '/sign-in',
      fakeServer({
        Client: emptyClient,
        SignInCreate: () => ({ data: { signInCreate: needsClientTrust() } }),
        SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(undefined, 'pending') } }),
        SignInAttemptSecondFactor: () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
      }),
    )
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Continue' }))
    const code = await screen.findByRole('textbox', { name: 'Verification code' })
    expect(code).toHaveAttribute('autocomplete', 'one-time-code')
    expect(code).toHaveAttribute('inputmode', 'numeric')
    expectLabelled(container)

    await u.type(code, '000000')
    await u.click(screen.getByRole('button', { name: 'Verify' }))
    await screen.findByText('Incorrect code (long)')
    expectFieldError(code, 'Incorrect code (long)')
    await waitFor(() => expect(code).toHaveFocus())
  })

  it('announces "We sent you a new code." in a polite live region that was on the page, empty, before the resend', async () => {
    const u = userEvent.setup()
    renderApp(
      '/sign-in',
      fakeServer({
        Client: () => ({ data: { client: { id: 'c', signIn: needsClientTrust(undefined, 'pending'), sessions: [], lastActiveSessionId: null } } }),
        SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(undefined, 'pending') } }),
      }),
    )
    await screen.findByRole('textbox', { name: 'Verification code' })
    const live = expectEmptyLiveRegion()
    await u.click(screen.getByRole('button', { name: 'Resend code' }))
    await waitFor(() => expect(live).toHaveTextContent('We sent you a new code.'))
    expect(live).toBeInTheDocument()
  })
})

/**
 * expectEmptyLiveRegion finds the code step's polite live region, mounted empty before anything is sent: screen
 * readers announce a change of its text, not a region inserted already filled.
 */
function expectEmptyLiveRegion(scope: HTMLElement = document.body): HTMLElement {
  const live = [...scope.querySelectorAll<HTMLElement>('[role="status"]')].filter((el) => el.getAttribute('aria-live') === 'polite')
  expect(live).toHaveLength(1)
  expect(live[0]).toBeEmptyDOMElement()
  return live[0]!
}

describe('/sign-up accessibility', () => {
  it('names the optional phone number "Optional" apart from its label, and asks for a new password', async () => {
    const { container } = renderApp('/sign-up', fakeServer({ Client: emptyClient }))
    expect(await screen.findByRole('textbox', { name: 'Phone number Optional' })).toBeInTheDocument()
    expect(screen.getByLabelText('Password')).toHaveAttribute('autocomplete', 'new-password')
    expectLabelled(container)
  })

  it('moves focus to the first field at fault, each error tied to its field and announced', async () => {
    const u = userEvent.setup()
    const taken = gqlError('form_identifier_exists', 'That email address is taken.', 'email_address')
    const short = gqlError('form_password_length_too_short', 'Passwords must be 8 characters or more.', 'password')
    renderApp(
      '/sign-up',
      fakeServer({
        Client: emptyClient,
        Environment: environment({ phoneEnabled: false }),
        SignUpCreate: () => ({ ...taken, errors: [...short.errors!, ...taken.errors!] }),
      }),
    )
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'short')
    await u.click(screen.getByRole('button', { name: 'Create account' }))
    await screen.findByText('That email address is taken. (long)')
    expectFieldError(screen.getByLabelText('Email address'), 'That email address is taken. (long)')
    expectFieldError(screen.getByLabelText('Password'), 'Passwords must be 8 characters or more. (long)')
    // The first in the form, whatever order the server listed them in.
    await waitFor(() => expect(screen.getByLabelText('Email address')).toHaveFocus())
  })

  it('asks for the emailed code as a one-time code', async () => {
    const u = userEvent.setup()
    renderApp(
      '/sign-up',
      fakeServer({
        Client: emptyClient,
        Environment: environment({ phoneEnabled: false }),
        SignUpCreate: () => ({ data: { signUpCreate: signUp() } }),
        SignUpPrepareVerification: () => ({ data: { signUpPrepareVerification: signUp() } }),
      }),
    )
    await u.type(await screen.findByLabelText('Email address'), 'jane@example.com')
    await u.type(screen.getByLabelText('Password'), 'a long passphrase')
    await u.click(screen.getByRole('button', { name: 'Create account' }))
    const code = await screen.findByRole('textbox', { name: 'Verification code' })
    expect(code).toHaveAttribute('autocomplete', 'one-time-code')
    expect(code).toHaveAttribute('inputmode', 'numeric')
  })
})

describe('/account accessibility', () => {
  it('labels every input; the password form asks for the current and a new password', async () => {
    const { container } = renderApp('/account', accountServer())
    const form = await screen.findByRole('region', { name: 'Password' })
    expect(within(form).getByLabelText('Current password')).toHaveAttribute('autocomplete', 'current-password')
    expect(within(form).getByLabelText('New password')).toHaveAttribute('autocomplete', 'new-password')
    expect(within(form).getByLabelText('Confirm new password')).toHaveAttribute('autocomplete', 'new-password')
    expectLabelled(container)
  })

  it('moves focus to a refused current password, and to a confirmation that does not match', async () => {
    const u = userEvent.setup()
    renderApp(
      '/account',
      accountServer({ PasswordUpdate: () => gqlError('form_password_incorrect', 'Password is incorrect.', 'currentPassword') }),
    )
    const form = await screen.findByRole('region', { name: 'Password' })
    const current = within(form).getByLabelText('Current password')
    await u.type(current, 'not it')
    await u.type(within(form).getByLabelText('New password'), 'a new long passphrase')
    await u.type(within(form).getByLabelText('Confirm new password'), 'a new long passphrase')
    await u.click(within(form).getByRole('button', { name: 'Change password' }))
    await within(form).findByText('Password is incorrect. (long)')
    expectFieldError(current, 'Password is incorrect. (long)')
    await waitFor(() => expect(current).toHaveFocus())

    await u.type(within(form).getByLabelText('Confirm new password'), 'x')
    await u.click(within(form).getByRole('button', { name: 'Change password' }))
    const confirm = within(form).getByLabelText('Confirm new password')
    expectFieldError(confirm, "The passwords don't match.")
    await waitFor(() => expect(confirm).toHaveFocus())
  })

  it('moves focus to a new email address the server refuses', async () => {
    const u = userEvent.setup()
    renderApp(
      '/account',
      accountServer({ EmailAddressCreate: () => gqlError('form_identifier_exists', 'That email address is taken.', 'emailAddress') }),
    )
    const emails = await screen.findByRole('region', { name: 'Email addresses' })
    await u.click(within(emails).getByRole('button', { name: 'Add an email address' }))
    const field = within(emails).getByLabelText('New email address')
    await u.type(field, 'taken@example.com')
    await u.click(within(emails).getByRole('button', { name: 'Add email address' }))
    await within(emails).findByText('That email address is taken. (long)')
    expectFieldError(field, 'That email address is taken. (long)')
    await waitFor(() => expect(field).toHaveFocus())
  })

  it('announces a resent code on the email code step in a polite live region mounted, empty, with the step', async () => {
    const u = userEvent.setup()
    const added = { id: 'ema_2', emailAddress: 'jane@work.example', verified: false }
    renderApp(
      '/account',
      accountServer({
        Me: () => ({ data: { me: user({ emailAddresses: [{ id: 'ema_1', emailAddress: 'jane@example.com', verified: true }, added] }) } }),
        // The first send fails (no cooldown), so the resend button is ready at once.
        EmailAddressPrepareVerification: [
          () => gqlError('delivery_failed', 'The message could not be sent.'),
          () => ({ data: { emailAddressPrepareVerification: added } }),
        ],
      }),
    )
    const emails = await screen.findByRole('region', { name: 'Email addresses' })
    await u.click(within(emails).getByRole('button', { name: 'Verify' }))
    await within(emails).findByText('The message could not be sent. (long)')
    const live = expectEmptyLiveRegion(emails)
    await u.click(within(emails).getByRole('button', { name: 'Resend code' }))
    await waitFor(() => expect(live).toHaveTextContent('We sent you a new code.'))
    expect(live).toBeInTheDocument()
  })
})
