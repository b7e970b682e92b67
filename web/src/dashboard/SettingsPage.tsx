import { useEffect, useState, type FormEvent, type ReactNode } from 'react'
import type { TrustgateAPIError } from '@trustgate/react'
import { Alert, ErrorList } from '../ui/Alert'
import { Button } from '../ui/Button'
import { Field } from '../ui/Field'
import { CheckField, Fieldset, TextAreaField } from './fields'
import { useAdminMutation, useAdminQuery } from './hooks'
import { SetAppUpdate, SettingsQuery, UpdateSettings, type AppSettings, type AppUpdate } from './operations'
import { diffSettings, FIRST_FACTORS, humanSeconds, RATE_LIMIT_RANGE, RATE_LIMITS, rebaseDraft, SECOND_FACTORS, toDraft, type Draft } from './settingsForm'
import { Badge, formatDate, Notice, QueryView } from './ui'
import { useCan } from './viewer'
import { useParams } from 'react-router'

/** SecondsName names the settings that are a duration in seconds. */
type SecondsName =
  | 'lockoutDurationSeconds'
  | 'codeTtlSeconds'
  | 'signInLifetimeSeconds'
  | 'sessionLifetimeSeconds'
  | 'sessionInactivityTimeoutSeconds'

interface SettingsData {
  application: { id: string; createdAt: string; settings: AppSettings; updates: AppUpdate[] } | null
}

/**
 * SettingsPage shows an application's settings and its dated Updates. Operators who may change settings
 * (`settings:update`) get a form whose server validation errors appear beside their fields; others see values.
 */
export function SettingsPage() {
  const { appId = '' } = useParams()
  const can = useCan()
  const q = useAdminQuery<SettingsData>(SettingsQuery, { id: appId })
  const app = q.data?.application
  const editable = can('settings:update')
  // One change at a time: a save and an Update (each answers with the whole settings) in flight together could
  // answer in either order, and the older answer would be shown over the newer one.
  const [saving, setSaving] = useState(false)
  const [updating, setUpdating] = useState(false)

  return (
    <div className="page">
      <header className="page__header">
        <h2>Settings</h2>
        {!editable && <p className="muted">Your role can read these settings but not change them.</p>}
      </header>
      <QueryView loading={q.loading} error={q.error} onRetry={q.reload} label="Loading settings…">
        {app && (
          <>
            {editable ? (
              <SettingsForm
                appId={appId}
                settings={app.settings}
                blocked={updating}
                onBusy={setSaving}
                onSaved={(settings) => q.setData({ application: { ...app, settings } })}
              />
            ) : (
              <SettingsSummary settings={app.settings} />
            )}
            <UpdatesList
              appId={appId}
              updates={app.updates}
              editable={editable}
              blocked={saving}
              onBusy={setUpdating}
              onChanged={(next) => q.setData({ application: { ...app, ...next } })}
            />
          </>
        )}
      </QueryView>
    </div>
  )
}

