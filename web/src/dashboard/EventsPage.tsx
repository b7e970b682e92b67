import { useState, type FormEvent } from 'react'
import { Link, useParams, useSearchParams } from 'react-router'
import { ErrorList } from '../ui/Alert'
import { Button } from '../ui/Button'
import { Field } from '../ui/Field'
import { useAdmin } from './api'
import { SelectField } from './fields'
import { usePaged } from './hooks'
import { SignInEventsQuery, type Connection, type Outcome, type SignInEvent, type SignInEventFilter } from './operations'
import { Badge, describeUserAgent, LoadMore, QueryView, Time } from './ui'
import { useCan } from './viewer'
import type { TrustgateAPIResponseErrorLike } from '@trustgate/react'

const PAGE = 50

/** EVENT_KINDS are the kinds of CONTRACT §4 and the engine, offered in the kind filter. */
export const EVENT_KINDS = [
  'sign_in.created',
  'password.failed',
  'password.passed',
  'client_trust.required',
  'client_trust.unavailable',
  'code.sent',
  'code.delivery_failed',
  'code.withheld',
  'code.failed',
  'code.passed',
  'password.reset',
  'second_factor.required',
  'totp.failed',
  'totp.passed',
  'backup_code.used',
  'backup_code.failed',
  'user.locked',
  'user.locked_rejected',
  'user.banned_rejected',
  'rate_limited',
  'sign_in.completed',
  'sign_in.abandoned',
  'sign_up.completed',
]

export const OUTCOMES: Outcome[] = ['success', 'failure', 'challenge', 'info']

const OUTCOME_TONE: Record<Outcome, 'ok' | 'danger' | 'warn' | 'neutral'> = {
  success: 'ok',
  failure: 'danger',
  challenge: 'warn',
  info: 'neutral',
}

/** OutcomeBadge shows an event's outcome in words and colour. */
export function OutcomeBadge({ outcome }: { outcome: Outcome }) {
  return <Badge tone={OUTCOME_TONE[outcome]}>{outcome}</Badge>
}

/** FILTER_KEYS are the URL parameters of the history filters, named as `SignInEventWhereInput`. */
const FILTER_KEYS = ['userId', 'identifier', 'clientId', 'kind', 'outcome', 'ipAddress', 'from', 'to'] as const
type FilterKey = (typeof FILTER_KEYS)[number]
type FilterForm = Record<FilterKey, string>

function readFilters(params: URLSearchParams): FilterForm {
  return Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? ''])) as FilterForm
}

