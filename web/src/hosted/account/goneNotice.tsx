import { useLayoutEffect, useRef, useState, type ReactNode } from 'react'
import { Alert } from '../../ui/Alert'
import { focusFromScript, focusLost } from '../../ui/errorFocus'

/**
 * useGoneNotice is a section's message that what one of its steps, questions or panels was about is no longer on the
 * account as it showed it (removed, or changed, in another tab), said when the account read again closed it:
 * `say(message)` shows it (an alert), `clear()` hides it, `notice` is what the section renders. Focus lost with what
 * closed (the button pressed, on the page's body or gone) goes to the message; focus the user moved elsewhere stays.
 */
export function useGoneNotice() {
  // An object per message, so that saying the same words again is news again.
  const [said, setSaid] = useState<{ message: ReactNode } | null>(null)
  const box = useRef<HTMLDivElement>(null)
  // A layout effect: before the passive cleanup of a question that closed with it (Confirm), which would take lost
  // focus to the section's heading instead of to what happened.
  useLayoutEffect(() => {
    if (!said || !focusLost()) return
    const alert = box.current?.querySelector<HTMLElement>('[role="alert"]')
    if (alert) focusFromScript(alert)
  }, [said])
  return {
    say: (message: ReactNode) => setSaid({ message }),
    clear: () => setSaid(null),
    notice: said && (
      <div ref={box}>
        <Alert>{said.message}</Alert>
      </div>
    ),
  }
}
