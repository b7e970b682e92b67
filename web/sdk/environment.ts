/**
 * The application's environment (query `environment`): which identifiers and factors it enables, loaded once per
 * client. `TrustgateClient.environment()` and the React hook `useEnvironment()` are built on this.
 */
import * as ops from './operations'
import type { Operation } from './operations'
import type { Environment, EnvironmentState, Result } from './types'

/** EnvironmentJSON is an `Environment` as the server returns it. */
export interface EnvironmentJSON {
  applicationName: string
  emailEnabled: boolean
  phoneEnabled: boolean
  usernameEnabled: boolean
  passwordEnabled: boolean
  firstFactors: string[]
  secondFactors: string[]
  allowedOrigins: string[]
}

/** parseEnvironment copies the server's answer (so that the cached value does not share its arrays). */
export function parseEnvironment(j: EnvironmentJSON): Environment {
  return {
    applicationName: j.applicationName,
    emailEnabled: j.emailEnabled,
    phoneEnabled: j.phoneEnabled,
    usernameEnabled: j.usernameEnabled,
    passwordEnabled: j.passwordEnabled,
    firstFactors: [...j.firstFactors],
    secondFactors: [...j.secondFactors],
    allowedOrigins: [...j.allowedOrigins],
  }
}

/** EnvironmentCore is what the loader needs from its client. */
export interface EnvironmentCore {
  request<T>(op: Operation): Promise<Result<T>>
  emit(): void
}

/**
 * EnvironmentLoader fetches the environment once and keeps it: later calls answer from the cache, concurrent calls
 * share one request, and a failure is not cached (the next call asks again). `skipCache` asks again regardless.
 */
export class EnvironmentLoader {
  #state: EnvironmentState = { status: 'idle', environment: null, error: null }
  #inflight: Promise<Result<Environment>> | null = null
  readonly #core: EnvironmentCore

  constructor(core: EnvironmentCore) {
    this.#core = core
  }

  /** state is where the environment stands; a new object after every change. */
  get state(): EnvironmentState {
    return this.#state
  }

  load({ skipCache = false }: { skipCache?: boolean } = {}): Promise<Result<Environment>> {
    const cached = this.#state.environment
    if (cached && !skipCache && this.#state.status === 'loaded') return Promise.resolve({ data: cached, error: null })
    if (this.#inflight) return this.#inflight
    // The previous failure is cleared while asking again (a retry shows as loading, not as the old error).
    this.#set({ status: 'loading', environment: this.#state.environment, error: null })
    this.#inflight = this.#fetch().finally(() => {
      this.#inflight = null
    })
    return this.#inflight
  }

  async #fetch(): Promise<Result<Environment>> {
    const r = await this.#core.request<{ environment: EnvironmentJSON }>(ops.EnvironmentQuery)
    if (r.error) {
      this.#set({ status: 'error', environment: this.#state.environment, error: r.error })
      return r
    }
    const environment = parseEnvironment(r.data.environment)
    this.#set({ status: 'loaded', environment, error: null })
    return { data: environment, error: null }
  }

  #set(state: EnvironmentState): void {
    this.#state = state
    this.#core.emit()
  }
}
