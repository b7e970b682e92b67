import { describe, expect, it } from 'vitest'
import { deferred, fakeServer, gqlError, loadSignedIn, reverificationRequired, tick, user, type Handler, type Reply } from '../test/fakeServer'
import { runWithReverification } from './reverification'

const primary = { id: 'ema_1', emailAddress: 'jane@example.com', verified: true }
const added = { id: 'ema_2', emailAddress: 'jane@work.example', verified: false }
const verified = { ...added, verified: true }

async function signedIn(handlers: Record<string, Handler | Handler[]>) {
  const { client, server } = await loadSignedIn(handlers)
  return { client, user: client.user!, server }
}

/** meReloads counts the `me` reloads after the first load. */
const meReloads = (server: ReturnType<typeof fakeServer>) => server.ops().filter((o) => o === 'Me').length - 1

describe('user email addresses (Clerk-shaped)', () => {
  it('createEmailAddress() adds an address with the session JWT, reloads the user and resolves to the address', async () => {
    const { client, user: u, server } = await signedIn({
      Me: [() => ({ data: { me: user() } }), () => ({ data: { me: user({ emailAddresses: [primary, added] }) } })],
      EmailAddressCreate: () => ({ data: { emailAddressCreate: added } }),
    })
    const r = await u.createEmailAddress({ email: 'jane@work.example' })
    const call = server.last('EmailAddressCreate')!
    expect(call.variables).toEqual({ emailAddress: 'jane@work.example' })
    expect(call.headers.authorization).toBe('Bearer jwt_1')
    expect(call.query).toBe(
      'mutation EmailAddressCreate($emailAddress: String!) { emailAddressCreate(emailAddress: $emailAddress) { id emailAddress verified } }',
    )
    expect(r.error).toBeNull()
    expect(r.data).toEqual(added)
    expect(typeof r.data!.prepareVerification).toBe('function')
    expect(meReloads(server)).toBe(1)
    // The client holds a new User, whose addresses are resources too.
    expect(client.user).not.toBe(u)
    expect(client.user!.emailAddresses.map((e) => e.emailAddress)).toEqual(['jane@example.com', 'jane@work.example'])
    expect(typeof client.user!.emailAddresses[1]!.attemptVerification).toBe('function')
  })

  it('prepareVerification() emails a code without reloading; attemptVerification() checks it and reloads', async () => {
    const { client, user: u, server } = await signedIn({
      Me: [() => ({ data: { me: user({ emailAddresses: [primary, added] }) } }), () => ({ data: { me: user({ emailAddresses: [primary, verified] }) } })],
      EmailAddressPrepareVerification: () => ({ data: { emailAddressPrepareVerification: added } }),
      EmailAddressAttemptVerification: () => ({ data: { emailAddressAttemptVerification: verified } }),
    })
    const address = u.emailAddresses.find((e) => e.id === 'ema_2')!
    const sent = await address.prepareVerification({ strategy: 'email_code' })
    expect(sent).toEqual({ data: added, error: null })
    expect(server.last('EmailAddressPrepareVerification')!.variables).toEqual({ id: 'ema_2' })
    expect(server.last('EmailAddressPrepareVerification')!.headers.authorization).toBe('Bearer jwt_1')
    expect(meReloads(server)).toBe(0)

    const checked = await address.attemptVerification({ code: '123456' })
    expect(server.last('EmailAddressAttemptVerification')!.variables).toEqual({ id: 'ema_2', code: '123456' })
    expect(server.last('EmailAddressAttemptVerification')!.query).toBe(
      'mutation EmailAddressAttemptVerification($id: ID!, $code: String!) { emailAddressAttemptVerification(id: $id, code: $code) { id emailAddress verified } }',
    )
    expect(checked.data).toEqual(verified)
    expect(meReloads(server)).toBe(1)
    expect(client.user!.emailAddresses[1]!.verified).toBe(true)
  })

  it('resolves to { error } instead of throwing, with the server meta, and does not reload after a failure', async () => {
    const { user: u, server } = await signedIn({
      Me: () => ({ data: { me: user({ emailAddresses: [primary, added] }) } }),
      EmailAddressCreate: () => gqlError('form_identifier_exists', 'That email address is taken.', 'emailAddress'),
      EmailAddressPrepareVerification: () =>
        gqlError('verification_code_too_many_requests', 'Wait before asking for another code.', undefined, { retryAfterSeconds: 21 }),
      EmailAddressAttemptVerification: () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
    })
    const taken = await u.createEmailAddress({ email: 'taken@example.com' })
    expect(taken.data).toBeNull()
    expect(taken.error!.code).toBe('form_identifier_exists')
    expect(taken.error!.errors[0]!.meta.paramName).toBe('emailAddress')

    const address = u.emailAddresses[1]!
    const tooSoon = await address.prepareVerification({ strategy: 'email_code' })
    expect(tooSoon.error!.code).toBe('verification_code_too_many_requests')
    expect(tooSoon.error!.errors[0]!.meta.retryAfterSeconds).toBe(21)

    const wrong = await address.attemptVerification({ code: '000000' })
    expect(wrong.error!.errors[0]!.meta.paramName).toBe('code')
    expect(meReloads(server)).toBe(0)
  })

  it('prepareVerification() with a strategy other than email_code fails without a request', async () => {
    const { user: u, server } = await signedIn({})
    const strategy = 'email_link' as 'email_code'
    const r = await u.emailAddresses[0]!.prepareVerification({ strategy })
    expect(r.error!.code).toBe('strategy_for_user_invalid')
    expect(r.error!.errors[0]!.meta.paramName).toBe('strategy')
    expect(server.ops()).not.toContain('EmailAddressPrepareVerification')
  })

  it('destroy() removes an address and reloads; the primary one comes back as resource_forbidden', async () => {
    const { client, user: u, server } = await signedIn({
      Me: [() => ({ data: { me: user({ emailAddresses: [primary, verified] }) } }), () => ({ data: { me: user() } })],
      EmailAddressDelete: [
        () => gqlError('resource_forbidden', 'The primary email address cannot be removed.', 'id'),
        () => ({ data: { emailAddressDelete: true } }),
      ],
    })
    const refused = await u.primaryEmailAddress!.destroy()
    expect(refused.error!.code).toBe('resource_forbidden')
    expect(server.last('EmailAddressDelete')!.variables).toEqual({ id: 'ema_1' })
    expect(meReloads(server)).toBe(0)

    const removed = await u.emailAddresses[1]!.destroy()
    expect(removed).toEqual({ data: true, error: null })
    expect(server.last('EmailAddressDelete')!.variables).toEqual({ id: 'ema_2' })
    expect(server.last('EmailAddressDelete')!.query).toBe('mutation EmailAddressDelete($id: ID!) { emailAddressDelete(id: $id) }')
    expect(client.user!.emailAddresses.map((e) => e.id)).toEqual(['ema_1'])
  })

  it('deletePhoneNumber() removes a number and reloads; the last way to sign in comes back as resource_forbidden', async () => {
    const { user: u, server } = await signedIn({
      Me: [() => ({ data: { me: user() } })],
      PhoneNumberDelete: [
        () => gqlError('resource_forbidden', 'This phone number is the last way to sign in to this account; add another first.', 'id'),
        () => ({ data: { phoneNumberDelete: true } }),
      ],
    })
    const refused = await u.deletePhoneNumber('idn_1')
    expect(refused.error!.code).toBe('resource_forbidden')
    expect(refused.error!.errors[0]!.meta.paramName).toBe('id')
    expect(meReloads(server)).toBe(0)

    const removed = await u.deletePhoneNumber('idn_2')
    expect(removed).toEqual({ data: true, error: null })
    expect(server.last('PhoneNumberDelete')!.variables).toEqual({ id: 'idn_2' })
    expect(server.last('PhoneNumberDelete')!.query).toBe('mutation PhoneNumberDelete($id: ID!) { phoneNumberDelete(id: $id) }')
    expect(meReloads(server)).toBe(1)
  })

  it('update({ primaryEmailAddressId }) makes a verified address primary and resolves to the updated user, fetched once', async () => {
    const after = user({ emailAddresses: [primary, verified], primaryEmailAddressId: 'ema_2' })
    const { client, user: u, server } = await signedIn({
      Me: [() => ({ data: { me: user({ emailAddresses: [primary, verified] }) } }), () => ({ data: { me: after } })],
      EmailAddressSetPrimary: [
        () => gqlError('verification_missing', 'Verify this email address first.', 'id'),
        () => ({ data: { emailAddressSetPrimary: after } }),
      ],
    })
    const unverified = await u.update({ primaryEmailAddressId: 'ema_3' })
    expect(unverified.error!.code).toBe('verification_missing')

    const r = await u.update({ primaryEmailAddressId: 'ema_2' })
    const call = server.last('EmailAddressSetPrimary')!
    expect(call.variables).toEqual({ id: 'ema_2' })
    expect(call.headers.authorization).toBe('Bearer jwt_1')
    expect(call.query).toMatch(/^mutation EmailAddressSetPrimary\(\$id: ID!\) \{ emailAddressSetPrimary\(id: \$id\) \{ id username emailAddresses \{ id emailAddress verified \} /)
    expect(r.error).toBeNull()
    expect(r.data!.primaryEmailAddressId).toBe('ema_2')
    expect(r.data!.primaryEmailAddress!.emailAddress).toBe('jane@work.example')
    // The mutation answers with the whole user: the client takes it, without a `me` after it.
    expect(meReloads(server)).toBe(0)
    expect(server.ops()).toEqual(['Client', 'SessionTokenCreate', 'Me', 'EmailAddressSetPrimary', 'EmailAddressSetPrimary'])
    expect(client.user!.primaryEmailAddressId).toBe('ema_2')
  })

  it('update() reloads the user instead when a `me` that may have read it before the change is on its way', async () => {
    const before = user({ emailAddresses: [primary, verified] })
    const after = user({ emailAddresses: [primary, verified], primaryEmailAddressId: 'ema_2' })
    const held = deferred<Reply>()
    const change = deferred<Reply>()
    const { client, user: u, server } = await signedIn({
      Me: [() => ({ data: { me: before } }), () => held.promise, () => ({ data: { me: after } })],
      EmailAddressSetPrimary: () => change.promise,
    })
    const updating = u.update({ primaryEmailAddressId: 'ema_2' })
    await tick()
    const other = client.reloadUser() // another section's reload, sent while the change is on its way
    await tick()
    change.resolve({ data: { emailAddressSetPrimary: after } })
    await tick()
    held.resolve({ data: { me: before } }) // the server read the user before it made the change
    await other
    const r = await updating
    expect(r.data!.primaryEmailAddressId).toBe('ema_2')
    expect(client.user!.primaryEmailAddressId).toBe('ema_2')
    expect(meReloads(server)).toBe(2) // the held one, then one begun after the change
  })

  it('update() answered after a sign-out does not bring the user back', async () => {
    const after = user({ primaryEmailAddressId: 'ema_2' })
    const held = deferred<Reply>()
    const { client, user: u } = await signedIn({
      EmailAddressSetPrimary: () => held.promise,
      SignOut: () => ({ data: { signOut: true } }),
    })
    const updating = u.update({ primaryEmailAddressId: 'ema_2' })
    await tick()
    await client.signOut()
    held.resolve({ data: { emailAddressSetPrimary: after } })
    const r = await updating
    expect(r.data!.primaryEmailAddressId).toBe('ema_2')
    expect(client.session).toBeNull()
    expect(client.user).toBeNull()
  })

  it('works with runWithReverification: a change that needs a recent verification runs again once confirmed', async () => {
    const { user: u, server } = await signedIn({
      EmailAddressCreate: [() => reverificationRequired('first_factor'), () => ({ data: { emailAddressCreate: added } })],
    })
    const levels: unknown[] = []
    const r = await runWithReverification(
      () => u.createEmailAddress({ email: 'jane@work.example' }),
      (p) => (levels.push(p.level), p.complete()),
    )
    expect(levels).toEqual(['first_factor'])
    expect(r.data).toEqual(added)
    expect(server.ops().filter((o) => o === 'EmailAddressCreate')).toHaveLength(2)
  })
})

/** phone is a `PhoneNumber` as the server answers it; `defaultSecondFactor` is the server's (it is not derived here). */
const phone = (
  id: string,
  verified: boolean,
  reservedForSecondFactor = false,
  defaultSecondFactor = false,
  phoneNumber = `+1555000${id.slice(-4).padStart(4, '0')}`,
) => ({
  id,
  phoneNumber,
  verified,
  reservedForSecondFactor,
  defaultSecondFactor,
})
const newPhone = phone('idn_9', false, false, false, '+15551230009')
const newPhoneVerified = { ...newPhone, verified: true }

describe('user phone numbers (Clerk-shaped)', () => {
  it('user.phoneNumbers are PhoneNumberResources with verification, and defaultSecondFactor as the server says', async () => {
    const { user: u, server } = await signedIn({
      // The user chose idn_4, the younger of the two reserved numbers: the server marks it, not the oldest.
      Me: () => ({
        data: {
          me: user({ phoneNumbers: [phone('idn_1', false), phone('idn_2', true), phone('idn_3', true, true), phone('idn_4', true, true, true)] }),
        },
      }),
    })
    expect(server.last('Me')!.query).toContain('phoneNumbers { id phoneNumber verified reservedForSecondFactor defaultSecondFactor }')
    expect(u.phoneNumbers.map((p) => p.verification.status)).toEqual(['unverified', 'verified', 'verified', 'verified'])
    expect(u.phoneNumbers.map((p) => p.verification.strategy)).toEqual(['phone_code', 'phone_code', 'phone_code', 'phone_code'])
    expect(u.phoneNumbers.map((p) => p.defaultSecondFactor)).toEqual([false, false, false, true])
    expect(u.phoneNumbers[3]).toEqual({ ...phone('idn_4', true, true, true), verification: { status: 'verified', strategy: 'phone_code' } })
    for (const m of ['prepareVerification', 'attemptVerification', 'setReservedForSecondFactor', 'makeDefaultSecondFactor', 'destroy'] as const) {
      expect(typeof u.phoneNumbers[0]![m]).toBe('function')
    }
    // The client is private: logging a number shows its data only.
    expect(Object.keys(u.phoneNumbers[0]!)).toEqual(['id', 'phoneNumber', 'verified', 'reservedForSecondFactor', 'defaultSecondFactor', 'verification'])
  })

  it('createPhoneNumber() resolves to a resource; its prepareVerification() texts a code, attemptVerification() checks it and reloads', async () => {
    const { client, user: u, server } = await signedIn({
      Me: [
        () => ({ data: { me: user() } }),
        () => ({ data: { me: user({ phoneNumbers: [newPhone] }) } }),
        () => ({ data: { me: user({ phoneNumbers: [newPhoneVerified] }) } }),
      ],
      PhoneNumberCreate: () => ({ data: { phoneNumberCreate: newPhone } }),
      PhoneNumberPrepareVerification: () => ({ data: { phoneNumberPrepareVerification: newPhone } }),
      PhoneNumberAttemptVerification: () => ({ data: { phoneNumberAttemptVerification: newPhoneVerified } }),
    })
    const created = await u.createPhoneNumber({ phoneNumber: '+15551230009' })
    expect(server.last('PhoneNumberCreate')!.variables).toEqual({ phoneNumber: '+15551230009' })
    expect(created.error).toBeNull()
    expect(created.data).toMatchObject({ ...newPhone, verification: { status: 'unverified' }, defaultSecondFactor: false })
    expect(meReloads(server)).toBe(1)
    expect(typeof client.user!.phoneNumbers[0]!.prepareVerification).toBe('function')

    const sent = await created.data!.prepareVerification()
    const prepare = server.last('PhoneNumberPrepareVerification')!
    expect(prepare.variables).toEqual({ id: 'idn_9' })
    expect(prepare.headers.authorization).toBe('Bearer jwt_1')
    expect(prepare.query).toBe(
      'mutation PhoneNumberPrepareVerification($id: ID!) { phoneNumberPrepareVerification(id: $id) { id phoneNumber verified reservedForSecondFactor defaultSecondFactor } }',
    )
    expect(sent.error).toBeNull()
    expect(sent.data!.id).toBe('idn_9')
    expect(meReloads(server)).toBe(1)

    const checked = await created.data!.attemptVerification({ code: '123456' })
    expect(server.last('PhoneNumberAttemptVerification')!.variables).toEqual({ id: 'idn_9', code: '123456' })
    expect(server.last('PhoneNumberAttemptVerification')!.headers.authorization).toBe('Bearer jwt_1')
    expect(checked.error).toBeNull()
    expect(checked.data!.verification.status).toBe('verified')
    expect(typeof checked.data!.setReservedForSecondFactor).toBe('function')
    expect(meReloads(server)).toBe(2)
    expect(client.user!.phoneNumbers[0]!.verification.status).toBe('verified')
  })

  it('setReservedForSecondFactor({ reserved }) reserves or frees the number, reloads, and says whether it is the default', async () => {
    const first = phone('idn_1', true, true, true)
    const second = phone('idn_2', true)
    // As the server answers: freeing the default number makes the oldest number still reserved the default.
    const secondReserved = { ...second, reservedForSecondFactor: true }
    const firstFreed = { ...first, reservedForSecondFactor: false, defaultSecondFactor: false }
    const { client, user: u, server } = await signedIn({
      Me: [
        () => ({ data: { me: user({ phoneNumbers: [first, second] }) } }),
        () => ({ data: { me: user({ phoneNumbers: [first, secondReserved] }) } }),
        () => ({ data: { me: user({ phoneNumbers: [firstFreed, { ...secondReserved, defaultSecondFactor: true }] }) } }),
      ],
      PhoneNumberReserveForSecondFactor: [
        () => ({ data: { phoneNumberReserveForSecondFactor: secondReserved } }),
        () => ({ data: { phoneNumberReserveForSecondFactor: firstFreed } }),
      ],
    })
    const reserved = await u.phoneNumbers[1]!.setReservedForSecondFactor({ reserved: true })
    const call = server.last('PhoneNumberReserveForSecondFactor')!
    expect(call.variables).toEqual({ id: 'idn_2', reserved: true })
    expect(call.headers.authorization).toBe('Bearer jwt_1')
    expect(call.query).toBe(
      'mutation PhoneNumberReserveForSecondFactor($id: ID!, $reserved: Boolean!) { phoneNumberReserveForSecondFactor(id: $id, reserved: $reserved) { id phoneNumber verified reservedForSecondFactor defaultSecondFactor } }',
    )
    expect(reserved.error).toBeNull()
    // idn_1 is older and still reserved: sign-ins text it first.
    expect(reserved.data).toMatchObject({ id: 'idn_2', reservedForSecondFactor: true, defaultSecondFactor: false })
    expect(meReloads(server)).toBe(1)

    const freed = await client.user!.phoneNumbers[0]!.setReservedForSecondFactor({ reserved: false })
    expect(server.last('PhoneNumberReserveForSecondFactor')!.variables).toEqual({ id: 'idn_1', reserved: false })
    expect(freed.data).toMatchObject({ id: 'idn_1', reservedForSecondFactor: false, defaultSecondFactor: false })
    expect(meReloads(server)).toBe(2)
    expect(client.user!.phoneNumbers.map((p) => p.defaultSecondFactor)).toEqual([false, true])
  })

  it('makeDefaultSecondFactor() makes a reserved number the default with the session JWT, reloads, and resolves to the number the server answers', async () => {
    const first = phone('idn_1', true, true, true)
    const second = phone('idn_2', true, true)
    const chosen = { ...second, defaultSecondFactor: true }
    const { client, user: u, server } = await signedIn({
      Me: [
        () => ({ data: { me: user({ phoneNumbers: [first, second] }) } }),
        () => ({ data: { me: user({ phoneNumbers: [{ ...first, defaultSecondFactor: false }, chosen] }) } }),
      ],
      PhoneNumberMakeDefaultSecondFactor: () => ({ data: { phoneNumberMakeDefaultSecondFactor: chosen } }),
    })
    const r = await u.phoneNumbers[1]!.makeDefaultSecondFactor()
    const call = server.last('PhoneNumberMakeDefaultSecondFactor')!
    expect(call.variables).toEqual({ id: 'idn_2' })
    expect(call.headers.authorization).toBe('Bearer jwt_1')
    expect(call.query).toBe(
      'mutation PhoneNumberMakeDefaultSecondFactor($id: ID!) { phoneNumberMakeDefaultSecondFactor(id: $id) { id phoneNumber verified reservedForSecondFactor defaultSecondFactor } }',
    )
    expect(r.error).toBeNull()
    expect(r.data).toEqual({ ...chosen, verification: { status: 'verified', strategy: 'phone_code' } })
    expect(typeof r.data!.makeDefaultSecondFactor).toBe('function')
    expect(meReloads(server)).toBe(1)
    // The client holds a new User, whose numbers say which one is the default now; the old snapshot is unchanged.
    expect(client.user).not.toBe(u)
    expect(client.user!.phoneNumbers.map((p) => p.defaultSecondFactor)).toEqual([false, true])
    expect(u.phoneNumbers.map((p) => p.defaultSecondFactor)).toEqual([true, false])
  })

  it('makeDefaultSecondFactor() resolves to the error of a number not reserved (resource_forbidden, paramName id), without a reload', async () => {
    const { client, user: u, server } = await signedIn({
      Me: () => ({ data: { me: user({ phoneNumbers: [phone('idn_1', true, true, true), phone('idn_2', true)] }) } }),
      PhoneNumberMakeDefaultSecondFactor: () => gqlError('resource_forbidden', 'Use this phone number for two-step verification first.', 'id'),
    })
    const r = await u.phoneNumbers[1]!.makeDefaultSecondFactor()
    expect(server.last('PhoneNumberMakeDefaultSecondFactor')!.variables).toEqual({ id: 'idn_2' })
    expect(r.data).toBeNull()
    expect(r.error!.code).toBe('resource_forbidden')
    expect(r.error!.errors[0]!.longMessage).toBe('Use this phone number for two-step verification first. (long)')
    expect(r.error!.errors[0]!.meta.paramName).toBe('id')
    expect(meReloads(server)).toBe(0)
    expect(client.user).toBe(u)
  })

  it('resolves to { error } instead of throwing, with the server meta, and does not reload after a failure', async () => {
    const { user: u, server } = await signedIn({
      Me: () => ({ data: { me: user({ phoneNumbers: [phone('idn_1', false)] }) } }),
      PhoneNumberPrepareVerification: () =>
        gqlError('verification_code_too_many_requests', 'Wait before asking for another code.', undefined, { retryAfterSeconds: 17 }),
      PhoneNumberAttemptVerification: () => gqlError('form_code_incorrect', 'Incorrect code', 'code'),
      PhoneNumberReserveForSecondFactor: () =>
        gqlError('identification_create_second_factor_unverified', 'Verify this phone number before using it for two-step verification.', 'id'),
    })
    const p = u.phoneNumbers[0]!
    const tooSoon = await p.prepareVerification()
    expect(tooSoon.data).toBeNull()
    expect(tooSoon.error!.code).toBe('verification_code_too_many_requests')
    expect(tooSoon.error!.errors[0]!.meta.retryAfterSeconds).toBe(17)

    const wrong = await p.attemptVerification({ code: '000000' })
    expect(wrong.error!.errors[0]!.meta.paramName).toBe('code')

    const unverified = await p.setReservedForSecondFactor({ reserved: true })
    expect(unverified.error!.code).toBe('identification_create_second_factor_unverified')
    expect(unverified.error!.errors[0]!.meta.paramName).toBe('id')
    expect(meReloads(server)).toBe(0)
  })

  it('destroy() removes the number and reloads; the last way to sign in comes back as resource_forbidden', async () => {
    const { client, user: u, server } = await signedIn({
      Me: [() => ({ data: { me: user({ phoneNumbers: [phone('idn_1', true), phone('idn_2', true)] }) } }), () => ({ data: { me: user({ phoneNumbers: [phone('idn_1', true)] }) } })],
      PhoneNumberDelete: [
        () => gqlError('resource_forbidden', 'This phone number is the last way to sign in to this account; add another first.', 'id'),
        () => ({ data: { phoneNumberDelete: true } }),
      ],
    })
    const refused = await u.phoneNumbers[0]!.destroy()
    expect(refused.error!.code).toBe('resource_forbidden')
    expect(server.last('PhoneNumberDelete')!.variables).toEqual({ id: 'idn_1' })
    expect(meReloads(server)).toBe(0)

    const removed = await u.phoneNumbers[1]!.destroy()
    expect(removed).toEqual({ data: true, error: null })
    expect(server.last('PhoneNumberDelete')!.variables).toEqual({ id: 'idn_2' })
    expect(server.last('PhoneNumberDelete')!.headers.authorization).toBe('Bearer jwt_1')
    expect(client.user!.phoneNumbers.map((p) => p.id)).toEqual(['idn_1'])
  })

  it('the user.*PhoneNumber*(id) methods send the same requests and resolve to resources too', async () => {
    // The user's one reserved number: the server marks it the default.
    const verifiedReserved = { ...newPhoneVerified, reservedForSecondFactor: true, defaultSecondFactor: true }
    const { user: u, server } = await signedIn({
      Me: () => ({ data: { me: user({ phoneNumbers: [verifiedReserved] }) } }),
      PhoneNumberPrepareVerification: () => ({ data: { phoneNumberPrepareVerification: newPhone } }),
      PhoneNumberAttemptVerification: () => ({ data: { phoneNumberAttemptVerification: newPhoneVerified } }),
      PhoneNumberReserveForSecondFactor: () => ({ data: { phoneNumberReserveForSecondFactor: verifiedReserved } }),
      PhoneNumberMakeDefaultSecondFactor: () => ({ data: { phoneNumberMakeDefaultSecondFactor: verifiedReserved } }),
    })
    const sent = await u.preparePhoneNumberVerification('idn_9')
    expect(server.last('PhoneNumberPrepareVerification')!.variables).toEqual({ id: 'idn_9' })
    expect(typeof sent.data!.attemptVerification).toBe('function')
    const checked = await u.attemptPhoneNumberVerification('idn_9', { code: '123456' })
    expect(server.last('PhoneNumberAttemptVerification')!.variables).toEqual({ id: 'idn_9', code: '123456' })
    expect(checked.data!.verification.status).toBe('verified')
    const reserved = await u.setPhoneNumberReservedForSecondFactor('idn_9', { reserved: true })
    expect(server.last('PhoneNumberReserveForSecondFactor')!.variables).toEqual({ id: 'idn_9', reserved: true })
    expect(reserved.data).toMatchObject(verifiedReserved)
    const made = await u.makePhoneNumberDefaultSecondFactor('idn_9')
    expect(server.last('PhoneNumberMakeDefaultSecondFactor')!.variables).toEqual({ id: 'idn_9' })
    expect(made.data).toMatchObject(verifiedReserved)
    expect(typeof made.data!.destroy).toBe('function')
  })

  it('works with runWithReverification: adding a number that needs a recent verification runs again once confirmed', async () => {
    const { user: u, server } = await signedIn({
      PhoneNumberCreate: [() => reverificationRequired('first_factor'), () => ({ data: { phoneNumberCreate: newPhone } })],
    })
    const r = await runWithReverification(
      () => u.createPhoneNumber({ phoneNumber: '+15551230009' }),
      (p) => p.complete(),
    )
    expect(r.data).toMatchObject(newPhone)
    expect(typeof r.data!.prepareVerification).toBe('function')
    expect(server.ops().filter((o) => o === 'PhoneNumberCreate')).toHaveLength(2)
  })
})
