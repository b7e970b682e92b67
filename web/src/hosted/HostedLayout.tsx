import { Outlet, useLocation } from 'react-router'
import { TrustgateProvider } from '@trustgate/react'
import { useOwnClient } from '../ui/useOwnClient'
import { ClientGate } from './ClientGate'
import { publishableKeyFrom } from './location'

/**
 * HostedLayout frames the end-user pages (/sign-in, /sign-up, /account) and gives them one SDK client, made for
 * the application named by `?publishableKey=` (else the server's default application), talking to this origin.
 * If that client cannot load the device's state, `ClientGate` shows the error with "Try again" instead of the page.
 * The client is closed when the layout unmounts.
 */
export function HostedLayout() {
  const { search, pathname } = useLocation()
  const client = useOwnClient(() => ({ publishableKey: publishableKeyFrom(search) }))
  const wide = pathname.startsWith('/account')
  return (
    <TrustgateProvider client={client}>
      <div className="hosted">
        <main className={`card${wide ? ' card--wide' : ''}`}>
          <ClientGate>
            <Outlet />
          </ClientGate>
        </main>
        <footer className="hosted__footer">
          Secured by <span className="brand">trustgate</span>
        </footer>
      </div>
    </TrustgateProvider>
  )
}
