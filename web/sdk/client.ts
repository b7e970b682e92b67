import { apiError } from './errors'
import * as ops from './operations'
import { jwtLifetimeMs, parseSession, toDate, type SessionJSON, type SignInJSON, type UserJSON } from './parse'
import type { Core } from './resource'
import { Sequence } from './sequence'
import { createSession, type SessionCore } from './session'
import { SignInFuture } from './signin'
import { SignUpFuture } from './signup'
import { Transport, type ClientTokenStore, type RequestOptions } from './transport'
import type { GetTokenOptions, Result, Session, SessionData, TrustgateAPIResponseErrorLike } from './types'
import { User, type AccountCore } from './user'
import type { Operation } from './operations'
import { EnvironmentLoader } from './environment'
import type { Environment, EnvironmentState } from './types'
import { hostedPageUrl, navigate, type RedirectOptions } from './hosted'

/** ClientJSON is the client as the `client` query answers it. */
interface ClientJSON {
  id: string
  signIn: SignInJSON | null
  sessions: SessionJSON[]
  lastActiveSessionId: string | null
}

/** ClientOptions configure `createClient`. */
export interface ClientOptions {
  /** url is the trustgate server's origin, e.g. `https://auth.example.com`; default: the page's own origin. */
  url?: string
  /** publishableKey (`pk_…`) names the application; sent as `X-Publishable-Key`. */
  publishableKey?: string
  /**
   * clientToken says how this device is identified: `cookie` (browsers, the default) relies on the HttpOnly
   * `__client` cookie; `header` (native apps) keeps the `X-Client-Token` response header and sends it back.
   */
  clientToken?: 'cookie' | 'header'
  /** clientTokenStore persists the client token in header mode (e.g. in secure storage); default: memory only. */
  clientTokenStore?: ClientTokenStore
  /** fetch replaces the global fetch (tests, server-side rendering). */
  fetch?: typeof fetch
  /** now replaces Date.now, for token-expiry tests. */
  now?: () => number
  /** random replaces Math.random (a number in [0, 1)), for tests of the keep-alive's jitter (KEEP_ALIVE_JITTER). */
  random?: () => number
  /**
   * keepSessionAlive refreshes the active session's token in the background, as Clerk's SDK does (default: true in a
   * browser, false where there is no `window`, such as server-side rendering): every 45–50 s (KEEP_ALIVE_INTERVAL_MS,
   * less a random KEEP_ALIVE_JITTER) while a session is active and the client is not closed. The server then sees the
   * app open (a session inactivity timeout counts from the last token minted), and a session it ended shows as signed
   * out without waiting for the app's next call. `false` mints only on demand (`getToken()`).
   */
  keepSessionAlive?: boolean
}

/**
 * USER_RETRY_DELAYS_MS are the waits before asking again for the user (`me`), and for the client's state (the
 * `client` query of `load()`), after a request that got no answer (`network_error`): three attempts in all. After
 * the last, `client.userError` (or `client.loadError`) holds the error until something asks again (`reloadUser()`
 * or `load()`, e.g. a "Try again" button, or the React bindings when the browser comes back online).
 */
export const USER_RETRY_DELAYS_MS: readonly number[] = [300, 1_000]

/** TOKEN_REFRESH_MARGIN_MS is how long before it expires a cached session token is replaced by a new one. */
export const TOKEN_REFRESH_MARGIN_MS = 5_000

/**
 * KEEP_ALIVE_INTERVAL_MS is the longest wait between two background refreshes of the active session's token
 * (`ClientOptions.keepSessionAlive`), Clerk's 50 s, and the wait after one that failed. With the server's 60 s tokens
 * every refresh comes at most 50 s after the last token was asked for: 5 s (KEEP_ALIVE_LEAD_MS) or more before it
 * would enter TOKEN_REFRESH_MARGIN_MS, so `getToken()` keeps finding a fresh token in the cache. Each wait is
 * shortened at random (KEEP_ALIVE_JITTER): 45–50 s.
 */
export const KEEP_ALIVE_INTERVAL_MS = 50_000

/**
 * KEEP_ALIVE_JITTER is the largest part of each keep-alive wait left out at random (a fresh draw of
 * `ClientOptions.random` per wait): 50 s become 45–50 s. Tabs restored together (a browser reopening its windows)
 * would otherwise mint in lockstep, every 50 s, for as long as they stay open. A wait is only ever shortened, so a
 * refresh still comes before the token enters its refresh margin, and `getToken()` still answers from the cache.
 */
export const KEEP_ALIVE_JITTER = 0.1

/** KEEP_ALIVE_LEAD_MS is how long before its refresh margin a cached token is replaced in the background. */
const KEEP_ALIVE_LEAD_MS = 5_000

