/**
 * Where the hosted pages come from and go to: the application (`?publishableKey=`), and where to send the user
 * after sign-in or sign-up (`?redirect_url=` when same-origin, else `/account`).
 */

const KEY_STORAGE = 'trustgate.publishableKey'

/** CARRIED_PARAMS are kept on links between the hosted pages, so the app and destination survive navigation. */
export const CARRIED_PARAMS = ['publishableKey', 'redirect_url'] as const

/** publishableKeyFrom reads `?publishableKey=pk_…`, remembering it for this tab; else the one remembered. */
export function publishableKeyFrom(search: string): string | undefined {
  const fromUrl = new URLSearchParams(search).get('publishableKey')
  try {
    if (fromUrl) {
      sessionStorage.setItem(KEY_STORAGE, fromUrl)
      return fromUrl
    }
    return sessionStorage.getItem(KEY_STORAGE) ?? undefined
  } catch {
    // Storage can be unavailable (privacy modes); the key from the URL still works.
    return fromUrl ?? undefined
  }
}

/** withCarriedParams appends the carried query parameters of `search` to an in-app path. */
export function withCarriedParams(path: string, search: string, extra: Record<string, string> = {}): string {
  const from = new URLSearchParams(search)
  const [base, query = ''] = path.split('?')
  const to = new URLSearchParams(query)
  for (const p of CARRIED_PARAMS) {
    const v = from.get(p)
    if (v !== null && !to.has(p)) to.set(p, v)
  }
  for (const [k, v] of Object.entries(extra)) to.set(k, v)
  const qs = to.toString()
  return qs ? `${base}?${qs}` : base!
}

/**
 * safeRedirectUrl returns `?redirect_url=` as an absolute URL when it points at this origin, else null. The
 * server checks the app's allowedOrigins for other origins; the page only trusts its own.
 */
export function safeRedirectUrl(search: string, origin: string = window.location.origin): string | null {
  const raw = new URLSearchParams(search).get('redirect_url')
  if (!raw) return null
  try {
    const url = new URL(raw, origin)
    if (url.origin !== origin || (url.protocol !== 'http:' && url.protocol !== 'https:')) return null
    return url.href
  } catch {
    return null
  }
}

/** browser wraps full-page navigation so tests can watch it. */
export const browser = {
  assign(url: string): void {
    window.location.assign(url)
  },
}
