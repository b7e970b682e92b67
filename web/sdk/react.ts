/**
 * @trustgate/react — React bindings of the trustgate SDK, with the hook names and shapes of `@clerk/nextjs`
 * (`useSignIn`, `useSignUp`, `useUser`, `useAuth`), so a Clerk custom flow ports by swapping its import.
 */
import {
  createContext,
  createElement,
  Fragment,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useSyncExternalStore,
  type ReactNode,
} from 'react'
import type { TrustgateClient } from './client'
import { useClientVersion } from './clientVersion'
import { componentRedirectUrl, type RedirectOptions } from './hosted'
import { perClient } from './perClient'
import { runWithReverification, type NeedsReverificationHandler } from './reverification'
import type { SignInFuture } from './signin'
import type { SignUpFuture } from './signup'
import type { FetchStatus, GetTokenOptions, Session, SignInErrors, SignUpErrors, TrustgateAPIResponseErrorLike } from './types'
import type { User } from './user'
import type { Environment, EnvironmentState, Result } from './types'

export * from './index'

const ClientContext = createContext<TrustgateClient | null>(null)

/** TrustgateProviderProps are the props of `<TrustgateProvider>`. */
export interface TrustgateProviderProps {
  client: TrustgateClient
  children?: ReactNode
  /** load reads the device's state (active session, sign-in in progress) on mount; default true. */
  load?: boolean
}

/**
 * TrustgateProvider makes a client available to the hooks below it and loads the device's state once. If that load
 * fails (`client.status === 'error'`), it is asked again when the browser says it is back online.
 */
export function TrustgateProvider({ client, children, load = true }: TrustgateProviderProps) {
  useEffect(() => {
    if (load && !client.isLoaded) void client.load()
  }, [client, load])
  useOnline(load, () => {
    if (client.loadError) void client.load()
  })
  return createElement(ClientContext.Provider, { value: client }, children)
}

/**
 * useOnline calls `onOnline` (as given at the last render) each time the browser says it is back online, while
 * `listening` is true.
 */
function useOnline(listening: boolean, onOnline: () => void): void {
  const onOnlineRef = useRef(onOnline)
  onOnlineRef.current = onOnline
  useEffect(() => {
    if (!listening || typeof window === 'undefined') return
    const listener = () => onOnlineRef.current()
    window.addEventListener('online', listener)
    return () => window.removeEventListener('online', listener)
  }, [listening])
}

/** useTrustgate returns the client of the nearest `<TrustgateProvider>` (Clerk's `useClerk`). */
export function useTrustgate(): TrustgateClient {
  const client = useContext(ClientContext)
  if (!client) throw new Error('trustgate: wrap your components in <TrustgateProvider client={createClient(…)}>.')
  return client
}

/**
 * useClerk is Clerk's `useClerk()`: the client of `useTrustgate()`, seen through a view whose methods are bound to it,
 * so that `const { signOut, redirectToSignIn } = useClerk()` and `<button onClick={redirectToSignIn}>` work as they do
 * with Clerk's. The view is one per client (its functions keep their identity across renders); everything else reads
 * and writes the client itself.
 */
export function useClerk(): TrustgateClient {
  return boundView(useTrustgate())
}

/** boundView is `client` with its methods bound to it (see `useClerk`). */
const boundView = perClient((client) => {
  const bound = new WeakMap<(...args: unknown[]) => unknown, (...args: unknown[]) => unknown>()
  return new Proxy(client, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      const fn = value as (...args: unknown[]) => unknown
      let b = bound.get(fn)
      if (!b) bound.set(fn, (b = fn.bind(target)))
      return b
    },
    set: (target, prop, value) => Reflect.set(target, prop, value, target),
  })
})

/** UseSignInReturn is what `useSignIn()` returns. */
export interface UseSignInReturn {
  signIn: SignInFuture
  errors: SignInErrors
  fetchStatus: FetchStatus
}

