import { useState, type ReactNode } from 'react'
import type { TrustgateAPIError, TrustgateAPIResponseErrorLike } from '@trustgate/react'
import { Alert, ErrorList } from '../ui/Alert'
import { Button, Loading, type ButtonProps } from '../ui/Button'
import { Modal } from '../ui/Modal'

/** formatDateTime shows a timestamp in the operator's locale, with seconds (history needs them). */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—'
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return value
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
}

/** formatDate shows a calendar date (UTC, as the dated updates are defined). */
export function formatDate(value: string): string {
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return value
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' })
}

/** Time renders a machine-readable <time> with a readable label. */
export function Time({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="muted">—</span>
  return <time dateTime={value}>{formatDateTime(value)}</time>
}

/**
 * QueryView shows a query's loading state or error (with a retry button), else its children. A
 * `permission_denied` error explains itself rather than looking broken.
 */
export function QueryView({
  loading,
  error,
  onRetry,
  label = 'Loading…',
  children,
}: {
  loading: boolean
  error: TrustgateAPIResponseErrorLike | null
  onRetry?: () => void
  label?: string
  children: ReactNode
}) {
  if (loading) return <Loading label={label} />
  if (error) {
    return (
      <div className="query-error">
        <ErrorList errors={error.errors} />
        {onRetry && error.code !== 'permission_denied' && (
          <Button variant="secondary" onClick={onRetry}>
            Try again
          </Button>
        )}
      </div>
    )
  }
  return <>{children}</>
}

/** Badge is a small status label. */
export function Badge({ tone = 'neutral', children }: { tone?: 'neutral' | 'ok' | 'accent' | 'danger' | 'warn'; children: ReactNode }) {
  const cls = { neutral: 'badge', ok: 'badge badge--ok', accent: 'badge badge--accent', danger: 'badge badge--danger', warn: 'badge badge--warn' }[tone]
  return <span className={cls}>{children}</span>
}

export { Modal }

export interface ConfirmButtonProps extends Omit<ButtonProps, 'onClick' | 'title'> {
  /** title is the question the dialog asks, e.g. "Lock jane@example.com?". */
  title: ReactNode
  description?: ReactNode
  confirmLabel: string
  /** onConfirm runs the action; it resolves to whether it succeeded (the dialog then closes). */
  onConfirm: () => Promise<boolean>
  /** errors of the last attempt, shown inside the dialog once it has tried (not those of another dialog's action). */
  errors?: TrustgateAPIError[] | null
  tone?: 'danger' | 'primary'
}

/** ConfirmButton asks for confirmation in a dialog before it runs a consequential action. */
export function ConfirmButton({ title, description, confirmLabel, onConfirm, errors, tone = 'danger', children, ...button }: ConfirmButtonProps) {
  const [open, setOpen] = useState(false)
  const [busy, setBusy] = useState(false)
  // errors belong to this dialog only once it has tried: a page's actions share one mutation's last error.
  const [tried, setTried] = useState(false)
  const confirm = async () => {
    setTried(true)
    setBusy(true)
    const ok = await onConfirm()
    setBusy(false)
    if (ok) setOpen(false)
  }
  return (
    <>
      <Button
        variant="secondary"
        {...button}
        onClick={() => {
          setTried(false)
          setOpen(true)
        }}
        aria-haspopup="dialog"
      >
        {children}
      </Button>
      {open && (
        <Modal title={title} description={description} onClose={() => !busy && setOpen(false)} role="alertdialog">
          <ErrorList errors={tried ? errors : null} />
          <div className="actions actions--end">
            <Button variant="secondary" onClick={() => setOpen(false)} disabled={busy} data-autofocus>
              Cancel
            </Button>
            <Button variant={tone === 'danger' ? 'danger' : 'primary'} busy={busy} onClick={confirm}>
              {confirmLabel}
            </Button>
          </div>
        </Modal>
      )}
    </>
  )
}

/** Notice is a success message that announces itself politely. */
export function Notice({ children }: { children: ReactNode }) {
  return <Alert tone="success">{children}</Alert>
}

/** LoadMore is the cursor pagination button, announcing how many rows are shown. */
export function LoadMore({
  shown,
  total,
  hasNext,
  busy,
  onMore,
  error,
}: {
  shown: number
  total: number | null
  hasNext: boolean
  busy: boolean
  onMore: () => void
  error?: TrustgateAPIResponseErrorLike | null
}) {
  return (
    <div className="load-more">
      <ErrorList errors={error?.errors} />
      <p className="muted small" role="status">
        Showing {shown}
        {total !== null ? ` of ${total}` : ''}
      </p>
      {hasNext && (
        <Button variant="secondary" busy={busy} onClick={onMore}>
          Load more
        </Button>
      )}
    </div>
  )
}

/**
 * describeUserAgent summarises a user agent for people ("Chrome on Linux"), as the server's device package does;
 * anything it does not recognise is shown as is.
 */
export function describeUserAgent(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device'
  const ua = userAgent.toLowerCase()
  const browsers: [string, string][] = [
    ['edg/', 'Edge'],
    ['opr/', 'Opera'],
    ['firefox/', 'Firefox'],
    ['chromium/', 'Chromium'],
    ['chrome/', 'Chrome'],
    ['safari/', 'Safari'],
    ['curl/', 'curl'],
    ['okhttp', 'Android app'],
    ['cfnetwork', 'iOS app'],
    ['node', 'Node.js'],
    ['go-http-client', 'Go client'],
  ]
  const systems: [string, string][] = [
    ['iphone', 'iOS'],
    ['ipad', 'iPadOS'],
    ['android', 'Android'],
    ['mac os x', 'macOS'],
    ['windows', 'Windows'],
    ['cros', 'ChromeOS'],
    ['linux', 'Linux'],
  ]
  const browser = browsers.find(([t]) => ua.includes(t))?.[1]
  const system = systems.find(([t]) => ua.includes(t))?.[1]
  if (browser && system) return `${browser} on ${system}`
  if (browser) return browser
  if (system) return `${system} device`
  return userAgent.length > 60 ? `${userAgent.slice(0, 60)}…` : userAgent
}
