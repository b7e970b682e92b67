import { useEffect, useId, useRef, type ReactNode } from 'react'
import { focusFromScript } from './errorFocus'

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'

/** headingNear is the heading of the nearest section (or header, form, main) around `el`, if any. */
function headingNear(el: HTMLElement | null): HTMLElement | null {
  for (let p = el?.parentElement ?? null; p; p = p.parentElement) {
    if (!p.matches('section, header, article, form, main, [role="region"]')) continue
    const h = p.querySelector<HTMLElement>('h1, h2, h3, h4, h5, h6')
    if (h) return h
  }
  return null
}

/**
 * Modal is an accessible dialog: it takes focus (the element with `data-autofocus`, else the first focusable),
 * keeps Tab inside (and focus, when the focused element turns disabled), closes on Escape, and gives focus back to
 * whatever opened it: `returnFocusTo` when given and still in the page, else what had focus when it opened, else (when
 * the action removed it) the heading of its section.
 * The dashboard's confirmations and the account's "Confirm it's you" use it.
 */
export function Modal({
  title,
  description,
  onClose,
  children,
  role = 'dialog',
  returnFocusTo,
}: {
  title: ReactNode
  description?: ReactNode
  onClose: () => void
  children: ReactNode
  role?: 'dialog' | 'alertdialog'
  /**
   * returnFocusTo is the element to give focus back to on close, for a dialog opened when focus was no longer on
   * its opener (a busy button, disabled, drops focus to <body>).
   */
  returnFocusTo?: HTMLElement | null
}) {
  const ref = useRef<HTMLDivElement>(null)
  const titleId = useId()
  const descId = useId()
  const onCloseRef = useRef(onClose)
  onCloseRef.current = onClose
  const returnFocusToRef = useRef(returnFocusTo)
  returnFocusToRef.current = returnFocusTo

  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null
    const fallback = headingNear(opener)
    const box = ref.current!
    const first = box.querySelector<HTMLElement>('[data-autofocus]') ?? box.querySelector<HTMLElement>(FOCUSABLE)
    ;(first ?? box).focus()
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation()
        onCloseRef.current()
        return
      }
      if (e.key !== 'Tab') return
      const items = [...box.querySelectorAll<HTMLElement>(FOCUSABLE)]
      if (items.length === 0) return
      const firstItem = items[0]!
      const lastItem = items[items.length - 1]!
      if (e.shiftKey && document.activeElement === firstItem) {
        e.preventDefault()
        lastItem.focus()
      } else if (!e.shiftKey && document.activeElement === lastItem) {
        e.preventDefault()
        firstItem.focus()
      }
    }
    // A focused button that turns disabled (busy) drops focus to <body>; keep it in the dialog instead.
    const onFocusOut = (e: FocusEvent) => {
      if (e.relatedTarget) return
      setTimeout(() => {
        if (box.isConnected && !box.contains(document.activeElement)) box.focus()
      })
    }
    box.addEventListener('keydown', onKey)
    box.addEventListener('focusout', onFocusOut)
    return () => {
      box.removeEventListener('keydown', onKey)
      box.removeEventListener('focusout', onFocusOut)
      const back = returnFocusToRef.current
      if (back && back.isConnected) back.focus()
      else if (opener && document.contains(opener)) opener.focus()
      else if (fallback?.isConnected) {
        // What opened the dialog is gone (the action removed it): the heading of its part of the page, not <body>.
        focusFromScript(fallback)
      }
    }
  }, [])

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={ref}
        className="modal"
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description ? descId : undefined}
        tabIndex={-1}
      >
        <h2 id={titleId}>{title}</h2>
        {description && (
          <div id={descId} className="modal__description">
            {description}
          </div>
        )}
        {children}
      </div>
    </div>
  )
}
