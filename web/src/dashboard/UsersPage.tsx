import { useState, type FormEvent } from 'react'
import { Link, useParams, useSearchParams } from 'react-router'
import { Button } from '../ui/Button'
import { Field } from '../ui/Field'
import { SelectField } from './fields'
import { usePaged } from './hooks'
import { UsersQuery, type Connection, type UserSummary } from './operations'
import { Badge, LoadMore, QueryView, Time } from './ui'

const PAGE = 25

/** userLabel is how a user is named in lists: primary email, else phone, else username, else id. */
export function userLabel(u: Pick<UserSummary, 'id' | 'username' | 'emailAddresses' | 'phoneNumbers' | 'primaryEmailAddressId'>): string {
  const email = u.emailAddresses.find((e) => e.id === u.primaryEmailAddressId) ?? u.emailAddresses[0]
  return email?.emailAddress ?? u.phoneNumbers[0]?.phoneNumber ?? u.username ?? u.id
}

/** UserBadges shows a user's state: locked, banned, MFA. */
export function UserBadges({ user }: { user: Pick<UserSummary, 'locked' | 'banned' | 'twoFactorEnabled'> }) {
  return (
    <span className="badges">
      {user.banned && <Badge tone="danger">Banned</Badge>}
      {user.locked && <Badge tone="warn">Locked</Badge>}
      {user.twoFactorEnabled ? <Badge tone="ok">MFA</Badge> : <Badge>No MFA</Badge>}
    </span>
  )
}

type TriState = '' | 'true' | 'false'

function tri(v: string | null): TriState {
  return v === 'true' || v === 'false' ? v : ''
}

/** UsersPage searches an application's users by email, phone or id, with the locked, banned and MFA filters. */
export function UsersPage() {
  const { appId = '' } = useParams()
  const [params, setParams] = useSearchParams()
  const query = params.get('q') ?? ''
  const locked = tri(params.get('locked'))
  const banned = tri(params.get('banned'))
  const mfa = tri(params.get('mfa'))
  const [form, setForm] = useState({ query, locked, banned, mfa })
  // The address changed (a tab link, Back): the form shows the search the list now applies.
  const appliedKey = JSON.stringify({ query, locked, banned, mfa })
  const [shownKey, setShownKey] = useState(appliedKey)
  if (appliedKey !== shownKey) {
    setShownKey(appliedKey)
    setForm({ query, locked, banned, mfa })
  }

  const where: Record<string, unknown> = {}
  if (query) where.query = query
  if (locked) where.locked = locked === 'true'
  if (banned) where.banned = banned === 'true'
  if (mfa) where.twoFactorEnabled = mfa === 'true'

  const paged = usePaged<UserSummary, { users: Connection<UserSummary> }>(
    UsersQuery,
    { applicationId: appId, first: PAGE, where: Object.keys(where).length ? where : null },
    (d) => d.users,
  )

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const next = new URLSearchParams()
    if (form.query.trim()) next.set('q', form.query.trim())
    if (form.locked) next.set('locked', form.locked)
    if (form.banned) next.set('banned', form.banned)
    if (form.mfa) next.set('mfa', form.mfa)
    setParams(next)
  }

  return (
    <div className="page">
      <header className="page__header">
        <h2>Users</h2>
      </header>
      <form className="filters" onSubmit={submit} role="search" aria-label="Search users">
        <Field
          label="Email, phone or user ID"
          name="q"
          type="search"
          placeholder="jane@example.com, +15551234567 or user_…"
          value={form.query}
          onChange={(e) => setForm({ ...form, query: e.target.value })}
          hint="Matches exactly, after normalising."
        />
        <SelectField label="Locked" name="locked" value={form.locked} onChange={(e) => setForm({ ...form, locked: tri(e.target.value) })}>
          <option value="">Any</option>
          <option value="true">Locked</option>
          <option value="false">Not locked</option>
        </SelectField>
        <SelectField label="Banned" name="banned" value={form.banned} onChange={(e) => setForm({ ...form, banned: tri(e.target.value) })}>
          <option value="">Any</option>
          <option value="true">Banned</option>
          <option value="false">Not banned</option>
        </SelectField>
        <SelectField label="MFA" name="mfa" value={form.mfa} onChange={(e) => setForm({ ...form, mfa: tri(e.target.value) })}>
          <option value="">Any</option>
          <option value="true">MFA on</option>
          <option value="false">MFA off</option>
        </SelectField>
        <div className="filters__actions">
          <Button type="submit">Search</Button>
          <Button
            variant="link"
            onClick={() => {
              setForm({ query: '', locked: '', banned: '', mfa: '' })
              setParams(new URLSearchParams())
            }}
          >
            Clear
          </Button>
        </div>
      </form>
      <QueryView loading={paged.loading} error={paged.error} onRetry={paged.reload} label="Loading users…">
        {paged.items.length === 0 ? (
          <p className="muted">No users match.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">Users</caption>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {paged.items.map((u) => (
                  <tr key={u.id}>
                    <th scope="row">
                      <Link to={`/dashboard/apps/${appId}/users/${u.id}`}>{userLabel(u)}</Link>
                      <div className="muted small">
                        <code>{u.id}</code>
                      </div>
                    </th>
                    <td>
                      <UserBadges user={u} />
                    </td>
                    <td>
                      <Time value={u.lastSignInAt} />
                    </td>
                    <td>
                      <Time value={u.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <LoadMore shown={paged.items.length} total={paged.total} hasNext={paged.hasNext} busy={paged.loadingMore} onMore={paged.more} error={paged.moreError} />
      </QueryView>
    </div>
  )
}
