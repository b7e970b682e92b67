import { useState } from 'react'
import { Navigate, useLocation, useNavigate } from 'react-router'
import { useAuth, useSession, useTrustgate, useUser, type User } from '@trustgate/react'
import { ErrorList } from '../ui/Alert'
import { Button, Loading } from '../ui/Button'
import { EmailSection } from './account/EmailSection'
import { FactorChangeProvider } from './account/otherSessions'
import { PasswordSection } from './account/PasswordSection'
import { PhoneSection } from './account/PhoneSection'
import { ReverificationProvider } from './account/Reverification'
import { SessionsSection, TrustedDevicesSection } from './account/DevicesSection'
import { TwoFactorSection } from './account/TwoFactorSection'
import { LoadError } from './LoadError'
import { withCarriedParams } from './location'
import type { TrustgateAPIError, TrustgateAPIResponseErrorLike } from '@trustgate/react'

/**
 * AccountPage is the hosted `/account`: the signed-in user's identifiers, two-step verification, devices, password.
 * A change that needs a recent verification of the session asks "Confirm it's you" first (`ReverificationProvider`);
 * one to how the user signs in then offers to sign out the other devices (`FactorChangeProvider`).
 */
export function AccountPage() {
  const { isLoaded, isSignedIn, user, error } = useUser()
  const { session } = useSession()
  const { search } = useLocation()

  if (error) return <AccountLoadError errors={error.errors} />
  if (!isLoaded) return <Loading />
  if (!isSignedIn) {
    const params = new URLSearchParams(search)
    params.set('redirect_url', '/account')
    return <Navigate to={withCarriedParams('/sign-in', `?${params}`)} replace />
  }
  return (
    <div className="account">
      <ReverificationProvider>
        <FactorChangeProvider>
          <AccountHeader user={user} />
          <EmailSection user={user} />
          <PhoneSection user={user} />
          <TwoFactorSection user={user} />
          <PasswordSection user={user} />
          <SessionsSection user={user} currentSessionId={session?.id ?? null} />
          <TrustedDevicesSection user={user} />
        </FactorChangeProvider>
      </ReverificationProvider>
    </div>
  )
}

/**
 * AccountLoadError is shown when the signed-in user could not be fetched (the SDK's retries spent): the error and
 * "Try again", which asks for the user again (the loading indicator shows while it is on its way).
 */
function AccountLoadError({ errors }: { errors: TrustgateAPIError[] }) {
  const client = useTrustgate()
  return (
    <LoadError
      title="Your account couldn't be loaded"
      detail="You're signed in, but we couldn't read your account details."
      errors={errors}
      onTryAgain={() => void client.reloadUser()}
    />
  )
}

function AccountHeader({ user }: { user: User }) {
  const { signOut } = useAuth()
  const navigate = useNavigate()
  const { search } = useLocation()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<TrustgateAPIResponseErrorLike | null>(null)
  const name = user.primaryEmailAddress?.emailAddress ?? user.phoneNumbers[0]?.phoneNumber ?? 'your account'

  const leave = async () => {
    setBusy(true)
    const r = await signOut()
    setBusy(false)
    if (r.error) setError(r.error)
    else {
      const params = new URLSearchParams(search)
      params.delete('redirect_url')
      navigate(withCarriedParams('/sign-in', `?${params}`), { replace: true })
    }
  }

  return (
    <header className="account__header">
      <div>
        <h1>Your account</h1>
        <p className="muted">
          Signed in as <strong>{name}</strong>
        </p>
      </div>
      <Button variant="secondary" busy={busy} onClick={leave}>
        Sign out
      </Button>
      <ErrorList errors={error?.errors} />
    </header>
  )
}