function SettingsForm({
  appId,
  settings,
  blocked,
  onBusy,
  onSaved,
}: {
  appId: string
  settings: AppSettings
  /** blocked is true while an Update is on its way: saving waits for its answer. */
  blocked: boolean
  onBusy: (busy: boolean) => void
  onSaved: (s: AppSettings) => void
}) {
  const [draft, setDraft] = useState<Draft>(() => toDraft(settings))
  const [localErrors, setLocalErrors] = useState<TrustgateAPIError[]>([])
  const [notice, setNotice] = useState<string | null>(null)
  const m = useAdminMutation()

  // A change made elsewhere (an Update opted in or out) takes the values it changed into the form, and keeps
  // what the operator changed but has not saved. This is checked during render, React's way of adjusting state to
  // a new prop, so the form never shows a render with the old values.
  const [shown, setShown] = useState(settings)
  if (settings !== shown) {
    setShown(settings)
    setDraft(rebaseDraft(draft, shown, settings))
  }

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setNotice(null)
    setDraft((d) => ({ ...d, [key]: value }))
  }
  const toggleIn = (key: 'firstFactors' | 'secondFactors', value: string, on: boolean) =>
    set(key, on ? [...new Set([...draft[key], value])] : draft[key].filter((v) => v !== value))

  const errors = [...localErrors, ...(m.error?.errors ?? [])]
  const err = (param: string) => errors.find((e) => e.meta.paramName === param) ?? null
  const known = new Set([
    ...Object.keys(draft),
    'lockoutDurationSeconds',
  ])
  const general = errors.filter((e) => !e.meta.paramName || !known.has(e.meta.paramName))

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (blocked || m.busy) return
    setNotice(null)
    m.reset()
    const { input, errors: bad } = diffSettings(draft, settings)
    setLocalErrors(bad)
    if (bad.length) {
      focusFirstError(bad)
      return
    }
    if (Object.keys(input).length === 0) {
      setNotice('Nothing changed.')
      return
    }
    onBusy(true)
    const r = await m.run<{ updateAppSettings: AppSettings }>(UpdateSettings, { applicationId: appId, input })
    onBusy(false)
    if (r) {
      // The form takes exactly what was saved (the server may have normalised it, e.g. the origins).
      setShown(r.updateAppSettings)
      setDraft(toDraft(r.updateAppSettings))
      onSaved(r.updateAppSettings)
      setNotice('Settings saved.')
    }
  }

  // Move focus to the first field the server rejected.
  useEffect(() => {
    if (m.error) focusFirstError(m.error.errors)
  }, [m.error])

  const seconds = (raw: string) => {
    const n = Number(raw)
    return Number.isInteger(n) && n > 0 ? `= ${humanSeconds(n)}` : undefined
  }
  /** secondsField is the input of a duration in seconds, with its length in words as the hint. */
  const secondsField = (name: SecondsName, label: string, nested = false) => (
    <Field
      label={label}
      name={name}
      inputMode="numeric"
      className={nested ? 'field--nested' : undefined}
      value={draft[name]}
      onChange={(e) => set(name, e.target.value)}
      hint={seconds(draft[name])}
      error={err(name)}
    />
  )

  return (
    <form className="form settings" onSubmit={submit} noValidate aria-label="Application settings">
      <ErrorList errors={general.length ? general : null} />
      <Fieldset legend="Client Trust" id="client-trust">
        <CheckField
          name="clientTrustEnabled"
          label="Require a code on new devices"
          hint="A valid password from a device the user has not signed in on before also needs a 6-digit code sent to their verified email (or phone). Users with MFA get their MFA step instead."
          checked={draft.clientTrustEnabled}
          onChange={(v) => set('clientTrustEnabled', v)}
          error={err('clientTrustEnabled')}
        />
        <CheckField
          name="notifyNewDevice"
          label="Notify users of sign-ins from new devices"
          hint="Sends an email when a sign-in completes on a device the user has not used before."
          checked={draft.notifyNewDevice}
          onChange={(v) => set('notifyNewDevice', v)}
          error={err('notifyNewDevice')}
        />
        <CheckField
          name="notifySecurityChanges"
          label="Notify users of security changes"
          hint="Sends an email when a password is changed or reset, a second factor is added or removed (here too), backup codes are replaced, or the primary email address changes (to the old address), a backup code signs someone in; and when a sign-in gets past the password but enters a wrong second factor."
          checked={draft.notifySecurityChanges}
          onChange={(v) => set('notifySecurityChanges', v)}
          error={err('notifySecurityChanges')}
        />
      </Fieldset>

      <Fieldset legend="Identifiers" id="identifiers" hint="What users sign up and sign in with.">
        <CheckField name="emailEnabled" label="Email address" checked={draft.emailEnabled} onChange={(v) => set('emailEnabled', v)} error={err('emailEnabled')} />
        <CheckField name="phoneEnabled" label="Phone number" checked={draft.phoneEnabled} onChange={(v) => set('phoneEnabled', v)} error={err('phoneEnabled')} />
        <CheckField name="usernameEnabled" label="Username" checked={draft.usernameEnabled} onChange={(v) => set('usernameEnabled', v)} error={err('usernameEnabled')} />
        <CheckField name="passwordEnabled" label="Password" checked={draft.passwordEnabled} onChange={(v) => set('passwordEnabled', v)} error={err('passwordEnabled')} />
      </Fieldset>

      <Fieldset legend="First factors" id="firstFactors" error={err('firstFactors')} hint="How users prove who they are first.">
        {FIRST_FACTORS.map((f) => (
          <CheckField
            key={f.value}
            id={`firstFactors-${f.value}`}
            name="firstFactors"
            label={f.label}
            checked={draft.firstFactors.includes(f.value)}
            onChange={(on) => toggleIn('firstFactors', f.value, on)}
          />
        ))}
      </Fieldset>

      <Fieldset legend="Multi-factor authentication" id="secondFactors" error={err('secondFactors')} hint="Second factors users may enrol. MFA takes precedence over Client Trust.">
        {SECOND_FACTORS.map((f) => (
          <CheckField
            key={f.value}
            id={`secondFactors-${f.value}`}
            name="secondFactors"
            label={f.label}
            checked={draft.secondFactors.includes(f.value)}
            onChange={(on) => toggleIn('secondFactors', f.value, on)}
          />
        ))}
      </Fieldset>

      <Fieldset legend="Lockout" id="lockout" hint="Every failed password, code, TOTP or backup code counts toward a user's lockout.">
        <Field
          label="Failed attempts before lockout"
          name="lockoutMaxAttempts"
          inputMode="numeric"
          value={draft.lockoutMaxAttempts}
          onChange={(e) => set('lockoutMaxAttempts', e.target.value)}
          error={err('lockoutMaxAttempts')}
        />
        <div role="radiogroup" aria-labelledby="lockout-duration-label" className="radio-group">
          <p id="lockout-duration-label" className="field-label">
            Lockout duration
          </p>
          <CheckField
            type="radio"
            name="lockoutMode"
            value="timed"
            label="Unlock automatically after a while"
            checked={!draft.lockoutUntilUnlocked}
            onChange={() => set('lockoutUntilUnlocked', false)}
          />
          {!draft.lockoutUntilUnlocked && secondsField('lockoutDurationSeconds', 'Lockout duration (seconds)', true)}
          <CheckField
            type="radio"
            name="lockoutMode"
            value="until-unlocked"
            label="Until an administrator unlocks the user"
            checked={draft.lockoutUntilUnlocked}
            onChange={() => set('lockoutUntilUnlocked', true)}
            error={draft.lockoutUntilUnlocked ? err('lockoutDurationSeconds') : null}
          />
        </div>
      </Fieldset>

      <Fieldset legend="Enumeration protection" id="enumeration">
        <CheckField
          name="enumerationProtection"
          label="Hide whether an account exists"
          hint="Sign-in answers an unknown identifier as it would an account: one error for a wrong identifier or password (form_password_or_identifier_incorrect), the same factors (a code goes only to the email or phone typed) and the same lockout. Code sends are padded (TRUSTGATE_CODE_SEND_FLOOR). With usernames on it needs passwords: a username lists only the password factor. Sign-up with a taken email or phone goes on, and its owner gets an “already have an account” notice instead of a code; a taken username is still refused."
          checked={draft.enumerationProtection}
          onChange={(v) => set('enumerationProtection', v)}
          error={err('enumerationProtection')}
        />
      </Fieldset>

      <Fieldset legend="Codes and sessions" id="lifetimes">
        <CheckField
          name="singleSessionMode"
          label="One session per device"
          hint="A device that is signed in must sign out before it signs in or signs up again (session_exists). Off, one device may hold sessions of several accounts."
          checked={draft.singleSessionMode}
          onChange={(v) => set('singleSessionMode', v)}
          error={err('singleSessionMode')}
        />
        {secondsField('codeTtlSeconds', 'Verification code lifetime (seconds)')}
        {secondsField('signInLifetimeSeconds', 'Sign-in attempt lifetime (seconds)')}
        {secondsField('sessionLifetimeSeconds', 'Session lifetime (seconds)')}
        <CheckField
          name="inactivityTimeoutEnabled"
          label="Sign users out after inactivity"
          hint="A session ends when it goes this long without activity (a new session token, as the SDK's getToken asks for one): from 5 minutes to 365 days. The session lifetime still applies."
          checked={draft.inactivityTimeoutEnabled}
          onChange={(v) => set('inactivityTimeoutEnabled', v)}
          error={draft.inactivityTimeoutEnabled ? null : err('sessionInactivityTimeoutSeconds')}
        />
        {draft.inactivityTimeoutEnabled &&
          secondsField('sessionInactivityTimeoutSeconds', 'Inactivity timeout (seconds)', true)}
      </Fieldset>

      <Fieldset
        legend="Rate limits"
        id="rate-limits"
        hint={`A request over a limit is refused (too_many_requests) until its window ends. Each limit is a whole number between ${RATE_LIMIT_RANGE.min} and ${RATE_LIMIT_RANGE.max}.`}
      >
        {RATE_LIMITS.map((r) => (
          <Field
            key={r.name}
            label={`${r.label} (per ${r.per})`}
            name={r.name}
            inputMode="numeric"
            value={draft[r.name]}
            onChange={(e) => set(r.name, e.target.value)}
            hint={r.hint}
            error={err(r.name)}
          />
        ))}
      </Fieldset>

      <Fieldset legend="Allowed origins" id="origins">
        <TextAreaField
          label="Origins allowed to call this application from a browser"
          name="allowedOrigins"
          rows={3}
          spellCheck={false}
          placeholder="https://app.example.com"
          hint="One per line, e.g. https://app.example.com. They may also be redirect targets after sign-in."
          value={draft.allowedOrigins}
          onChange={(e) => set('allowedOrigins', e.target.value)}
          error={err('allowedOrigins')}
        />
      </Fieldset>

      <Fieldset legend="Retention" id="retention">
        <Field
          label="Keep sign-in history for (days)"
          name="eventRetentionDays"
          inputMode="numeric"
          value={draft.eventRetentionDays}
          onChange={(e) => set('eventRetentionDays', e.target.value)}
          error={err('eventRetentionDays')}
        />
      </Fieldset>

      {notice && <Notice>{notice}</Notice>}
      <div className="actions">
        <Button type="submit" busy={m.busy} disabled={blocked}>
          Save settings
        </Button>
        <Button
          variant="secondary"
          disabled={m.busy}
          onClick={() => {
            setDraft(toDraft(settings))
            setLocalErrors([])
            m.reset()
            setNotice(null)
          }}
        >
          Discard changes
        </Button>
      </div>
    </form>
  )
}