/**
 * KEEP_ALIVE_MIN_DELAY_MS is the shortest wait after a token was minted (by the background refresh, or the activation
 * or load it starts with), before the jitter (4.5–5 s): tokens that live less than 15 s (TRUSTGATE_TOKEN_TTL allows
 * 10 s) are refreshed this often, not back to back.
 */
const KEEP_ALIVE_MIN_DELAY_MS = 5_000

/** KeepAlive is the background refresh of one session's token; a new session gets a new one. */
interface KeepAlive {
  sessionId: string
  /** timer is the next refresh's, or undefined while a refresh is on its way. */
  timer: ReturnType<typeof setTimeout> | undefined
}

interface CachedToken {
  jwt: string
  /** expiresAt is when the token expires on this device's clock (see `mintToken`), in epoch milliseconds. */
  expiresAt: number
}

/**
 * TrustgateClient is one device's view of trustgate: the sign-in and sign-up in progress, the active session
 * and the signed-in user. Subscribe to be told when any of them changes (the React bindings do).
 */
export class TrustgateClient {
  /** signIn is the sign-in in progress (Clerk's SignInFuture). */
  readonly signIn: SignInFuture
  /** signUp is the sign-up in progress. */
  readonly signUp: SignUpFuture
  /** session is the active session, or null when signed out. */
  session: Session | null = null
  /** user is the signed-in user, or null (signed out, or not fetched yet). */
  user: User | null = null
  /**
   * userError is why the active session's user could not be loaded (after the retries of a `network_error`, see
   * USER_RETRY_DELAYS_MS), or null; it is cleared when the user is asked for again, and on sign-out. A reload that
   * fails while a user is loaded keeps that user and sets no error here (the caller gets it).
   */
  userError: TrustgateAPIResponseErrorLike | null = null
  /**
   * isLoaded is true once `load()` has read the client's state from the server, or a session was activated
   * (`finalize()`, `setActive()`: the server confirmed it, even after a first load failed), or a sign-out answered
   * while a load was on its way, which tells as much. A load that fails leaves it false: a device the server could not
   * be asked about is not signed out (see `loadError`).
   */
  isLoaded = false
  /**
   * loadError is why the first `load()` failed (after the retries of a `network_error`, see USER_RETRY_DELAYS_MS; an
   * error answer is not asked again), or null; `isLoaded` stays false meanwhile. It is cleared when `load()` asks
   * again, and when a session is activated (which makes the client loaded). A later load that fails while the client is loaded keeps what it has and sets no error here.
   */
  loadError: TrustgateAPIResponseErrorLike | null = null

  readonly #transport: Transport
  readonly #now: () => number
  readonly #random: () => number
  readonly #listeners = new Set<() => void>()
  readonly #tokens = new Map<string, CachedToken>()
  readonly #inflightTokens = new Map<string, Promise<Result<string>>>()
  /** #tokenGenerations counts, per session, the times its token was forgotten; a mint started before one is not cached. */
  readonly #tokenGenerations = new Map<string, number>()
  /**
   * #answers orders the answers that set the session (`load()`, activating a session): a late one never overwrites
   * a newer one, and `signOut()` makes every answer still on its way stale.
   */
  readonly #answers = new Sequence()
  /**
   * #reads numbers the loads, which read the session from the server instead of being handed one it just minted a
   * token for; forgetting a session (a sign-out, a session the server no longer accepts) makes those on their way
   * stale, as what they read may be that session. Not #answers: a reset there would also make stale the activation
   * of a new session begun before the drop (a sign-in finishing as the old session's token is refused).
   */
  readonly #reads = new Sequence()
  /**
   * #userAnswers orders the answers of `me` among themselves; activating a session, a load that finds another session
   * active (#setSession), or forgetting one (signing out, a session the server no longer accepts) makes those on their
   * way stale. A `me` never makes a session's answer stale: it only reads the user of the session it began with.
   */
  readonly #userAnswers = new Sequence()
  #loading: Promise<{ error: TrustgateAPIResponseErrorLike | null }> | null = null
  #userLoading: Promise<Result<User | null>> | null = null
  /** #userAgain is the reload queued behind the one in flight, shared by every caller that asked meanwhile. */
  #userAgain: Promise<Result<User | null>> | null = null
  /**
   * #settling is the session a load took from the client it read, while that load fetches its user (`me`): a refusal
   * of it then reads nothing more (see #refused), since the load is the fresh read, and another would say the same.
   */
  #settling: Session | null = null
  #version = 0
  #closed = false
  readonly #keepSessionAlive: boolean
  /** #keepAlive is the background refresh of the active session's token, or null (see #syncKeepAlive). */
  #keepAlive: KeepAlive | null = null
  /** #sleeps wake the retry waits under way; `close()` wakes them at once. */
  readonly #sleeps = new Set<() => void>()
  /** #url and #publishableKey name the server and the application, for the hosted pages' URLs (buildSignInUrl). */
  readonly #url: string
  readonly #publishableKey: string | undefined

