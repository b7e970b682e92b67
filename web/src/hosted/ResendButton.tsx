import { Button } from '../ui/Button'

/**
 * ResendButton asks for a new code, counting down the seconds until it may. It also waits while the step is
 * `checking` a code: a resend that reached the server before the check answered would be the newer answer, and hide
 * the check's (its "Incorrect code").
 */
export function ResendButton({
  remaining,
  sending,
  checking,
  onResend,
}: {
  remaining: number
  sending: boolean
  checking: boolean
  onResend: () => void
}) {
  return (
    <Button variant="link" busy={sending} disabled={remaining > 0 || checking} onClick={onResend}>
      {remaining > 0 ? `Resend code in ${remaining}s` : 'Resend code'}
    </Button>
  )
}
