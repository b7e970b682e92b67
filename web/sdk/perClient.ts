/** perClient memoises a view of a client: the SDK's wrappers (`useClerk()`'s bound view, the legacy resources). */
import type { TrustgateClient } from './client'

/**
 * perClient returns a function that gives, for each client, the one value `make` made of it (made on first use, kept
 * as long as the client), so that what a hook returns keeps its identity across renders.
 */
export function perClient<T>(make: (client: TrustgateClient) => T): (client: TrustgateClient) => T {
  const made = new WeakMap<TrustgateClient, T>()
  return (client) => {
    let value = made.get(client)
    if (value === undefined) {
      value = make(client)
      made.set(client, value)
    }
    return value
  }
}
