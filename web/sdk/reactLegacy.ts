/**
 * @trustgate/react/legacy — Clerk React's older API (2021 to v5) over the trustgate SDK: `useSignIn()` and
 * `useSignUp()` return the sign-in / sign-up resource whose methods resolve to it and reject with the error, and
 * `useClerk()` returns the `window.Clerk`-shaped object of `@trustgate/js/legacy`. Everything else is
 * `@trustgate/react`'s (`TrustgateProvider`, `useUser`, `useAuth`, `<SignedIn>`, `<RedirectToSignIn/>`, …), so one
 * import line serves a page written from those guides.
 */
import { useClientVersion } from './clientVersion'
import { legacyClerk, legacyClient, type LegacyClerk, type LegacySignIn, type LegacySignUp } from './legacy'
import { useTrustgate } from './react'

export * from './react'
export {
  createClerk,
  legacyClerk,
  legacyClient,
  LegacySignIn,
  LegacySignUp,
  type LegacyClerk,
  type LegacyClient,
  type LegacyListener,
  type LegacySetActive,
  type LegacySetActiveParams,
  type LegacySignOutOptions,
} from './legacy'

/**
 * useSignIn returns the client's sign-in with Clerk's older semantics (`LegacySignIn`): `signIn.create()`,
 * `prepareSecondFactor()`, … resolve to the sign-in and reject with the error. It also carries `isLoaded`, `signIn`
 * (itself) and `setActive`, so both `const signIn = useSignIn()` (Clerk React 2021) and
 * `const { isLoaded, signIn, setActive } = useSignIn()` (v2–v5) work. The caller re-renders on every change.
 */
export function useSignIn(): LegacySignIn {
  const client = useTrustgate()
  useClientVersion(client)
  return legacyClient(client).signIn
}

/** useSignUp returns the client's sign-up with Clerk's older semantics (`LegacySignUp`), as `useSignIn()`. */
export function useSignUp(): LegacySignUp {
  const client = useTrustgate()
  useClientVersion(client)
  return legacyClient(client).signUp
}

/**
 * useClerk returns the `window.Clerk`-shaped object of the provider's client (`LegacyClerk`, the one `createClerk()`
 * gives for that client): `redirectToSignIn()`, `setActive()`, `signOut()` (which reject with the error), `client`,
 * `session`, `user`; its methods are bound, so they may be destructured.
 */
export function useClerk(): LegacyClerk {
  return legacyClerk(useTrustgate())
}
