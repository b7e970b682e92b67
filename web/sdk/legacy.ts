/**
 * @trustgate/js/legacy — Clerk's older API (ClerkJS and Clerk React up to v5, as Clerk's 2021–2024 guides use it)
 * over the trustgate client: the sign-in and sign-up methods resolve to the resource and **reject** with the error,
 * and `createClerk()` makes the object those guides find in `window.Clerk`. It is a view of the client of
 * `@trustgate/js`: the same requests, state, answer ordering and errors; only how a call reports its outcome differs.
 */
import { TrustgateClient, type ClientOptions } from './client'
import { apiError } from './errors'
import { componentRedirectUrl, givenRedirectUrl, navigate, type RedirectOptions } from './hosted'
import { perClient } from './perClient'
import type { SignUpCreateParams, SignUpVerificationStrategy } from './signup'
import type {
  AttemptFirstFactorParams,
  AttemptSecondFactorParams,
  ClientTrustState,
  PrepareFirstFactorParams,
  PrepareSecondFactorParams,
  ResetPasswordParams,
  Session,
  SignInCreateParams,
  SignInFirstFactor,
  SignInSecondFactor,
  SignInStatus,
  SignUpStatus,
  TrustgateAPIResponseErrorLike,
  Verification,
} from './types'
import type { User } from './user'

export * from './index'

/** Outcome is what a method of the modern resources resolves to. */
type Outcome = Promise<{ error: TrustgateAPIResponseErrorLike | null }>

/**
 * settle turns a modern outcome into Clerk's older one: `value` on success; on failure it rejects with the error, a
 * `TrustgateAPIResponseError` (`err.errors[0].code`, `.message`, `.longMessage`, `.meta.paramName`), which
 * `isClerkAPIResponseError(err)` recognises, as Clerk's `ClerkAPIResponseError`.
 */
async function settle<T>(outcome: Outcome, value: T): Promise<T> {
  const { error } = await outcome
  if (error) throw error
  return value
}

/** LegacySetActiveParams are the parameters of Clerk's `setActive()`: the session, or its id. */
export interface LegacySetActiveParams {
  session: string | { id: string }
}

/** LegacySetActive is Clerk's `setActive()`: it resolves once the session is active and rejects with the error. */
export type LegacySetActive = (params: LegacySetActiveParams) => Promise<void>

function setActiveOf(client: TrustgateClient): LegacySetActive {
  return ({ session }) => {
    const id = typeof session === 'string' ? session : session?.id
    if (!id) return Promise.reject(apiError('form_param_missing', 'Name the session to make active.', 'session'))
    return settle(client.setActive({ session: id }), undefined)
  }
}

/**
 * LegacySignIn is Clerk's older `SignInResource` (ClerkJS `client.signIn`, Clerk React ≤ v5 `useSignIn()`): its
 * fields are the client's sign-in in progress, read live, and its methods resolve to the sign-in itself (this object,
 * updated) or reject with the error. The data fields are those of the modern `signIn`.
 *
 * For Clerk React's two older hook shapes it also carries `isLoaded` (the client's), `signIn` (itself) and
 * `setActive`, so both `const signIn = useSignIn()` (2021) and `const { isLoaded, signIn, setActive } = useSignIn()`
 * (v2–v5) work.
 */
export class LegacySignIn {
  readonly #client: TrustgateClient
  /** setActive makes a session (e.g. `signIn.createdSessionId`) the active one; it rejects with the error. */
  readonly setActive: LegacySetActive

  constructor(client: TrustgateClient) {
    this.#client = client
    this.setActive = setActiveOf(client)
  }

