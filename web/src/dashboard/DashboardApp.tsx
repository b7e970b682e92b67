import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { Link, NavLink, Route, Routes, useLocation } from 'react-router'
import {
  TrustgateProvider,
  useAuth,
  useSession,
  useUser,
  type Result,
  type TrustgateAPIResponseErrorLike,
} from '@trustgate/react'
import { ErrorList } from '../ui/Alert'
import { useOwnClient } from '../ui/useOwnClient'
import { Button, Loading } from '../ui/Button'
import { AdminApi, AdminContext, loadDashboardConfig, type DashboardConfig } from './api'
import { ApplicationsPage } from './ApplicationsPage'
import { AppLayout } from './AppLayout'
import { useAdminQuery } from './hooks'
import { OperatorSignIn } from './OperatorSignIn'
import { ViewerQuery, type Viewer } from './operations'
import { globalPermissions, ViewerContext, type ViewerInfo } from './viewer'
import './dashboard.css'

/**
 * DashboardApp is the /dashboard branch of the app, loaded lazily. It reads the dashboard application's
 * publishable key from `/dashboard/config.json`, signs the operator in through the sign-in engine on that
 * application, and sends admin operations with the operator's session JWT.
 */
export default function DashboardApp() {
  const [config, setConfig] = useState<Result<DashboardConfig> | null>(null)
  const [attempt, setAttempt] = useState(0)
  useEffect(() => {
    let live = true
    void loadDashboardConfig().then((r) => live && setConfig(r))
    return () => {
      live = false
    }
  }, [attempt])

  if (!config) return <Centered><Loading label="Loading the dashboard…" /></Centered>
  if (config.error) {
    return (
      <Centered>
        <h1>The dashboard is unavailable</h1>
        <ErrorList errors={config.error.errors} />
        <Button variant="secondary" onClick={() => { setConfig(null); setAttempt((a) => a + 1) }}>
          Try again
        </Button>
      </Centered>
    )
  }
  return <Dashboard publishableKey={config.data.publishableKey} />
}

function Centered({ children }: { children: ReactNode }) {
  return (
    <div className="hosted">
      <main className="card" id="main">
        {children}
      </main>
    </div>
  )
}

function Dashboard({ publishableKey }: { publishableKey: string }) {
  // Closed when the dashboard unmounts (useOwnClient).
  const client = useOwnClient(() => ({ publishableKey }))
  const [api] = useState(() => new AdminApi(client, publishableKey))
  return (
    <TrustgateProvider client={client}>
      <AdminContext.Provider value={api}>
        <SessionGate dashboardKey={publishableKey} />
      </AdminContext.Provider>
    </TrustgateProvider>
  )
}

function SessionGate({ dashboardKey }: { dashboardKey: string }) {
  const { isLoaded, isSignedIn } = useSession()
  if (!isLoaded) return <Centered><Loading /></Centered>
  if (!isSignedIn) return <OperatorSignIn />
  return <ViewerGate dashboardKey={dashboardKey} />
}

/** ViewerGate loads who the operator is and what roles they hold, then shows the dashboard. */
function ViewerGate({ dashboardKey }: { dashboardKey: string }) {
  const q = useAdminQuery<{ viewer: Viewer | null }>(ViewerQuery, { applicationId: null })
  const viewer = q.data?.viewer
  const info = useMemo<ViewerInfo | null>(
    () => (viewer ? { viewer, dashboardKey, global: globalPermissions(viewer) } : null),
    [viewer, dashboardKey],
  )

  if (q.loading) return <Centered><Loading label="Loading your roles…" /></Centered>
  if (q.error || !info) return <NotAnOperator error={q.error} onRetry={q.reload} />
  return (
    <ViewerContext.Provider value={info}>
      <Shell />
    </ViewerContext.Provider>
  )
}

function NotAnOperator({ error, onRetry }: { error: TrustgateAPIResponseErrorLike | null; onRetry: () => void }) {
  const { signOut } = useAuth()
  const notOperator = !error || error.code === 'authentication_invalid' || error.code === 'permission_denied'
  return (
    <Centered>
      <h1>{notOperator ? 'No dashboard access' : 'Could not load the dashboard'}</h1>
      {notOperator ? (
        <p className="muted">This account is not a trustgate operator, or has no role yet. Ask an owner to grant you one.</p>
      ) : (
        <ErrorList errors={error.errors} />
      )}
      <div className="actions">
        {!notOperator && <Button onClick={onRetry}>Try again</Button>}
        <Button variant="secondary" onClick={() => void signOut()}>
          Sign out
        </Button>
      </div>
    </Centered>
  )
}

/** Shell is the signed-in dashboard: a skip link, the top bar, and the page. */
function Shell() {
  const { pathname } = useLocation()
  const main = useRef<HTMLElement>(null)
  const first = useRef(true)
  // After an in-app navigation, move focus to the new content so keyboard and screen reader users land there.
  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    main.current?.focus({ preventScroll: false })
  }, [pathname])

  return (
    <div className="dash">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <TopBar />
      <main id="main" ref={main} tabIndex={-1} className="dash__main">
        <Routes>
          <Route index element={<ApplicationsPage />} />
          <Route path="apps/:appId/*" element={<AppLayout />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </div>
  )
}

function TopBar() {
  const { user } = useUser()
  const { signOut } = useAuth()
  const [busy, setBusy] = useState(false)
  const email = user?.primaryEmailAddress?.emailAddress ?? user?.emailAddresses[0]?.emailAddress ?? ''
  const leave = async () => {
    setBusy(true)
    await signOut()
    setBusy(false)
  }
  return (
    <header className="dash__top">
      <Link to="/dashboard" className="dash__brand">
        <span className="brand">trustgate</span> <span className="muted">dashboard</span>
      </Link>
      <nav aria-label="Dashboard">
        <NavLink to="/dashboard" end className="dash__toplink">
          Applications
        </NavLink>
      </nav>
      <div className="dash__operator">
        {email && (
          <span className="small">
            <span className="visually-hidden">Signed in as </span>
            {email}
          </span>
        )}
        <Button variant="secondary" busy={busy} onClick={leave}>
          Sign out
        </Button>
      </div>
    </header>
  )
}

function NotFound() {
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        <Link to="/dashboard">Back to the applications</Link>
      </p>
    </div>
  )
}
