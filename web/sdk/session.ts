import * as ops from './operations'
import type { Operation } from './operations'
import { parseSessionVerification, type SessionVerificationJSON } from './parse'
import { compact } from './signin'
import type {
  GetTokenOptions,
  PhoneCodeFactor,
  Result,
  Session,
  SessionData,
  SessionVerificationResource,
  SessionVerificationResult,
  SessionVerifyAttemptFirstFactorParams,
  SessionVerifyAttemptSecondFactorParams,
  SessionVerifyCreateParams,
  SessionVerifyPrepareFirstFactorParams,
  SessionVerifyPrepareSecondFactorParams,
} from './types'

/** SessionCore is what a session needs from its client: its tokens, and requests made with them. */
export interface SessionCore {
  /** mintToken returns the session's JWT (cached, see `TrustgateClient.getToken`). */
  mintToken(sessionId: string, skipCache: boolean): Promise<Result<string>>
  /** sessionRequest sends an operation with `Authorization: Bearer <the session's JWT>`. */
  sessionRequest<T>(sessionId: string, op: Operation, variables?: Record<string, unknown>): Promise<Result<T>>
  /** forgetToken drops the session's cached JWT and any mint in flight, so that the next one is minted afresh. */
  forgetToken(sessionId: string): void
}

/**
 * createSession builds the `Session` of a session id: `getToken()` and the reverification methods of Clerk's
 * `SessionResource` (`startVerification`, `prepare…` / `attempt…FactorVerification`). Like the rest of the SDK
 * they resolve to `{ data, error }` instead of throwing; `data` is the `SessionVerificationResource` the server
 * answered. The session remembers the last one, so `prepareSecondFactorVerification()` can find the phone number.
 * Once a step of a verification passes, the cached session JWT (and any mint in flight) is dropped: the next one
 * carries the new `fva` claim.
 */
export function createSession(core: SessionCore, data: Pick<SessionData, 'id' | 'status'>): Session {
  let last: SessionVerificationResource | null = null

  const verify = async (
    field: string,
    op: Operation,
    variables: Record<string, unknown>,
    passes = false,
  ): SessionVerificationResult => {
    const r = await core.sessionRequest<Record<string, SessionVerificationJSON>>(data.id, op, variables)
    if (r.error) return r
    last = parseSessionVerification(r.data[field]!)
    // A step passed (an attempt the server accepted; with multi_factor the first step, too, before `complete`):
    // the JWT's `fva` claim (minutes since each factor) changed, so the next getToken() mints a fresh one, and a
    // mint already on its way is not cached.
    if (passes || last.status === 'complete') core.forgetToken(data.id)
    return { data: last, error: null }
  }

  return {
    id: data.id,
    status: data.status,
    currentTask: null,

    getToken: async (options: GetTokenOptions = {}) => {
      const r = await core.mintToken(data.id, options.skipCache ?? false)
      return r.error ? null : r.data
    },

    startVerification: (params: SessionVerifyCreateParams = {}) =>
      // No level: the variable is left out, and the server applies its default (second_factor).
      verify('sessionVerificationCreate', ops.SessionVerificationCreate, compact({ level: params.level })),

    prepareFirstFactorVerification: (params: SessionVerifyPrepareFirstFactorParams) =>
      verify('sessionVerificationPrepareFirstFactor', ops.SessionVerificationPrepareFirstFactor, {
        input: compact({
          strategy: params.strategy,
          emailAddressId: 'emailAddressId' in params ? params.emailAddressId : undefined,
          phoneNumberId: 'phoneNumberId' in params ? params.phoneNumberId : undefined,
        }),
      }),

    attemptFirstFactorVerification: (params: SessionVerifyAttemptFirstFactorParams) =>
      verify('sessionVerificationAttemptFirstFactor', ops.SessionVerificationAttemptFirstFactor, {
        input: compact({
          strategy: params.strategy,
          code: 'code' in params ? params.code : undefined,
          password: 'password' in params ? params.password : undefined,
        }),
      }, true),

    prepareSecondFactorVerification: (params: SessionVerifyPrepareSecondFactorParams = { strategy: 'phone_code' }) => {
      const listed = last?.supportedSecondFactors.find((f): f is PhoneCodeFactor => f.strategy === 'phone_code')
      return verify('sessionVerificationPrepareSecondFactor', ops.SessionVerificationPrepareSecondFactor, {
        input: compact({ strategy: params.strategy, phoneNumberId: params.phoneNumberId ?? listed?.phoneNumberId }),
      })
    },

    attemptSecondFactorVerification: (params: SessionVerifyAttemptSecondFactorParams) =>
      verify('sessionVerificationAttemptSecondFactor', ops.SessionVerificationAttemptSecondFactor, {
        input: { strategy: params.strategy, code: params.code },
      }, true),

    getVerification: async () => {
      const r = await core.sessionRequest<{ sessionVerification: SessionVerificationJSON | null }>(
        data.id,
        ops.SessionVerificationQuery,
      )
      if (r.error) return r
      last = r.data.sessionVerification ? parseSessionVerification(r.data.sessionVerification) : null
      return { data: last, error: null }
    },
  }
}