  constructor(options: ClientOptions = {}) {
    this.#url = options.url ?? ''
    this.#publishableKey = options.publishableKey
    this.#transport = new Transport({
      url: options.url ?? '',
      publishableKey: options.publishableKey,
      clientToken: options.clientToken ?? 'cookie',
      clientTokenStore: options.clientTokenStore,
      fetch: options.fetch,
    })
    this.#now = options.now ?? Date.now
    this.#random = options.random ?? Math.random
    // Only in a browser by default, as clerk-js: a client made per request on a server would otherwise keep minting
    // for its visitor's session, and keep itself in memory, until it is closed.
    this.#keepSessionAlive = options.keepSessionAlive ?? typeof window !== 'undefined'
    const core: Core = {
      request: (op, variables, opts) => this.request(op, variables, opts),
      emit: () => this.emit(),
      activate: (sessionId) => this.activate(sessionId),
      // Not shared with a load on its way: that one may have read the client before the change being looked for.
      reloadClient: () => this.#load(false),
    }
    this.signIn = new SignInFuture(core)
    this.signUp = new SignUpFuture(core)
  }

  /** subscribe calls `listener` after every change; it returns the function that unsubscribes. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * status is where loading stands, as Clerk's `clerk.status`: `loading` until the first `load()` answers, `ready`
   * once loaded (`isLoaded`), `error` when it failed (`loadError`; `load()` tries again).
   */
  get status(): 'loading' | 'error' | 'ready' {
    return this.isLoaded ? 'ready' : this.loadError ? 'error' : 'loading'
  }

  /** version grows by one on every change, so `useSyncExternalStore` can tell when to re-render. */
  get version(): number {
    return this.#version
  }

  /** request sends one GraphQL operation (an escape hatch for fields the SDK does not wrap yet). */
  request<T>(op: Operation, variables?: Record<string, unknown>, opts?: RequestOptions): Promise<Result<T>> {
    if (this.#closed) return Promise.resolve({ data: null, error: closedError() })
    return this.#transport.request<T>(op, variables, opts)
  }

  /**
   * close ends the client's work, for a client made by a component that is going away: the retries waiting (see
   * USER_RETRY_DELAYS_MS) give up at once, the background refresh of the session's token (`keepSessionAlive`)
   * stops, and no request is sent any more (each resolves to `client_closed`). A request already sent is not
   * aborted. A closed client stays closed; make a new one to talk to the server again.
   */
  close(): void {
    this.#closed = true
    for (const wake of this.#sleeps) wake()
    this.#syncKeepAlive()
  }

  /** closed is true once `close()` was called. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * retrying sends `ask`, and again after each of USER_RETRY_DELAYS_MS while it gets no answer (`network_error`:
   * offline for a moment, a proxy's 502) and `current()` says its answer could still be applied; it gives up when the
   * client is closed. It resolves to the last outcome.
   */
  async #retrying<T>(ask: () => Promise<Result<T>>, current: () => boolean): Promise<Result<T>> {
    let r = await ask()
    for (const delay of USER_RETRY_DELAYS_MS) {
      if (r.error?.code !== 'network_error' || !current()) break
      await this.#sleep(delay)
      if (this.#closed || !current()) break
      r = await ask()
    }
    return r
  }

  /** sleep waits `ms` before a retry, or less if the client is closed meanwhile (the caller then gives up). */
  #sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve()
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.#sleeps.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.#sleeps.add(wake)
    })
  }

  /**
   * load reads this device's state from the server (query `client`): the sign-in in progress, the active session,
   * and then the signed-in user. Concurrent calls share one load.
   */
  load(): Promise<{ error: TrustgateAPIResponseErrorLike | null }> {
    this.#loading ??= this.#load(true)
      .then((r) => ({ error: r.error }))
      .finally(() => {
        this.#loading = null
      })
    return this.#loading
  }

  /**
   * #load reads the client's state; with `resume`, a sign-in in progress is taken when none is here yet (`load()`),
   * else the caller takes it from the answer (`signIn.reload()`, whose own call orders it among the sign-in's).
   */
  async #load(resume: boolean): Promise<Result<ClientJSON>> {
    const resumeSignIn = resume ? this.signIn.__track() : null
    const n = this.#answers.begin()
    const readNumber = this.#reads.begin()
    if (this.loadError) {
      this.loadError = null
      this.emit()
    }
    // Asked again while nothing newer (a session activated, a sign-out) has told the session meanwhile.
    const r = await this.#retrying(
      () => this.request<{ client: ClientJSON }>(ops.ClientQuery),
      () => this.#answers.pending(n),
    )
    if (r.error) {
      // Failing to ask is not being told "no session": unless a newer answer set the session meanwhile, the first
      // load stays not loaded, with the error, rather than signed out. A later one keeps what the client has.
      if (!this.isLoaded) {
        if (this.#answers.pending(n)) this.loadError = r.error
        else this.isLoaded = true
      }
      this.emit()
      return { data: null, error: r.error }
    }
    const { signIn, sessions, lastActiveSessionId } = r.data.client
    // A completed sign-in is over (its session is in `sessions`, or was signed out): only one in progress resumes.
    resumeSignIn?.(() => {
      if (signIn && signIn.status !== 'complete' && !this.signIn.id) this.signIn.apply(signIn)
    })
    // A session activated or signed out while this was on its way is newer than what it read, and one forgotten
    // meanwhile (its token refused) may be what it read: the session stays as it is now.
    if (this.#reads.fresh(readNumber) && this.#answers.fresh(n)) {
      const active = sessions.map(parseSession).find((s) => s.id === lastActiveSessionId && s.status === 'active')
      const session = active ? this.makeSession(active) : null
      // Another session (made active in another tab), or none: the user shown so far, and a `me` on its way, are the
      // previous session's. The same session read again keeps its user until its own `me` answers.
      this.#setSession(session)
      if (session) {
        this.#settling = session
        try {
          await this.reloadUser()
        } finally {
          if (this.#settling === session) this.#settling = null
        }
      }
      // Once `me` minted the session's first token, which the background refresh then replaces in due time.
      this.#syncKeepAlive()
    }
    this.#markLoaded()
    this.emit()
    return { data: r.data.client, error: null }
  }

  /** getToken returns the active session's JWT (see `Session.getToken`), or null when signed out. */
  getToken(options?: GetTokenOptions): Promise<string | null> {
    return this.session ? this.session.getToken(options) : Promise.resolve(null)
  }

  /**
   * signOut ends the given session, or (by default) every session of this device, and forgets the local state.
   */
  async signOut(options: { sessionId?: string } = {}): Promise<{ error: TrustgateAPIResponseErrorLike | null }> {
    const r = await this.request<{ signOut: boolean }>(ops.SignOut, { sessionId: options.sessionId ?? null })
    if (r.error) return { error: r.error }
    if (!options.sessionId || options.sessionId === this.session?.id) {
      this.#answers.reset()
      // Signing out the active session alone leaves the device's other sessions signed in, their tokens valid.
      this.forgetSession(options.sessionId ? 'session' : 'device')
      await this.signIn.reset()
      await this.signUp.reset()
    } else {
      // Another session of the device, ended: a JWT cached for it would name a session the server no longer accepts.
      this.dropToken(options.sessionId)
    }
    if (!options.sessionId) {
      // The server ended every session of this device: it is signed out, which is what a first load that failed
      // (status `error`) would have said.
      this.#markLoaded()
    }
    this.emit()
    return { error: null }
  }

  /** setActive makes an existing session of this device the active one. */
  async setActive({ session }: { session: string }): Promise<{ error: TrustgateAPIResponseErrorLike | null }> {
    const r = await this.activate(session)
    return { error: r.error }
  }

  /**
   * reloadUser fetches `me` with the session JWT. Its answer is never older than the call: a reload already on its way
   * began before, perhaps before the change the caller just made, so the call waits for it and then for one more,
   * which every caller that asked meanwhile shares. Another session made active (activated, or read by a load) or a
   * sign-out starts afresh: the next call neither waits for nor shares a `me` of the session before.
   */
  reloadUser(): Promise<Result<User | null>> {
    if (!this.#userLoading) {
      const p: Promise<Result<User | null>> = this.#reloadUser().finally(() => {
        if (this.#userLoading === p) this.#userLoading = null
      })
      this.#userLoading = p
      return p
    }
    if (!this.#userAgain) {
      const again: Promise<Result<User | null>> = this.#userLoading.then(() => {
        if (this.#userAgain === again) this.#userAgain = null
        return this.reloadUser()
      })
      this.#userAgain = again
    }
    return this.#userAgain
  }

  /**
   * __loadUser is for the React hooks, which need the user of the active session, not one newer than a change: the
   * reload on its way if there is one (`reloadUser()` would queue another behind it), else a new one.
   */
  __loadUser(): Promise<Result<User | null>> {
    return this.#userLoading ?? this.reloadUser()
  }

  async #reloadUser(): Promise<Result<User | null>> {
    const n = this.#userAnswers.begin()
    const sessionId = this.session?.id
    if (sessionId === undefined) {
      this.#userAnswers.fresh(n)
      this.user = null
      this.emit()
      return { data: null, error: null }
    }
    if (this.userError) {
      this.userError = null
      this.emit()
    }
    // Asked again while nothing newer (a sign-out, another session, a later `me` applied) has made it stale.
    const r = await this.#retrying(
      () => this.authedRequest<{ me: UserJSON | null }>(ops.Me),
      () => this.#userAnswers.pending(n),
    )
    // Signed out, dropped or another session activated meanwhile: this answer is about a session that is gone.
    if (!this.#userAnswers.fresh(n)) return r.error ? r : { data: this.user, error: null }
    if (r.error) {
      if (r.error.code === 'authentication_invalid') this.#refused(sessionId)
      else {
        // Told, so that the hooks stop waiting for a user that is not coming and a page can offer to try again.
        if (this.session && !this.user) this.userError = r.error
        this.emit()
      }
      return r
    }
    // No user behind a session that minted a token means the session just ended: a refusal as well.
    if (!r.data.me) {
      this.#refused(sessionId)
      return { data: null, error: null }
    }
    this.user = new User(this.accountCore, r.data.me)
    this.emit()
    return { data: this.user, error: null }
  }

  private readonly accountCore: AccountCore = {
    authedRequest: (op, variables) => this.authedRequest(op, variables),
    reloadUser: () => this.reloadUser(),
    changeUser: (op, variables, user) => this.changeUser(op, variables, user),
  }

  /**
   * changeUser sends an account change whose answer is the whole user, and publishes that user without another
   * `me`. Its answer counts as a `me` begun when the change was sent: it is taken only when no `me` is on its way
   * (one may have read the user before or after the change) and none was applied since the change began (nor a
   * sign-out or another session's activation); otherwise the user is reloaded, as after any other change.
   */
  private async changeUser<T>(
    op: Operation,
    variables: Record<string, unknown>,
    user: (d: T) => UserJSON,
  ): Promise<Result<User>> {
    const n = this.#userAnswers.begin()
    const r = await this.authedRequest<T>(op, variables)
    if (r.error) return r
    const changed = new User(this.accountCore, user(r.data))
    if (!this.#userLoading && this.#userAnswers.fresh(n)) {
      this.user = changed
      this.emit()
    } else {
      await this.reloadUser()
    }
    return { data: changed, error: null }
  }

  /** authedRequest sends an account operation with `Authorization: Bearer <the active session's JWT>`. */
  private async authedRequest<T>(op: Operation, variables?: Record<string, unknown>): Promise<Result<T>> {
    const session = this.session
    if (!session) return { data: null, error: signedOut() }
    return this.bearerRequest<T>(session.id, op, variables)
  }

  /**
   * bearerRequest sends an operation with `Authorization: Bearer <the session's JWT>`. When the server refuses the
   * JWT (`authentication_invalid`), it tries once more with a freshly minted one before giving up: the cached token
   * may have expired on the server's clock before on the device's. A session that is really gone fails that mint,
   * which drops it.
   */
  private async bearerRequest<T>(sessionId: string, op: Operation, variables?: Record<string, unknown>): Promise<Result<T>> {
    const token = await this.mintToken(sessionId, false)
    if (token.error) return token
    const r = await this.request<T>(op, variables, { bearer: token.data })
    if (r.error?.code !== 'authentication_invalid') return r
    const fresh = await this.mintToken(sessionId, true)
    if (fresh.error) return fresh
    return this.request<T>(op, variables, { bearer: fresh.data })
  }

  private async activate(sessionId: string): Promise<Result<Session>> {
    const n = this.#answers.begin()
    const token = await this.mintToken(sessionId, true)
    if (token.error) return token
    if (!this.#answers.fresh(n)) {
      // Signed out meanwhile, or a newer answer set the session: only the session already active is a success.
      return this.session?.id === sessionId ? { data: this.session, error: null } : { data: null, error: signedOut() }
    }
    this.session = this.makeSession({ id: sessionId, status: 'active' })
    this.#syncKeepAlive()
    // A `me` still on its way is about the previous session: the next reloadUser() asks again.
    this.#dropUser()
    // The server answered and confirmed this device's session, which is what a load would tell: a first load that
    // failed (status `error`) or is still on its way has nothing newer to say, so the client is loaded now.
    this.#markLoaded()
    this.emit()
    return { data: this.session, error: null }
  }

  private makeSession(data: Pick<SessionData, 'id' | 'status'>): Session {
    return createSession(this.sessionCore, data)
  }

  private readonly sessionCore: SessionCore = {
    mintToken: (sessionId, skipCache) => this.mintToken(sessionId, skipCache),
    sessionRequest: <T>(sessionId: string, op: Operation, variables?: Record<string, unknown>): Promise<Result<T>> =>
      this.bearerRequest<T>(sessionId, op, variables),
    forgetToken: (sessionId) => this.dropToken(sessionId),
  }

  /**
   * dropToken forgets a session's cached JWT and its mint in flight, whose answer may carry claims from before
   * (the `fva` of a reverification that just passed): a new generation begins, and only a mint started in it is cached.
   */
  private dropToken(sessionId: string): void {
    this.#tokenGenerations.set(sessionId, (this.#tokenGenerations.get(sessionId) ?? 0) + 1)
    this.#tokens.delete(sessionId)
    this.#inflightTokens.delete(sessionId)
  }

  /**
   * mintToken returns a session JWT from the cache while it has more than TOKEN_REFRESH_MARGIN_MS left, else from
   * `sessionTokenCreate`; concurrent callers share one request. A session the server no longer accepts is dropped.
   * The cache does not trust the device clock to agree with the server's: a token's local expiry is the local time
   * its request was sent (no later than it was minted) plus its lifetime, `exp − iat` of its claims. Only a token
   * whose claims cannot be read falls back to `expiresAt` as it is.
   */
  private mintToken(sessionId: string, skipCache: boolean): Promise<Result<string>> {
    const cached = this.#tokens.get(sessionId)
    if (!skipCache && cached && this.#now() < cached.expiresAt - TOKEN_REFRESH_MARGIN_MS) {
      return Promise.resolve({ data: cached.jwt, error: null })
    }
    const inflight = this.#inflightTokens.get(sessionId)
    if (inflight) return inflight
    const generation = this.#tokenGenerations.get(sessionId) ?? 0
    const sentAt = this.#now()
    const p: Promise<Result<string>> = this.request<{ sessionTokenCreate: { jwt: string; expiresAt: string | number } }>(ops.SessionTokenCreate, {
      sessionId,
    })
      .then((r): Result<string> => {
        if (r.error) {
          if (r.error.code === 'authentication_invalid') this.#refused(sessionId)
          return r
        }
        const { jwt, expiresAt } = r.data.sessionTokenCreate
        // Forgotten meanwhile (dropToken): the JWT may predate the change, so it serves this caller only.
        if ((this.#tokenGenerations.get(sessionId) ?? 0) === generation) {
          const lifetime = jwtLifetimeMs(jwt)
          this.#tokens.set(sessionId, {
            jwt,
            expiresAt: lifetime === null ? (toDate(expiresAt)?.getTime() ?? 0) : sentAt + lifetime,
          })
        }
        return { data: jwt, error: null }
      })
      .finally(() => {
        if (this.#inflightTokens.get(sessionId) === p) this.#inflightTokens.delete(sessionId)
      })
    this.#inflightTokens.set(sessionId, p)
    return p
  }

  /**
   * syncKeepAlive makes the background refresh follow the session: it runs for the active session while the client is
   * open (and `keepSessionAlive` is on), and stops when the client is signed out or closed. Called wherever the
   * session is set or dropped; another session gets a refresh of its own, so none stacks up behind another.
   */
  #syncKeepAlive(): void {
    const sessionId = this.#keepSessionAlive && !this.#closed && this.session ? this.session.id : null
    if (this.#keepAlive?.sessionId === sessionId) return
    if (this.#keepAlive) clearTimeout(this.#keepAlive.timer)
    this.#keepAlive = null
    if (sessionId === null) return
    const keepAlive: KeepAlive = { sessionId, timer: undefined }
    this.#keepAlive = keepAlive
    const planned = this.#tokens.get(sessionId)
    const delay = planned ? Math.max(KEEP_ALIVE_MIN_DELAY_MS, this.#refreshDue(planned) - this.#now()) : KEEP_ALIVE_INTERVAL_MS
    this.#planRefresh(keepAlive, planned, delay)
  }

  /**
   * refreshDue is when the background refresh replaces a cached token: KEEP_ALIVE_LEAD_MS before its refresh margin,
   * 50 s after it was asked for with the server's 60 s tokens (a longer-lived one is replaced sooner: see planRefresh).
   */
  #refreshDue(token: CachedToken): number {
    return token.expiresAt - TOKEN_REFRESH_MARGIN_MS - KEEP_ALIVE_LEAD_MS
  }

  /**
   * planRefresh sets the timer of the next background refresh, meant to replace `planned` (the token cached now), at
   * most `delay` from now, less a random part of up to KEEP_ALIVE_JITTER of it.
   */
  #planRefresh(keepAlive: KeepAlive, planned: CachedToken | undefined, delay: number): void {
    // Never longer than the interval: tokens that live longer (up to an hour) are refreshed every 50 s all the same,
    // for the server to see the session in use, and to notice soon that it ended.
    const wait = Math.min(KEEP_ALIVE_INTERVAL_MS, Math.max(0, delay))
    // Shortened, never lengthened: clients that started together drift apart, and none comes nearer the margin.
    const timer = setTimeout(
      () => void this.#refreshInBackground(keepAlive, planned),
      Math.round(wait * (1 - KEEP_ALIVE_JITTER * this.#random())),
    )
    // In Node (server-side rendering, scripts), the refresh alone does not keep the process running.
    ;(timer as { unref?: () => void }).unref?.()
    keepAlive.timer = timer
  }

  /**
   * refreshInBackground replaces the session's token through mintToken, which caches it (and shares a mint already on
   * its way). The token it was planned for is replaced when the timer fires, however early or late (a clock that
   * disagrees with the timers must not stall it); one minted since (`getToken({ skipCache })`, after a reverification)
   * that is not due yet is kept, without a request, and the refresh planned for its own due time. A session the server
   * refuses (`authentication_invalid`: expired, revoked, signed out elsewhere) is handled by mintToken as any refusal
   * is (#refused: dropped, and the client read again); any other failure (`network_error`, …) is tried again
   * KEEP_ALIVE_INTERVAL_MS later.
   */
  async #refreshInBackground(keepAlive: KeepAlive, planned: CachedToken | undefined): Promise<void> {
    keepAlive.timer = undefined
    const cached = this.#tokens.get(keepAlive.sessionId)
    if (cached && cached !== planned && this.#now() < this.#refreshDue(cached)) {
      this.#planRefresh(keepAlive, cached, this.#refreshDue(cached) - this.#now())
      return
    }
    // skipCache: the planned token may still be fresh for getToken() (until its refresh margin); this replaces it
    // ahead of that, so that no getToken() waits for a mint.
    const r = await this.mintToken(keepAlive.sessionId, true)
    // Signed out, closed, another session activated, or this one refused (and dropped) meanwhile: the session now
    // active, if any, has its own refresh.
    if (this.#keepAlive !== keepAlive) return
    if (r.error) {
      this.#planRefresh(keepAlive, this.#tokens.get(keepAlive.sessionId), KEEP_ALIVE_INTERVAL_MS)
      return
    }
    const next = this.#tokens.get(keepAlive.sessionId)
    const delay = next ? this.#refreshDue(next) - this.#now() : KEEP_ALIVE_INTERVAL_MS
    this.#planRefresh(keepAlive, next, Math.max(KEEP_ALIVE_MIN_DELAY_MS, delay))
  }

  /**
   * refused handles the server's refusal of a session (`authentication_invalid`: expired, revoked, signed out
   * elsewhere; or a `me` that names no user), wherever it shows: `getToken()`, an account or session call, the
   * background refresh. Only a refusal of the active session changes anything (a user who switched sessions since
   * keeps the one now active): it is dropped, and the client's state is read again (as clerk-js does on a 401), so
   * that the device's other sessions and `lastActiveSessionId` are the server's at once (another session may be the
   * active one now). A load already on its way read before the drop (forgetSession makes its answer stale), so this
   * is a fresh read.
   * Nothing is read once the client is closed, nor for the session a load is settling (#settling): a load whose own
   * `me` is refused (the read after a refusal among them) is the fresh read, so a server that lists a session it
   * refuses cannot make the client read in a loop. Concurrent refusals read once: the first drops the session, after
   * which the others are no longer of the active one.
   */
  #refused(sessionId: string): void {
    const session = this.session
    if (session?.id !== sessionId) return
    // Only this session was refused: the device's other sessions keep their tokens (one may be the active one next).
    this.forgetSession('session')
    this.emit()
    // Without resuming a sign-in the server has in progress, as load() does: that would make stale the answers of a
    // sign-in call already on its way here (adding an account while the session is refused).
    if (!this.#closed && this.#settling !== session) void this.#load(false)
  }

  /**
   * forgetSession drops the active session, its cached token (and mint in flight) and the user; a `me` still on its
   * way read the user of the session forgotten, and a `load()` may have read that session, so their answers are stale.
   * An activation on its way is not: it brings a session of its own. A completed sign-in or sign-up that created the
   * session is over with it (finalizing it again would only be refused): it is reset, so the next one starts afresh.
   * The device's other sessions keep their cached tokens and mints in flight (`session`): the server ended only this
   * one, and dropping theirs would only mint them again. `device` (the sign-out of every session of the device) drops
   * those too, since the server ended them all.
   */
  private forgetSession(scope: 'session' | 'device'): void {
    const gone = this.session?.id
    const ended = scope === 'device' ? new Set([...this.#tokens.keys(), ...this.#inflightTokens.keys()]) : [gone]
    for (const id of ended) if (id !== undefined) this.dropToken(id)
    this.#reads.reset()
    this.session = null
    this.#syncKeepAlive()
    this.#dropUser()
    if (gone !== undefined) {
      if (this.signIn.createdSessionId === gone) void this.signIn.reset()
      if (this.signUp.createdSessionId === gone) void this.signUp.reset()
    }
  }

  /**
   * setSession makes `session`, what a load read, the active session (or none). When it is not the one active until now
   * (another id, or none), the user goes with the session it belongs to (#dropUser): a `me` on its way (and the one
   * queued behind it) read the previous session's user, so its answer is stale, and the next reloadUser() asks for the
   * new session's own instead of waiting behind it. The same session read again keeps its user, and a `me` on its way
   * for it still counts. Activating a session (activate) drops the user whichever session was active before.
   */
  #setSession(session: Session | null): void {
    const switched = (this.session?.id ?? null) !== (session?.id ?? null)
    this.session = session
    if (switched) this.#dropUser()
  }

  /** markLoaded records that the server told this device's state: the client is loaded, and no load error stands. */
  #markLoaded(): void {
    this.isLoaded = true
    this.loadError = null
  }

  /**
   * dropUser forgets the user of the session that was active, and its error; the `me` on its way (and the one queued
   * behind it) are about that session, so their answers are stale and the next reloadUser() asks afresh.
   */
  #dropUser(): void {
    this.user = null
    this.userError = null
    this.#userAnswers.reset()
    this.#userLoading = this.#userAgain = null
  }

  private emit(): void {
    this.#version++
    for (const l of this.#listeners) l()
  }

  // ---- The hosted pages (sdk/hosted.ts): Clerk's redirectToSignIn() and buildSignInUrl() ----

  /**
   * buildSignInUrl is the URL of the hosted sign-in page (`{url}/sign-in`) for this application
   * (`?publishableKey=`), coming back to `redirectUrl` (default: the current page) as `?redirect_url=`.
   */
  buildSignInUrl(options?: RedirectOptions): string {
    return hostedPageUrl(this.#url, '/sign-in', this.#publishableKey, options)
  }

  /** buildSignUpUrl is the URL of the hosted sign-up page (`{url}/sign-up`), as `buildSignInUrl()`. */
  buildSignUpUrl(options?: RedirectOptions): string {
    return hostedPageUrl(this.#url, '/sign-up', this.#publishableKey, options)
  }

  /**
   * redirectToSignIn sends the browser to the hosted sign-in page (`window.location.assign(buildSignInUrl())`).
   * Anything but `{ redirectUrl }` is ignored, so it can be given to `onClick` as it is.
   */
  async redirectToSignIn(options?: RedirectOptions): Promise<void> {
    navigate(this.buildSignInUrl(options))
  }

  /** redirectToSignUp sends the browser to the hosted sign-up page, as `redirectToSignIn()`. */
  async redirectToSignUp(options?: RedirectOptions): Promise<void> {
    navigate(this.buildSignUpUrl(options))
  }

  // ---- Environment: the application's settings as a frontend sees them (sdk/environment.ts) ----

  readonly #environment = new EnvironmentLoader({
    request: (op) => this.request(op),
    emit: () => this.emit(),
  })

  /**
   * environment reads the application's settings (query `environment`; needs only the publishable key): which
   * identifiers users sign up and sign in with, and which factors are enabled. It is fetched once per client and
   * then answered from the cache; concurrent calls share one request; a failure is not cached, so calling again
   * retries. `skipCache` asks the server again. Subscribers are told when it loads (or fails).
   */
  environment(options: { skipCache?: boolean } = {}): Promise<Result<Environment>> {
    return this.#environment.load(options)
  }

  /** environmentState is where `environment()` stands, synchronously (`idle` until something asks for it). */
  get environmentState(): EnvironmentState {
    return this.#environment.state
  }
}

function closedError(): TrustgateAPIResponseErrorLike {
  return apiError('client_closed', 'This client is closed.', undefined, 'This client was closed (close()): make a new one.')
}

function signedOut(): TrustgateAPIResponseErrorLike {
  return apiError('authentication_invalid', 'You are signed out.', undefined, 'You need to be signed in to do this.')
}

/** createClient makes a trustgate client; see `ClientOptions`. */
export function createClient(options: ClientOptions = {}): TrustgateClient {
  return new TrustgateClient(options)
}
