import { useCallback, useContext, useEffect, useRef, useState } from 'react'
import {
  runWithReverification,
  useTrustgate,
  type FieldError,
  type Result,
  type TrustgateAPIError,
  type TrustgateAPIResponseErrorLike,
} from '@trustgate/react'
import { focusFromScript, focusLost } from '../../ui/errorFocus'
import { ReverificationContext } from './reverificationContext'

/** UseActionOptions tune `useAction`. */
export interface UseActionOptions {
  /**
   * refresh reads again what the section shows, after a refusal that says it is out of date (`staleRefusal`): by
   * default the user (`client.reloadUser()`); a list of the user's (sessions, devices) gives its own reload; false
   * for a call whose refusals are handled otherwise (a list's own load, the reverification dialog).
   */
  refresh?: (() => Promise<unknown>) | false
  /**
   * staleCodes are codes that, for this action only, also mean the page is out of date (`staleRefusal`): e.g.
   * `verification_missing` for the authenticator setup's check, whose enrolment was removed in another tab (for a
   * change of primary address, it means the address is not verified yet, which the user is to fix).
   */
  staleCodes?: readonly string[]
}

/**
 * useAction runs one account call at a time, keeping its busy state and its error for the form to show. Inside a
 * `ReverificationProvider`, a call that answers `session_reverification_required` opens "Confirm it's you" and,
 * once the session is verified again, runs once more (Clerk's `useReverification`). If the user cancels, the error
 * is kept, and `AccountErrorList` offers "Sign in again". A refusal that says the page is out of date (the number,
 * address or session changed in another tab: `staleRefusal`) reads the account again (`refresh`) before the call
 * resolves, so the section shows what is true now, and keeps the refusal shown; when its button left the page with
 * that, focus goes to the refusal. `stale` counts those rereads: it changes in the render that shows the account as
 * read again, for a section to close a question or panel about something no longer there (`IdentifierSection`'s
 * `asking`).
 */
export function useAction({ refresh, staleCodes }: UseActionOptions = {}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<TrustgateAPIResponseErrorLike | null>(null)
  const needsReverification = useContext(ReverificationContext)
  const client = useTrustgate()
  // Refs, so that `run` stays the same function (useList reloads when it changes).
  const needsReverificationRef = useRef(needsReverification)
  needsReverificationRef.current = needsReverification
  const refreshRef = useRef(refresh ?? (() => client.reloadUser()))
  refreshRef.current = refresh ?? (() => client.reloadUser())
  const staleCodesRef = useRef(staleCodes)
  staleCodesRef.current = staleCodes
  // Set once a stale refusal's reread answered (`n` counts them): after the commit that shows both, focus follows
  // (focusRefusal).
  const [refused, setRefused] = useState<{ opener: HTMLElement | null; section: Element | null; n: number } | null>(null)
  useEffect(() => {
    if (refused) focusRefusal(refused.opener, refused.section)
  }, [refused])
  const run = useCallback(async <T,>(call: () => Promise<Result<T>>): Promise<Result<T>> => {
    setError(null)
    const needs = needsReverificationRef.current
    // Before the button turns busy (disabled), which in a browser moves focus from it to <body>: the dialog gives
    // focus back to this element when it closes.
    const opener = focusedElement()
    const section = opener?.closest('section') ?? null
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
    const reread = refreshRef.current
    if (r.error && reread && staleRefusal(r.error, staleCodesRef.current)) {
      // Shown at once; the button stays busy until the section shows the account as it is now. The reread's own
      // failure is not shown: the refusal is what the user needs to read, and the page stays as it was.
      setError(r.error)
      setBusy(true)
      try {
        await reread()
      } catch {
        // A reread that throws (not the SDK's way: it answers errors) leaves the page as it was, the button usable.
      }
      setRefused((was) => ({ opener, section, n: (was?.n ?? 0) + 1 }))
    }
    setBusy(false)
    if (r.error) setError(r.error)
    return r
  }, [])
  return { busy, error, run, clear: () => setError(null), stale: refused?.n ?? 0 }
}

/**
 * STALE_CODES are refusals that mean the page showed the account out of date: the thing acted on is gone
 * (`resource_not_found`, `form_identifier_not_found`), or not in the state the page showed it in
 * (`resource_forbidden`: e.g. a number no longer reserved, the last identifier; `totp_already_enabled`,
 * `backup_codes_not_available`, `identification_create_second_factor_unverified`). `verification_already_verified` is left to the code
 * step, which reads the identifier again itself.
 */
const STALE_CODES = new Set([
  'resource_not_found',
  'resource_forbidden',
  'form_identifier_not_found',
  'totp_already_enabled',
  'backup_codes_not_available',
  'identification_create_second_factor_unverified',
])

/**
 * staleRefusal tells whether an action's error means the section showed the account out of date (`STALE_CODES`, or
 * one of `more`, the action's own), so that it is read again. Not a `form_*` error about an input the user typed (its `paramName` names one other
 * than the `id` acted on): the input is what to fix, and the form stays as it is for another try.
 */
export function staleRefusal(
  error: TrustgateAPIResponseErrorLike | null | undefined,
  more: readonly string[] = [],
): boolean {
  return (
    error?.errors.some(
      (e) =>
        (STALE_CODES.has(e.code) || more.includes(e.code)) &&
        !(e.code.startsWith('form_') && e.meta.paramName && e.meta.paramName !== 'id'),
    ) ?? false
  )
}

/**
 * focusRefusal moves focus to the refusal shown in `section` (its first `role="alert"`) when the account read again
 * took the button that started the action (`opener`) off the page, and focus with it. Where the button stays, the
 * section's own handling of a failure stands; and focus stays where it went meanwhile if not lost.
 */
function focusRefusal(opener: HTMLElement | null, section: Element | null): void {
  if (!opener || opener.isConnected || !section?.isConnected || !focusLost()) return
  const alert = section.querySelector<HTMLElement>('[role="alert"]')
  if (alert) focusFromScript(alert)
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
