import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { useParams } from 'react-router'
import { Alert, ErrorList } from '../ui/Alert'
import { Button } from '../ui/Button'
import { Field } from '../ui/Field'
import { SelectField } from './fields'
import { fieldError, otherErrors, useAdminMutation, useAdminQuery } from './hooks'
import {
  AccessQuery,
  CreateAPIKey,
  GrantRole,
  RevokeAPIKey,
  RevokeRole,
  type APIKey,
  type RoleAssignment,
} from './operations'
import { ALL_APPS, hasPermission, ROLE_DESCRIPTIONS, ROLES } from './permissions'
import { Badge, ConfirmButton, Notice, QueryView, Time } from './ui'
import { useCan, useViewer } from './viewer'

interface AccessData {
  roleAssignments?: RoleAssignment[]
  apiKeys?: APIKey[]
}

function scopeLabel(applicationId: string) {
  return applicationId === ALL_APPS ? <Badge tone="accent">All applications</Badge> : <span>This application</span>
}

/**
 * AccessPage manages who may do what in an application: role assignments of operators and API keys (grant,
 * revoke), and API keys (create, showing the secret once; revoke). Grants in `*` are shown too when the
 * operator may read them.
 */
export function AccessPage() {
  const { appId = '' } = useParams()
  const can = useCan()
  const { global } = useViewer()
  const readRoles = can('roles:read')
  const readKeys = can('keys:read')
  // Global rows can be read only with a grant in `*`; asking otherwise would only be refused (and audited).
  const globalRead = hasPermission(global, 'roles:read') && hasPermission(global, 'keys:read')
  const q = useAdminQuery<AccessData>(AccessQuery, {
    applicationId: globalRead ? null : appId,
    withRoles: readRoles,
    withKeys: readKeys,
  })
  // Computed once per answer of the query: the sections forget what they revoked locally when it changes.
  const [roles, keys] = useMemo(() => {
    const inScope = (a: { applicationId: string }) => a.applicationId === appId || a.applicationId === ALL_APPS
    return [(q.data?.roleAssignments ?? []).filter(inScope), (q.data?.apiKeys ?? []).filter(inScope)] as const
  }, [q.data, appId])
  const scopes = [{ value: appId, label: 'This application' }, ...(hasPermission(global, 'roles:grant') ? [{ value: ALL_APPS, label: 'All applications (*)' }] : [])]
  const keyScopes = [{ value: appId, label: 'This application' }, ...(hasPermission(global, 'keys:create') ? [{ value: ALL_APPS, label: 'All applications (*)' }] : [])]
  // A new key's secret is held here, outside the list's query: it can never be read again, so a failed reload of
  // the list must not take it off the screen.
  const [secret, setSecret] = useState<{ key: string; apiKey: APIKey } | null>(null)

  return (
    <div className="page">
      <header className="page__header">
        <h2>Roles and API keys</h2>
        <p className="muted">Operators and API keys act through roles. A role in “All applications” applies everywhere.</p>
      </header>
      {/* Keyed by the key: a second new key starts as not copied. */}
      {secret && <NewKeySecret key={secret.apiKey.id} secret={secret} onDismiss={() => setSecret(null)} />}
      <QueryView loading={q.loading} error={q.error} onRetry={q.reload} label="Loading roles and keys…">
        {readRoles && <RolesSection appId={appId} roles={roles} scopes={scopes} canGrant={can('roles:grant')} onChange={q.reload} />}
        {readKeys && (
          <KeysSection appId={appId} keys={keys} scopes={keyScopes} canCreate={can('keys:create')} onChange={q.reload} onCreated={setSecret} />
        )}
      </QueryView>
      <section className="panel" aria-labelledby="roles-help">
        <h3 id="roles-help">What each role may do</h3>
        <dl className="summary">
          {ROLES.map((r) => (
            <div key={r} className="summary__row">
              <dt>{r}</dt>
              <dd>{ROLE_DESCRIPTIONS[r]}</dd>
            </div>
          ))}
        </dl>
      </section>
    </div>
  )
}

