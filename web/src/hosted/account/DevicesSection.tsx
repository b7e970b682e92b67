import { useCallback, useEffect, useState } from 'react'
import type { Result, SessionData, TrustedClient, User } from '@trustgate/react'
import { Alert } from '../../ui/Alert'
import { AccountErrorList } from './AccountErrorList'
import { Button, Loading } from '../../ui/Button'
import { useSessionsRevision } from './otherSessions'
import { describeUserAgent, formatDate, useAction } from './useAction'

/**
 * useList loads a list once and again after each change (and whenever `load` changes); `revoke` is the action on
 * its items, which reloads the list when a refusal says it is out of date (an item gone meanwhile).
 */
function useList<T>(load: () => Promise<Result<T[]>>) {
  const [items, setItems] = useState<T[] | null>(null)
  // The load's own refusal is only shown: reading the user again would make a new `load`, refused again, and so on.
  const action = useAction({ refresh: false })
  const { run } = action
  const reload = useCallback(async () => {
    const r = await run(load)
    if (r.data) setItems(r.data)
  }, [run, load])
  useEffect(() => {
    void reload()
  }, [reload])
  const revoke = useAction({ refresh: reload })
  return { items, reload, revoke, loading: action.busy && items === null, error: action.error }
}

/**
 * SessionsSection lists the user's active sessions; any but this one can be revoked. It reads them again when the
 * user is (after each change) and when the offer after a factor change ended the other sessions.
 */
export function SessionsSection({ user, currentSessionId }: { user: User; currentSessionId: string | null }) {
  const revision = useSessionsRevision()
  // revision is not read: a new one makes a new load, which useList runs.
  const load = useCallback(() => user.getSessions(), [user, revision])
  const { items, reload, revoke, loading, error } = useList<SessionData>(load)
  const [notice, setNotice] = useState<string | null>(null)

  const revokeOne = async (id: string) => {
    setNotice(null)
    const r = await revoke.run(() => user.revokeSession(id))
    if (!r.error) {
      setNotice('The session was signed out.')
      await reload()
    }
  }

  const active = items?.filter((s) => s.status === 'active') ?? []
  return (
    <section className="panel" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Active sessions</h2>
      {notice && <Alert tone="success">{notice}</Alert>}
      <AccountErrorList errors={error?.errors ?? revoke.error?.errors} />
      {loading && <Loading label="Loading sessions…" />}
      {items && (
        <ul className="list">
          {active.map((s) => (
            <li key={s.id} className="list__item">
              <div>
                <div>
                  Signed in {formatDate(s.createdAt)}{' '}
                  {s.id === currentSessionId && <span className="badge badge--accent">This device</span>}
                </div>
                <div className="muted small">
                  Last active {formatDate(s.lastActiveAt)} · expires {formatDate(s.expireAt)}
                </div>
              </div>
              {s.id !== currentSessionId && (
                <Button variant="secondary" busy={revoke.busy} onClick={() => revokeOne(s.id)}>
                  Revoke<span className="visually-hidden"> session from {formatDate(s.createdAt)}</span>
                </Button>
              )}
            </li>
          ))}
          {active.length === 0 && <li className="muted">No active sessions.</li>}
        </ul>
      )}
    </section>
  )
}

const methodNames: Record<string, string> = {
  email_code: 'an email code',
  phone_code: 'an SMS code',
  totp: 'an authenticator app',
  backup_code: 'a backup code',
  password: 'a password',
}

/**
 * TrustedDevicesSection lists the devices where Client Trust will not ask for a code again; revoking one makes the
 * next password sign-in there ask again.
 */
export function TrustedDevicesSection({ user }: { user: User }) {
  const load = useCallback(() => user.getTrustedClients(), [user])
  const { items, reload, revoke, loading, error } = useList<TrustedClient>(load)
  const [notice, setNotice] = useState<string | null>(null)

  const revokeOne = async (t: TrustedClient) => {
    setNotice(null)
    const r = await revoke.run(() => user.revokeTrustedClient(t.id))
    if (!r.error) {
      setNotice(`${describeUserAgent(t.userAgent)} is no longer trusted. Signing in there will ask for a code.`)
      await reload()
    }
  }

  return (
    <section className="panel" aria-labelledby="trusted-title">
      <h2 id="trusted-title">Trusted devices</h2>
      <p className="muted">Signing in with your password on these devices does not ask for a verification code.</p>
      {notice && <Alert tone="success">{notice}</Alert>}
      <AccountErrorList errors={error?.errors ?? revoke.error?.errors} />
      {loading && <Loading label="Loading devices…" />}
      {items && (
        <ul className="list">
          {items.map((t) => (
            <li key={t.id} className="list__item">
              <div>
                <div>
                  {describeUserAgent(t.userAgent)} {t.current && <span className="badge badge--accent">This device</span>}
                </div>
                <div className="muted small">
                  {t.ipAddress} · trusted {formatDate(t.createdAt)} with {methodNames[t.method] ?? t.method}
                  {t.lastUsedAt && ` · last used ${formatDate(t.lastUsedAt)}`}
                </div>
              </div>
              <Button variant="secondary" busy={revoke.busy} onClick={() => revokeOne(t)}>
                Revoke<span className="visually-hidden"> {describeUserAgent(t.userAgent)}</span>
              </Button>
            </li>
          ))}
          {items.length === 0 && <li className="muted">No trusted devices.</li>}
        </ul>
      )}
    </section>
  )
}
