/** The one subscription the React hooks of both entries (`react.ts`, `reactLegacy.ts`) re-render by. */
import { useCallback, useSyncExternalStore } from 'react'
import type { TrustgateClient } from './client'

/** useClientVersion re-renders the caller whenever anything in the client changes, and returns the client's version. */
export function useClientVersion(client: TrustgateClient): number {
  const subscribe = useCallback((onChange: () => void) => client.subscribe(onChange), [client])
  return useSyncExternalStore(subscribe, () => client.version, () => client.version)
}