/** localToISO turns a datetime-local value (the operator's time zone) into an RFC 3339 instant. */
export function localToISO(local: string): string | undefined {
  if (!local) return undefined
  const d = new Date(local)
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

/** toWhere builds the `SignInEventWhereInput` of the filter form; empty fields are left out. */
export function toWhere(f: FilterForm): SignInEventFilter {
  const w: SignInEventFilter = {}
  if (f.userId.trim()) w.userId = f.userId.trim()
  if (f.identifier.trim()) w.identifier = f.identifier.trim()
  if (f.clientId.trim()) w.clientId = f.clientId.trim()
  if (f.kind) w.kind = f.kind
  if (f.outcome) w.outcome = f.outcome as Outcome
  if (f.ipAddress.trim()) w.ipAddress = f.ipAddress.trim()
  const from = localToISO(f.from)
  const to = localToISO(f.to)
  if (from) w.from = from
  if (to) w.to = to
  return w
}

/** csvExportUrl is `GET /admin/sign-in-events.csv` with the application and the same filters as the list. */
export function csvExportUrl(applicationId: string, where: SignInEventFilter): string {
  const q = new URLSearchParams({ applicationId })
  for (const [k, v] of Object.entries(where)) if (v) q.set(k, String(v))
  return `/admin/sign-in-events.csv?${q}`
}

/** EventsPage is the sign-in history: the filters of CONTRACT §4, newest first, "load more", CSV export. */
export function EventsPage() {
  const { appId = '' } = useParams()
  const [params, setParams] = useSearchParams()
  const applied = readFilters(params)
  const [form, setForm] = useState<FilterForm>(applied)
  // The address changed (a tab link, Back, a link from a user): the form shows the filters the list now applies.
  const appliedKey = JSON.stringify(applied)
  const [shownKey, setShownKey] = useState(appliedKey)
  if (appliedKey !== shownKey) {
    setShownKey(appliedKey)
    setForm(applied)
  }
  const where = toWhere(applied)
  const paged = usePaged<SignInEvent, { signInEvents: Connection<SignInEvent> }>(
    SignInEventsQuery,
    { applicationId: appId, first: PAGE, where: Object.keys(where).length ? where : null },
    (d) => d.signInEvents,
  )

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const next = new URLSearchParams()
    for (const k of FILTER_KEYS) if (form[k].trim()) next.set(k, form[k].trim())
    setParams(next)
  }
  const set = (k: FilterKey) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value })
  const whereError = (param: string) => paged.error?.errors.find((e) => e.meta.paramName === param || e.meta.paramName === `where.${param}`) ?? null

  return (
    <div className="page">
      <header className="page__header page__header--row">
        <div>
          <h2>Sign-in history</h2>
          <p className="muted">Every step of every sign-in, newest first. Identifiers are masked.</p>
        </div>
        <CsvExport url={csvExportUrl(appId, where)} />
      </header>
      <form className="filters" onSubmit={submit} role="search" aria-label="Filter sign-in history">
        <Field label="User ID" name="userId" value={form.userId} onChange={set('userId')} error={whereError('userId')} />
        <Field label="Identifier" name="identifier" value={form.identifier} onChange={set('identifier')} hint="Email, phone or username, exact." error={whereError('identifier')} />
        <Field label="Client ID" name="clientId" value={form.clientId} onChange={set('clientId')} error={whereError('clientId')} />
        <SelectField label="Kind" name="kind" value={form.kind} onChange={set('kind')}>
          <option value="">Any</option>
          {EVENT_KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </SelectField>
        <SelectField label="Outcome" name="outcome" value={form.outcome} onChange={set('outcome')}>
          <option value="">Any</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </SelectField>
        <Field label="IP address" name="ipAddress" value={form.ipAddress} onChange={set('ipAddress')} error={whereError('ipAddress')} />
        <Field label="From" name="from" type="datetime-local" value={form.from} onChange={set('from')} error={whereError('from')} />
        <Field label="To" name="to" type="datetime-local" value={form.to} onChange={set('to')} error={whereError('to')} />
        <div className="filters__actions">
          <Button type="submit">Apply filters</Button>
          <Button
            variant="link"
            onClick={() => {
              setForm(readFilters(new URLSearchParams()))
              setParams(new URLSearchParams())
            }}
          >
            Clear
          </Button>
        </div>
      </form>
      <QueryView loading={paged.loading} error={paged.error} onRetry={paged.reload} label="Loading sign-in history…">
        {paged.items.length === 0 ? (
          <p className="muted">No sign-in events match.</p>
        ) : (
          <EventsTable events={paged.items} appId={appId} />
        )}
        <LoadMore shown={paged.items.length} total={paged.total} hasNext={paged.hasNext} busy={paged.loadingMore} onMore={paged.more} error={paged.moreError} />
      </QueryView>
    </div>
  )
}

function EventsTable({ events, appId }: { events: SignInEvent[]; appId: string }) {
  const can = useCan()
  return (
    <div className="table-wrap">
      <table className="table table--dense">
        <caption className="visually-hidden">Sign-in events</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Outcome</th>
            <th scope="col">Identifier</th>
            <th scope="col">Strategy</th>
            <th scope="col">Reason</th>
            <th scope="col">IP address</th>
            <th scope="col">Client</th>
            <th scope="col">Device</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id}>
              <td className="nowrap">
                <Time value={e.at} />
              </td>
              <td>
                <code>{e.kind}</code>
              </td>
              <td>
                <OutcomeBadge outcome={e.outcome} />
              </td>
              <td>
                {e.userId && can('users:read') ? <Link to={`/dashboard/apps/${appId}/users/${e.userId}`}>{e.identifier}</Link> : e.identifier}
              </td>
              <td>{e.strategy ?? '—'}</td>
              <td>{e.reason ?? '—'}</td>
              <td>{e.ipAddress}</td>
              <td>{e.clientId ? <code className="small">{e.clientId}</code> : '—'}</td>
              <td>
                <span className="ua" title={e.userAgent}>
                  {describeUserAgent(e.userAgent)}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/**
 * CsvExport links to the CSV export with the current filters. The export needs the operator's session token,
 * which a plain link cannot send, so a click fetches it with the token and saves the file.
 */
function CsvExport({ url }: { url: string }) {
  const api = useAdmin()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<TrustgateAPIResponseErrorLike | null>(null)
  const download = async () => {
    setBusy(true)
    setError(null)
    const r = await api.download(url, 'sign-in-events.csv')
    setBusy(false)
    setError(r.error)
  }
  return (
    <div className="csv-export">
      <a
        href={url}
        className="btn btn--secondary"
        download="sign-in-events.csv"
        aria-busy={busy || undefined}
        onClick={(e) => {
          e.preventDefault()
          if (!busy) void download()
        }}
      >
        {busy && <span className="spinner" aria-hidden="true" />}
        Export CSV
      </a>
      <ErrorList errors={error?.errors} />
    </div>
  )
}
