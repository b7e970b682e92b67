import { useParams } from 'react-router'
import { usePaged } from './hooks'
import { AuditEventsQuery, type AuditEvent, type Connection } from './operations'
import { Badge, LoadMore, QueryView, Time } from './ui'

const PAGE = 50

/** parseJSON reads the before/after JSON text of an audit event; anything else is shown as text. */
function parseJSON(text: string | null): Record<string, unknown> | null {
  if (!text) return null
  try {
    const v = JSON.parse(text) as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v }
  } catch {
    return { value: text }
  }
}

function show(v: unknown): string {
  if (v === null) return 'null'
  if (v === undefined) return '—'
  return typeof v === 'string' ? v : JSON.stringify(v)
}

/** changes pairs the before and after values of every field an audit event names. */
export function changes(before: string | null, after: string | null): { field: string; before: unknown; after: unknown }[] {
  const b = parseJSON(before) ?? {}
  const a = parseJSON(after) ?? {}
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])]
  return fields.map((field) => ({ field, before: b[field], after: a[field] }))
}

/** AuditPage is the application's audit log: who changed what, newest first, with the changed fields. */
export function AuditPage() {
  const { appId = '' } = useParams()
  const paged = usePaged<AuditEvent, { auditEvents: Connection<AuditEvent> }>(
    AuditEventsQuery,
    { applicationId: appId, first: PAGE },
    (d) => d.auditEvents,
  )
  return (
    <div className="page">
      <header className="page__header">
        <h2>Audit log</h2>
        <p className="muted">Every change made by an operator or API key, and every refused attempt (permission_denied).</p>
      </header>
      <QueryView loading={paged.loading} error={paged.error} onRetry={paged.reload} label="Loading the audit log…">
        {paged.items.length === 0 ? (
          <p className="muted">Nothing has been changed yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table table--dense">
              <caption className="visually-hidden">Audit events</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Changes</th>
                  <th scope="col">IP address</th>
                </tr>
              </thead>
              <tbody>
                {paged.items.map((e) => {
                  const diff = changes(e.before, e.after)
                  return (
                    <tr key={e.id}>
                      <td className="nowrap">
                        <Time value={e.at} />
                      </td>
                      <td>{e.actor}</td>
                      <td>{e.action === 'permission_denied' ? <Badge tone="danger">permission_denied</Badge> : <code>{e.action}</code>}</td>
                      <td>
                        <span className="muted small">{e.targetType}</span> <code className="small">{e.targetId}</code>
                      </td>
                      <td>
                        {diff.length === 0 ? (
                          <span className="muted">—</span>
                        ) : (
                          <ul className="changes">
                            {diff.map((c) => (
                              <li key={c.field}>
                                <code>{c.field}</code>:{' '}
                                {c.before !== undefined && (
                                  <>
                                    <span className="changes__before">{show(c.before)}</span>
                                    <span aria-hidden="true"> → </span>
                                    <span className="visually-hidden"> changed to </span>
                                  </>
                                )}
                                <span className="changes__after">{show(c.after)}</span>
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                      <td>{e.ipAddress}</td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        )}
        <LoadMore shown={paged.items.length} total={paged.total} hasNext={paged.hasNext} busy={paged.loadingMore} onMore={paged.more} error={paged.moreError} />
      </QueryView>
    </div>
  )
}
