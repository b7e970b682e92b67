import { useCallback, useEffect, useRef, useState } from 'react'

/**
 * focusFirstError moves focus, after a submit that failed, to the form's first invalid input (`aria-invalid`, whose
 * error its `aria-describedby` reads out), else to the first error announced beside the form (`role="alert"` in the
 * form's parent: the errors of no field). It leaves focus alone when it has gone elsewhere meanwhile (outside the
 * form's parent, and not to the page's body, where a busy button that turned disabled drops it).
 */
export function focusFirstError(form: HTMLElement | null): void {
  if (!form?.isConnected) return
  const scope = form.parentElement ?? form
  const active = document.activeElement
  if (active && active !== document.body && !scope.contains(active)) return
  const field = form.querySelector<HTMLElement>('[aria-invalid="true"]')
  if (field) {
    field.focus()
    return
  }
  const alert = scope.querySelector<HTMLElement>('[role="alert"]')
  if (alert) focusFromScript(alert)
}

/**
 * focusFromScript focuses `el` (an alert, a heading), making it focusable from script only when it is not focusable
 * already, so that it stays out of the Tab order.
 */
export function focusFromScript(el: HTMLElement): void {
  if (!el.hasAttribute('tabindex')) el.tabIndex = -1
  el.focus()
}

/**
 * focusLost tells whether focus is nowhere the user put it: on the page's body (where a busy button that turned
 * disabled drops it), on an element that left the page, or on `from`, the button that started what answered. An
 * outcome moves focus only then, never away from where the user went meanwhile.
 */
export function focusLost(from: Element | null = null): boolean {
  const active = document.activeElement
  return !active || active === document.body || !active.isConnected || active === from
}

/**
 * focusNearestAlert moves focus, after an action outside a form failed (a button such as "Resend code"), to the
 * error announced nearest to it (`role="alert"` in its closest ancestor that has one). It leaves focus alone when
 * it has gone elsewhere meanwhile (not the button itself, nor the page's body, where the busy button dropped it).
 */
export function focusNearestAlert(from: HTMLElement | null): void {
  focusNearest(from, '[role="alert"]', focusFromScript)
}

/**
 * focusNearestCodeInput moves focus, after "Resend code" sent a new code, to the one-time-code input nearest to the
 * button (`autocomplete="one-time-code"` in its closest ancestor that has one), where the new code goes. It leaves
 * focus alone as `focusNearestAlert` does.
 */
export function focusNearestCodeInput(from: HTMLElement | null): void {
  focusNearest(from, 'input[autocomplete="one-time-code"]', (input) => input.focus())
}

/**
 * focusNearest focuses, with `focus`, the first element matching `selector` in the closest ancestor of `from` that
 * has one, unless focus has gone elsewhere meanwhile (not `from` itself, nor the page's body, where a busy button
 * that turned disabled drops it).
 */
function focusNearest(from: HTMLElement | null, selector: string, focus: (el: HTMLElement) => void): void {
  if (!from?.isConnected) return
  const active = document.activeElement
  if (active && active !== document.body && active !== from) return
  for (let scope = from.parentElement; scope; scope = scope.parentElement) {
    const el = scope.querySelector<HTMLElement>(selector)
    if (el) {
      focus(el)
      return
    }
  }
}

/**
 * useErrorFocus gives a form a `ref` and `focusError()`, to call when its submit failed: once the errors are on
 * screen (the next commit), focus goes to the first of them (`focusFirstError`, or `focus` when given).
 */
export function useErrorFocus<T extends HTMLElement = HTMLFormElement>(focus: (el: T | null) => void = focusFirstError) {
  const ref = useRef<T>(null)
  const [requests, setRequests] = useState(0)
  // Runs only when `requests` changed, with this render's `focus`: no ref needed to see the latest one.
  useEffect(() => {
    if (requests > 0) focus(ref.current)
  }, [requests])
  const focusError = useCallback(() => setRequests((n) => n + 1), [])
  return { ref, focusError }
}

/** failed tells whether a call's outcome (`{ error }` or `{ data, error }`) is a failure. */
export function failed(outcome: unknown): boolean {
  return typeof outcome === 'object' && outcome !== null && 'error' in outcome && outcome.error != null
}
