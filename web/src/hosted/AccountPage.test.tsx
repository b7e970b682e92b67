import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  accountServer,
  deferred,
  emptyClient,
  fakeServer,
  gqlError,
  offline,
  sessionJSON,
  signedInClient,
  user,
  type Handler,
  type Reply,
} from '../../test/fakeServer'
import { emulateChromiumFocusFixup } from '../../test/focus'
import { renderApp } from '../../test/renderApp'

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
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
  return accountServer({
    Sessions: () => ({ data: { sessions: [sessionJSON('sess_1'), sessionJSON('sess_2')] } }),
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

  it("says the account could not be loaded, with Try again, when `me` keeps failing, instead of loading forever", async () => {
    const u = userEvent.setup()
    const server = signedIn({ Me: [offline, offline, offline, () => ({ data: { me: user() } })] })
    renderApp('/account', server)
    expect(await screen.findByRole('heading', { name: "Your account couldn't be loaded" }, { timeout: 5000 })).toBeInTheDocument()
    expect(screen.getByRole('alert')).toHaveTextContent('Could not reach the server. Check your connection and try again.')
    expect(screen.queryByRole('status')).not.toBeInTheDocument()

    await u.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByRole('heading', { name: 'Your account' })).toBeInTheDocument()
    expect(server.ops().filter((o) => o === 'Me')).toHaveLength(4)
  }, 10_000)

  it("does not send a signed-in visitor to sign in when the server can't be reached: says so, with Try again", async () => {
    const u = userEvent.setup()
    const server = signedIn({ Client: [offline, offline, offline, signedInClient] })
    const { router } = renderApp('/account', server)
    expect(await screen.findByRole('heading', { name: "We couldn't reach the server" }, { timeout: 5000 })).toBeInTheDocument()
    expect(screen.getByRole('alert')).toHaveTextContent('Could not reach the server. Check your connection and try again.')
    expect(router.state.location.pathname).toBe('/account')

    await u.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByRole('heading', { name: 'Your account' })).toBeInTheDocument()
    expect(router.state.location.pathname).toBe('/account')
    expect(server.ops().filter((o) => o === 'Client')).toHaveLength(4)
  }, 10_000)

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
      SessionRevoke: () => ({ data: { sessionRevoke: { ...sessionJSON('sess_2'), status: 'revoked' } } }),
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

  it("opens a new authenticator setup without the last one's refusal (after Cancel)", async () => {
    const u = userEvent.setup()
    const server = signedIn({
      Me: () => ({ data: { me: user() } }),
      TotpCreate: () => ({
        data: { totpCreate: { id: 'totp_1', secret: 'JBSWY3DPEHPK3PXP', uri: 'otpauth://totp/x', qrCodePng: null, verified: false } },
      }),
      TotpVerify: () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
    })
    renderApp('/account', server)
    const mfa = await screen.findByRole('region', { name: 'Two-step verification' })
    await u.click(await within(mfa).findByRole('button', { name: 'Set up authenticator app' }))
    await u.type(await within(mfa).findByLabelText('Code from the app'), '000000')
    await u.click(within(mfa).getByRole('button', { name: 'Verify' }))
    expect(await within(mfa).findByText('Incorrect code (long)')).toBeInTheDocument()
    await u.click(within(mfa).getByRole('button', { name: 'Cancel' }))
    await u.click(within(mfa).getByRole('button', { name: 'Set up authenticator app' }))
    // A new secret, no code typed yet: the input is not marked wrong, and nothing is announced.
    const input = await within(mfa).findByLabelText('Code from the app')
    expect(server.ops().filter((o) => o === 'TotpCreate')).toHaveLength(2)
    expect(input).not.toHaveAttribute('aria-invalid', 'true')
    expect(within(mfa).queryByText('Incorrect code (long)')).not.toBeInTheDocument()
    expect(within(mfa).queryByRole('alert')).not.toBeInTheDocument()
  })

  it('adds a phone number, verifies it by SMS and uses it for two-step verification', async () => {
    const u = userEvent.setup()
    const unverified = { id: 'phn_1', phoneNumber: '+15551234567', verified: false, reservedForSecondFactor: false, defaultSecondFactor: false }
    const verified = { ...unverified, verified: true }
    // The user's one reserved number: the server marks it the default.
    const reserved = { ...verified, reservedForSecondFactor: true, defaultSecondFactor: true }
    const server = signedIn({
      Me: [
        () => ({ data: { me: user() } }),
        () => ({ data: { me: user({ phoneNumbers: [unverified] }) } }),
        () => ({ data: { me: user({ phoneNumbers: [verified] }) } }),
        () => ({ data: { me: user({ phoneNumbers: [reserved], twoFactorEnabled: true }) } }),
      ],
      PhoneNumberCreate: () => ({ data: { phoneNumberCreate: unverified } }),
      PhoneNumberPrepareVerification: () => ({ data: { phoneNumberPrepareVerification: unverified } }),
      PhoneNumberAttemptVerification: () => ({ data: { phoneNumberAttemptVerification: verified } }),
      PhoneNumberReserveForSecondFactor: () => ({ data: { phoneNumberReserveForSecondFactor: reserved } }),
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
    // One reserved number: there is no other to choose, so neither "Default" nor "Make default".
    expect(screen.queryByText('Default', { selector: '.badge' })).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Make default' })).not.toBeInTheDocument()
  })

  describe('the default number for two-step verification', () => {
    // As the server answers them: of the reserved numbers, the oldest is the default until another is chosen.
    const first = { id: 'phn_1', phoneNumber: '+15551234567', verified: true, reservedForSecondFactor: true, defaultSecondFactor: true }
    const second = { id: 'phn_2', phoneNumber: '+15557654321', verified: true, reservedForSecondFactor: true, defaultSecondFactor: false }
    const spare = { id: 'phn_3', phoneNumber: '+15550001111', verified: true, reservedForSecondFactor: false, defaultSecondFactor: false }
    const chosen = { ...second, defaultSecondFactor: true }
    const before = () => ({ data: { me: user({ phoneNumbers: [first, second, spare], twoFactorEnabled: true }) } })
    const after = () => ({ data: { me: user({ phoneNumbers: [{ ...first, defaultSecondFactor: false }, chosen, spare], twoFactorEnabled: true }) } })

    async function phonesSection() {
      const phones = await screen.findByRole('region', { name: 'Phone numbers' })
      await within(phones).findByText('+15557654321')
      const rowOf = (n: string) => within(within(phones).getByText(n, { selector: '.list .identifier' }).closest('li')!)
      return { phones, rowOf }
    }

    it('marks the default one and makes another reserved number the default, focus going to the heading', async () => {
      emulateChromiumFocusFixup()
      const u = userEvent.setup()
      const answer = deferred<Reply>()
      const server = signedIn({ Me: [before, after], PhoneNumberMakeDefaultSecondFactor: () => answer.promise })
      renderApp('/account', server)
      const { phones, rowOf } = await phonesSection()
      expect(rowOf('+15551234567').getByText('Default', { selector: '.badge' })).toBeInTheDocument()
      expect(rowOf('+15551234567').queryByRole('button', { name: 'Make default' })).not.toBeInTheDocument()
      expect(rowOf('+15557654321').queryByText('Default', { selector: '.badge' })).not.toBeInTheDocument()
      // A number not reserved cannot be the default.
      expect(rowOf('+15550001111').queryByRole('button', { name: 'Make default' })).not.toBeInTheDocument()

      const button = rowOf('+15557654321').getByRole('button', { name: 'Make default' })
      await u.click(button)
      await waitFor(() => expect(server.last('PhoneNumberMakeDefaultSecondFactor')?.variables).toEqual({ id: 'phn_2' }))
      expect(server.last('PhoneNumberMakeDefaultSecondFactor')!.headers.authorization).toBe('Bearer jwt_1')
      // While it is on its way: busy, and no other change to the two-step numbers can start.
      expect(button).toBeDisabled()
      expect(button).toHaveAttribute('aria-busy', 'true')
      expect(rowOf('+15551234567').getByRole('button', { name: 'Stop using for two-step verification' })).toBeDisabled()
      expect(rowOf('+15550001111').getByRole('button', { name: 'Use for two-step verification' })).toBeDisabled()

      answer.resolve({ data: { phoneNumberMakeDefaultSecondFactor: chosen } })
      expect(
        await within(phones).findByText('Sign-ins will text the code to +15557654321 unless you choose another number.'),
      ).toBeInTheDocument()
      expect(rowOf('+15557654321').getByText('Default', { selector: '.badge' })).toBeInTheDocument()
      expect(rowOf('+15557654321').queryByRole('button', { name: 'Make default' })).not.toBeInTheDocument()
      expect(rowOf('+15551234567').queryByText('Default', { selector: '.badge' })).not.toBeInTheDocument()
      expect(rowOf('+15551234567').getByRole('button', { name: 'Make default' })).toBeEnabled()
      // Its button left the row: focus goes to the section's heading, not the page's body.
      await waitFor(() => expect(within(phones).getByRole('heading', { name: 'Phone numbers' })).toHaveFocus())
      expect(server.ops().filter((o) => o === 'PhoneNumberMakeDefaultSecondFactor')).toHaveLength(1)
    })

    it('waits while a number is being reserved or freed: one change to the two-step numbers at a time', async () => {
      const u = userEvent.setup()
      const answer = deferred<Reply>()
      const server = signedIn({ Me: before, PhoneNumberReserveForSecondFactor: () => answer.promise })
      renderApp('/account', server)
      const { rowOf } = await phonesSection()
      await u.click(rowOf('+15550001111').getByRole('button', { name: 'Use for two-step verification' }))
      await waitFor(() => expect(server.ops()).toContain('PhoneNumberReserveForSecondFactor'))
      const button = rowOf('+15557654321').getByRole('button', { name: 'Make default' })
      expect(button).toBeDisabled()
      expect(button).not.toHaveAttribute('aria-busy')
      answer.resolve(gqlError('resource_forbidden', 'Not now.', 'id'))
      await waitFor(() => expect(button).toBeEnabled())
      expect(server.ops()).not.toContain('PhoneNumberMakeDefaultSecondFactor')
    })

    it('shows a refusal beside the list, with focus on it, and the button ready again', async () => {
      emulateChromiumFocusFixup()
      const u = userEvent.setup()
      const server = signedIn({
        Me: before,
        // As over a network: the busy (disabled) button drops focus to <body> meanwhile.
        PhoneNumberMakeDefaultSecondFactor: async () => (
          await new Promise((r) => setTimeout(r, 50)),
          gqlError('resource_forbidden', 'Use this phone number for two-step verification first.', 'id')
        ),
      })
      renderApp('/account', server)
      const { phones, rowOf } = await phonesSection()
      await u.click(rowOf('+15557654321').getByRole('button', { name: 'Make default' }))
      const alert = await within(phones).findByRole('alert')
      expect(alert).toHaveTextContent('Use this phone number for two-step verification first. (long)')
      await waitFor(() => expect(alert).toHaveFocus())
      expect(rowOf('+15557654321').getByRole('button', { name: 'Make default' })).toBeEnabled()
      expect(rowOf('+15551234567').getByText('Default', { selector: '.badge' })).toBeInTheDocument()
      expect(within(phones).queryByRole('status')).not.toBeInTheDocument()
    })

    it('reads the account again when "Make default" is refused because the number was freed in another tab, keeping the refusal shown', async () => {
      emulateChromiumFocusFixup()
      const u = userEvent.setup()
      // Another tab stopped using +15557654321 for two-step verification: one reserved number is left.
      const freed = () => ({
        data: { me: user({ phoneNumbers: [first, { ...second, reservedForSecondFactor: false }, spare], twoFactorEnabled: true }) },
      })
      const server = signedIn({
        Me: [before, freed],
        PhoneNumberMakeDefaultSecondFactor: async () => (
          await new Promise((r) => setTimeout(r, 50)),
          gqlError('resource_forbidden', 'Use this phone number for two-step verification first.', 'id')
        ),
      })
      renderApp('/account', server)
      const { phones, rowOf } = await phonesSection()
      await u.click(rowOf('+15557654321').getByRole('button', { name: 'Make default' }))
      await waitFor(() => expect(server.ops().filter((o) => o === 'Me')).toHaveLength(2))
      // The list as it is now: the number is no longer reserved, and with one reserved number there is no choosing.
      expect(await rowOf('+15557654321').findByRole('button', { name: 'Use for two-step verification' })).toBeEnabled()
      expect(rowOf('+15557654321').queryByText('Two-step verification', { selector: '.badge' })).not.toBeInTheDocument()
      expect(within(phones).queryByRole('button', { name: 'Make default' })).not.toBeInTheDocument()
      expect(within(phones).queryByText('Default', { selector: '.badge' })).not.toBeInTheDocument()
      // The refusal stays shown, with focus on it (its button left the page).
      const alert = within(phones).getByRole('alert')
      expect(alert).toHaveTextContent('Use this phone number for two-step verification first. (long)')
      await waitFor(() => expect(alert).toHaveFocus())
    })

    it('keeps focus on a number\'s two-step button, under its new label, after turning it on or off', async () => {
      emulateChromiumFocusFixup()
      const u = userEvent.setup()
      const on = deferred<Reply>()
      const off = deferred<Reply>()
      const spareOn = { ...spare, reservedForSecondFactor: true }
      const firstOff = { ...first, reservedForSecondFactor: false, defaultSecondFactor: false }
      const server = signedIn({
        Me: [
          before,
          () => ({ data: { me: user({ phoneNumbers: [first, second, spareOn], twoFactorEnabled: true }) } }),
          () => ({ data: { me: user({ phoneNumbers: [firstOff, { ...second, defaultSecondFactor: true }, spareOn], twoFactorEnabled: true }) } }),
        ],
        PhoneNumberReserveForSecondFactor: [() => on.promise, () => off.promise],
      })
      renderApp('/account', server)
      const { phones, rowOf } = await phonesSection()

      await u.click(rowOf('+15550001111').getByRole('button', { name: 'Use for two-step verification' }))
      await waitFor(() => expect(server.last('PhoneNumberReserveForSecondFactor')?.variables).toEqual({ id: 'phn_3', reserved: true }))
      // The busy (disabled) button dropped focus to the page's body.
      expect(document.body).toHaveFocus()
      on.resolve({ data: { phoneNumberReserveForSecondFactor: spareOn } })
      expect(await within(phones).findByText('Sign-ins will ask for a code sent to +15550001111.')).toBeInTheDocument()
      await waitFor(() =>
        expect(rowOf('+15550001111').getByRole('button', { name: 'Stop using for two-step verification' })).toHaveFocus(),
      )

      await u.click(rowOf('+15551234567').getByRole('button', { name: 'Stop using for two-step verification' }))
      await waitFor(() => expect(server.last('PhoneNumberReserveForSecondFactor')?.variables).toEqual({ id: 'phn_1', reserved: false }))
      expect(document.body).toHaveFocus()
      off.resolve({ data: { phoneNumberReserveForSecondFactor: firstOff } })
      expect(await within(phones).findByText('+15551234567 is no longer used for two-step verification.')).toBeInTheDocument()
      await waitFor(() => expect(rowOf('+15551234567').getByRole('button', { name: 'Use for two-step verification' })).toHaveFocus())
    })

    it('moves focus to the heading when the number turned on is gone from the account read again', async () => {
      emulateChromiumFocusFixup()
      const u = userEvent.setup()
      const answer = deferred<Reply>()
      // Removed in another tab between the change and the account read again.
      const server = signedIn({
        Me: [before, () => ({ data: { me: user({ phoneNumbers: [first, second], twoFactorEnabled: true }) } })],
        PhoneNumberReserveForSecondFactor: () => answer.promise,
      })
      renderApp('/account', server)
      const { phones, rowOf } = await phonesSection()
      await u.click(rowOf('+15550001111').getByRole('button', { name: 'Use for two-step verification' }))
      await waitFor(() => expect(server.ops()).toContain('PhoneNumberReserveForSecondFactor'))
      answer.resolve({ data: { phoneNumberReserveForSecondFactor: { ...spare, reservedForSecondFactor: true } } })
      await waitFor(() => expect(within(phones).queryByText('+15550001111')).not.toBeInTheDocument())
      await waitFor(() => expect(within(phones).getByRole('heading', { name: 'Phone numbers' })).toHaveFocus())
    })

    it('moves focus to the refusal when turning two-step verification on failed', async () => {
      emulateChromiumFocusFixup()
      const u = userEvent.setup()
      const server = signedIn({
        Me: before,
        // As over a network: the busy (disabled) button drops focus to <body> meanwhile.
        PhoneNumberReserveForSecondFactor: async () => (
          await new Promise((r) => setTimeout(r, 50)),
          gqlError('resource_forbidden', 'Verify this phone number first.', 'id')
        ),
      })
      renderApp('/account', server)
      const { phones, rowOf } = await phonesSection()
      await u.click(rowOf('+15550001111').getByRole('button', { name: 'Use for two-step verification' }))
      const alert = await within(phones).findByRole('alert')
      expect(alert).toHaveTextContent('Verify this phone number first.')
      await waitFor(() => expect(alert).toHaveFocus())
      expect(rowOf('+15550001111').getByRole('button', { name: 'Use for two-step verification' })).toBeEnabled()
    })

    it('leaves focus where the user moved it while the two-step change was on its way', async () => {
      emulateChromiumFocusFixup()
      const u = userEvent.setup()
      const answer = deferred<Reply>()
      const spareOn = { ...spare, reservedForSecondFactor: true }
      const server = signedIn({
        Me: [before, () => ({ data: { me: user({ phoneNumbers: [first, second, spareOn], twoFactorEnabled: true }) } })],
        PhoneNumberReserveForSecondFactor: () => answer.promise,
      })
      renderApp('/account', server)
      const { phones, rowOf } = await phonesSection()
      await u.click(rowOf('+15550001111').getByRole('button', { name: 'Use for two-step verification' }))
      await waitFor(() => expect(server.ops()).toContain('PhoneNumberReserveForSecondFactor'))
      // The user goes on to add a number: the form opens with focus in its input.
      await u.click(within(phones).getByRole('button', { name: 'Add a phone number' }))
      const input = within(phones).getByLabelText('New phone number')
      expect(input).toHaveFocus()
      answer.resolve({ data: { phoneNumberReserveForSecondFactor: spareOn } })
      expect(await within(phones).findByText('Sign-ins will ask for a code sent to +15550001111.')).toBeInTheDocument()
      expect(rowOf('+15550001111').getByRole('button', { name: 'Stop using for two-step verification' })).toBeEnabled()
      expect(input).toHaveFocus()
    })
  })

  it('removes a phone number after asking, showing a refusal in the question', async () => {
    const u = userEvent.setup()
    const number = { id: 'phn_1', phoneNumber: '+15551234567', verified: true, reservedForSecondFactor: true, defaultSecondFactor: true }
    const listed = () => ({ data: { me: user({ phoneNumbers: [number], twoFactorEnabled: true }) } })
    const server = signedIn({
      // The refusal reads the account again (resource_forbidden: it may be out of date), which still lists the number.
      Me: [listed, listed, () => ({ data: { me: user() } })],
      PhoneNumberDelete: [
        () => gqlError('resource_forbidden', 'This phone number is the last way to sign in to this account; add another first.', 'id'),
        () => ({ data: { phoneNumberDelete: true } }),
      ],
    })
    renderApp('/account', server)
    const phones = (await screen.findByRole('heading', { name: 'Phone numbers' })).closest('section')!
    await u.click(await within(phones).findByRole('button', { name: 'Remove' }))
    const question = within(phones).getByRole('group', { name: /Remove \+15551234567/ })
    expect(question).toHaveTextContent('sign-ins will stop asking for a code sent to it')
    expect(server.ops()).not.toContain('PhoneNumberDelete')

    await u.click(within(question).getByRole('button', { name: 'Remove' }))
    expect(await within(question).findByText(/last way to sign in/)).toBeInTheDocument()
    expect(server.last('PhoneNumberDelete')!.variables).toEqual({ id: 'phn_1' })

    await u.click(within(question).getByRole('button', { name: 'Remove' }))
    expect(await within(phones).findByText('+15551234567 was removed.')).toBeInTheDocument()
    expect(within(phones).queryByRole('group', { name: /Remove/ })).not.toBeInTheDocument()
    expect(within(phones).queryByText('+15551234567', { selector: '.identifier' })).not.toBeInTheDocument()
  })

  it('keeps a removal question open, Cancel disabled, until its answer arrives, so a refusal is shown in it', async () => {
    const u = userEvent.setup()
    const number = { id: 'phn_1', phoneNumber: '+15551234567', verified: true, reservedForSecondFactor: false, defaultSecondFactor: false }
    const answer = deferred<Reply>()
    const server = signedIn({
      Me: () => ({ data: { me: user({ phoneNumbers: [number] }) } }),
      PhoneNumberDelete: () => answer.promise,
    })
    renderApp('/account', server)
    const phones = (await screen.findByRole('heading', { name: 'Phone numbers' })).closest('section')!
    await u.click(await within(phones).findByRole('button', { name: 'Remove' }))
    const question = within(phones).getByRole('group', { name: /Remove \+15551234567/ })
    await u.click(within(question).getByRole('button', { name: 'Remove' }))
    await waitFor(() => expect(server.ops()).toContain('PhoneNumberDelete'))
    const cancel = within(question).getByRole('button', { name: 'Cancel' })
    expect(cancel).toBeDisabled()
    await u.click(cancel)
    answer.resolve(gqlError('resource_forbidden', 'This phone number is the last way to sign in to this account.', 'id'))
    expect(await within(question).findByText(/last way to sign in/)).toBeInTheDocument()
    expect(question).toBeInTheDocument()
  })

  it('moves focus into the new question when another number is asked about while one question is open', async () => {
    const u = userEvent.setup()
    const first = { id: 'phn_1', phoneNumber: '+15551234567', verified: true, reservedForSecondFactor: false, defaultSecondFactor: false }
    const second = { id: 'phn_2', phoneNumber: '+15557654321', verified: true, reservedForSecondFactor: false, defaultSecondFactor: false }
    const server = signedIn({ Me: () => ({ data: { me: user({ phoneNumbers: [first, second] }) } }) })
    renderApp('/account', server)
    const phones = (await screen.findByRole('heading', { name: 'Phone numbers' })).closest('section')!
    await within(phones).findByText('+15557654321')
    await u.click(within(phones).getAllByRole('button', { name: 'Remove' })[0]!)
    expect(within(phones).getByRole('group', { name: /Remove \+15551234567/ })).toHaveFocus()
    // The second number's Remove, while the first question is open: that button leaves the page with the click.
    await u.click(within(phones).getAllByRole('button', { name: 'Remove' })[0]!)
    const question = within(phones).getByRole('group', { name: /Remove \+15557654321/ })
    expect(question).toHaveFocus()
  })

  it('moves focus into the new question when another address is asked about while one question is open', async () => {
    const u = userEvent.setup()
    const primary = { id: 'ema_1', emailAddress: 'jane@example.com', verified: true }
    const a = { id: 'ema_2', emailAddress: 'jane@work.example', verified: true }
    const b = { id: 'ema_3', emailAddress: 'jane@home.example', verified: true }
    const server = signedIn({ Me: () => ({ data: { me: user({ emailAddresses: [primary, a, b] }) } }) })
    renderApp('/account', server)
    const emails = (await screen.findByRole('heading', { name: 'Email addresses' })).closest('section')!
    await within(emails).findByText('jane@home.example')
    await u.click(within(emails).getAllByRole('button', { name: 'Remove' })[0]!)
    expect(within(emails).getByRole('group', { name: /Remove jane@work.example/ })).toHaveFocus()
    // Another address's Make primary, while the first question is open: that button leaves the page with the click.
    await u.click(within(emails).getAllByRole('button', { name: 'Make primary' })[0]!)
    expect(within(emails).getByRole('group', { name: /Make jane@home.example/ })).toHaveFocus()
  })

  describe('email addresses', () => {
    const primary = { id: 'ema_1', emailAddress: 'jane@example.com', verified: true }
    const added = { id: 'ema_2', emailAddress: 'jane@work.example', verified: false }
    const verified = { ...added, verified: true }

    it('adds an address, shows a taken one beside the field, and verifies the emailed code with a resend cooldown', async () => {
      const u = userEvent.setup()
      const server = signedIn({
        Me: [
          () => ({ data: { me: user() } }),
          () => ({ data: { me: user({ emailAddresses: [primary, added] }) } }),
          () => ({ data: { me: user({ emailAddresses: [primary, verified] }) } }),
        ],
        EmailAddressCreate: [
          () => gqlError('form_identifier_exists', 'That email address is taken.', 'emailAddress'),
          () => ({ data: { emailAddressCreate: added } }),
        ],
        EmailAddressPrepareVerification: () => ({ data: { emailAddressPrepareVerification: added } }),
        EmailAddressAttemptVerification: [
          () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
          () => ({ data: { emailAddressAttemptVerification: verified } }),
        ],
      })
      renderApp('/account', server)
      const emails = await screen.findByRole('region', { name: 'Email addresses' })
      await u.click(within(emails).getByRole('button', { name: 'Add an email address' }))
      const input = within(emails).getByLabelText('New email address')
      expect(input).toHaveAttribute('type', 'email')
      await u.type(input, 'taken@example.com')
      await u.click(within(emails).getByRole('button', { name: 'Add email address' }))
      const taken = await within(emails).findByText('That email address is taken. (long)')
      expect(within(emails).getByLabelText('New email address').getAttribute('aria-describedby')).toContain(taken.id)
      expect(server.ops()).not.toContain('EmailAddressPrepareVerification')

      await u.clear(within(emails).getByLabelText('New email address'))
      await u.type(within(emails).getByLabelText('New email address'), 'jane@work.example')
      await u.click(within(emails).getByRole('button', { name: 'Add email address' }))
      await waitFor(() => expect(server.last('EmailAddressPrepareVerification')?.variables).toEqual({ id: 'ema_2' }))
      expect(server.last('EmailAddressCreate')!.variables).toEqual({ emailAddress: 'jane@work.example' })
      expect(server.last('EmailAddressCreate')!.headers.authorization).toBe('Bearer jwt_1')
      expect(within(emails).getByText(/We sent a 6-digit code to/)).toHaveTextContent('We sent a 6-digit code to jane@work.example.')
      expect(await within(emails).findByRole('button', { name: /Resend code in \d+s/ })).toBeDisabled()
      const row = within(emails).getByText('jane@work.example', { selector: '.list .identifier' }).closest('li')!
      expect(within(row).getByText('Unverified')).toBeInTheDocument()
      // While its code step is open, the row offers nothing else (no Verify, no Remove).
      expect(within(row).queryByRole('button')).not.toBeInTheDocument()

      const code = within(emails).getByLabelText('Verification code')
      await u.type(code, '000000')
      await u.click(within(emails).getByRole('button', { name: 'Verify' }))
      const wrong = await within(emails).findByText('Incorrect code (long)')
      expect(within(emails).getByLabelText('Verification code').getAttribute('aria-describedby')).toContain(wrong.id)

      await u.clear(within(emails).getByLabelText('Verification code'))
      await u.type(within(emails).getByLabelText('Verification code'), '123456')
      await u.click(within(emails).getByRole('button', { name: 'Verify' }))
      expect(await within(emails).findByText('jane@work.example is verified.')).toBeInTheDocument()
      expect(server.last('EmailAddressAttemptVerification')!.variables).toEqual({ id: 'ema_2', code: '123456' })
      expect(within(emails).queryByLabelText('Verification code')).not.toBeInTheDocument()
    })

    it('makes a verified address primary after telling what it does to the other devices', async () => {
      const u = userEvent.setup()
      const after = user({ emailAddresses: [primary, verified], primaryEmailAddressId: 'ema_2' })
      const server = signedIn({
        Me: [() => ({ data: { me: user({ emailAddresses: [primary, verified, { ...added, id: 'ema_3', emailAddress: 'old@example.com' }] }) } }), () => ({ data: { me: after } })],
        EmailAddressSetPrimary: [
          () => gqlError('verification_missing', 'Verify this email address before making it the primary one.', 'id'),
          () => ({ data: { emailAddressSetPrimary: after } }),
        ],
      })
      renderApp('/account', server)
      const emails = await screen.findByRole('region', { name: 'Email addresses' })
      const rowOf = (address: string) => within(emails).getByText(address, { selector: '.list .identifier' }).closest('li')!
      // The primary address has neither button; an unverified one can be verified or removed, not made primary.
      expect(within(rowOf('jane@example.com')).getByText('Primary')).toBeInTheDocument()
      expect(within(rowOf('jane@example.com')).queryByRole('button')).not.toBeInTheDocument()
      expect(within(rowOf('old@example.com')).getAllByRole('button').map((b) => b.textContent)).toEqual(['Verify', 'Remove'])

      await u.click(within(rowOf('jane@work.example')).getByRole('button', { name: 'Make primary' }))
      const question = within(emails).getByRole('group', { name: /Make jane@work.example your primary email address\?/ })
      expect(question).toHaveTextContent('Your other devices will need a code the next time they sign in.')
      expect(server.ops()).not.toContain('EmailAddressSetPrimary')

      await u.click(within(question).getByRole('button', { name: 'Make primary' }))
      expect(await within(question).findByText('Verify this email address before making it the primary one. (long)')).toBeInTheDocument()
      await u.click(within(question).getByRole('button', { name: 'Make primary' }))
      expect(
        await within(emails).findByText('jane@work.example is now your primary email address. Your other devices will need a code the next time they sign in.'),
      ).toBeInTheDocument()
      expect(server.last('EmailAddressSetPrimary')!.variables).toEqual({ id: 'ema_2' })
      expect(within(rowOf('jane@work.example')).getByText('Primary')).toBeInTheDocument()
      expect(within(rowOf('jane@example.com')).getByRole('button', { name: 'Remove' })).toBeInTheDocument()
    })

    it('shows the wait when a code was sent to the address less than 30 s ago', async () => {
      const u = userEvent.setup()
      const server = signedIn({
        Me: () => ({ data: { me: user({ emailAddresses: [primary, added] }) } }),
        EmailAddressPrepareVerification: () =>
          gqlError('verification_code_too_many_requests', 'Too many requests.', undefined, { retryAfterSeconds: 20 }),
      })
      renderApp('/account', server)
      const emails = await screen.findByRole('region', { name: 'Email addresses' })
      await u.click(await within(emails).findByRole('button', { name: 'Verify' }))
      expect(await within(emails).findByText('Too many requests. (long) Try again in 20 seconds.')).toBeInTheDocument()
      expect(within(emails).getByRole('button', { name: /Resend code in (20|19)s/ })).toBeDisabled()
      // The code sent earlier can still be entered.
      expect(within(emails).getByLabelText('Verification code')).toBeInTheDocument()
    })

    it('removes an address other than the primary one, after asking', async () => {
      const u = userEvent.setup()
      const server = signedIn({
        Me: [() => ({ data: { me: user({ emailAddresses: [primary, verified] }) } }), () => ({ data: { me: user() } })],
        EmailAddressDelete: () => ({ data: { emailAddressDelete: true } }),
      })
      renderApp('/account', server)
      const emails = await screen.findByRole('region', { name: 'Email addresses' })
      const row = within(emails).getByText('jane@work.example').closest('li')!
      await u.click(within(row).getByRole('button', { name: 'Remove' }))
      const question = within(emails).getByRole('group', { name: /Remove jane@work.example from your account\?/ })
      await u.click(within(question).getByRole('button', { name: 'Cancel' }))
      expect(server.ops()).not.toContain('EmailAddressDelete')

      await u.click(within(row).getByRole('button', { name: 'Remove' }))
      await u.click(within(within(emails).getByRole('group')).getByRole('button', { name: 'Remove' }))
      expect(await within(emails).findByText('jane@work.example was removed.')).toBeInTheDocument()
      expect(server.last('EmailAddressDelete')!.variables).toEqual({ id: 'ema_2' })
      expect(within(emails).queryByText('jane@work.example', { selector: '.list .identifier' })).not.toBeInTheDocument()
    })
  })

  it('keeps an address removal question open, Cancel disabled, until its answer arrives', async () => {
    const u = userEvent.setup()
    const primary = { id: 'ema_1', emailAddress: 'jane@example.com', verified: true }
    const other = { id: 'ema_2', emailAddress: 'jane@work.example', verified: true }
    const answer = deferred<Reply>()
    const server = signedIn({
      Me: () => ({ data: { me: user({ emailAddresses: [primary, other] }) } }),
      EmailAddressDelete: () => answer.promise,
    })
    renderApp('/account', server)
    const emails = await screen.findByRole('region', { name: 'Email addresses' })
    const row = (await within(emails).findByText('jane@work.example')).closest('li')!
    await u.click(within(row).getByRole('button', { name: 'Remove' }))
    const question = within(emails).getByRole('group', { name: /Remove jane@work.example/ })
    await u.click(within(question).getByRole('button', { name: 'Remove' }))
    await waitFor(() => expect(server.ops()).toContain('EmailAddressDelete'))
    const cancel = within(question).getByRole('button', { name: 'Cancel' })
    expect(cancel).toBeDisabled()
    await u.click(cancel)
    answer.resolve(gqlError('resource_forbidden', 'This address cannot be removed now.', 'id'))
    expect(await within(question).findByText(/cannot be removed now/)).toBeInTheDocument()
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
