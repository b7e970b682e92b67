import { useState } from 'react'
import { Outlet, useLocation } from 'react-router'
import { createClient, TrustgateProvider } from '@trustgate/react'
import { publishableKeyFrom } from './location'

/**
 * HostedLayout frames the end-user pages (/sign-in, /sign-up, /account) and gives them one SDK client, made for
 * the application named by `?publishableKey=` (else the server's default application), talking to this origin.
 */
export function HostedLayout() {
  const { search, pathname } = useLocation()
  const [client] = useState(() => createClient({ publishableKey: publishableKeyFrom(search) }))
  const wide = pathname.startsWith('/account')
  return (
    <TrustgateProvider client={client}>
      <div className="hosted">
        <main className={`card${wide ? ' card--wide' : ''}`}>
          <Outlet />
        </main>
        <footer className="hosted__footer">
          Secured by <span className="brand">trustgate</span>
        </footer>
      </div>
    </TrustgateProvider>
  )
}
