import { describe, expect, it } from 'vitest'
import {
  complete,
  deferred,
  fakeServer,
  loadSignedIn,
  signedInClient,
  tick,
  tokenReply,
  user,
  type Reply,
} from '../test/fakeServer'
import { createClient } from './client'

const primary = { id: 'ema_1', emailAddress: 'jane@example.com', verified: true }
const added = { id: 'ema_2', emailAddress: 'jane@work.example', verified: false }

describe('account changes and the shared `me`', () => {
  it('createEmailAddress() leaves client.user with the new address even when a `me` started before it was on its way', async () => {
    const held = deferred<Reply>()
    const { client } = await loadSignedIn({
      Me: [
        () => ({ data: { me: user() } }), // load
        () => held.promise, // a reload started before the change (another section's change, user.reload(), …)
        () => ({ data: { me: user({ emailAddresses: [primary, added] }) } }),
      ],
      EmailAddressCreate: () => ({ data: { emailAddressCreate: added } }),
    })
    const earlier = client.reloadUser()
    await tick()
    const adding = client.user!.createEmailAddress({ email: 'jane@work.example' })
    await tick()
    held.resolve({ data: { me: user() } }) // read before the address was added
    await earlier
    const r = await adding
    expect(r.error).toBeNull()
    // The reload after the change does not settle for the `me` that began before it.
    expect(client.user!.emailAddresses.map((e) => e.id)).toEqual(['ema_1', 'ema_2'])
  })
})

describe('one Sequence for the session and the user', () => {
  it("a user reload of the current session answering during finalize()'s mint does not make the new session fail", async () => {
    const mint2 = deferred<Reply>()
    const server = fakeServer({
      Client: signedInClient,
      SessionTokenCreate: (v) => (v.sessionId === 'sess_2' ? mint2.promise : tokenReply('jwt_1')),
      Me: () => ({ data: { me: user() } }),
      SignInCreate: () => ({ data: { signInCreate: { ...complete(), createdSessionId: 'sess_2' } } }),
    })
    const client = createClient({ fetch: server.fetch })
    await client.load()
    await client.signIn.password({ emailAddress: 'joe@example.com', password: 'pw' })
    const finalizing = client.signIn.finalize()
    await tick()
    await client.reloadUser() // sess_1's user reloaded (any account change does this) while sess_2's token is minted
    mint2.resolve(tokenReply('jwt_2'))
    const r = await finalizing
    expect(r.error).toBeNull()
    expect(client.session?.id).toBe('sess_2')
  })
})

describe('client token store', () => {
  it('a store whose set() rejects does not make load() reject (Transport "never throws")', async () => {
    const server = fakeServer({
      Client: () => ({
        headers: { 'X-Client-Token': 'ct_1' },
        data: { client: { id: 'client_1', signIn: null, sessions: [], lastActiveSessionId: null } },
      }),
    })
    const client = createClient({
      fetch: server.fetch,
      clientToken: 'header',
      clientTokenStore: { get: () => null, set: () => Promise.reject(new Error('SecureStore unavailable')) },
    })
    await expect(client.load()).resolves.toEqual({ error: null })
  })
})
