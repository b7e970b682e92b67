import { useEffect, useRef, useState } from 'react'
import { createClient, type ClientOptions, type TrustgateClient } from '@trustgate/react'

/**
 * useOwnClient makes the SDK client of a component that owns it (made once, on first render) and closes it when the
 * component unmounts, so that a retry still waiting sends nothing afterwards. The close waits a microtask: StrictMode
 * unmounts and remounts every effect at once in development, keeping the same state (and client), and that remount
 * cancels it.
 */
export function useOwnClient(options: () => ClientOptions): TrustgateClient {
  const [client] = useState(() => createClient(options()))
  const mounted = useRef(false)
  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
      queueMicrotask(() => {
        if (!mounted.current) client.close()
      })
    }
  }, [client])
  return client
}
