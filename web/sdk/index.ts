/**
 * @trustgate/js — the framework-free core of the trustgate SDK: `createClient()` and the sign-in, sign-up,
 * session and user resources. React bindings live in `./react` (`@trustgate/react`).
 */
export {
  createClient,
  TrustgateClient,
  KEEP_ALIVE_INTERVAL_MS,
  KEEP_ALIVE_JITTER,
  TOKEN_REFRESH_MARGIN_MS,
  type ClientOptions,
} from './client'
export { TrustgateAPIResponseError, isClerkAPIResponseError, isTrustgateAPIResponseError } from './errors'
export { SignInFuture, type SignInPasswordParams, type SignInResult } from './signin'
export { SignUpFuture, type SignUpCreateParams, type SignUpResult, type SignUpVerificationStrategy } from './signup'
export { User } from './user'
export type { RedirectOptions } from './hosted'
export type { ClientTokenStore } from './transport'
export type * from './types'
export {
  isReverificationRequired,
  reverificationError,
  runWithReverification,
  REVERIFICATION_REQUIRED,
  type NeedsReverificationHandler,
  type NeedsReverificationParams,
} from './reverification'
