import type { FieldError, TrustgateAPIError } from '@trustgate/react'

/** CODE_ERRORS are errors about the code being checked, shown beside the code input when no field is named. */
const CODE_ERRORS = new Set(['verification_failed', 'verification_expired', 'verification_missing', 'form_code_incorrect'])

/**
 * splitCodeErrors picks the error to show beside a code input: the `code` field's, else a verification error
 * that named no field (e.g. `verification_failed` after too many attempts); the rest stays global.
 */
export function splitCodeErrors(errors: { fields: { code: FieldError | null }; global: TrustgateAPIError[] | null }): {
  code: FieldError | null
  global: TrustgateAPIError[] | null
} {
  if (errors.fields.code) return { code: errors.fields.code, global: errors.global }
  const global = errors.global ?? []
  const code = global.find((e) => CODE_ERRORS.has(e.code)) ?? null
  const rest = global.filter((e) => e !== code)
  return { code, global: rest.length ? rest : null }
}
