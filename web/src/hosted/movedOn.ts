import type { TrustgateAPIResponseErrorLike } from '@trustgate/react'

type Outcome = { error: TrustgateAPIResponseErrorLike | null }

/**
 * movedOn tells whether a step's error means the attempt went on without this page (another tab entered the code,
 * or finished the sign-in or sign-up): `verification_already_verified` (the code was used), `resource_forbidden`
 * (the attempt is complete, or a newer one replaced it) or `client_state_invalid` (the attempt is at another step
 * now). Not a `client_state_invalid` with `meta.clientTokenReplaced`: that one is about the client token, and the
 * transport has sent the request again already.
 */
export function movedOn(error: TrustgateAPIResponseErrorLike | null | undefined): boolean {
  return (
    error?.errors.some(
      (e) =>
        e.code === 'verification_already_verified' ||
        e.code === 'resource_forbidden' ||
        (e.code === 'client_state_invalid' && e.meta.clientTokenReplaced !== true),
    ) ?? false
  )
}

/**
 * reloadIfMovedOn waits for a step of `attempt` (the sign-in or the sign-up) and, when its error says the attempt
 * moved on (`movedOn`), reads the attempt again (its `reload()`), so that the page shows the step it is at now, or
 * finishes; it then resolves to the reload's outcome.
 */
export async function reloadIfMovedOn(step: Promise<Outcome>, attempt: { reload(): Promise<Outcome> }): Promise<Outcome> {
  const r = await step
  return movedOn(r.error) ? attempt.reload() : r
}
