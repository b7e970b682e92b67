import type { ReactNode } from 'react'
import { useEnvironment, type Environment } from '@trustgate/react'
import { ErrorList } from '../ui/Alert'
import { Button, Loading } from '../ui/Button'

/**
 * EnvironmentGate renders its children with the application's settings (`useEnvironment()`): a loading indicator
 * until they arrive, and, if they cannot be loaded, the error with "Try again".
 */
export function EnvironmentGate({ children }: { children: (environment: Environment) => ReactNode }) {
  const { environment, error, reload } = useEnvironment()
  if (environment) return children(environment)
  if (!error) return <Loading />
  return (
    <>
      <header className="card__header">
        <h1>This page could not be loaded</h1>
        <p className="muted">We couldn't read this application's sign-in settings.</p>
      </header>
      <ErrorList errors={error.errors} />
      <div className="actions">
        <Button onClick={() => void reload()}>Try again</Button>
      </div>
    </>
  )
}
