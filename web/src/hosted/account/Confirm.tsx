import { useEffect, useRef, type ReactNode } from 'react'
import type { TrustgateAPIError } from '@trustgate/react'
import { Button, type ButtonProps } from '../../ui/Button'
import { focusFromScript } from '../../ui/errorFocus'
import { AccountErrorList } from './AccountErrorList'

export interface ConfirmProps {
  /** id names the question, which labels the group. */
  id: string
  question: ReactNode
  errors: TrustgateAPIError[] | null | undefined
  confirmLabel: string
  variant?: ButtonProps['variant']
  busy: boolean
  onConfirm: () => void
  onCancel: () => void
}

/**
 * Confirm asks before an account change ("Remove …?", "Turn off …?"), with the change's error shown in the question.
 * Keyboard focus follows it: into the question when it opens (the button that asked is gone while it is open), and
 * back to the section's heading when it closes, never to the page's body.
 */
export function Confirm({ id, question, errors, confirmLabel, variant, busy, onConfirm, onCancel }: ConfirmProps) {
  const group = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = group.current
    el?.focus()
    const heading = el?.closest('section')?.querySelector<HTMLElement>('h2')
    return () => {
      if (heading?.isConnected && !heading.contains(document.activeElement) && isLost(document.activeElement)) {
        focusFromScript(heading)
      }
    }
  }, [])
  return (
    <div className="confirm" role="group" aria-labelledby={id} tabIndex={-1} ref={group}>
      <p id={id}>{question}</p>
      <AccountErrorList errors={errors} />
      <div className="actions">
        <Button variant={variant} busy={busy} onClick={onConfirm}>
          {confirmLabel}
        </Button>
        {/* Not while the change is on its way: closing the question then would leave its answer nowhere to show. */}
        <Button variant="secondary" disabled={busy} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </div>
  )
}

/** isLost reports whether focus is nowhere in particular: on the body, or on an element that is leaving the page. */
function isLost(el: Element | null): boolean {
  return !el || el === document.body || !el.isConnected || el.closest('.confirm') !== null
}
