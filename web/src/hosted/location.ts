/**
 * Where the hosted pages come from and go to: the application (`?publishableKey=`), and where to send the user
 * after sign-in or sign-up (`?redirect_url=` when on this origin or one the application allows, else `/account`).
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
 * safeRedirectUrl returns `?redirect_url=` as an absolute URL when it may be followed, else null: an http(s) URL
 * on this origin (a relative path resolves to it) or on one of `allowedOrigins`, the application's (environment
 * `allowedOrigins`, CONTRACT §2). Origins are compared whole (scheme, host and port, as `URL.origin` spells them),
 * so `https://app.example.com@evil.example`, `//evil.example` or `https://app.example.com.evil.example` name
 * another origin; `javascript:` and other schemes are never followed.
 */
export function safeRedirectUrl(
  search: string,
  allowedOrigins: readonly string[] = [],
  origin: string = window.location.origin,
): string | null {
  const raw = new URLSearchParams(search).get('redirect_url')
  if (!raw) return null
  const url = httpURL(raw, origin)
  if (!url) return null
  if (url.origin === origin || allowedOrigins.some((o) => originOf(o) === url.origin)) return url.href
  return null
}

/** httpURL parses `raw` against `base`, keeping it only when it is http or https. */
function httpURL(raw: string, base?: string): URL | null {
  try {
    const url = new URL(raw, base)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null
  } catch {
    return null
  }
}

/**
 * originOf normalises a listed origin (`https://App.example.com/` → `https://app.example.com`), as the server
 * compares them; an entry that is not a bare http(s) origin (a path, a query, credentials) matches nothing.
 */
function originOf(listed: string): string | null {
  const url = httpURL(listed)
  if (!url || url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null
  return url.origin
}

/** browser wraps full-page navigation so tests can watch it. */
export const browser = {
  assign(url: string): void {
    window.location.assign(url)
  },
}
