import { Button } from '../ui/Button'
import { failed, focusNearestAlert, useErrorFocus } from '../ui/errorFocus'
import type { useCodeSender } from './useCodeSender'

/**
 * ResendButton asks `sender` for a new code, counting down the seconds until it may. It also waits while the step
 * is `checking` (has a call on its way, such as the check of a code): a resend that reached the server before the
 * check answered would be the newer answer, and hide the check's (its "Incorrect code"). When the send fails,
 * focus goes to the error (the busy button dropped it to the page's body).
 */
export function ResendButton({ sender, checking }: { sender: ReturnType<typeof useCodeSender>; checking: boolean }) {
  const { ref, focusError } = useErrorFocus<HTMLButtonElement>(focusNearestAlert)
  const resend = async () => {
    if (failed(await sender.resend())) focusError()
  }
  return (
    <Button ref={ref} variant="link" busy={sender.sending} disabled={sender.remaining > 0 || checking} onClick={resend}>
      {sender.remaining > 0 ? `Resend code in ${sender.remaining}s` : 'Resend code'}
    </Button>
  )
}
