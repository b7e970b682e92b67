/**
 * A stand-in for Next.js's `next/navigation`, so the examples type-check and render in Vitest without Next.js.
 * It is mapped only for the examples (tsconfig `paths`, Vitest `alias`); the router records where it was sent.
 */

/** AppRouterInstance is the part of Next.js's router the examples use. */
export interface AppRouterInstance {
  push(href: string): void
  replace(href: string): void
  back(): void
  forward(): void
  refresh(): void
  prefetch(href: string): void
}

/** navigation holds the hrefs passed to `push` and `replace`, for tests to read. */
export const navigation = {
  pushed: [] as string[],
  replaced: [] as string[],
  reset() {
    this.pushed.length = 0
    this.replaced.length = 0
  },
}

const router: AppRouterInstance = {
  push: (href) => void navigation.pushed.push(href),
  replace: (href) => void navigation.replaced.push(href),
  back: () => {},
  forward: () => {},
  refresh: () => {},
  prefetch: () => {},
}

/** useRouter returns the recording router. */
export function useRouter(): AppRouterInstance {
  return router
}
