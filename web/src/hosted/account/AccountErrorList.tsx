import { useState } from 'react'
import { useLocation, useNavigate } from 'react-router'
import { useAuth, type TrustgateAPIError } from '@trustgate/react'
import { ErrorList } from '../../ui/Alert'
import { Button } from '../../ui/Button'
import { withCarriedParams } from '../location'

/**
 * AccountErrorList is ErrorList for the account page. When the server asks for a recent sign-in before a change
 * to how the account signs in (`session_reverification_required`: the session's sign-in is more than 10 minutes
 * old), it offers to sign in again and come back here.
 */
export function AccountErrorList({ errors }: { errors: TrustgateAPIError[] | null | undefined }) {
  const reverify = errors?.some((e) => e.code === 'session_reverification_required') ?? false
  return (
    <>
      <ErrorList errors={errors} />
      {reverify && <SignInAgain />}
    </>
  )
}

function SignInAgain() {
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
    <Button variant="secondary" busy={busy} onClick={again}>
      Sign in again
    </Button>
  )
}
