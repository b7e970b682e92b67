import type { ReactNode } from 'react'
import { useEnvironment, type Environment } from '@trustgate/react'
import { Loading } from '../ui/Button'
import { LoadError } from './LoadError'

/**
 * EnvironmentGate renders its children with the application's settings (`useEnvironment()`): a loading indicator
 * until they arrive, and, if they cannot be loaded, the error with "Try again".
 */
export function EnvironmentGate({ children }: { children: (environment: Environment) => ReactNode }) {
  const { environment, error, reload } = useEnvironment()
  if (environment) return children(environment)
  if (!error) return <Loading />
  return (
    <LoadError
      title="This page could not be loaded"
      detail="We couldn't read this application's sign-in settings."
      errors={error.errors}
      onTryAgain={() => void reload()}
    />
  )
}
