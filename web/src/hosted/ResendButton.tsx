import { Button } from '../ui/Button'
import type { useCodeSender } from './useCodeSender'

/**
 * ResendButton asks `sender` for a new code, counting down the seconds until it may. It also waits while the step
 * is `checking` (has a call on its way, such as the check of a code): a resend that reached the server before the
 * check answered would be the newer answer, and hide the check's (its "Incorrect code").
 */
export function ResendButton({ sender, checking }: { sender: ReturnType<typeof useCodeSender>; checking: boolean }) {
  return (
    <Button variant="link" busy={sender.sending} disabled={sender.remaining > 0 || checking} onClick={sender.resend}>
      {sender.remaining > 0 ? `Resend code in ${sender.remaining}s` : 'Resend code'}
    </Button>
  )
}
