import { useState } from 'react'
import { Link, useParams } from 'react-router'
import { Badge, ConfirmButton, describeUserAgent, Notice, QueryView, Time } from './ui'
import { useAdminMutation, useAdminQuery } from './hooks'
import {
  BanUser,
  LockUser,
  ResetUserMfa,
  RevokeSession,
  RevokeTrustedClients,
  UnbanUser,
  UnlockUser,
  UserQuery,
  type AdminOperation,
  type UserDetail,
} from './operations'
import { UserBadges, userLabel } from './UsersPage'
import { useCan } from './viewer'
import { formatDuration } from '../ui/Alert'

const STRATEGY_LABELS: Record<string, string> = {
  totp: 'Authenticator app',
  phone_code: 'SMS code',
  backup_code: 'Backup codes',
  email_code: 'Email code',
}

/**
 * UserDetailPage shows one user: identifiers, enrolled factors, devices with their trust, sessions; and the
 * actions the operator's role allows (lock/unlock, ban/unban, reset MFA, revoke a session, revoke trusted
 * devices), each behind a confirmation.
 */
export function UserDetailPage() {
  const { userId = '', appId = '' } = useParams()
  const q = useAdminQuery<{ user: UserDetail | null }>(UserQuery, { id: userId })
  const user = q.data?.user
  return (
    <div className="page">
      <p>
        <Link to={`/dashboard/apps/${appId}/users`}>← All users</Link>
      </p>
      <QueryView loading={q.loading} error={q.error} onRetry={q.reload} label="Loading the user…">
        {!user ? (
          <>
            <h2>User not found</h2>
            <p className="muted">There is no user <code>{userId}</code>.</p>
          </>
        ) : (
          <UserView user={user} appId={appId} onChange={(u) => q.setData({ user: u })} reload={q.reload} />
        )}
      </QueryView>
    </div>
  )
}

