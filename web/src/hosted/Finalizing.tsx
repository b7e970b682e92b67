import { useEffect, useRef, useState, type ReactNode } from 'react'
import type { FinalizeParams, TrustgateAPIError, TrustgateAPIResponseErrorLike } from '@trustgate/react'
import { ErrorList } from '../ui/Alert'
import { Loading } from '../ui/Button'
import { useAfterAuth } from './useAfterAuth'

export interface FinalizingProps {
  /** finalize is `signIn.finalize` or `signUp.finalize`. */
  finalize: (params: FinalizeParams) => Promise<{ error: TrustgateAPIResponseErrorLike | null }>
  errors: TrustgateAPIError[] | null
  label: string
  /** failed is shown, under the errors, when the session could not be activated. */
  failed: ReactNode
}

/** Finalizing activates the session of a completed sign-in or sign-up once, then leaves the page. */
export function Finalizing({ finalize, errors, label, failed }: FinalizingProps) {
  const afterAuth = useAfterAuth()
  const started = useRef(false)
  const [error, setError] = useState(false)

  useEffect(() => {
    // Once, even under StrictMode's double effects: a second finalize would mint a second token for nothing.
    if (started.current) return
    started.current = true
    void finalize({ navigate: () => afterAuth() }).then((r) => setError(r.error !== null))
  }, [finalize, afterAuth])

  if (!error) return <Loading label={label} />
  return (
    <>
      <ErrorList errors={errors} />
      {failed}
    </>
  )
}
