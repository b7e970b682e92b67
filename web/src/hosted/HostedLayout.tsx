import { useState } from 'react'
import { Outlet, useLocation } from 'react-router'
import { createClient, TrustgateProvider } from '@trustgate/react'
import { ClientGate } from './ClientGate'
import { publishableKeyFrom } from './location'

/**
 * HostedLayout frames the end-user pages (/sign-in, /sign-up, /account) and gives them one SDK client, made for
 * the application named by `?publishableKey=` (else the server's default application), talking to this origin.
 * If that client cannot load the device's state, `ClientGate` shows the error with "Try again" instead of the page.
 */
export function HostedLayout() {
  const { search, pathname } = useLocation()
  const [client] = useState(() => createClient({ publishableKey: publishableKeyFrom(search) }))
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