function focusFirstError(errors: TrustgateAPIError[]) {
  for (const e of errors) {
    const p = e.meta.paramName
    if (!p) continue
    const el = document.getElementById(p) ?? document.querySelector<HTMLElement>(`[name="${CSS.escape(p)}"]`)
    if (el) {
      const target = el.tagName === 'FIELDSET' ? el.querySelector<HTMLElement>('input') ?? el : el
      target.focus()
      return
    }
  }
}

/** SettingsSummary shows the settings as text, for roles that may read them but not change them. */
function SettingsSummary({ settings: s }: { settings: AppSettings }) {
  const yes = (v: boolean) => (v ? 'On' : 'Off')
  const rows: [string, ReactNode][] = [
    ['Client Trust', yes(s.clientTrustEnabled)],
    ['New-device notification', yes(s.notifyNewDevice)],
    ['Security-change notification', yes(s.notifySecurityChanges)],
    ['Identifiers', [s.emailEnabled && 'email', s.phoneEnabled && 'phone', s.usernameEnabled && 'username', s.passwordEnabled && 'password'].filter(Boolean).join(', ') || '—'],
    ['First factors', s.firstFactors.join(', ') || '—'],
    ['MFA options', s.secondFactors.join(', ') || '—'],
    ['Failed attempts before lockout', s.lockoutMaxAttempts],
    ['Lockout duration', s.lockoutDurationSeconds === null ? 'Until an administrator unlocks' : humanSeconds(s.lockoutDurationSeconds)],
    ['Enumeration protection', yes(s.enumerationProtection)],
    ['Verification code lifetime', humanSeconds(s.codeTtlSeconds)],
    ['Sign-in attempt lifetime', humanSeconds(s.signInLifetimeSeconds)],
    ['Session lifetime', humanSeconds(s.sessionLifetimeSeconds)],
    ['Inactivity timeout', s.sessionInactivityTimeoutSeconds === null ? 'Off' : humanSeconds(s.sessionInactivityTimeoutSeconds)],
    ['One session per device', yes(s.singleSessionMode)],
    ...RATE_LIMITS.map((r): [string, ReactNode] => [r.label, `${s[r.name]} per ${r.per}`]),
    ['Allowed origins', s.allowedOrigins.length ? s.allowedOrigins.join(', ') : 'None (same origin only)'],
    ['Sign-in history retention', `${s.eventRetentionDays} days`],
  ]
  return (
    <dl className="summary" aria-label="Application settings">
      {rows.map(([k, v]) => (
        <div key={k} className="summary__row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  )
}

/** UpdatesList is the dated list of behaviour changes, like Clerk's Updates page, with opt in and out. */
function UpdatesList({
  appId,
  updates,
  editable,
  blocked,
  onBusy,
  onChanged,
}: {
  appId: string
  updates: AppUpdate[]
  editable: boolean
  /** blocked is true while a save is on its way: opting in or out waits for its answer. */
  blocked: boolean
  onBusy: (busy: boolean) => void
  onChanged: (next: { settings: AppSettings; updates: AppUpdate[] }) => void
}) {
  const m = useAdminMutation()
  const [pending, setPending] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const sorted = [...updates].sort((a, b) => b.date.localeCompare(a.date))

  // While one change is on its way, every other button waits (one Update at a time, and none during a save).
  const waiting = (u: AppUpdate) => blocked || (pending !== null && pending !== u.key)

  const choose = async (u: AppUpdate, enabled: boolean | null) => {
    if (blocked || pending !== null) return
    setPending(u.key)
    onBusy(true)
    setNotice(null)
    const r = await m.run<{ setAppUpdate: { settings: AppSettings; updates: AppUpdate[] } }>(SetAppUpdate, {
      applicationId: appId,
      key: u.key,
      enabled,
    })
    setPending(null)
    onBusy(false)
    if (r) {
      onChanged(r.setAppUpdate)
      setNotice(
        enabled === null ? `${u.title}: back to the default for this application's creation date.` : `${u.title}: ${enabled ? 'opted in' : 'opted out'}.`,
      )
    }
  }

  return (
    <section className="panel" aria-labelledby="updates-title">
      <h2 id="updates-title">Updates</h2>
      <p className="muted">
        Changes of default behaviour, by date. Applications created on or after an update's date get it by default; older ones
        keep the old behaviour until someone opts in.
      </p>
      {notice && <Notice>{notice}</Notice>}
      <ErrorList errors={m.error?.errors} />
      <ol className="updates">
        {sorted.map((u) => (
          <li key={u.key} className="update">
            <div className="update__head">
              <h3>{u.title}</h3>
              <time dateTime={u.date} className="muted small">
                {formatDate(u.date)}
              </time>
            </div>
            <p>{u.description}</p>
            <div className="update__state">
              {u.enabled ? <Badge tone="ok">On</Badge> : <Badge>Off</Badge>}{' '}
              <span className="muted small">{u.explicit ? 'chosen by an administrator' : "by the application's creation date"}</span>
            </div>
            {editable && (
              <div className="actions">
                {u.enabled ? (
                  <Button variant="secondary" busy={pending === u.key} disabled={waiting(u)} onClick={() => choose(u, false)} aria-label={`Opt out of ${u.title}`}>
                    Opt out
                  </Button>
                ) : (
                  <Button busy={pending === u.key} disabled={waiting(u)} onClick={() => choose(u, true)} aria-label={`Opt in to ${u.title}`}>
                    Opt in
                  </Button>
                )}
                {u.explicit && (
                  <Button variant="link" disabled={pending !== null || blocked} onClick={() => choose(u, null)}>
                    Use the default for this application
                  </Button>
                )}
              </div>
            )}
          </li>
        ))}
      </ol>
      {updates.length === 0 && <Alert tone="info">No updates yet.</Alert>}
    </section>
  )
}
