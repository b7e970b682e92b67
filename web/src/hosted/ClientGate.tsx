import type { ReactNode } from 'react'
import { useSession, useTrustgate } from '@trustgate/react'
import { LoadError } from './LoadError'

/**
 * ClientGate renders the hosted pages unless the SDK could not load this device's state (`client.status ===
 * 'error'`, its retries spent): then it says so, with "Try again" (`client.load()`), instead of letting a page take
 * the device for signed out (/account would send a signed-in user to sign in). While loading, the pages show their
 * own loading indicator.
 */
export function ClientGate({ children }: { children: ReactNode }) {
  useSession() // re-renders on every change of the client, so the status below is current
  const client = useTrustgate()
  const error = client.loadError
  if (!error) return children
  const tryAgain = () => {
    void client.load()
    // The settings failed too if the network was down; the sign-in and sign-up pages need them next.
    if (client.environmentState.status === 'error') void client.environment()
  }
  return (
    <LoadError
      title={error.code === 'network_error' ? "We couldn't reach the server" : 'This page could not be loaded'}
      detail="We couldn't check whether you're signed in."
      errors={error.errors}
      onTryAgain={tryAgain}
    />
  )
}
