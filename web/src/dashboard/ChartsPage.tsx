import { useEffect, useMemo, useState, type ReactElement, type ReactNode } from 'react'
import { useParams } from 'react-router'
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts'
import type { Result, TrustgateAPIResponseErrorLike } from '@trustgate/react'
import { Alert } from '../ui/Alert'
import { useAdmin } from './api'
import { HOUR_MS, hourLabel, hourlySeries, totals, type HourBucket } from './charts'
import { SelectField } from './fields'
import { nodes, SignInEventsQuery, type Connection, type PageInfo, type SignInEvent } from './operations'
import { QueryView } from './ui'

/** PAGE_SIZE and MAX_PAGES bound how many events the charts read (the server allows 500 a page). */
const PAGE_SIZE = 500
const MAX_PAGES = 20

const RANGES = [
  { value: '24', label: 'Last 24 hours' },
  { value: '72', label: 'Last 3 days' },
  { value: '168', label: 'Last 7 days' },
] as const

const COLORS = {
  completed: '#1b9e5a',
  failed: '#d64545',
  challenged: '#d99a1a',
  started: '#8a94a6',
  challenges: '#d99a1a',
  completions: '#4f46e5',
  failureRate: '#d64545',
}

interface Loaded {
  events: SignInEvent[]
  truncated: boolean
  from: number
  to: number
}

/** useEventWindow reads every sign-in event of the last `hours` hours, page by page (bounded). */
function useEventWindow(appId: string, hours: number, tick: number) {
  const api = useAdmin()
  const [state, setState] = useState<{ data: Loaded | null; error: TrustgateAPIResponseErrorLike | null; loading: boolean; pages: number }>({
    data: null,
    error: null,
    loading: true,
    pages: 0,
  })
  useEffect(() => {
    let live = true
    const to = Date.now()
    const from = to - hours * HOUR_MS
    const where = { from: new Date(from).toISOString(), to: new Date(to).toISOString() }
    setState({ data: null, error: null, loading: true, pages: 0 })
    void (async () => {
      const events: SignInEvent[] = []
      let after: string | null = null
      for (let page = 0; page < MAX_PAGES; page++) {
        const r: Result<{ signInEvents: Connection<SignInEvent> }> = await api.request<{ signInEvents: Connection<SignInEvent> }>(SignInEventsQuery, {
          applicationId: appId,
          first: PAGE_SIZE,
          after,
          where,
        })
        if (!live) return
        if (r.error) {
          setState({ data: null, error: r.error, loading: false, pages: page })
          return
        }
        events.push(...nodes(r.data.signInEvents))
        setState((s) => ({ ...s, pages: page + 1 }))
        const info: PageInfo = r.data.signInEvents.pageInfo
        if (!info.hasNextPage || !info.endCursor) {
          setState({ data: { events, truncated: false, from, to }, error: null, loading: false, pages: page + 1 })
          return
        }
        after = info.endCursor
      }
      setState({ data: { events, truncated: true, from, to }, error: null, loading: false, pages: MAX_PAGES })
    })()
    return () => {
      live = false
    }
  }, [api, appId, hours, tick])
  return state
}

/**
 * ChartsPage draws sign-ins per hour by outcome, Client Trust challenges against completions, and the failure
 * rate, from the application's sign-in events. Each chart has its numbers as a table too.
 */
