/**
 * The `next/navigation` of the example app (examples/vite.config.ts maps the import here): the recording router
 * of `../shims/next-navigation.ts`, so tests can read where the page sent the user, which also changes the URL
 * with the History API and re-renders the app, as Next.js's client-side navigation would.
 */
import { useSyncExternalStore } from 'react'
import { navigation, useRouter as useRecordingRouter, type AppRouterInstance } from '../shims/next-navigation'

export { navigation }
export type { AppRouterInstance }

const listeners = new Set<() => void>()
const notify = () => listeners.forEach((l) => l())
window.addEventListener('popstate', notify)

function subscribe(onChange: () => void) {
  listeners.add(onChange)
  return () => void listeners.delete(onChange)
}

function go(href: string, replace: boolean) {
  if (replace) history.replaceState(null, '', href)
  else history.pushState(null, '', href)
  notify()
}

const recording = useRecordingRouter()

const router: AppRouterInstance = {
  push(href) {
    recording.push(href)
    go(href, false)
  },
  replace(href) {
    recording.replace(href)
    go(href, true)
  },
  back: () => history.back(),
  forward: () => history.forward(),
  refresh: notify,
  prefetch: () => {},
}

/** useRouter returns the router: it records, then navigates. */
export function useRouter(): AppRouterInstance {
  return router
}

/** usePathname returns the current path and re-renders the caller when it changes. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => location.pathname)
}