/** useSignIn returns the sign-in in progress, the errors of its last call split by field, and its fetch status. */
export function useSignIn(): UseSignInReturn {
  const client = useTrustgate()
  useClientVersion(client)
  const signIn = client.signIn
  return { signIn, errors: signIn.__errors, fetchStatus: signIn.__fetchStatus }
}

/** UseSignUpReturn is what `useSignUp()` returns. */
export interface UseSignUpReturn {
  signUp: SignUpFuture
  errors: SignUpErrors
  fetchStatus: FetchStatus
}

/** useSignUp returns the sign-up in progress, the errors of its last call split by field, and its fetch status. */
export function useSignUp(): UseSignUpReturn {
  const client = useTrustgate()
  useClientVersion(client)
  const signUp = client.signUp
  return { signUp, errors: signUp.__errors, fetchStatus: signUp.__fetchStatus }
}

/**
 * UseUserReturn is what `useUser()` returns. `error` is set only while not loaded: the client's state could not be
 * loaded (`client.loadError`, `client.status === 'error'`; `client.load()` asks again), or the user of the active
 * session could not be fetched (`client.userError`; `client.reloadUser()` asks again).
 */
export type UseUserReturn =
  | { isLoaded: false; isSignedIn: undefined; user: undefined; error: TrustgateAPIResponseErrorLike | null }
  | { isLoaded: true; isSignedIn: false; user: null; error: null }
  | { isLoaded: true; isSignedIn: true; user: User; error: null }

/**
 * useLoaded tells `useUser()` and `useAuth()` whether they are loaded: the client's state is, and so is the user of
 * its active session; while not, `error` is why (`client.loadError`, else `client.userError`), or null. It fetches
 * the user when a session is active but its user is not loaded yet (after `finalize()` or `setActive()`); the hooks
 * that ask share one request. A failed fetch (its retries spent) is not repeated on every render: it is asked again
 * by `client.reloadUser()`, or here when the browser says it is back online.
 */
function useLoaded(client: TrustgateClient): { loaded: boolean; error: TrustgateAPIResponseErrorLike | null } {
  const pending = client.isLoaded && client.session !== null && client.user === null
  const userError = pending ? client.userError : null
  const failed = userError !== null
  useEffect(() => {
    if (pending && !failed) void client.__loadUser()
  }, [client, pending, failed])
  useOnline(failed, () => void client.__loadUser())
  const loaded = client.isLoaded && !pending
  return { loaded, error: loaded ? null : (client.loadError ?? userError) }
}

/**
 * useUser returns the signed-in user, fetching it when a session is active but the user is not loaded yet; if that
 * fetch fails, `error` says why (the page can offer to try again with `client.reloadUser()`).
 */
export function useUser(): UseUserReturn {
  const client = useTrustgate()
  useClientVersion(client)
  const { loaded, error } = useLoaded(client)
  const { user } = client
  if (!loaded) return { isLoaded: false, isSignedIn: undefined, user: undefined, error }
  return user
    ? { isLoaded: true, isSignedIn: true, user, error: null }
    : { isLoaded: true, isSignedIn: false, user: null, error: null }
}

/**
 * UseSessionReturn is what `useSession()` returns, Clerk's discriminated union: while the client's state is not
 * loaded, `isSignedIn` and `session` are undefined (not "signed out"); once loaded, `session` is null or the session.
 */
export type UseSessionReturn =
  | { isLoaded: false; isSignedIn: undefined; session: undefined }
  | { isLoaded: true; isSignedIn: false; session: null }
  | { isLoaded: true; isSignedIn: true; session: Session }

/** useSession returns the active session. */
export function useSession(): UseSessionReturn {
  const client = useTrustgate()
  useClientVersion(client)
  const { isLoaded, session } = client
  if (!isLoaded) return { isLoaded: false, isSignedIn: undefined, session: undefined }
  return session ? { isLoaded: true, isSignedIn: true, session } : { isLoaded: true, isSignedIn: false, session: null }
}