export function ChartsPage() {
  const { appId = '' } = useParams()
  const [hours, setHours] = useState(24)
  const [tick, setTick] = useState(0)
  const w = useEventWindow(appId, hours, tick)
  const series = useMemo(() => (w.data ? hourlySeries(w.data.events, w.data.from, w.data.to) : []), [w.data])
  const sum = useMemo(() => totals(series), [series])
  const withDay = hours > 24
  const rows = series.map((b) => ({ ...b, label: hourLabel(b.hour, withDay) }))

  return (
    <div className="page">
      <header className="page__header page__header--row">
        <div>
          <h2>Charts</h2>
          <p className="muted">Computed from the sign-in history in your browser.</p>
        </div>
        <SelectField label="Time range" name="range" value={String(hours)} onChange={(e) => setHours(Number(e.target.value))}>
          {RANGES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </SelectField>
      </header>
      <QueryView
        loading={w.loading}
        error={w.error}
        onRetry={() => setTick((t) => t + 1)}
        label={w.pages > 0 ? `Reading sign-in events… (${w.pages * PAGE_SIZE} so far)` : 'Reading sign-in events…'}
      >
        {w.data && (
          <>
            {w.data.truncated && (
              <Alert tone="info">
                Only the newest {w.data.events.length} events are counted; older hours of this range may be incomplete.
              </Alert>
            )}
            <p className="chart-summary">
              <strong>{sum.completed}</strong> completed, <strong>{sum.failed}</strong> failed, <strong>{sum.challenged}</strong> waiting for
              a code; <strong>{sum.challenges}</strong> Client Trust challenges, <strong>{sum.completions}</strong> completed after one;
              failure rate <strong>{sum.failureRate === null ? '—' : `${sum.failureRate}%`}</strong>.
            </p>
            <ChartFigure
              id="chart-outcomes"
              title="Sign-ins per hour by outcome"
              description="Sign-in attempts by the hour they began: completed, failed (a wrong password or code, lockout, ban…), waiting at a code or MFA step, or only started."
              table={<DataTable rows={rows} columns={[['completed', 'Completed'], ['failed', 'Failed'], ['challenged', 'Waiting for a code'], ['started', 'Started']]} />}
            >
              <BarChart data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.4} />
                <XAxis dataKey="label" minTickGap={16} fontSize={12} />
                <YAxis allowDecimals={false} fontSize={12} />
                <Tooltip />
                <Legend />
                <Bar dataKey="completed" name="Completed" stackId="a" fill={COLORS.completed} isAnimationActive={false} />
                <Bar dataKey="failed" name="Failed" stackId="a" fill={COLORS.failed} isAnimationActive={false} />
                <Bar dataKey="challenged" name="Waiting for a code" stackId="a" fill={COLORS.challenged} isAnimationActive={false} />
                <Bar dataKey="started" name="Started" stackId="a" fill={COLORS.started} isAnimationActive={false} />
              </BarChart>
            </ChartFigure>
            <ChartFigure
              id="chart-client-trust"
              title="Client Trust challenges and completions"
              description="New-device challenges (client_trust.required) per hour, against sign-ins that completed after one."
              table={<DataTable rows={rows} columns={[['challenges', 'Challenges'], ['completions', 'Completions']]} />}
            >
              <BarChart data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.4} />
                <XAxis dataKey="label" minTickGap={16} fontSize={12} />
                <YAxis allowDecimals={false} fontSize={12} />
                <Tooltip />
                <Legend />
                <Bar dataKey="challenges" name="Challenges" fill={COLORS.challenges} isAnimationActive={false} />
                <Bar dataKey="completions" name="Completions" fill={COLORS.completions} isAnimationActive={false} />
              </BarChart>
            </ChartFigure>
            <ChartFigure
              id="chart-failure-rate"
              title="Failure rate"
              description="Failed attempts as a share of finished (completed or failed) attempts, per hour."
              table={<DataTable rows={rows} columns={[['failureRate', 'Failure rate (%)']]} />}
            >
              <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.4} />
                <XAxis dataKey="label" minTickGap={16} fontSize={12} />
                <YAxis domain={[0, 100]} unit="%" fontSize={12} />
                <Tooltip />
                <Legend />
                <Line type="monotone" dataKey="failureRate" name="Failure rate (%)" stroke={COLORS.failureRate} connectNulls dot={{ r: 3 }} isAnimationActive={false} />
              </LineChart>
            </ChartFigure>
          </>
        )}
      </QueryView>
    </div>
  )
}

function ChartFigure({ id, title, description, table, children }: { id: string; title: string; description: string; table: ReactNode; children: ReactNode }) {
  return (
    <figure className="chart" aria-labelledby={`${id}-title`} aria-describedby={`${id}-desc`}>
      <figcaption>
        <h3 id={`${id}-title`}>{title}</h3>
        <p id={`${id}-desc`} className="muted small">
          {description}
        </p>
      </figcaption>
      <div className="chart__canvas" aria-hidden="true">
        <ResponsiveContainer width="100%" height={260} initialDimension={{ width: 640, height: 260 }}>
          {children as ReactElement}
        </ResponsiveContainer>
      </div>
      <details className="chart__data">
        <summary>Show the numbers</summary>
        {table}
      </details>
    </figure>
  )
}

function DataTable({ rows, columns }: { rows: (HourBucket & { label: string })[]; columns: [keyof HourBucket, string][] }) {
  const shown = rows.filter((r) => columns.some(([k]) => (r[k] ?? 0) !== 0))
  if (shown.length === 0) return <p className="muted">No sign-ins in this range.</p>
  return (
    <div className="table-wrap">
      <table className="table table--dense">
        <thead>
          <tr>
            <th scope="col">Hour</th>
            {columns.map(([k, l]) => (
              <th key={k} scope="col">
                {l}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr key={r.hour}>
              <th scope="row">
                <time dateTime={new Date(r.hour).toISOString()}>{r.label}</time>
              </th>
              {columns.map(([k]) => (
                <td key={k}>{r[k] ?? '—'}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
