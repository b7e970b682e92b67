import { useState } from 'react'
import { useLocation, useNavigate } from 'react-router'
import { REVERIFICATION_REQUIRED, useAuth, type TrustgateAPIError } from '@trustgate/react'
import { ErrorList } from '../../ui/Alert'
import { Button, type ButtonProps } from '../../ui/Button'
import { withCarriedParams } from '../location'

/**
 * AccountErrorList is ErrorList for the account page. A change to how the account signs in that needs a recent
 * verification (`session_reverification_required`) first opens "Confirm it's you" (`ReverificationProvider`);
 * when that is cancelled, or cannot run, the error lands here, with "Sign in again" (and back to /account) as
 * the fallback.
 */
export function AccountErrorList({ errors }: { errors: TrustgateAPIError[] | null | undefined }) {
  const reverify = errors?.some((e) => e.code === REVERIFICATION_REQUIRED) ?? false
  return (
    <>
      <ErrorList errors={errors?.map((e) => (e.code === REVERIFICATION_REQUIRED ? { ...e, message: REVERIFY_TEXT, longMessage: REVERIFY_TEXT } : e))} />
      {reverify && <SignInAgain />}
    </>
  )
}

/** REVERIFY_TEXT replaces the server's wording of `session_reverification_required`, which is written for developers. */
export const REVERIFY_TEXT =
  "For your security, changing how you sign in needs a recent verification. Try again to confirm it's you, or sign in again."

/** SignInAgain signs out and opens the sign-in page, which comes back to /account afterwards. */
export function SignInAgain({ variant = 'secondary' }: { variant?: ButtonProps['variant'] }) {
  const { signOut } = useAuth()
  const navigate = useNavigate()
  const { search } = useLocation()
  const [busy, setBusy] = useState(false)
  const again = async () => {
    setBusy(true)
    await signOut()
    setBusy(false)
    const params = new URLSearchParams(search)
    params.set('redirect_url', '/account')
    navigate(withCarriedParams('/sign-in', `?${params}`), { replace: true })
  }
  return (
    <Button variant={variant} busy={busy} onClick={again}>
      Sign in again
    </Button>
  )
}
