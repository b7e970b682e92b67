import { useCallback, useContext, useRef, useState } from 'react'
import {
  runWithReverification,
  type FieldError,
  type Result,
  type TrustgateAPIError,
  type TrustgateAPIResponseErrorLike,
} from '@trustgate/react'
import { ReverificationContext } from './reverificationContext'

/**
 * useAction runs one account call at a time, keeping its busy state and its error for the form to show. Inside a
 * `ReverificationProvider`, a call that answers `session_reverification_required` opens "Confirm it's you" and,
 * once the session is verified again, runs once more (Clerk's `useReverification`). If the user cancels, the error
 * is kept, and `AccountErrorList` offers "Sign in again".
 */
export function useAction() {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<TrustgateAPIResponseErrorLike | null>(null)
  const needsReverification = useContext(ReverificationContext)
  // A ref, so that `run` stays the same function (useList reloads when it changes).
  const needsReverificationRef = useRef(needsReverification)
  needsReverificationRef.current = needsReverification
  const run = useCallback(async <T,>(call: () => Promise<Result<T>>): Promise<Result<T>> => {
    setError(null)
    const needs = needsReverificationRef.current
    // Before the button turns busy (disabled), which in a browser moves focus from it to <body>: the dialog gives
    // focus back to this element when it closes.
    const opener = focusedElement()
    const r = await runWithReverification(
      () => {
        setBusy(true)
        return call()
      },
      // Not busy while the dialog is open, so that focus can return to the button that started the action.
      needs &&
        ((params) => {
          setBusy(false)
          needs(params, opener)
        }),
    )
    setBusy(false)
    if (r.error) setError(r.error)
    return r
  }, [])
  return { busy, error, run, clear: () => setError(null) }
}

/** focusedElement is the element that has focus, or null when none does (focus on <body>). */
function focusedElement(): HTMLElement | null {
  const el = document.activeElement
  return el instanceof HTMLElement && el !== document.body ? el : null
}

/**
 * fieldErrors splits an action's errors by input: `fields` maps each input name to the error whose paramName (or,
 * when it names none, whose code) belongs to it; what is left is global.
 */
export function fieldErrors<F extends string>(
  error: TrustgateAPIResponseErrorLike | null,
  fields: Record<F, { params?: string[]; codes?: string[] }>,
): { fields: Record<F, FieldError | null>; global: TrustgateAPIError[] | null } {
  const out = Object.fromEntries(Object.keys(fields).map((k) => [k, null])) as Record<F, FieldError | null>
  const global: TrustgateAPIError[] = []
  for (const e of error?.errors ?? []) {
    const match = (Object.entries(fields) as [F, { params?: string[]; codes?: string[] }][]).find(([, m]) =>
      e.meta.paramName ? m.params?.includes(e.meta.paramName) : m.codes?.includes(e.code),
    )
    if (match && out[match[0]] === null) out[match[0]] = e
    else global.push(e)
  }
  return { fields: out, global: global.length ? global : null }
}

const CODE_FIELD = { params: ['code'], codes: ['form_code_incorrect', 'verification_failed', 'verification_expired'] }

/** codeFieldErrors splits an action's errors into the code input's and the rest. */
export function codeFieldErrors(error: TrustgateAPIResponseErrorLike | null) {
  return fieldErrors(error, { code: CODE_FIELD })
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** formatDate shows a date and time in the reader's locale. */
export function formatDate(d: Date | null): string {
  return d ? dateFormat.format(d) : '—'
}

/** describeUserAgent turns a User-Agent header into "Firefox on Linux"; unknown parts stay generic. */
export function describeUserAgent(ua: string | null | undefined): string {
  if (!ua) return 'Unknown device'
  const browser =
    /Edg\//.test(ua) ? 'Edge'
    : /OPR\//.test(ua) ? 'Opera'
    : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrome\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari'
    : null
  const os =
    /iPhone|iPad/.test(ua) ? 'iOS'
    : /Android/.test(ua) ? 'Android'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /Windows/.test(ua) ? 'Windows'
    : /Linux/.test(ua) ? 'Linux'
    : null
  if (browser && os) return `${browser} on ${os}`
  return browser ?? os ?? ua.slice(0, 60)
}
