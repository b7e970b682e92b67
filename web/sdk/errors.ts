import type { TrustgateAPIError, TrustgateAPIResponseErrorLike } from './types'

/** GraphQLErrorJSON is one entry of a GraphQL response's `errors` (CONTRACT §3 Errors). */
export interface GraphQLErrorJSON {
  message?: string
  path?: (string | number)[]
  extensions?: {
    code?: string
    longMessage?: string | null
    paramName?: string | null
    meta?: Record<string, unknown> | null
  } | null
}

/**
 * TrustgateAPIResponseError is what a failed call returns as `error`, like Clerk's `ClerkAPIResponseError`:
 * `errors` lists every API error; `code` and `longMessage` repeat the first for convenience.
 */
export class TrustgateAPIResponseError extends Error implements TrustgateAPIResponseErrorLike {
  readonly errors: TrustgateAPIError[]
  readonly status: number | null
  readonly retryAfter: number | null

  constructor(errors: TrustgateAPIError[], options: { status?: number | null; retryAfter?: number | null } = {}) {
    super(errors[0]?.message ?? 'Unknown error')
    this.name = 'TrustgateAPIResponseError'
    this.errors = errors
    this.status = options.status ?? null
    this.retryAfter = options.retryAfter ?? null
  }

  get code(): string {
    return this.errors[0]?.code ?? 'internal_error'
  }

  get longMessage(): string {
    return this.errors[0]?.longMessage ?? this.message
  }

  /** toJSON keeps `JSON.stringify(error)` useful for debugging output. */
  toJSON() {
    return { name: this.name, code: this.code, status: this.status, errors: this.errors }
  }
}

/** isTrustgateAPIResponseError tells a trustgate API error from any other thrown value. */
export function isTrustgateAPIResponseError(err: unknown): err is TrustgateAPIResponseError {
  return err instanceof TrustgateAPIResponseError
}

/** isClerkAPIResponseError is Clerk's name for `isTrustgateAPIResponseError`, so ported code keeps its import. */
export const isClerkAPIResponseError = isTrustgateAPIResponseError

/** camelize turns a snake_case parameter name (`email_address`) into the SDK's camelCase (`emailAddress`). */
export function camelize(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/** toAPIError maps one GraphQL error to Clerk's error shape `{ code, message, longMessage, meta: { paramName } }`. */
export function toAPIError(err: GraphQLErrorJSON): TrustgateAPIError {
  const ext = err.extensions ?? {}
  const message = err.message || 'Something went wrong'
  const meta: TrustgateAPIError['meta'] = { ...(ext.meta ?? {}) }
  if (ext.paramName) meta.paramName = camelize(ext.paramName)
  return {
    code: ext.code || 'internal_error',
    message,
    longMessage: ext.longMessage || message,
    meta,
  }
}

/** apiError builds one error raised by the SDK itself, before or instead of calling the server. */
export function apiError(code: string, message: string, paramName?: string, longMessage?: string): TrustgateAPIResponseError {
  return new TrustgateAPIResponseError([
    { code, message, longMessage: longMessage ?? message, meta: paramName ? { paramName } : {} },
  ])
}

/** networkError is the error of a request that got no usable answer from the server. */
export function networkError(detail: string, status: number | null = null): TrustgateAPIResponseError {
  return new TrustgateAPIResponseError(
    [
      {
        code: 'network_error',
        message: 'Could not reach the server',
        longMessage: `Could not reach the server. Check your connection and try again. (${detail})`,
        meta: {},
      },
    ],
    { status },
  )
}

type FieldOf<F extends string> = { [K in F]: TrustgateAPIError | null }

/**
 * splitErrors sorts errors into form fields by `meta.paramName` (through `fieldFor`), falling back to the code
 * for errors that name no parameter; what matches no field goes to `global`.
 */
export function splitErrors<F extends string>(
  errors: TrustgateAPIError[],
  fieldNames: readonly F[],
  fieldFor: (paramName: string | undefined, code: string) => F | null,
): { fields: FieldOf<F>; raw: TrustgateAPIError[] | null; global: TrustgateAPIError[] | null } {
  const fields = Object.fromEntries(fieldNames.map((f) => [f, null])) as FieldOf<F>
  const global: TrustgateAPIError[] = []
  for (const e of errors) {
    const field = fieldFor(e.meta.paramName, e.code)
    if (field && fields[field] === null) fields[field] = e
    else if (!field) global.push(e)
  }
  return { fields, raw: errors.length ? errors : null, global: global.length ? global : null }
}

const codeFields: Record<string, string> = {
  form_code_incorrect: 'code',
  form_password_incorrect: 'password',
  form_password_pwned: 'password',
  form_password_length_too_short: 'password',
  form_password_length_too_long: 'password',
  form_identifier_not_found: 'identifier',
  form_identifier_exists: 'identifier',
}

/** paramOrCode is the parameter an error is about: its `paramName`, or the one its code implies. */
export function paramOrCode(paramName: string | undefined, code: string): string | undefined {
  return paramName ?? codeFields[code]
}
