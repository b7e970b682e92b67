import { render, screen, waitFor, fireEvent } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { DEFAULT_ENVIRONMENT, environment, fakeServer, gqlError } from '../test/fakeServer'
import { createClient } from './client'
import { TrustgateProvider, useEnvironment } from './react'

describe('client.environment()', () => {
  it('queries `environment` with the publishable key and answers later calls from the cache', async () => {
    const server = fakeServer({ Environment: environment({ usernameEnabled: true, applicationName: 'Acme' }) })
    const client = createClient({ publishableKey: 'pk_1', fetch: server.fetch })
    expect(client.environmentState.status).toBe('idle')

    const [a, b] = await Promise.all([client.environment(), client.environment()])
    expect(a.error).toBeNull()
    expect(a.data).toEqual({ ...DEFAULT_ENVIRONMENT, usernameEnabled: true, applicationName: 'Acme' })
    expect(b.data).toBe(a.data)
    expect(client.environmentState).toEqual({ status: 'loaded', environment: a.data, error: null })
    const call = server.last('Environment')!
    expect(call.headers['x-publishable-key']).toBe('pk_1')
    expect(call.query).toBe(
      'query Environment { environment { applicationName emailEnabled phoneEnabled usernameEnabled passwordEnabled firstFactors secondFactors allowedOrigins } }',
    )

    expect((await client.environment()).data).toBe(a.data)
    expect(server.ops()).toEqual(['Environment'])
    await client.environment({ skipCache: true })
    expect(server.ops()).toEqual(['Environment', 'Environment'])
  })

  it('does not cache a failure: the next call asks again', async () => {
    const server = fakeServer({
      Environment: [() => gqlError('internal_error', 'boom'), environment({ phoneEnabled: false })],
    })
    const client = createClient({ fetch: server.fetch })
    let changes = 0
    client.subscribe(() => changes++)

    const first = await client.environment()
    expect(first.error?.code).toBe('internal_error')
    expect(client.environmentState).toMatchObject({ status: 'error', environment: null })
    expect(changes).toBe(2) // loading, then error

    const second = await client.environment()
    expect(second.data?.phoneEnabled).toBe(false)
    expect(client.environmentState.status).toBe('loaded')
    expect(server.ops()).toEqual(['Environment', 'Environment'])
  })
})

function EnvironmentView() {
  const { isLoaded, environment, error, reload } = useEnvironment()
  return (
    <div>
      <p data-testid="state">{isLoaded ? `loaded ${environment!.usernameEnabled ? 'username' : 'no username'}` : error ? `error ${error.code}` : 'loading'}</p>
      <button onClick={() => void reload()}>reload</button>
    </div>
  )
}

describe('useEnvironment()', () => {
  it('loads the environment once for all components, and reload() recovers from a failure', async () => {
    const server = fakeServer({
      Environment: [() => gqlError('internal_error', 'boom'), environment({ usernameEnabled: true })],
    })
    const client = createClient({ fetch: server.fetch })
    render(
      <TrustgateProvider client={client} load={false}>
        <EnvironmentView />
        <EnvironmentView />
      </TrustgateProvider>,
    )
    await waitFor(() => expect(screen.getAllByTestId('state').map((e) => e.textContent)).toEqual(['error internal_error', 'error internal_error']))
    expect(server.ops()).toEqual(['Environment'])

    fireEvent.click(screen.getAllByRole('button', { name: 'reload' })[0]!)
    await waitFor(() => expect(screen.getAllByTestId('state').map((e) => e.textContent)).toEqual(['loaded username', 'loaded username']))
    expect(server.ops()).toEqual(['Environment', 'Environment'])
  })
})
