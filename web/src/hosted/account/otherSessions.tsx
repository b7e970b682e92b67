import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { useSession, useUser, type SessionData, type TrustgateAPIError } from '@trustgate/react'
import { Alert } from '../../ui/Alert'
import { Button } from '../../ui/Button'
import { focusFromScript, focusLost } from '../../ui/errorFocus'
import { AccountErrorList } from './AccountErrorList'
import { formatDate } from './useAction'

/** FactorChanges is what the account page's sections share about a change to how the user signs in. */
interface FactorChanges {
  /** offer names the section whose last change offers to sign out the other devices (`n` new each time), or null. */
  offer: { section: string; n: number } | null
  changed: (section: string) => void
  dismiss: () => void
  /** sessionsRevision changes when other sessions were ended here, so that the sessions list reads itself again. */
  sessionsRevision: number
  sessionsEnded: () => void
}

const FactorChangeContext = createContext<FactorChanges | null>(null)

/**
 * FactorChangeProvider gives the account page's sections one "sign out your other devices?" offer (OWASP ASVS 4.0
 * 3.3.4, 5.0 7.4.3): a section calls `useFactorChanged()`'s function after a change to how the user signs in passed,
 * and its `OtherSessionsOffer` then asks, when other sessions are active. The password change has its own
 * (the server ends the other sessions with it).
 */
export function FactorChangeProvider({ children }: { children: ReactNode }) {
  const [offer, setOffer] = useState<FactorChanges['offer']>(null)
  const [sessionsRevision, setSessionsRevision] = useState(0)
  const value = useMemo<FactorChanges>(
    () => ({
      offer,
      changed: (section) => setOffer((o) => ({ section, n: (o?.n ?? 0) + 1 })),
      dismiss: () => setOffer(null),
      sessionsRevision,
      sessionsEnded: () => setSessionsRevision((n) => n + 1),
    }),
    [offer, sessionsRevision],
  )
  return <FactorChangeContext.Provider value={value}>{children}</FactorChangeContext.Provider>
}

/**
 * useFactorChanged returns the function a section calls after a factor change passed (an authenticator app, backup
 * codes, a number reserved for two-step verification, an email address or phone number added, removed or made
 * primary), with the id of its heading: its `OtherSessionsOffer` then asks. Outside the provider it does nothing.
 */
export function useFactorChanged(): (section: string) => void {
  return useContext(FactorChangeContext)?.changed ?? ignore
}

function ignore() {}

/** useSessionsRevision is a number that changes when the offer ended other sessions (0 outside the provider). */
export function useSessionsRevision(): number {
  return useContext(FactorChangeContext)?.sessionsRevision ?? 0
}

/**
 * OtherSessionsOffer shows, in the section whose heading's id is `section`, after a factor change there, "Sign out
 * your other devices?" when the user has other active sessions; nothing otherwise. It never takes focus when it
 * appears.
 */
export function OtherSessionsOffer({ section }: { section: string }) {
  const changes = useContext(FactorChangeContext)
  if (!changes?.offer || changes.offer.section !== section) return null
  // Keyed by the change: a new one asks afresh.
  return <SignOutOthers key={changes.offer.n} onDismiss={changes.dismiss} onEnded={changes.sessionsEnded} />
}

/** Outcome is what the last "Sign out other devices" did. */
interface Outcome {
  ended: number
  failed: TrustgateAPIError[]
}

/**
 * SignOutOthers reads the user's sessions and, when any other than this one is active, offers to end them all
 * (`user.revokeSession`, as the sessions list does each), then says how many ended and lists those that did not,
 * which "Sign out other devices" tries again. A session already gone (`resource_not_found`) counts as ended.
 */
