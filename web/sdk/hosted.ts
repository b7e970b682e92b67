/**
 * The hosted sign-in and sign-up pages (`/sign-in`, `/sign-up` on the trustgate server) as an app reaches them:
 * Clerk's `redirectToSignIn()` / `buildSignInUrl()`. The pages read the application from `?publishableKey=` and
 * where to go afterwards from `?redirect_url=` (web/src/hosted/location.ts); they follow that URL only when it is on
 * their own origin or one of the application's `allowedOrigins`, else they go to `/account`.
 */

/** HostedPage is the path of a hosted page an app sends its users to. */
export type HostedPage = '/sign-in' | '/sign-up'

/** RedirectOptions tune where a hosted page sends the user once signed in (or up). */
export interface RedirectOptions {
  /** redirectUrl is where to come back to; default: the current page. A relative URL is taken from the current page. */
  redirectUrl?: string | null
}

/**
 * hostedPageUrl is the URL of a hosted page: `{url}{path}?publishableKey=…&redirect_url=…`. `options` may be anything
 * (a click event, when the method is given to `onClick` as Clerk's guides do): only a string `redirectUrl` counts.
 */
export function hostedPageUrl(url: string, path: HostedPage, publishableKey: string | undefined, options?: unknown): string {
  const params = new URLSearchParams()
  if (publishableKey) params.set('publishableKey', publishableKey)
  const redirectUrl = redirectUrlOf(options)
  if (redirectUrl) params.set('redirect_url', redirectUrl)
  const qs = params.toString()
  return `${url.replace(/\/+$/, '')}${path}${qs ? `?${qs}` : ''}`
}

/** givenRedirectUrl is the `redirectUrl` of options that may be anything (an event, when given to `onClick`). */
export function givenRedirectUrl(options: unknown): string | undefined {
  const given = (options as RedirectOptions | null | undefined)?.redirectUrl
  return typeof given === 'string' && given !== '' ? given : undefined
}

/** redirectUrlOf is the absolute return URL: the one given (resolved against the current page), else the current page. */
function redirectUrlOf(options: unknown): string | null {
  const given = givenRedirectUrl(options)
  const here = typeof window !== 'undefined' ? window.location.href : undefined
  if (given) {
    try {
      return new URL(given, here).href
    } catch {
      return given
    }
  }
  return here ?? null
}

/** navigate sends the browser to `url` (a full page load); outside a browser it does nothing. */
export function navigate(url: string): void {
  if (typeof window !== 'undefined') window.location.assign(url)
}

/**
 * componentRedirectUrl is where the page of a prebuilt component (`<SignIn/>`, `mountSignIn()`) comes back to, as
 * Clerk's: the `redirectUrl` given, else the current page's `?redirect_url=`, else the site's root. Not the current
 * page: that is where the component is, and a hosted page finding the user signed in goes straight back, so the app
 * would send them to it again.
 */
export function componentRedirectUrl(given?: string | null): string {
  if (given) return given
  if (typeof window === 'undefined') return '/'
  return new URLSearchParams(window.location.search).get('redirect_url') || '/'
}
