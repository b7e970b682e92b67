import type { SessionVerificationLevel, TrustgateAPIError } from './types'

/** REVERIFICATION_REQUIRED is the error code of an account change that needs a recent verification of the session. */
export const REVERIFICATION_REQUIRED = 'session_reverification_required'

const LEVELS: readonly string[] = ['first_factor', 'second_factor', 'multi_factor'] satisfies SessionVerificationLevel[]

function errorsOf(value: unknown): TrustgateAPIError[] {
  if (!value || typeof value !== 'object') return []
  if ('errors' in value && Array.isArray(value.errors)) return value.errors as TrustgateAPIError[]
  if ('error' in value) return errorsOf(value.error)
  return []
}

/**
 * reverificationError finds the `session_reverification_required` error in a call's outcome: a `{ error }` /
 * `{ data, error }` result, or an error (`TrustgateAPIResponseError`); null when there is none.
 */
export function reverificationError(outcome: unknown): TrustgateAPIError | null {
  return errorsOf(outcome).find((e) => e.code === REVERIFICATION_REQUIRED) ?? null
}

/** isReverificationRequired tells whether a call's outcome asks for a reverification of the session. */
export function isReverificationRequired(outcome: unknown): boolean {
  return reverificationError(outcome) !== null
}

/** NeedsReverificationParams are handed to `onNeedsReverification` (Clerk's shape). */
export interface NeedsReverificationParams {
  /** level the server asked for (`meta.level`), or undefined: `startVerification()` then uses the server's default. */
  level: SessionVerificationLevel | undefined
  /** complete says the session is verified again: the action runs once more. */
  complete: () => void
  /** cancel gives up: the action's first outcome (its `session_reverification_required`) is returned. */
  cancel: () => void
}

/** NeedsReverificationHandler runs a reverification UI, then calls `complete()` or `cancel()`. */
export type NeedsReverificationHandler = (params: NeedsReverificationParams) => void

/**
 * runWithReverification runs `fetcher`. When its outcome (a result, or a thrown error) is
 * `session_reverification_required` and `onNeedsReverification` is given, it hands that a `{ level, complete,
 * cancel }` and waits: after `complete()` it runs `fetcher` once more and returns that outcome; after `cancel()`,
 * the first outcome (returned, or thrown again). Without a handler, the outcome is returned as it is.
 */
export async function runWithReverification<R>(
  fetcher: () => Promise<R>,
  onNeedsReverification?: NeedsReverificationHandler,
): Promise<R> {
  let outcome: { value: R } | { thrown: unknown }
  try {
    outcome = { value: await fetcher() }
  } catch (thrown) {
    outcome = { thrown }
  }
  const err = reverificationError('value' in outcome ? outcome.value : outcome.thrown)
  if (err && onNeedsReverification) {
    const level = typeof err.meta.level === 'string' && LEVELS.includes(err.meta.level) ? (err.meta.level as SessionVerificationLevel) : undefined
    const completed = await new Promise<boolean>((resolve) =>
      onNeedsReverification({ level, complete: () => resolve(true), cancel: () => resolve(false) }),
    )
    if (completed) return fetcher()
  }
  if ('thrown' in outcome) throw outcome.thrown
  return outcome.value
}
