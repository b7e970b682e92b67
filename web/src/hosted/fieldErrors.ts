import type { FieldError, TrustgateAPIError } from '@trustgate/react'

/**
 * unshown lists the errors of the last call that no field on screen shows (the errors of no field, and those of
 * fields the page does not show), for the alert above the form, so that no error goes unseen.
 */
export function unshown(raw: TrustgateAPIError[] | null, ...shown: (FieldError | null)[]): TrustgateAPIError[] | null {
  const rest = (raw ?? []).filter((e) => !shown.includes(e))
  return rest.length ? rest : null
}
