import { act, render, screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { emptyClient, fakeServer, gqlError, signedInClient, tokenReply, user } from '../test/fakeServer'
import { createClient } from './client'
import { TrustgateProvider, useAuth, useSignIn, useUser } from './react'

function SignInState() {
  const { signIn, errors, fetchStatus } = useSignIn()
  return (
    <dl>
      <dt>status</dt>
      <dd data-testid="status">{signIn.status}</dd>
      <dt>fetch</dt>
      <dd data-testid="fetch">{fetchStatus}</dd>
      <dt>identifier error</dt>
      <dd data-testid="identifier">{errors.fields.identifier?.code ?? '-'}</dd>
      <dt>global</dt>
      <dd data-testid="global">{errors.global?.map((e) => e.code).join(',') ?? '-'}</dd>
    </dl>
  )
}

describe('useSignIn', () => {
  it('re-renders with fetchStatus, status and field errors as calls run', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const server = fakeServer({
      Client: emptyClient,
      SignInCreate: async () => {
        await gate
        return gqlError('form_identifier_not_found', "Couldn't find your account.", 'identifier')
      },
    })
    const client = createClient({ fetch: server.fetch })
    render(
      <TrustgateProvider client={client}>
        <SignInState />
      </TrustgateProvider>,
    )
    expect(screen.getByTestId('status')).toHaveTextContent('needs_identifier')

    let done!: Promise<unknown>
    act(() => {
      done = client.signIn.password({ emailAddress: 'nobody@example.com', password: 'pw' })
    })
    expect(screen.getByTestId('fetch')).toHaveTextContent('fetching')
    await act(async () => {
      release()
      await done
    })
    expect(screen.getByTestId('fetch')).toHaveTextContent('idle')
    expect(screen.getByTestId('identifier')).toHaveTextContent('form_identifier_not_found')
    expect(screen.getByTestId('global')).toHaveTextContent('-')
  })
})

function Who() {
  const { isLoaded, isSignedIn, user: u } = useUser()
  const { sessionId } = useAuth()
  if (!isLoaded) return <p>loading</p>
  return <p>{isSignedIn ? `${u.primaryEmailAddress?.emailAddress} ${sessionId}` : 'signed out'}</p>
}

describe('useUser and useAuth', () => {
  it('load the signed-in user of the active session', async () => {
    const server = fakeServer({ Client: signedInClient, SessionTokenCreate: () => tokenReply('jwt_1'), Me: () => ({ data: { me: user() } }) })
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <Who />
      </TrustgateProvider>,
    )
    expect(screen.getByText('loading')).toBeInTheDocument()
    expect(await screen.findByText('jane@example.com sess_1')).toBeInTheDocument()
  })

  it('say signed out when the device has no session', async () => {
    const server = fakeServer({ Client: emptyClient })
    render(
      <TrustgateProvider client={createClient({ fetch: server.fetch })}>
        <Who />
      </TrustgateProvider>,
    )
    await waitFor(() => expect(screen.getByText('signed out')).toBeInTheDocument())
    expect(server.ops()).toEqual(['Client'])
  })
})