/** UseAuthFunctions are the functions `useAuth()` returns in every state. */
interface UseAuthFunctions {
  getToken: (options?: GetTokenOptions) => Promise<string | null>
  signOut: (options?: { sessionId?: string }) => Promise<{ error: TrustgateAPIResponseErrorLike | null }>
}

/**
 * UseAuthReturn is what `useAuth()` returns, Clerk's discriminated union: while not loaded, `isSignedIn`,
 * `sessionId` and `userId` are undefined (neither signed in nor out); once loaded and signed out they are `false`,
 * null and null; signed in, `true` and both ids. `error` is set only while not loaded (as in `useUser()`): the
 * client's state could not be loaded (`client.loadError`) or the user of the active session could not be fetched
 * (`client.userError`).
 */
export type UseAuthReturn = UseAuthFunctions &
  (
    | { isLoaded: false; isSignedIn: undefined; sessionId: undefined; userId: undefined; error: TrustgateAPIResponseErrorLike | null }
    | { isLoaded: true; isSignedIn: false; sessionId: null; userId: null; error: null }
    | { isLoaded: true; isSignedIn: true; sessionId: string; userId: string; error: null }
  )

/**
 * useAuth returns the authentication state and the functions to get a session token and to sign out. As with
 * Clerk, once it is loaded and signed in it has the user's id: while the user of a session just activated is on
 * its way (fetched here as in `useUser()`), `isLoaded` is false; if it cannot be fetched, `error` says why. A first
 * load that fails is not "signed out": `isLoaded` stays false and `error` says why (`client.status` is `error`).
 * While not loaded, `isSignedIn`, `sessionId` and `userId` are undefined, as Clerk's are.
 */
export function useAuth(): UseAuthReturn {
  const client = useTrustgate()
  useClientVersion(client)
  const { loaded, error } = useLoaded(client)
  const getToken = useCallback((options?: GetTokenOptions) => client.getToken(options), [client])
  const signOut = useCallback((options?: { sessionId?: string }) => client.signOut(options), [client])
  const { session, user } = client
  if (!loaded) return { isLoaded: false, isSignedIn: undefined, sessionId: undefined, userId: undefined, error, getToken, signOut }
  return session && user
    ? { isLoaded: true, isSignedIn: true, sessionId: session.id, userId: user.id, error: null, getToken, signOut }
    : { isLoaded: true, isSignedIn: false, sessionId: null, userId: null, error: null, getToken, signOut }
}

/** UseReverificationOptions tune `useReverification()`. */
export interface UseReverificationOptions {
  /**
   * onNeedsReverification runs your "confirm it's you" UI (built on `session.startVerification()` and the
   * factor methods) and calls `complete()` once the verification's status is `complete`, or `cancel()`. Without
   * it, nothing is shown and the action's `session_reverification_required` outcome comes back as it is
   * (trustgate has no prebuilt modal to open, unlike Clerk).
   */
  onNeedsReverification?: NeedsReverificationHandler
}

/**
 * useReverification wraps an action (Clerk's `useReverification(fetcher, options)`): the function it returns runs
 * `fetcher`, and when the outcome is `session_reverification_required` (a `{ error }` result or a thrown error),
 * calls `onNeedsReverification({ level, complete, cancel })`, waits, and after `complete()` runs `fetcher` again
 * with the same arguments. After `cancel()` it resolves to the first outcome (or throws the first error again).
 */
export function useReverification<Args extends unknown[], R>(
  fetcher: (...args: Args) => Promise<R>,
  options: UseReverificationOptions = {},
): (...args: Args) => Promise<R> {
  const fetcherRef = useRef(fetcher)
  fetcherRef.current = fetcher
  const handlerRef = useRef(options.onNeedsReverification)
  handlerRef.current = options.onNeedsReverification
  return useCallback(
    (...args: Args) => runWithReverification(() => fetcherRef.current(...args), handlerRef.current),
    [],
  )
}

/** SignedIn renders its children only while a session is active. */
export function SignedIn({ children }: { children?: ReactNode }) {
  const { isLoaded, isSignedIn } = useSession()
  return isLoaded && isSignedIn ? createElement(Fragment, null, children) : null
}

