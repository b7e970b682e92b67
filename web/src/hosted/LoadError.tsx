import type { TrustgateAPIError } from '@trustgate/react'
import { ErrorList } from '../ui/Alert'
import { Button } from '../ui/Button'

/**
 * LoadError is what a hosted page shows instead of itself when something it needs could not be loaded: a heading
 * that says what, the errors, and "Try again".
 */
export function LoadError({
  title,
  detail,
  errors,
  onTryAgain,
}: {
  title: string
  detail: string
  errors: TrustgateAPIError[]
  onTryAgain: () => void
}) {
  return (
    <>
      <header className="card__header">
        <h1>{title}</h1>
        <p className="muted">{detail}</p>
      </header>
      <ErrorList errors={errors} />
      <div className="actions">
        <Button onClick={onTryAgain}>Try again</Button>
      </div>
    </>
  )
}
