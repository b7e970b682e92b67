import type { ReactNode } from 'react'
import type { TrustgateAPIError } from '@trustgate/react'
import { errorText } from './Field'

/** Alert is a message box: `error` ones are announced at once (role=alert), others politely (role=status). */
export function Alert({ tone = 'error', children }: { tone?: 'error' | 'success' | 'info'; children: ReactNode }) {
  return (
    <div className={`alert alert--${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  )
}

/** describeError explains an API error, with the wait time for lockouts and rate limits. */
export function describeError(e: TrustgateAPIError): string {
  const text = errorText(e)
  const wait = (e.meta.lockoutExpiresInSeconds ?? e.meta.retryAfterSeconds) as number | undefined
  if (typeof wait === 'number' && wait > 0 && !/\d/.test(text)) return `${text} Try again in ${formatDuration(wait)}.`
  return text
}

/** formatDuration reads a number of seconds as "45 seconds", "3 minutes" or "2 hours". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`
  const minutes = Math.ceil(seconds / 60)
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`
  const hours = Math.ceil(minutes / 60)
  return `${hours} hour${hours === 1 ? '' : 's'}`
}

/** ErrorList shows the errors that belong to no field, or nothing. */
export function ErrorList({ errors }: { errors: TrustgateAPIError[] | null | undefined }) {
  if (!errors || errors.length === 0) return null
  return (
    <Alert>
      {errors.length === 1 ? (
        describeError(errors[0]!)
      ) : (
        <ul>
          {errors.map((e, i) => (
            <li key={i}>{describeError(e)}</li>
          ))}
        </ul>
      )}
    </Alert>
  )
}
