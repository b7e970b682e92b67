import { apiError, TrustgateAPIResponseError } from './errors'
import type { Operation } from './operations'
import type { SignInJSON } from './parse'
import { Sequence } from './sequence'
import type { RequestOptions } from './transport'
import type { FetchStatus, FinalizeParams, Result, Session, TrustgateAPIError, TrustgateAPIResponseErrorLike } from './types'

/** Core is what a resource needs from its client: a transport, change notification and session activation. */
export interface Core {
  request<T>(op: Operation, variables?: Record<string, unknown>, opts?: RequestOptions): Promise<Result<T>>
  /** emit tells subscribers (the React hooks) that some resource changed. */
  emit(): void
  /** activate makes a session the client's active one, minting its first token. */
  activate(sessionId: string): Promise<Result<Session>>
  /**
   * reloadClient reads the client's state again (query `client`), as `load()` does, taking its session, and answers
   * the sign-in the server has in progress; it leaves the local sign-in to the caller (`signIn.reload()`).
   */
  reloadClient(): Promise<Result<{ signIn: SignInJSON | null }>>
}

/** ErrorsOf is a resource's `errors` object, built from the API errors of its last call. */
export type ErrorsFactory<E> = (errors: TrustgateAPIError[]) => E

/**
 * FlowResource is the common part of the sign-in and sign-up resources: calls in flight are tracked as
 * `fetchStatus`, and the errors of the last call are kept, split by field, for the hooks to show. Answers are
 * ordered by a `Sequence`: one that arrives after the answer of a call started later, or after `reset()`, is not
 * applied (the caller still gets its `{ error }`). `J` is the attempt as the server answers it.
 */
export abstract class FlowResource<E, J extends { status: string | null }> {
  /** #inflight holds the numbers of the calls on their way that started since the last reset. */
  readonly #inflight = new Set<number>()
  #errors: E
  readonly #answers = new Sequence()
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

  /** `fetching` while any call is in flight (one that started before the last reset no longer counts). */
  get __fetchStatus(): FetchStatus {
    return this.#inflight.size > 0 ? 'fetching' : 'idle'
  }

  protected setErrors(errors: TrustgateAPIError[]): void {
    this.#errors = this.#makeErrors(errors)
  }

  /**
   * __track begins a call made outside the resource (the client's `load()` reads the sign-in in progress) and
   * returns the function that applies its answer, unless a later call of the resource or a reset came first.
   */
  __track(): (apply: () => void) => void {
    const n = this.#answers.begin()
    return (apply) => {
      if (this.#answers.fresh(n)) apply()
    }
  }

  /**
   * run performs one call: it clears the previous errors, marks the resource as fetching, applies the data on
   * success, keeps the errors on failure, and always returns `{ error }` instead of throwing. A stale answer (see
   * `Sequence`) changes neither the data nor the errors; `final` tells an answer the server will not go back on.
   */
  protected async run<T>(
    call: () => Promise<Result<T>>,
    apply: (data: T) => void = () => {},
    final: (data: T) => boolean = () => false,
  ): Promise<{ error: TrustgateAPIResponseErrorLike | null }> {
    const n = this.#answers.begin()
    this.#errors = this.#makeErrors([])
    this.#inflight.add(n)
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
    if (this.#answers.fresh(n, result.error === null && final(result.data))) {
      if (result.error) this.#errors = this.#makeErrors(result.error.errors)
      else apply(result.data)
    }
    this.#inflight.delete(n)
    this.core.emit()
    return { error: result.error }
  }

  /** apply replaces the resource's fields with an attempt from the server (null: no attempt). */
  abstract apply(data: J | null): void

  /**
   * send runs one mutation and applies the attempt it answers as `field`. A completed attempt is final (the server
   * never takes it back), so it applies even after the answer of a call started later.
   */
  protected send(
    field: string,
    call: () => Promise<Result<Record<string, J>>>,
  ): Promise<{ error: TrustgateAPIResponseErrorLike | null }> {
    return this.run(call, (d) => this.apply(d[field] ?? null), (d) => d[field]?.status === 'complete')
  }

  /** fail records an error found by the SDK itself, without calling the server. */
  protected fail(error: TrustgateAPIResponseError): { error: TrustgateAPIResponseErrorLike } {
    this.#errors = this.#makeErrors(error.errors)
    this.core.emit()
    return { error }
  }

  /**
   * finalizeSession activates the session a completed attempt created (`sessionTokenCreate` confirms it and mints
   * its first token), then hands it to `navigate` with a `decorateUrl` that returns its argument unchanged. Both
   * run as one call, so the resource stays `fetching` until `navigate` is done, and a `navigate` that throws (or
   * rejects) resolves to `{ error }` (`unexpected_error`, its message) like any failure; the session stays active.
   */
  protected finalizeSession(
    sessionId: string | null,
    params: FinalizeParams,
    notComplete: string,
  ): Promise<{ error: TrustgateAPIResponseErrorLike | null }> {
    if (!sessionId) return Promise.resolve(this.fail(apiError('cannot_finalize', notComplete)))
    return this.run(async () => {
      const r = await this.core.activate(sessionId)
      if (!r.error && params.navigate) await params.navigate({ session: r.data, decorateUrl: (url: string) => url })
      return r
    })
  }

  /** clearState forgets the errors and makes the answers of the calls in flight stale (`reset()`). */
  protected clearState(): void {
    this.#answers.reset()
    this.#errors = this.#makeErrors([])
    this.#inflight.clear()
  }
}