function UserView({ user, appId, onChange, reload }: { user: UserDetail; appId: string; onChange: (u: UserDetail) => void; reload: () => void }) {
  const can = useCan()
  const m = useAdminMutation()
  const [notice, setNotice] = useState<string | null>(null)
  const label = userLabel(user)

  const act = (op: AdminOperation, field: string, done: string, variables: Record<string, unknown> = { id: user.id }) => async () => {
    setNotice(null)
    const r = await m.run<Record<string, UserDetail>>(op, variables)
    if (!r) return false
    onChange(r[field]!)
    setNotice(done)
    return true
  }

  const revokeSession = (id: string) => async () => {
    setNotice(null)
    const r = await m.run<{ revokeSession: { id: string; status: string } }>(RevokeSession, { id })
    if (!r) return false
    // Shown at once, so the dialog closes on the row without its Revoke button; then the rest is read again.
    onChange({ ...user, sessions: user.sessions.map((s) => (s.id === r.revokeSession.id ? { ...s, status: r.revokeSession.status } : s)) })
    setNotice('The session was revoked.')
    reload()
    return true
  }

  const errs = m.error?.errors
  const activeSessions = user.sessions.filter((s) => s.status === 'active')
  const trusted = user.clients.filter((c) => c.trusted)

  return (
    <>
      <header className="user__header">
        <div>
          <h2>{label}</h2>
          <p className="muted small">
            <code>{user.id}</code> · created <Time value={user.createdAt} /> · last sign-in <Time value={user.lastSignInAt} />
          </p>
          <UserBadges user={user} />
          {user.locked && user.lockoutExpiresInSeconds !== null && (
            <p className="small">Unlocks by itself in {formatDuration(user.lockoutExpiresInSeconds)}.</p>
          )}
          {user.locked && user.lockoutExpiresInSeconds === null && <p className="small">Locked until an administrator unlocks.</p>}
        </div>
        <div className="actions" aria-label="User actions" role="group">
          {can('users:lock') &&
            (user.locked ? (
              <ConfirmButton title={`Unlock ${label}?`} description="They can sign in again at once, and their failed-attempt count starts over." confirmLabel="Unlock" tone="primary" onConfirm={act(UnlockUser, 'unlockUser', 'The user was unlocked.')} errors={errs}>
                Unlock
              </ConfirmButton>
            ) : (
              <ConfirmButton title={`Lock ${label}?`} description="They cannot sign in until someone unlocks them. Their existing sessions stay active." confirmLabel="Lock user" onConfirm={act(LockUser, 'lockUser', 'The user was locked.')} errors={errs}>
                Lock
              </ConfirmButton>
            ))}
          {can('users:ban') &&
            (user.banned ? (
              <ConfirmButton title={`Unban ${label}?`} description="They can sign in again." confirmLabel="Unban" tone="primary" onConfirm={act(UnbanUser, 'unbanUser', 'The user was unbanned.')} errors={errs}>
                Unban
              </ConfirmButton>
            ) : (
              <ConfirmButton title={`Ban ${label}?`} description="They cannot sign in, and every session they have ends." confirmLabel="Ban user" onConfirm={act(BanUser, 'banUser', 'The user was banned.')} errors={errs}>
                Ban
              </ConfirmButton>
            ))}
          {can('users:reset_mfa') && user.twoFactorEnabled && (
            <ConfirmButton title={`Reset MFA of ${label}?`} description="Removes their authenticator app, backup codes and SMS second factor. They sign in with their password (and Client Trust) until they enrol again." confirmLabel="Reset MFA" onConfirm={act(ResetUserMfa, 'resetUserMfa', 'MFA was reset.')} errors={errs}>
              Reset MFA
            </ConfirmButton>
          )}
          {can('trust:revoke') && trusted.length > 0 && (
            <ConfirmButton title={`Revoke the trusted devices of ${label}?`} description={`${trusted.length} device${trusted.length === 1 ? '' : 's'} will need a verification code at the next password sign-in.`} confirmLabel="Revoke trust" onConfirm={act(RevokeTrustedClients, 'revokeTrustedClients', 'Trusted devices were revoked.', { userId: user.id })} errors={errs}>
              Revoke trusted devices
            </ConfirmButton>
          )}
        </div>
      </header>
      {notice && <Notice>{notice}</Notice>}

      <div className="grid-2">
        <section className="panel" aria-labelledby="u-emails">
          <h3 id="u-emails">Email addresses</h3>
          {user.emailAddresses.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="list">
              {user.emailAddresses.map((e) => (
                <li key={e.id} className="list__item">
                  <span className="identifier">{e.emailAddress}</span>
                  <span className="badges">
                    {e.id === user.primaryEmailAddressId && <Badge tone="accent">Primary</Badge>}
                    {e.verified ? <Badge tone="ok">Verified</Badge> : <Badge>Unverified</Badge>}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="panel" aria-labelledby="u-phones">
          <h3 id="u-phones">Phone numbers</h3>
          {user.phoneNumbers.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="list">
              {user.phoneNumbers.map((p) => (
                <li key={p.id} className="list__item">
                  <span className="identifier">{p.phoneNumber}</span>
                  <span className="badges">
                    {p.id === user.primaryPhoneNumberId && <Badge tone="accent">Primary</Badge>}
                    {p.verified ? <Badge tone="ok">Verified</Badge> : <Badge>Unverified</Badge>}
                    {p.reservedForSecondFactor && <Badge>Second factor</Badge>}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <section className="panel" aria-labelledby="u-factors">
        <h3 id="u-factors">Factors</h3>
        <ul className="list">
          <li className="list__item">
            <span>Password</span>
            {user.passwordEnabled ? <Badge tone="ok">Set</Badge> : <Badge>Not set</Badge>}
          </li>
          {user.factors.map((f) => (
            <li key={`${f.strategy}-${f.safeIdentifier ?? ''}`} className="list__item">
              <span>
                {STRATEGY_LABELS[f.strategy] ?? f.strategy}
                {f.safeIdentifier && <span className="muted"> · {f.safeIdentifier}</span>}
              </span>
              <Badge tone="ok">Enrolled</Badge>
            </li>
          ))}
          {user.factors.length === 0 && (
            <li className="muted">No second factor enrolled.</li>
          )}
        </ul>
      </section>

      <section className="panel" aria-labelledby="u-devices">
        <h3 id="u-devices">Devices</h3>
        <p className="muted small">Clients (browsers or app installs) this user signed in on. A trusted device skips the Client Trust code.</p>
        {user.clients.length === 0 ? (
          <p className="muted">No devices yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">Devices</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">IP address</th>
                  <th scope="col">Trust</th>
                  <th scope="col">First seen</th>
                  <th scope="col">Last active</th>
                  <th scope="col">History</th>
                </tr>
              </thead>
              <tbody>
                {user.clients.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <span title={c.userAgent}>{describeUserAgent(c.userAgent)}</span>
                      <div className="muted small"><code>{c.id}</code></div>
                    </td>
                    <td>{c.ipAddress}</td>
                    <td>
                      {c.trusted ? (
                        <>
                          <Badge tone="ok">Trusted</Badge> <span className="muted small">since <Time value={c.trustedAt} /></span>
                        </>
                      ) : (
                        <Badge>Not trusted</Badge>
                      )}
                    </td>
                    <td><Time value={c.createdAt} /></td>
                    <td><Time value={c.lastActiveAt} /></td>
                    <td>
                      <Link to={`/dashboard/apps/${appId}/events?clientId=${encodeURIComponent(c.id)}`}>Sign-ins</Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="panel" aria-labelledby="u-sessions">
        <h3 id="u-sessions">Sessions</h3>
        <p className="muted small">{activeSessions.length} active of {user.sessions.length} shown.</p>
        {user.sessions.length === 0 ? (
          <p className="muted">No sessions.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">Sessions</caption>
              <thead>
                <tr>
                  <th scope="col">Session</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last active</th>
                  <th scope="col">Expires</th>
                  {can('sessions:revoke') && <th scope="col"><span className="visually-hidden">Actions</span></th>}
                </tr>
              </thead>
              <tbody>
                {user.sessions.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <code>{s.id}</code>
                      <div className="muted small" title={s.userAgent ?? undefined}>
                        {[s.ipAddress, s.userAgent ? describeUserAgent(s.userAgent) : null].filter(Boolean).join(' · ')}
                      </div>
                    </td>
                    <td>{s.status === 'active' ? <Badge tone="ok">Active</Badge> : <Badge>{s.status}</Badge>}</td>
                    <td><Time value={s.createdAt} /></td>
                    <td><Time value={s.lastActiveAt} /></td>
                    <td><Time value={s.expireAt} /></td>
                    {can('sessions:revoke') && (
                      <td>
                        {s.status === 'active' && (
                          <ConfirmButton
                            title="Revoke this session?"
                            description={`Session ${s.id} ends at once; that device is signed out.`}
                            confirmLabel="Revoke session"
                            onConfirm={revokeSession(s.id)}
                            errors={errs}
                            aria-label={`Revoke session ${s.id}`}
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
      </section>
      <p>
        <Link to={`/dashboard/apps/${appId}/events?userId=${encodeURIComponent(user.id)}`}>Sign-in history of this user</Link>
      </p>
    </>
  )
}
