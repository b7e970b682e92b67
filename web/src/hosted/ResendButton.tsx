import { Button } from '../ui/Button'

/** ResendButton asks for a new code, counting down the seconds until it may. */
export function ResendButton({ remaining, sending, onResend }: { remaining: number; sending: boolean; onResend: () => void }) {
  return (
    <Button variant="link" busy={sending} disabled={remaining > 0} onClick={onResend}>
      {remaining > 0 ? `Resend code in ${remaining}s` : 'Resend code'}
    </Button>
  )
}
