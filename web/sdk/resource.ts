import { apiError, TrustgateAPIResponseError } from './errors'
import type { Operation } from './operations'
import type { RequestOptions } from './transport'
import type { FetchStatus, FinalizeParams, Result, Session, TrustgateAPIError, TrustgateAPIResponseErrorLike } from './types'

/** Core is what a resource needs from its client: a transport, change notification and session activation. */
export interface Core {
  request<T>(op: Operation, variables?: Record<string, unknown>, opts?: RequestOptions): Promise<Result<T>>
  /** emit tells subscribers (the React hooks) that some resource changed. */
  emit(): void
  /** activate makes a session the client's active one, minting its first token. */
  activate(sessionId: string): Promise<Result<Session>>
}

/** ErrorsOf is a resource's `errors` object, built from the API errors of its last call. */
export type ErrorsFactory<E> = (errors: TrustgateAPIError[]) => E

/**
 * FlowResource is the common part of the sign-in and sign-up resources: one call at a time is tracked as
 * `fetchStatus`, and the errors of the last call are kept, split by field, for the hooks to show.
 */
export abstract class FlowResource<E> {
  #fetchStatus: FetchStatus = 'idle'
  #errors: E
  readonly #makeErrors: ErrorsFactory<E>
  readonly #core: Core

  protected constructor(core: Core, makeErrors: ErrorsFactory<E>) {
    this.#core = core
    this.#makeErrors = makeErrors
    this.#errors = makeErrors([])
  }

  /** core is the owning client; a private field, so logging the resource shows only its data. */
  protected get core(): Core {
    return this.#core
  }

  /** The errors of the last call, split by field; read them through the React hook. */
  get __errors(): E {
    return this.#errors
  }

  /** `fetching` while a call is in flight. */
  get __fetchStatus(): FetchStatus {
    return this.#fetchStatus
  }

  protected setErrors(errors: TrustgateAPIError[]): void {
    this.#errors = this.#makeErrors(errors)
  }

  /**
   * run performs one call: it clears the previous errors, marks the resource as fetching, applies the data on
   * success, keeps the errors on failure, and always returns `{ error }` instead of throwing.
   */
  protected async run<T>(
    call: () => Promise<Result<T>>,
    apply: (data: T) => void = () => {},
  ): Promise<{ error: TrustgateAPIResponseErrorLike | null }> {
    this.#errors = this.#makeErrors([])
    this.#fetchStatus = 'fetching'
    this.core.emit()
    let result: Result<T>
    try {
      result = await call()
    } catch (err) {
      // A bug in a caller's callback (e.g. navigate) must still leave the resource idle and report an error.
      const message = err instanceof Error ? err.message : String(err)
      result = {
        data: null,
        error: new TrustgateAPIResponseError([{ code: 'unexpected_error', message, longMessage: message, meta: {} }]),
      }
    }
    if (result.error) this.#errors = this.#makeErrors(result.error.errors)
    else apply(result.data)
    this.#fetchStatus = 'idle'
    this.core.emit()
    return { error: result.error }
  }

  /** fail records an error found by the SDK itself, without calling the server. */
  protected fail(error: TrustgateAPIResponseError): { error: TrustgateAPIResponseErrorLike } {
    this.#errors = this.#makeErrors(error.errors)
    this.core.emit()
    return { error }
  }

  /**
   * finalizeSession activates the session a completed attempt created (`sessionTokenCreate` confirms it and mints
   * its first token), then hands it to `navigate` with a `decorateUrl` that returns its argument unchanged.
   */
  protected async finalizeSession(
    sessionId: string | null,
    params: FinalizeParams,
    notComplete: string,
  ): Promise<{ error: TrustgateAPIResponseErrorLike | null }> {
    if (!sessionId) return this.fail(apiError('cannot_finalize', notComplete))
    let session: Session | null = null
    const { error } = await this.run(
      () => this.core.activate(sessionId),
      (s) => {
        session = s
      },
    )
    if (error) return { error }
    if (params.navigate && session) await params.navigate({ session, decorateUrl: (url: string) => url })
    return { error: null }
  }

  protected clearState(): void {
    this.#errors = this.#makeErrors([])
    this.#fetchStatus = 'idle'
  }
}
