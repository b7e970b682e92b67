import { lazy, Suspense, useMemo, type ReactNode } from 'react'
import { Navigate, NavLink, Route, Routes, useParams } from 'react-router'
import { Loading } from '../ui/Button'
import { AccessPage } from './AccessPage'
import { AuditPage } from './AuditPage'
import { EventsPage } from './EventsPage'
import { useAdminQuery } from './hooks'
import { ApplicationQuery, ViewerQuery, type Application, type Viewer } from './operations'
import { effectivePermissions } from './permissions'
import { SettingsPage } from './SettingsPage'
import { QueryView } from './ui'
import { UserDetailPage } from './UserDetailPage'
import { UsersPage } from './UsersPage'
import { appAccess, AppAccessContext, useViewer } from './viewer'

// The charts bring the chart library; load them only when that tab opens.
const ChartsPage = lazy(async () => ({ default: (await import('./ChartsPage')).ChartsPage }))

/** Section is one tab of an application, shown only when the operator's role can read it. */
interface Section {
  path: string
  label: string
  visible: (can: (perm: string) => boolean) => boolean
}

export const SECTIONS: Section[] = [
  { path: 'users', label: 'Users', visible: (can) => can('users:read') },
  { path: 'events', label: 'Sign-in history', visible: (can) => can('events:read') },
  { path: 'charts', label: 'Charts', visible: (can) => can('events:read') },
  { path: 'settings', label: 'Settings', visible: (can) => can('settings:read') },
  { path: 'audit', label: 'Audit log', visible: (can) => can('audit:read') },
  { path: 'access', label: 'Roles and API keys', visible: (can) => can('roles:read') || can('keys:read') },
]

/**
 * AppLayout frames one application: its name, the tabs the operator's role allows (from
 * `viewer.permissions(applicationId)`), and the tab's page.
 */
export function AppLayout() {
  const { appId = '' } = useParams()
  const { viewer } = useViewer()
  const perms = useAdminQuery<{ viewer: Viewer | null }>(ViewerQuery, { applicationId: appId })
  const app = useAdminQuery<{ application: Application | null }>(ApplicationQuery, { id: appId })
  const serverPerms = perms.data?.viewer?.permissions
  const access = useMemo(
    () => appAccess(appId, effectivePermissions(serverPerms, perms.data?.viewer?.roles ?? viewer.roles, appId)),
    [appId, serverPerms, perms.data, viewer.roles],
  )

  if (perms.loading || app.loading) return <Loading label="Loading the application…" />
  const application = app.data?.application
  const sections = SECTIONS.filter((s) => s.visible(access.can))
  return (
    <QueryView loading={false} error={app.error ?? perms.error} onRetry={() => {
        app.reload()
        perms.reload()
      }}>
      {!application ? (
        <div className="page">
          <h1>Application not found</h1>
          <p className="muted">
            There is no application <code>{appId}</code>, or your role does not let you see it.
          </p>
        </div>
      ) : (
        <AppAccessContext.Provider value={access}>
          <div className="app">
            <header className="app__header">
              <h1>{application.name}</h1>
              <p className="muted small">
                <code>{application.id}</code> · publishable key <code>{application.publishableKey}</code>
              </p>
              <nav aria-label="Application sections" className="tabs">
                <ul>
                  {sections.map((s) => (
                    <li key={s.path}>
                      <NavLink to={`/dashboard/apps/${appId}/${s.path}`} className="tabs__link">
                        {s.label}
                      </NavLink>
                    </li>
                  ))}
                </ul>
              </nav>
            </header>
            <div className="app__content">
              <Routes>
                <Route index element={sections[0] ? <Navigate to={`/dashboard/apps/${appId}/${sections[0].path}`} replace /> : <NoAccess />} />
                <Route path="users" element={<Guard ok={access.can('users:read')}><UsersPage /></Guard>} />
                <Route path="users/:userId" element={<Guard ok={access.can('users:read')}><UserDetailPage /></Guard>} />
                <Route path="events" element={<Guard ok={access.can('events:read')}><EventsPage /></Guard>} />
                <Route path="charts" element={<Guard ok={access.can('events:read')}><Suspense fallback={<Loading label="Loading charts…" />}><ChartsPage /></Suspense></Guard>} />
                <Route path="settings" element={<Guard ok={access.can('settings:read')}><SettingsPage /></Guard>} />
                <Route path="audit" element={<Guard ok={access.can('audit:read')}><AuditPage /></Guard>} />
                <Route
                  path="access"
                  element={<Guard ok={access.can('roles:read') || access.can('keys:read')}><AccessPage /></Guard>}
                />
                <Route path="*" element={<NoAccess />} />
              </Routes>
            </div>
          </div>
        </AppAccessContext.Provider>
      )}
    </QueryView>
  )
}

function Guard({ ok, children }: { ok: boolean; children: ReactNode }) {
  return ok ? <>{children}</> : <NoAccess />
}

function NoAccess() {
  return (
    <div className="page">
      <h2>Nothing to show</h2>
      <p className="muted">Your role does not include this part of the application.</p>
    </div>
  )
}
