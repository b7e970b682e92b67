import { networkError, toAPIError, TrustgateAPIResponseError, type GraphQLErrorJSON } from './errors'
import type { Operation } from './operations'
import type { Result } from './types'

/** ClientTokenStore keeps the `X-Client-Token` of a native app between launches (header mode only). */
export interface ClientTokenStore {
  get(): string | null | Promise<string | null>
  set(token: string): void | Promise<void>
}

/** TransportOptions configure how the SDK talks to `POST {url}/graphql`. */
export interface TransportOptions {
  url: string
  publishableKey?: string
  clientToken: 'cookie' | 'header'
  clientTokenStore?: ClientTokenStore
  fetch?: typeof fetch
}

/** RequestOptions tune one request. */
export interface RequestOptions {
  /** bearer is a session JWT sent as `Authorization: Bearer`, for the account operations. */
  bearer?: string | null
}

const CLIENT_TOKEN_HEADER = 'X-Client-Token'

/** tokenReplaced is the server's refusal of a client token that a sign-in on the client replaced moments ago. */
function tokenReplaced(e: { code: string; meta?: Record<string, unknown> | null }): boolean {
  return e.code === 'client_state_invalid' && e.meta?.clientTokenReplaced === true
}

/**
 * Transport sends GraphQL documents as `POST {url}/graphql` with JSON `{query, variables, operationName}` and
 * `credentials: 'include'`, and maps GraphQL errors to Clerk's error shape. It never throws.
 */
export class Transport {
  private readonly endpoint: string
  private clientToken: string | null = null
  /** storedToken is the one read of the client token store; every request waits for it (header mode). */
  private storedToken: Promise<void> | null = null

  constructor(private readonly options: TransportOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/graphql`
  }

  /**
   * request sends one operation and resolves to its `data` or to a `TrustgateAPIResponseError`. A request the server
   * refused because a sign-in on this client replaced the client's token while it was on its way (`client_state_invalid`
   * with `meta.clientTokenReplaced`) did nothing there: it is sent once more, with the new token (the browser's cookie
   * jar, or the header mode's token, has it from the sign-in's answer).
   */
  async request<T>(op: Operation, variables: Record<string, unknown> = {}, opts: RequestOptions = {}): Promise<Result<T>> {
    const first = await this.send<T>(op, variables, opts)
    if (!first.error || !first.error.errors.some(tokenReplaced)) return first
    return this.send<T>(op, variables, opts)
  }

  private async send<T>(op: Operation, variables: Record<string, unknown>, opts: RequestOptions): Promise<Result<T>> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' }
    if (this.options.publishableKey) headers['X-Publishable-Key'] = this.options.publishableKey
    if (this.options.clientToken === 'header') {
      const token = await this.loadClientToken()
      if (token) headers[CLIENT_TOKEN_HEADER] = token
    }
    if (opts.bearer) headers.Authorization = `Bearer ${opts.bearer}`

    const doFetch = this.options.fetch ?? globalThis.fetch
    let res: Response
    try {
      res = await doFetch(this.endpoint, {
        method: 'POST',
        headers,
        credentials: 'include',
        body: JSON.stringify({ query: op.query, variables, operationName: op.operationName }),
      })
    } catch (err) {
      return { data: null, error: networkError(err instanceof Error ? err.message : String(err)) }
    }

    if (this.options.clientToken === 'header') {
      const token = res.headers.get(CLIENT_TOKEN_HEADER)
      if (token && token !== this.clientToken) {
        this.clientToken = token
        try {
          await this.options.clientTokenStore?.set(token)
        } catch {
          // The token stays in memory for this run; a store that cannot write (a locked keychain) must not fail
          // the request, which the server answered.
        }
      }
    }

    let body: { data?: Record<string, unknown> | null; errors?: GraphQLErrorJSON[] }
    try {
      body = await res.json()
    } catch {
      return { data: null, error: networkError(`HTTP ${res.status}`, res.status) }
    }
    const retryAfterHeader = Number(res.headers.get('Retry-After'))
    const retryAfter = Number.isFinite(retryAfterHeader) && retryAfterHeader > 0 ? retryAfterHeader : null
    if (body.errors && body.errors.length > 0) {
      return {
        data: null,
        error: new TrustgateAPIResponseError(body.errors.map(toAPIError), { status: res.status, retryAfter }),
      }
    }
    if (!res.ok || !body.data) return { data: null, error: networkError(`HTTP ${res.status}`, res.status) }
    return { data: body.data as T, error: null }
  }

  /**
   * loadClientToken reads the store once; concurrent first requests all wait for that one read, since a request
   * sent without the token makes the server mint a new client (a new device for Client Trust). A store that fails
   * to read counts as empty.
   */
  private async loadClientToken(): Promise<string | null> {
    this.storedToken ??= (async () => {
      let stored: string | null | undefined = null
      try {
        stored = await this.options.clientTokenStore?.get()
      } catch {
        // A store that fails to read (or throws) is treated as empty: the request still goes out.
      }
      if (stored && !this.clientToken) this.clientToken = stored
    })()
    await this.storedToken
    return this.clientToken
  }
}