function RolesSection({
  appId,
  roles,
  scopes,
  canGrant,
  onChange,
}: {
  appId: string
  roles: RoleAssignment[]
  scopes: { value: string; label: string }[]
  canGrant: boolean
  onChange: () => void
}) {
  const grant = useAdminMutation()
  const revoke = useAdminMutation()
  const [form, setForm] = useState({ subject: '', role: 'auditor', applicationId: appId })
  const [notice, setNotice] = useState<string | null>(null)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setNotice(null)
    const r = await grant.run<{ grantRole: RoleAssignment }>(GrantRole, { input: { ...form, subject: form.subject.trim() } })
    if (r) {
      setNotice(`Granted ${r.grantRole.role} to ${r.grantRole.subject}.`)
      setForm({ ...form, subject: '' })
      onChange()
    }
  }

  // Revoked here before the list is read again, so the dialog closes on a table without the row (focus then goes
  // to the section's heading, not to a button about to vanish); forgotten once the list has been read again.
  const [gone, setGone] = useState<ReadonlySet<string>>(new Set())
  useEffect(() => setGone(new Set()), [roles])
  const shown = roles.filter((a) => !gone.has(roleKey(a)))

  const revokeOne = (a: RoleAssignment) => async () => {
    setNotice(null)
    const r = await revoke.run<{ revokeRole: boolean }>(RevokeRole, {
      input: { subject: a.subject, role: a.role, applicationId: a.applicationId },
    })
    if (r === null) return false
    setGone((g) => new Set(g).add(roleKey(a)))
    setNotice(`Revoked ${a.role} from ${a.subject}.`)
    onChange()
    return true
  }

  return (
    <section className="panel" aria-labelledby="roles-title">
      <h3 id="roles-title">Role assignments</h3>
      {notice && <Notice>{notice}</Notice>}
      {shown.length === 0 ? (
        <p className="muted">No roles in this application.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Role assignments</caption>
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">Role</th>
                <th scope="col">Scope</th>
                <th scope="col">Granted</th>
                {canGrant && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {shown.map((a) => (
                <tr key={roleKey(a)}>
                  <th scope="row">{a.subject}</th>
                  <td>
                    <code>{a.role}</code>
                  </td>
                  <td>{scopeLabel(a.applicationId)}</td>
                  <td>
                    <Time value={a.createdAt} />
                  </td>
                  {canGrant && (
                    <td>
                      {(a.applicationId === appId || scopes.some((s) => s.value === ALL_APPS)) && (
                        <ConfirmButton
                          title={`Revoke ${a.role} from ${a.subject}?`}
                          description="The change applies at once, on every server."
                          confirmLabel="Revoke role"
                          onConfirm={revokeOne(a)}
                          errors={revoke.error?.errors}
                          aria-label={`Revoke ${a.role} from ${a.subject}`}
                        >
                          Revoke
                        </ConfirmButton>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canGrant && (
        <form className="form form--grid" onSubmit={submit} noValidate aria-labelledby="grant-title">
          <h4 id="grant-title">Grant a role</h4>
          <ErrorList errors={otherErrors(grant.error, ['subject', 'role', 'applicationId'])} />
          <Field
            label="Operator email or API key ID"
            name="subject"
            value={form.subject}
            onChange={(e) => setForm({ ...form, subject: e.target.value })}
            error={fieldError(grant.error, 'subject')}
            placeholder="ops@example.com or ak_…"
            required
          />
          <SelectField label="Role" name="role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })} error={fieldError(grant.error, 'role')}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </SelectField>
          <SelectField
            label="Scope"
            name="grant-scope"
            value={form.applicationId}
            onChange={(e) => setForm({ ...form, applicationId: e.target.value })}
            error={fieldError(grant.error, 'applicationId')}
          >
            {scopes.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </SelectField>
          <div>
            <Button type="submit" busy={grant.busy} disabled={form.subject.trim() === ''}>
              Grant role
            </Button>
          </div>
        </form>
      )}
    </section>
  )
}

function KeysSection({
  appId,
  keys,
  scopes,
  canCreate,
  onChange,
  onCreated,
}: {
  appId: string
  keys: APIKey[]
  scopes: { value: string; label: string }[]
  canCreate: boolean
  onChange: () => void
  onCreated: (secret: { key: string; apiKey: APIKey }) => void
}) {
  const create = useAdminMutation()
  const revoke = useAdminMutation()
  const [form, setForm] = useState({ name: '', role: 'auditor', applicationId: appId })
  const [notice, setNotice] = useState<string | null>(null)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setNotice(null)
    const r = await create.run<{ createAPIKey: { key: string; apiKey: APIKey } }>(CreateAPIKey, {
      input: { name: form.name.trim() || null, role: form.role, applicationId: form.applicationId },
    })
    if (r) {
      onCreated(r.createAPIKey)
      setForm({ ...form, name: '' })
      onChange()
    }
  }

  // A key revoked here shows so at once (its Revoke button gone before the dialog closes, as for roles above).
  const [revokedNow, setRevokedNow] = useState<Readonly<Record<string, APIKey>>>({})
  useEffect(() => setRevokedNow({}), [keys])
  const shownKeys = keys.map((k) => revokedNow[k.id] ?? k)

  const revokeOne = (k: APIKey) => async () => {
    setNotice(null)
    const r = await revoke.run<{ revokeAPIKey: APIKey }>(RevokeAPIKey, { id: k.id })
    if (!r) return false
    setRevokedNow((m) => ({ ...m, [k.id]: { ...k, ...r.revokeAPIKey } }))
    setNotice(`Revoked ${k.name || k.prefix + '…'}.`)
    onChange()
    return true
  }

  return (
    <section className="panel" aria-labelledby="keys-title">
      <h3 id="keys-title">API keys</h3>
      <p className="muted small">Secret keys (sk_…) for servers and scripts: send them as Authorization: Bearer.</p>
      {notice && <Notice>{notice}</Notice>}
      {keys.length === 0 ? (
        <p className="muted">No API keys for this application.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Role</th>
                <th scope="col">Scope</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                {canCreate && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {shownKeys.map((k) => (
                <tr key={k.id}>
                  <th scope="row">
                    {k.name || <span className="muted">Unnamed</span>}
                    <div className="muted small">
                      <code>{k.id}</code>
                    </div>
                  </th>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>
                    <code>{k.role}</code>
                  </td>
                  <td>{scopeLabel(k.applicationId)}</td>
                  <td>
                    <Time value={k.createdAt} />
                  </td>
                  <td>
                    <Time value={k.lastUsedAt} />
                  </td>
                  <td>{k.revokedAt ? <Badge tone="danger">Revoked</Badge> : <Badge tone="ok">Active</Badge>}</td>
                  {canCreate && (
                    <td>
                      {k.revocable && (
                        <ConfirmButton
                          title={`Revoke ${k.name || k.prefix + '…'}?`}
                          description="Requests with this key fail from now on. This cannot be undone."
                          confirmLabel="Revoke key"
                          onConfirm={revokeOne(k)}
                          errors={revoke.error?.errors}
                          aria-label={`Revoke key ${k.name || k.prefix}`}
                        >
                          Revoke
                        </ConfirmButton>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canCreate && (
        <form className="form form--grid" onSubmit={submit} noValidate aria-labelledby="new-key-title">
          <h4 id="new-key-title">Create an API key</h4>
          <ErrorList errors={otherErrors(create.error, ['name', 'role', 'applicationId'])} />
          <Field label="Name" name="key-name" optional value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} error={fieldError(create.error, 'name')} placeholder="CI deploys" />
          <SelectField label="Role" name="key-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })} error={fieldError(create.error, 'role')}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </SelectField>
          <SelectField label="Scope" name="key-scope" value={form.applicationId} onChange={(e) => setForm({ ...form, applicationId: e.target.value })} error={fieldError(create.error, 'applicationId')}>
            {scopes.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </SelectField>
          <div>
            <Button type="submit" busy={create.busy}>
              Create key
            </Button>
          </div>
        </form>
      )}
      {!canCreate && keys.length > 0 && <Alert tone="info">Your role can see keys but not create or revoke them.</Alert>}
    </section>
  )
}

/** NewKeySecret shows a new API key's secret, the only time it can be read, until the operator dismisses it. */
function NewKeySecret({ secret, onDismiss }: { secret: { key: string; apiKey: APIKey }; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret.key)
      setCopied(true)
    } catch {
      setCopied(false)
    }
  }

  return (
    <div className="secret-once" role="region" aria-labelledby="secret-title">
      <h3 id="secret-title">Your new key: copy it now</h3>
      <p>This is the only time the secret is shown. Store it somewhere safe; trustgate keeps only a hash.</p>
      <p>
        <code className="secret" data-testid="new-api-key">
          {secret.key}
        </code>
      </p>
      <div className="actions">
        <Button variant="secondary" onClick={copy}>
          {copied ? 'Copied' : 'Copy key'}
        </Button>
        <Button variant="link" onClick={onDismiss}>
          I have stored it
        </Button>
      </div>
      <span className="visually-hidden" role="status">
        {copied ? 'The key was copied to the clipboard.' : ''}
      </span>
    </div>
  )
}

/** roleKey names one role assignment. */
function roleKey(a: RoleAssignment): string {
  return `${a.subject}-${a.role}-${a.applicationId}`
}
