import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { Field } from '../ui/Field'
import { Button } from '../ui/Button'
import { ErrorList } from '../ui/Alert'
import { fieldError, otherErrors, useAdminMutation, useAdminQuery } from './hooks'
import { ApplicationsQuery, CreateApplication, type Application } from './operations'
import { hasPermission } from './permissions'
import { Badge, Notice, QueryView, Time } from './ui'
import { useViewer } from './viewer'

/** ApplicationsPage lists the applications the operator may read, and creates one when their role allows. */
export function ApplicationsPage() {
  const { global, dashboardKey } = useViewer()
  const q = useAdminQuery<{ applications: Application[] }>(ApplicationsQuery)
  const apps = q.data?.applications ?? []
  return (
    <div className="page">
      <header className="page__header">
        <h1>Applications</h1>
        <p className="muted">Choose an application to see its users, sign-in history and settings.</p>
      </header>
      <QueryView loading={q.loading} error={q.error} onRetry={q.reload} label="Loading applications…">
        {apps.length === 0 ? (
          <p className="muted">No applications you can see yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">Applications</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Application ID</th>
                  <th scope="col">Publishable key</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {apps.map((a) => (
                  <tr key={a.id}>
                    <th scope="row">
                      <Link to={`/dashboard/apps/${a.id}`}>{a.name}</Link>{' '}
                      {a.publishableKey === dashboardKey && <Badge tone="accent">Operators sign in here</Badge>}
                    </th>
                    <td>
                      <code>{a.id}</code>
                    </td>
                    <td>
                      <code>{a.publishableKey}</code>
                    </td>
                    <td>
                      <Time value={a.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      {hasPermission(global, 'applications:create') && <CreateApplicationForm onCreated={q.reload} />}
    </div>
  )
}

function CreateApplicationForm({ onCreated }: { onCreated: () => void }) {
  const m = useAdminMutation()
  const [name, setName] = useState('')
  const [created, setCreated] = useState<Application | null>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const r = await m.run<{ createApplication: Application }>(CreateApplication, { input: { name: name.trim() } })
    if (r) {
      setCreated(r.createApplication)
      setName('')
      onCreated()
    }
  }
  return (
    <section className="panel" aria-labelledby="new-app-title">
      <h2 id="new-app-title">New application</h2>
      <p className="muted">
        A new application gets the defaults of every dated update in force today; its Updates list shows them.
      </p>
      {created && (
        <Notice>
          Created <strong>{created.name}</strong> with publishable key <code>{created.publishableKey}</code>.
        </Notice>
      )}
      <ErrorList errors={otherErrors(m.error, ['name'])} />
      <form className="form form--inline" onSubmit={submit} noValidate>
        <Field label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(m.error, 'name')} required />
        <Button type="submit" busy={m.busy} disabled={name.trim() === ''}>
          Create application
        </Button>
      </form>
    </section>
  )
}
