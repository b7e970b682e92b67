import { Navigate, useLocation, type RouteObject } from 'react-router'
import { AccountPage } from './hosted/AccountPage'
import { HostedLayout } from './hosted/HostedLayout'
import { SignInPage } from './hosted/SignInPage'
import { SignUpPage } from './hosted/SignUpPage'
import { Loading } from './ui/Button'

/** Paths of the single-page app; the Go server answers index.html for each (CONTRACT §2). */
export const paths = {
  signIn: '/sign-in',
  signUp: '/sign-up',
  account: '/account',
  dashboard: '/dashboard',
} as const

function NotFound() {
  return (
    <div className="hosted">
      <main className="card">
        <h1>Page not found</h1>
        <p>
          <a href={paths.signIn}>Go to sign in</a>
        </p>
      </main>
    </div>
  )
}

/** DashboardLoading shows while the lazily loaded dashboard chunk arrives. */
function DashboardLoading() {
  return (
    <div className="hosted">
      <main className="card">
        <Loading label="Loading the dashboard…" />
      </main>
    </div>
  )
}

function ToAccount() {
  const { search } = useLocation()
  return <Navigate to={`${paths.account}${search}`} replace />
}

/**
 * routes: the hosted end-user pages share HostedLayout (and one SDK client); the dashboard is a separate, lazily
 * loaded branch with its own layout and its own operator session (src/dashboard/).
 */
export const routes: RouteObject[] = [
  {
    element: <HostedLayout />,
    children: [
      { path: `${paths.signIn}/*`, element: <SignInPage /> },
      { path: `${paths.signUp}/*`, element: <SignUpPage /> },
      { path: paths.account, element: <AccountPage /> },
    ],
  },
  {
    path: `${paths.dashboard}/*`,
    HydrateFallback: DashboardLoading,
    lazy: async () => ({ Component: (await import('./dashboard/DashboardApp')).default }),
  },
  { path: '/', element: <ToAccount /> },
  { path: '*', element: <NotFound /> },
]