  get #signIn() {
    return this.#client.signIn
  }

  get id(): string | undefined {
    return this.#signIn.id
  }
  get status(): SignInStatus {
    return this.#signIn.status
  }
  get identifier(): string | null {
    return this.#signIn.identifier
  }
  get clientTrustState(): ClientTrustState | null {
    return this.#signIn.clientTrustState
  }
  get supportedFirstFactors(): SignInFirstFactor[] {
    return this.#signIn.supportedFirstFactors
  }
  get supportedSecondFactors(): SignInSecondFactor[] {
    return this.#signIn.supportedSecondFactors
  }
  get firstFactorVerification(): Verification | null {
    return this.#signIn.firstFactorVerification
  }
  get secondFactorVerification(): Verification | null {
    return this.#signIn.secondFactorVerification
  }
  get createdSessionId(): string | null {
    return this.#signIn.createdSessionId
  }

  /** isLoaded is the client's: true once its state was read from the server (`load()`). */
  get isLoaded(): boolean {
    return this.#client.isLoaded
  }

  /** signIn is this object, for `const { signIn } = useSignIn()`. */
  get signIn(): LegacySignIn {
    return this
  }

  /** create starts a new sign-in (`signInCreate`). */
  create(params: SignInCreateParams): Promise<LegacySignIn> {
    return settle(this.#signIn.create(params), this)
  }

  /** prepareFirstFactor sends the code of a first factor (`signInPrepareFirstFactor`). */
  prepareFirstFactor(params: PrepareFirstFactorParams): Promise<LegacySignIn> {
    return settle(this.#signIn.prepareFirstFactor(params), this)
  }

  /** attemptFirstFactor checks a first factor: a password or a code (`signInAttemptFirstFactor`). */
  attemptFirstFactor(params: AttemptFirstFactorParams): Promise<LegacySignIn> {
    return settle(this.#signIn.attemptFirstFactor(params), this)
  }

  /** prepareSecondFactor sends the code of a second factor (`signInPrepareSecondFactor`). */
  prepareSecondFactor(params: PrepareSecondFactorParams): Promise<LegacySignIn> {
    return settle(this.#signIn.prepareSecondFactor(params), this)
  }

  /** attemptSecondFactor checks a second factor: a texted or emailed code, TOTP or a backup code. */
  attemptSecondFactor(params: AttemptSecondFactorParams): Promise<LegacySignIn> {
    return settle(this.#signIn.attemptSecondFactor(params), this)
  }

  /** resetPassword sets the new password of a sign-in at `needs_new_password` (`signInResetPassword`). */
  resetPassword(params: ResetPasswordParams): Promise<LegacySignIn> {
    return settle(this.#signIn.resetPassword(params), this)
  }

  /** reload reads the sign-in again from the server (see the modern `signIn.reload()`). */
  reload(): Promise<LegacySignIn> {
    return settle(this.#signIn.reload(), this)
  }

  /** toJSON keeps `console.log(signIn)` and `JSON.stringify(signIn)` to the data fields. */
  toJSON() {
    return this.#signIn.toJSON()
  }
}

/**
 * LegacySignUp is Clerk's older `SignUpResource`, as `LegacySignIn`: live fields, methods that resolve to it or
 * reject, and `isLoaded`, `signUp` (itself) and `setActive` for Clerk React's `useSignUp()` shapes.
 */
export class LegacySignUp {
  readonly #client: TrustgateClient
  /** setActive makes a session (e.g. `signUp.createdSessionId`) the active one; it rejects with the error. */
  readonly setActive: LegacySetActive

  constructor(client: TrustgateClient) {
    this.#client = client
    this.setActive = setActiveOf(client)
  }

  get #signUp() {
    return this.#client.signUp
  }

  get id(): string | undefined {
    return this.#signUp.id
  }
  get status(): SignUpStatus | null {
    return this.#signUp.status
  }
  get unverifiedFields(): string[] {
    return this.#signUp.unverifiedFields
  }
  get createdUserId(): string | null {
    return this.#signUp.createdUserId
  }
  get createdSessionId(): string | null {
    return this.#signUp.createdSessionId
  }

  /** isLoaded is the client's: true once its state was read from the server (`load()`). */
  get isLoaded(): boolean {
    return this.#client.isLoaded
  }

  /** signUp is this object, for `const { signUp } = useSignUp()`. */
  get signUp(): LegacySignUp {
    return this
  }

  /** create starts a sign-up (`signUpCreate`). */
  create(params: SignUpCreateParams): Promise<LegacySignUp> {
    return settle(this.#signUp.create(params), this)
  }

  /** prepareVerification sends a code to the sign-up's email address or phone number. */
  prepareVerification(params: { strategy: SignUpVerificationStrategy }): Promise<LegacySignUp> {
    return settle(this.#signUp.prepareVerification(params), this)
  }

  /** attemptVerification checks that code. */
  attemptVerification(params: { strategy: SignUpVerificationStrategy; code: string }): Promise<LegacySignUp> {
    return settle(this.#signUp.attemptVerification(params), this)
  }

  /** prepareEmailAddressVerification emails a code (Clerk's shortcut for `prepareVerification({ strategy: 'email_code' })`). */
  prepareEmailAddressVerification(_params?: { strategy?: 'email_code' }): Promise<LegacySignUp> {
    return this.prepareVerification({ strategy: 'email_code' })
  }

  /** attemptEmailAddressVerification checks the emailed code. */
  attemptEmailAddressVerification({ code }: { code: string }): Promise<LegacySignUp> {
    return this.attemptVerification({ strategy: 'email_code', code })
  }

  /** preparePhoneNumberVerification texts a code. */
  preparePhoneNumberVerification(_params?: { strategy?: 'phone_code' }): Promise<LegacySignUp> {
    return this.prepareVerification({ strategy: 'phone_code' })
  }

  /** attemptPhoneNumberVerification checks the texted code. */
  attemptPhoneNumberVerification({ code }: { code: string }): Promise<LegacySignUp> {
    return this.attemptVerification({ strategy: 'phone_code', code })
  }

  /** reload reads the sign-up again from the server (see the modern `signUp.reload()`). */
  reload(): Promise<LegacySignUp> {
    return settle(this.#signUp.reload(), this)
  }

  /** toJSON keeps `console.log(signUp)` and `JSON.stringify(signUp)` to the data fields. */
  toJSON() {
    return this.#signUp.toJSON()
  }
}

/** LegacyClient is Clerk's older `ClientResource`, as `window.Clerk.client`: the device's sign-in and sign-up. */
export interface LegacyClient {
  readonly signIn: LegacySignIn
  readonly signUp: LegacySignUp
  /** lastActiveSessionId is the active session's id, or null. */
  readonly lastActiveSessionId: string | null
}

/** LegacyListener is given to `window.Clerk.addListener()`; it is told the device's state after every change. */
export type LegacyListener = (resources: { client: LegacyClient; session: Session | null; user: User | null }) => void

/**
 * LegacyClerk is the object Clerk's guides find in `window.Clerk` (ClerkJS), made by `createClerk()`. Its methods are
 * bound (they may be destructured, or given to `onClick`), and those that call the server reject with the error.
 *
 * The prebuilt components (`mountSignIn()`, `openSignIn()`, …) send the browser to trustgate's hosted pages
 * instead: those refuse to be framed (`frame-ancestors 'none'`), so nothing is drawn inside the page.
 */
export interface LegacyClerk {
  /** client holds the sign-in and sign-up, with the older semantics. */
  readonly client: LegacyClient
  /** loaded is true once the device's state was read (`load()`). */
  readonly loaded: boolean
  /** session is the active session (as `@trustgate/js`'s), or null. */
  readonly session: Session | null
  /** user is the signed-in user (as `@trustgate/js`'s: its methods resolve to `{ data, error }`), or null. */
  readonly user: User | null
  /** trustgate is the `@trustgate/js` client underneath. */
  readonly trustgate: TrustgateClient
  /** load reads the device's state (`client.load()`); it rejects with the error. */
  load(): Promise<void>
  /** setActive makes a session of this device the active one; it rejects with the error. */
  setActive: LegacySetActive
  /**
   * signOut ends the given session, or every session of this device; it rejects with the error. Then it calls the
   * callback, if given (Clerk's `signOut(callback)`), and goes to `redirectUrl`, if given (else it stays put).
   */
  signOut(callbackOrOptions?: (() => unknown) | LegacySignOutOptions, options?: LegacySignOutOptions): Promise<void>
  /** addListener calls `listener` now, if loaded, and after every change; it returns the function that removes it. */
  addListener(listener: LegacyListener): () => void
  /** buildSignInUrl is the URL of the hosted sign-in page (see `client.buildSignInUrl()`). */
  buildSignInUrl(options?: RedirectOptions): string
  /** buildSignUpUrl is the URL of the hosted sign-up page. */
  buildSignUpUrl(options?: RedirectOptions): string
  /** redirectToSignIn sends the browser to the hosted sign-in page, coming back to `redirectUrl` (default: this page). */
  redirectToSignIn(options?: RedirectOptions): Promise<void>
  /** redirectToSignUp sends the browser to the hosted sign-up page. */
  redirectToSignUp(options?: RedirectOptions): Promise<void>
  /**
   * mountSignIn stands for mounting Clerk's sign-in component in `el`: it sends the browser to the hosted sign-in page,
   * coming back to `redirectUrl`, else the current page's `?redirect_url=`, else the site's root.
   */
  mountSignIn(el?: Element | null, props?: RedirectOptions): void
  /** mountSignUp does the same with the hosted sign-up page. */
  mountSignUp(el?: Element | null, props?: RedirectOptions): void
  /** openSignIn stands for Clerk's sign-in modal: it sends the browser to the hosted sign-in page, as `mountSignIn()`. */
  openSignIn(props?: RedirectOptions): void
  /** openSignUp does the same with the hosted sign-up page. */
  openSignUp(props?: RedirectOptions): void
  /** unmountSignIn, unmountSignUp, closeSignIn and closeSignUp do nothing: nothing was drawn in the page. */
  unmountSignIn(el?: Element | null): void
  unmountSignUp(el?: Element | null): void
  closeSignIn(): void
  closeSignUp(): void
}

/** LegacySignOutOptions are the options of `window.Clerk.signOut()`. */
export interface LegacySignOutOptions {
  /** sessionId ends that session only. */
  sessionId?: string
  /** redirectUrl is where to go once signed out. */
  redirectUrl?: string
}

/** legacyClient is the older view of a client's sign-in and sign-up; one per client. */
export const legacyClient = perClient(
  (client): LegacyClient => ({
    signIn: new LegacySignIn(client),
    signUp: new LegacySignUp(client),
    get lastActiveSessionId() {
      return client.session?.id ?? null
    },
  }),
)

/** legacyClerk is the `window.Clerk` object of a client; one per client (Clerk React's legacy `useClerk()` returns it). */
export const legacyClerk = perClient(makeLegacyClerk)

function makeLegacyClerk(client: TrustgateClient): LegacyClerk {
  const legacy = legacyClient(client)
  const resources = () => ({ client: legacy, session: client.session, user: client.user })
  const toSignIn = (props?: RedirectOptions) => navigate(client.buildSignInUrl({ redirectUrl: componentRedirectUrl(givenRedirectUrl(props)) }))
  const toSignUp = (props?: RedirectOptions) => navigate(client.buildSignUpUrl({ redirectUrl: componentRedirectUrl(givenRedirectUrl(props)) }))
  const nothing = () => {}
  return {
    client: legacy,
    get loaded() {
      return client.isLoaded
    },
    get session() {
      return client.session
    },
    get user() {
      return client.user
    },
    trustgate: client,
    load: () => settle(client.load(), undefined),
    setActive: setActiveOf(client),
    signOut: async (callbackOrOptions, maybeOptions) => {
      const callback = typeof callbackOrOptions === 'function' ? callbackOrOptions : undefined
      const options = (typeof callbackOrOptions === 'function' ? maybeOptions : callbackOrOptions) ?? {}
      await settle(client.signOut(options.sessionId ? { sessionId: options.sessionId } : {}), undefined)
      await callback?.()
      if (options.redirectUrl) navigate(options.redirectUrl)
    },
    addListener: (listener) => {
      if (client.isLoaded) listener(resources())
      return client.subscribe(() => listener(resources()))
    },
    buildSignInUrl: (options) => client.buildSignInUrl(options),
    buildSignUpUrl: (options) => client.buildSignUpUrl(options),
    redirectToSignIn: (options) => client.redirectToSignIn(options),
    redirectToSignUp: (options) => client.redirectToSignUp(options),
    mountSignIn: (_el, props) => toSignIn(props),
    mountSignUp: (_el, props) => toSignUp(props),
    openSignIn: (props) => toSignIn(props),
    openSignUp: (props) => toSignUp(props),
    unmountSignIn: nothing,
    unmountSignUp: nothing,
    closeSignIn: nothing,
    closeSignUp: nothing,
  }
}

/**
 * createClerk makes the object to put in `window.Clerk` where Clerk's guides load clerk.js: from the options of
 * `createClient()`, or around a client made already (the one given to `<TrustgateProvider>`, so both share the
 * device's state). It does not load the device's state: call `await window.Clerk.load()` (as with Clerk's
 * `new Clerk(key)`), or let `<TrustgateProvider>` do it.
 */
export function createClerk(clientOrOptions: TrustgateClient | ClientOptions = {}): LegacyClerk {
  const client = clientOrOptions instanceof TrustgateClient ? clientOrOptions : new TrustgateClient(clientOrOptions)
  return legacyClerk(client)
}
