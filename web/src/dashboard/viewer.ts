import { createContext, useContext } from 'react'
import type { Viewer } from './operations'
import { ALL_APPS, effectivePermissions, hasPermission } from './permissions'

/** ViewerInfo is the signed-in operator, with what they may do server-wide (grants in `*`). */
export interface ViewerInfo {
  viewer: Viewer
  /** dashboardKey is the publishable key of the built-in dashboard application. */
  dashboardKey: string
  /** global lists the permissions that hold in every application. */
  global: string[]
}

export const ViewerContext = createContext<ViewerInfo | null>(null)

export function useViewer(): ViewerInfo {
  const v = useContext(ViewerContext)
  if (!v) throw new Error('dashboard: useViewer outside <ViewerContext.Provider>')
  return v
}

/** globalPermissions lists what the viewer may do in every application. */
export function globalPermissions(viewer: Viewer): string[] {
  return effectivePermissions(null, viewer.roles, ALL_APPS)
}

/** AppAccess is what the operator may do in the application being shown. */
export interface AppAccess {
  applicationId: string
  permissions: string[]
  can: (perm: string) => boolean
}

export const AppAccessContext = createContext<AppAccess | null>(null)

/** useCan returns the permission check of the current application. */
export function useCan(): (perm: string) => boolean {
  const a = useContext(AppAccessContext)
  if (!a) throw new Error('dashboard: useCan outside an application')
  return a.can
}

/** appAccess builds the permission check of one application. */
export function appAccess(applicationId: string, permissions: string[]): AppAccess {
  return { applicationId, permissions, can: (perm) => hasPermission(permissions, perm) }
}