function SignOutOthers({ onDismiss, onEnded }: { onDismiss: () => void; onEnded: () => void }) {
  const { user } = useUser()
  const { session } = useSession()
  const current = session?.id ?? null
  const [others, setOthers] = useState<SessionData[] | null>(null)
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const [readError, setReadError] = useState<TrustgateAPIError[] | null>(null)
  const box = useRef<HTMLDivElement>(null)
  const signOutButton = useRef<HTMLButtonElement>(null)
  const dismissButton = useRef<HTMLButtonElement>(null)
  const [answered, setAnswered] = useState(0)

  const readOthers = async () => {
    const r = user ? await user.getSessions() : null
    if (!r) return null
    if (r.error) return r.error
    return r.data.filter((s) => s.status === 'active' && s.id !== current)
  }

  useEffect(() => {
    let live = true
    void readOthers().then((r) => {
      // A list that could not be read offers nothing: the sessions list says why.
      if (live && Array.isArray(r)) setOthers(r)
    })
    return () => {
      live = false
    }
    // Once, for the change it is keyed by.
  }, [])

  // Once the outcome is shown: focus, if it was lost with the busy button, goes to the failures, else to Dismiss.
  useEffect(() => {
    if (answered === 0 || !focusLost(signOutButton.current)) return
    const alert = box.current?.querySelector<HTMLElement>('[role="alert"]')
    if (alert) focusFromScript(alert)
    else dismissButton.current?.focus()
  }, [answered])

  const signOutOthers = async () => {
    setBusy(true)
    setReadError(null)
    // Read again: sessions may have ended or begun since the offer appeared.
    const listed = await readOthers()
    if (!Array.isArray(listed)) {
      setBusy(false)
      setReadError(listed?.errors ?? null)
      setAnswered((n) => n + 1)
      return
    }
    const results = await Promise.all(listed.map(async (s) => ({ s, r: await user!.revokeSession(s.id) })))
    const failed = results.filter(({ r }) => r.error && !r.error.errors.every((e) => e.code === 'resource_not_found'))
    setOutcome({
      ended: results.length - failed.length,
      failed: failed.flatMap(({ s, r }) =>
        (r.error?.errors ?? []).map((e) => {
          const which = `The session signed in ${formatDate(s.createdAt)} is still signed in`
          return { ...e, message: `${which}: ${e.message}`, longMessage: `${which}: ${e.longMessage}` }
        }),
      ),
    })
    setOthers(failed.map(({ s }) => s))
    setBusy(false)
    setAnswered((n) => n + 1)
    onEnded()
  }

  const dismiss = () => {
    // The offer leaves the page with its buttons: focus goes to the section's heading, as when a question closes.
    const heading = box.current?.closest('section')?.querySelector<HTMLElement>('h2')
    if (heading && box.current?.contains(document.activeElement)) focusFromScript(heading)
    onDismiss()
  }

  if (others === null || (others.length === 0 && !outcome)) return null
  const remaining = others.length
  const total = (outcome?.ended ?? 0) + remaining
  const text = busy
    ? `Signing out ${remaining} other ${devices(remaining)}…`
    : !outcome
      ? `Your sign-in methods changed. Sign out your other devices? You are signed in on ${remaining} other ${devices(remaining)}.`
      : remaining
        ? `Signed out ${outcome.ended} of ${total} other ${devices(total)}.`
        : outcome.ended
          ? `Signed out ${outcome.ended} other ${devices(outcome.ended)}.`
          : 'Your other devices were already signed out.'
  return (
    <div className="inline-form" ref={box}>
      <Alert tone={outcome && !remaining && !busy ? 'success' : 'info'}>{text}</Alert>
      <AccountErrorList errors={busy ? null : (readError ?? outcome?.failed)} />
      <div className="actions">
        {(remaining > 0 || readError) && (
          <Button busy={busy} onClick={signOutOthers} ref={signOutButton}>
            Sign out other devices
          </Button>
        )}
        <Button variant="secondary" disabled={busy} onClick={dismiss} ref={dismissButton}>
          Dismiss
        </Button>
      </div>
    </div>
  )
}

function devices(n: number): string {
  return n === 1 ? 'device' : 'devices'
}