/** SignedOut renders its children only once loaded and signed out. */
export function SignedOut({ children }: { children?: ReactNode }) {
  const { isLoaded, isSignedIn } = useSession()
  return isLoaded && !isSignedIn ? createElement(Fragment, null, children) : null
}

// ---- The hosted pages (client.redirectToSignIn(); sdk/hosted.ts) ----

/** RedirectProps are the props of the components that send the browser to a hosted page. */
export type RedirectProps = RedirectOptions

/** useRedirect sends the browser to a hosted page once mounted (and again if the client or the return URL change). */
function useRedirect(page: 'redirectToSignIn' | 'redirectToSignUp', redirectUrl: string | null | undefined): null {
  const client = useTrustgate()
  useEffect(() => {
    void client[page]({ redirectUrl })
  }, [client, page, redirectUrl])
  return null
}

/**
 * RedirectToSignIn sends the browser to the hosted sign-in page (`client.redirectToSignIn()`) when rendered, coming
 * back to `redirectUrl` (default: the current page). It renders nothing.
 */
export function RedirectToSignIn({ redirectUrl }: RedirectProps = {}) {
  return useRedirect('redirectToSignIn', redirectUrl)
}

/** RedirectToSignUp sends the browser to the hosted sign-up page when rendered, as `<RedirectToSignIn/>`. */
export function RedirectToSignUp({ redirectUrl }: RedirectProps = {}) {
  return useRedirect('redirectToSignUp', redirectUrl)
}

/**
 * SignIn stands for Clerk's prebuilt `<SignIn/>`: it sends the browser to the hosted sign-in page when rendered.
 * trustgate's hosted pages refuse to be framed (`frame-ancestors 'none'`), so nothing is drawn inside the app, and
 * Clerk's other props (`routing`, `path`, `appearance`) have no effect. Once signed in, the user comes back to
 * `redirectUrl`, else to the current page's `?redirect_url=`, else to the site's root (as Clerk's; not to this page).
 */
export function SignIn({ redirectUrl }: RedirectProps = {}) {
  return useRedirect('redirectToSignIn', componentRedirectUrl(redirectUrl))
}

/** SignUp stands for Clerk's prebuilt `<SignUp/>`: it sends the browser to the hosted sign-up page, as `<SignIn/>`. */
export function SignUp({ redirectUrl }: RedirectProps = {}) {
  return useRedirect('redirectToSignUp', componentRedirectUrl(redirectUrl))
}

// ---- Environment (client.environment(); sdk/environment.ts) ----

/** UseEnvironmentReturn is what `useEnvironment()` returns. */
export interface UseEnvironmentReturn {
  /** isLoaded is true once the environment is known (it stays so if a later `reload()` fails). */
  isLoaded: boolean
  /** environment is the application's settings, or null until loaded. */
  environment: Environment | null
  /** error is the last load's failure, or null; call `reload()` to try again. */
  error: TrustgateAPIResponseErrorLike | null
  /** reload asks the server again (e.g. a "Try again" button after an error). */
  reload: () => Promise<Result<Environment>>
}

/**
 * useEnvironment returns the application's settings (`client.environment()`: which identifiers and factors are
 * enabled), loading them on first use; one request per client however many components ask. It re-renders only
 * when the environment changes.
 */
export function useEnvironment(): UseEnvironmentReturn {
  const client = useTrustgate()
  const subscribe = useCallback((onChange: () => void) => client.subscribe(onChange), [client])
  const state: EnvironmentState = useSyncExternalStore(
    subscribe,
    () => client.environmentState,
    () => client.environmentState,
  )
  useEffect(() => {
    if (state.status === 'idle') void client.environment()
  }, [client, state.status])
  const reload = useCallback(() => client.environment({ skipCache: true }), [client])
  return { isLoaded: state.environment !== null, environment: state.environment, error: state.error, reload }
}
