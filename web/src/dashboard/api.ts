import { createContext, useContext } from 'react'
import { TrustgateAPIResponseError, type Result, type TrustgateClient } from '@trustgate/react'
import type { AdminOperation } from './operations'

/** DashboardConfig is what `GET /dashboard/config.json` says: the dashboard application's publishable key. */
export interface DashboardConfig {
  publishableKey: string
}

/** loadDashboardConfig reads `/dashboard/config.json` from this origin. */
export async function loadDashboardConfig(): Promise<Result<DashboardConfig>> {
  try {
    const res = await fetch('/dashboard/config.json', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    const body = (await res.json()) as Partial<DashboardConfig> & { error?: string }
    if (!res.ok || !body.publishableKey) {
      return { data: null, error: failure('dashboard_unavailable', body.error ?? `The server answered HTTP ${res.status}.`) }
    }
    return { data: { publishableKey: body.publishableKey }, error: null }
  } catch (err) {
    return { data: null, error: failure('network_error', `Could not reach the server (${err instanceof Error ? err.message : String(err)}).`) }
  }
}

/** downloadError reads a failed download's answer: the API's JSON errors, else its status. */
async function downloadError(res: Response): Promise<TrustgateAPIResponseError> {
  if (res.status === 404) return failure('download_failed', 'The download failed: the server does not offer this export yet.')
  try {
    const body = (await res.json()) as { errors?: { message?: string; extensions?: { code?: string; longMessage?: string; paramName?: string } }[] }
    const errors = (body.errors ?? []).map((e) => ({
      code: e.extensions?.code ?? 'download_failed',
      message: e.message ?? 'The download failed.',
      longMessage: e.extensions?.longMessage ?? e.message ?? 'The download failed.',
      meta: e.extensions?.paramName ? { paramName: e.extensions.paramName } : {},
    }))
    if (errors.length) return new TrustgateAPIResponseError(errors, { status: res.status })
  } catch {
    // not JSON
  }
  return failure('download_failed', `The download failed (HTTP ${res.status}).`)
}

function failure(code: string, longMessage: string): TrustgateAPIResponseError {
  return new TrustgateAPIResponseError([{ code, message: longMessage, longMessage, meta: {} }])
}

/**
 * AdminApi sends admin (control plane) operations with the operator's session: `Authorization: Bearer <session
 * JWT>` minted by the SDK client of the dashboard application, whose publishable key goes along, so the server
 * knows the session is a dashboard operator's.
 */
export class AdminApi {
  constructor(
    private readonly client: TrustgateClient,
    private readonly publishableKey: string,
  ) {}

  /** request sends one admin operation; it never throws. */
  async request<T>(op: AdminOperation, variables: Record<string, unknown> = {}): Promise<Result<T>> {
    const token = await this.client.getToken()
    if (!token) return { data: null, error: failure('authentication_invalid', 'Your session ended. Sign in again.') }
    const r = await this.client.request<T>(op, variables, { bearer: token })
    if (r.error?.code === 'authentication_invalid') {
      // The session may have been revoked: re-read the device's state so the sign-in screen comes back.
      void this.client.load()
    }
    return r
  }

  /** download fetches an authenticated file (e.g. the CSV export) and hands it to the browser as `filename`. */
  async download(path: string, filename: string): Promise<{ error: TrustgateAPIResponseError | null }> {
    // filename is replaced by the server's Content-Disposition name when it sends one.
    const token = await this.client.getToken()
    if (!token) return { error: failure('authentication_invalid', 'Your session ended. Sign in again.') }
    let res: Response
    try {
      res = await fetch(path, {
        headers: { Authorization: `Bearer ${token}`, 'X-Publishable-Key': this.publishableKey },
        credentials: 'include',
      })
    } catch (err) {
      return { error: failure('network_error', `Could not reach the server (${err instanceof Error ? err.message : String(err)}).`) }
    }
    if (!res.ok) return { error: await downloadError(res) }
    const disposition = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')
    if (disposition?.[1]) filename = disposition[1]
    let blob: Blob
    try {
      blob = await res.blob()
    } catch {
      // The server breaks the connection when an export fails after its 200 (the file would be incomplete).
      return { error: failure('download_failed', 'The download was interrupted before the file was complete. Try again.') }
    }
    const url = URL.createObjectURL(blob)
    const a = document.createElement('a')
    a.href = url
    a.download = filename
    document.body.appendChild(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
    return { error: null }
  }
}

export const AdminContext = createContext<AdminApi | null>(null)

/** useAdmin returns the admin API of the signed-in operator. */
export function useAdmin(): AdminApi {
  const api = useContext(AdminContext)
  if (!api) throw new Error('dashboard: useAdmin outside <AdminContext.Provider>')
  return api
}
