import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { gqlError, user, accountServer } from '../../../test/fakeServer'
import { renderApp } from '../../../test/renderApp'
import { OTHER_DEVICES } from './EmailSection'

const primary = { id: 'ema_1', emailAddress: 'jane@example.com', verified: true }
const added = { id: 'ema_2', emailAddress: 'jane@work.example', verified: false }
const phone = { id: 'phn_2', phoneNumber: '+15557654321', verified: false, reservedForSecondFactor: false, defaultSecondFactor: false }

describe('/account email addresses', () => {
  it('opening an address\'s code step closes the question asked about it, so it cannot be removed under its own step', async () => {
    const u = userEvent.setup()
    const server = accountServer({
      Me: () => ({ data: { me: user({ emailAddresses: [primary, added] }) } }),
      EmailAddressPrepareVerification: () => ({ data: { emailAddressPrepareVerification: added } }),
      EmailAddressDelete: () => ({ data: { emailAddressDelete: true } }),
    })
    renderApp('/account', server)
    const emails = await screen.findByRole('region', { name: 'Email addresses' })
    const row = within(emails).getByText('jane@work.example', { selector: '.list .identifier' }).closest('li')!
    await u.click(within(row).getByRole('button', { name: 'Remove' }))
    expect(within(emails).getByRole('group', { name: /Remove jane@work.example/ })).toBeInTheDocument()
    await u.click(within(row).getByRole('button', { name: 'Verify' }))
    await waitFor(() => expect(server.ops()).toContain('EmailAddressPrepareVerification'))
    expect(within(emails).queryByRole('group', { name: /Remove jane@work.example/ })).not.toBeInTheDocument()
    expect(within(emails).getByLabelText('Verification code')).toBeInTheDocument()
    expect(server.ops()).not.toContain('EmailAddressDelete')
  })

  it('an address removed elsewhere while its code step is open closes the step', async () => {
    const u = userEvent.setup()
    const server = accountServer({
      Me: [
        () => ({ data: { me: user({ emailAddresses: [primary, added] }) } }),
        () => ({ data: { me: user({ emailAddresses: [primary] }) } }), // the reload after another change
      ],
      EmailAddressPrepareVerification: () => ({ data: { emailAddressPrepareVerification: added } }),
      PhoneNumberCreate: () => ({ data: { phoneNumberCreate: phone } }),
      PhoneNumberPrepareVerification: () => ({ data: { phoneNumberPrepareVerification: phone } }),
    })
    renderApp('/account', server)
    const emails = await screen.findByRole('region', { name: 'Email addresses' })
    const row = within(emails).getByText('jane@work.example', { selector: '.list .identifier' }).closest('li')!
    await u.click(within(row).getByRole('button', { name: 'Verify' }))
    expect(await within(emails).findByLabelText('Verification code')).toBeInTheDocument()
    // Another tab removed it: the next reload of the user (here after a phone number is added) no longer lists it.
    const phones = screen.getByRole('region', { name: 'Phone numbers' })
    await u.click(within(phones).getByRole('button', { name: 'Add a phone number' }))
    await u.type(within(phones).getByLabelText('New phone number'), '+15557654321')
    await u.click(within(phones).getByRole('button', { name: 'Add phone number' }))
    await waitFor(() => expect(server.ops().filter((o) => o === 'Me').length).toBeGreaterThan(1))
    await waitFor(() => expect(within(emails).queryByLabelText('Verification code')).not.toBeInTheDocument())
    // Said in the section, without taking focus from where the user is (the phone number's code step).
    expect(within(emails).getByRole('alert')).toHaveTextContent('jane@work.example is no longer on your account')
    expect(within(phones).getByLabelText('Verification code')).toHaveFocus()
  })

  it.each(['Resend code', 'Verify'])(
    '"%s" that finds the address verified meanwhile (another tab) reads the account again and closes the step',
    async (button) => {
      const u = userEvent.setup()
      const already = () => gqlError('verification_already_verified', 'Already verified.')
      const server = accountServer({
        Me: [
          () => ({ data: { me: user({ emailAddresses: [primary, added] }) } }),
          () => ({ data: { me: user({ emailAddresses: [primary, { ...added, verified: true }] }) } }),
        ],
        // The first send fails (no cooldown), so the resend button is ready at once.
        EmailAddressPrepareVerification: [() => gqlError('delivery_failed', 'The message could not be sent.'), already],
        EmailAddressAttemptVerification: already,
      })
      renderApp('/account', server)
      const emails = await screen.findByRole('region', { name: 'Email addresses' })
      const row = within(emails).getByText('jane@work.example', { selector: '.list .identifier' }).closest('li')!
      await u.click(within(row).getByRole('button', { name: 'Verify' }))
      expect(await within(emails).findByText('The message could not be sent. (long)')).toBeInTheDocument()
      if (button === 'Verify') await u.type(within(emails).getByLabelText('Verification code'), '123456')
      await u.click(within(emails).getByRole('button', { name: button }))

      expect(await within(emails).findByText('jane@work.example is verified.')).toBeInTheDocument()
      expect(within(emails).queryByLabelText('Verification code')).not.toBeInTheDocument()
      expect(screen.queryByText(/Already verified/)).not.toBeInTheDocument()
      expect(server.ops().filter((o) => o === 'Me')).toHaveLength(2)
    },
  )

  it('the first verified address says it became primary and what that does to the other devices', async () => {
    const u = userEvent.setup()
    const lone = { ...added, id: 'ema_9', emailAddress: 'first@example.com' }
    const server = accountServer({
      Me: [
        () => ({ data: { me: user({ emailAddresses: [lone], primaryEmailAddressId: null }) } }),
        () => ({ data: { me: user({ emailAddresses: [{ ...lone, verified: true }], primaryEmailAddressId: 'ema_9' }) } }),
      ],
      EmailAddressPrepareVerification: () => ({ data: { emailAddressPrepareVerification: lone } }),
      EmailAddressAttemptVerification: () => ({ data: { emailAddressAttemptVerification: { ...lone, verified: true } } }),
    })
    renderApp('/account', server)
    const emails = await screen.findByRole('region', { name: 'Email addresses' })
    await u.click(within(emails).getByRole('button', { name: 'Verify' }))
    await u.type(await within(emails).findByLabelText('Verification code'), '123456')
    await u.click(within(emails).getByRole('button', { name: 'Verify' }))
    expect(
      await within(emails).findByText(`first@example.com is verified and is now your primary email address. ${OTHER_DEVICES}`),
    ).toBeInTheDocument()
  })

  it('moves focus into a question when it opens and to the section heading when it closes', async () => {
    const u = userEvent.setup()
    const server = accountServer({ Me: () => ({ data: { me: user({ emailAddresses: [primary, added] }) } }) })
    renderApp('/account', server)
    const emails = await screen.findByRole('region', { name: 'Email addresses' })
    const row = within(emails).getByText('jane@work.example', { selector: '.list .identifier' }).closest('li')!
    await u.click(within(row).getByRole('button', { name: 'Remove' }))
    const question = within(emails).getByRole('group', { name: /Remove jane@work.example/ })
    expect(question).toHaveFocus()
    await u.click(within(question).getByRole('button', { name: 'Cancel' }))
    expect(within(emails).getByRole('heading', { name: 'Email addresses' })).toHaveFocus()
  })
})

