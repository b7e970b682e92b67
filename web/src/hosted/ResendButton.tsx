import { useState } from 'react'
import { Button } from '../ui/Button'
import { failed, focusNearestAlert, focusNearestCodeInput, useErrorFocus } from '../ui/errorFocus'
import type { useCodeSender } from './useCodeSender'

/**
 * ResendButton asks `sender` for a new code, counting down the seconds until it may. It also waits while the step
 * is `checking` (has a call on its way, such as the check of a code): a resend that reached the server before the
 * check answered would be the newer answer, and hide the check's (its "Incorrect code"). The busy button drops focus
 * to the page's body: when the send fails, focus goes to the error; when it succeeds, to the code input, where the
 * new code is typed (the button then waits out the cooldown, disabled).
 */
export function ResendButton({ sender, checking }: { sender: ReturnType<typeof useCodeSender>; checking: boolean }) {
  // Set with the focus request, so the focus function of the render that shows the outcome knows which it was.
  const [sent, setSent] = useState(false)
  const { ref, focusError: moveFocus } = useErrorFocus<HTMLButtonElement>(sent ? focusNearestCodeInput : focusNearestAlert)
  const resend = async () => {
    setSent(!failed(await sender.resend()))
    moveFocus()
  }
  return (
    <Button ref={ref} variant="link" busy={sender.sending} disabled={sender.remaining > 0 || checking} onClick={resend}>
      {sender.remaining > 0 ? `Resend code in ${sender.remaining}s` : 'Resend code'}
    </Button>
  )
}

/**
 * CodeSentNotice is the polite live region (`role="status"`) of a code step's "We sent you a new code.": mounted,
 * empty, with the step, and only its text changes. Several screen readers announce a change inside a live region
 * already on the page, but not a region inserted already filled. Empty, it is visually hidden (not `display: none`,
 * which would take it out of the accessibility tree).
 */
export function CodeSentNotice({ notice }: { notice: string | null }) {
  return (
    <div className={notice ? 'alert alert--success' : 'visually-hidden'} role="status" aria-live="polite">
      {notice}
    </div>
  )
}
