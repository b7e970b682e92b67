import { useEffect, useState } from 'react'
import type { TOTPResource, User } from '@trustgate/react'
import { Alert } from '../../ui/Alert'
import { AccountErrorList } from './AccountErrorList'
import { Confirm } from './Confirm'
import { Button } from '../../ui/Button'
import { CodeForm } from '../../ui/CodeForm'
import { BackupCodesPanel } from './BackupCodesPanel'
import { useGoneNotice } from './goneNotice'
import { OtherSessionsOffer, useFactorChanged } from './otherSessions'
import { codeFieldErrors, useAction } from './useAction'

/** groupSecret spaces a base32 secret in groups of four, so it can be typed into an app. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ')
}

/** ENROLMENT_GONE is `totpVerify`'s answer when the enrolment it would confirm is no longer on the account. */
const ENROLMENT_GONE = 'verification_missing'

/**
 * TwoFactorSection enrols and removes the authenticator app (TOTP) and regenerates backup codes. The QR code and
 * secret come from `totpCreate`; backup codes come back once, from `totpVerify` or `backupCodesCreate`.
 */
export function TwoFactorSection({ user }: { user: User }) {
  const [enrolment, setEnrolment] = useState<TOTPResource | null>(null)
  const [codes, setCodes] = useState<string[] | null>(null)
  const [confirmOff, setConfirmOff] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const create = useAction()
  // verification_missing: the enrolment this panel shows is gone (removed, or replaced, in another tab).
  const verify = useAction({ staleCodes: [ENROLMENT_GONE] })
  const disable = useAction()
  const regenerate = useAction()
  const factorChanged = useFactorChanged()
  const gone = useGoneNotice()
  // The setup panel's check refused as out of date, the account read again: when an app is on now (set up in another
  // tab) or the enrolment is gone, the panel, its secret and its code no longer apply. It closes, and the section
  // says why; another refusal leaves it open with its error.
  useEffect(() => {
    if (!enrolment || verify.stale === 0) return
    const message = user.totpEnabled
      ? 'An authenticator app is already on your account: it was set up elsewhere.'
      : verify.error?.errors.some((e) => e.code === ENROLMENT_GONE)
        ? 'This authenticator app setup is no longer on your account: it was cancelled elsewhere. You can set up the app again.'
        : null
    if (!message) return
    setEnrolment(null)
    gone.say(message)
  }, [verify.stale])
  useEffect(() => {
    if (done) gone.clear()
  }, [done])
  const account = user.primaryEmailAddress?.emailAddress ?? user.phoneNumbers[0]?.phoneNumber ?? user.id

  const start = async () => {
    setDone(null)
    gone.clear()
    // A new enrolment: the last one's refusal (a wrong code, or one that closed its panel) is not about it.
    verify.clear()
    const r = await create.run(() => user.createTOTP())
    if (r.data) setEnrolment(r.data)
  }

  const confirm = async (code: string) => {
    const r = await verify.run(() => user.verifyTOTP({ code }))
    if (!r.data) return r
    setEnrolment(null)
    setDone('Your authenticator app is set up. You will be asked for a code when you sign in.')
    factorChanged('mfa-title')
    if (r.data.backupCodes?.length) setCodes(r.data.backupCodes)
    return r
  }

  const turnOff = async () => {
    const r = await disable.run(() => user.disableTOTP())
    if (!r.error) {
      setConfirmOff(false)
      setDone('The authenticator app was removed.')
      factorChanged('mfa-title')
    }
  }

  const newCodes = async () => {
    const r = await regenerate.run(() => user.createBackupCode())
    if (!r.data) return
    setCodes(r.data.codes)
    factorChanged('mfa-title')
  }

  const verifyErrors = codeFieldErrors(verify.error)

  return (
    <section className="panel" aria-labelledby="mfa-title">
      <h2 id="mfa-title">Two-step verification</h2>
      <p className="muted">
        {user.twoFactorEnabled
          ? 'Two-step verification is on: signing in needs your password and a second factor.'
          : 'Add a second step to signing in, so a stolen password is not enough.'}
      </p>
      {done && <Alert tone="success">{done}</Alert>}
      {gone.notice}
      <OtherSessionsOffer section="mfa-title" />

      {codes ? (
        <BackupCodesPanel codes={codes} account={account} onDone={() => setCodes(null)} />
      ) : (
        <>
          <div className="row">
            <div>
              <h3>Authenticator app</h3>
              <p className="muted">
                {user.totpEnabled ? 'On' : 'Use an app such as 1Password, Google Authenticator or Aegis.'}
              </p>
            </div>
            {user.totpEnabled ? (
              !confirmOff && (
                <Button variant="secondary" onClick={() => setConfirmOff(true)}>
                  Turn off
                </Button>
              )
            ) : (
              !enrolment && (
                <Button busy={create.busy} onClick={start}>
                  Set up authenticator app
                </Button>
              )
            )}
          </div>
          <AccountErrorList errors={create.error?.errors} />
          {confirmOff && (
            <Confirm
              id="totp-off-question"
              question="Turn off the authenticator app? Signing in will no longer ask for its codes."
              errors={disable.error?.errors}
              confirmLabel="Turn off authenticator app"
              variant="danger"
              busy={disable.busy}
              onConfirm={turnOff}
              onCancel={() => setConfirmOff(false)}
            />
          )}
          {enrolment && (
            <div className="totp-setup">
              <ol className="steps">
                <li>
                  <p>Scan this QR code with your authenticator app.</p>
                  {enrolment.qrCodePng && (
                    <img
                      className="qr"
                      src={`data:image/png;base64,${enrolment.qrCodePng}`}
                      alt="QR code to scan with your authenticator app"
                      width={200}
                      height={200}
                    />
                  )}
                  {enrolment.secret && (
                    <p>
                      Can't scan it? Enter this key instead:{' '}
                      <code className="secret" aria-label={`Setup key ${enrolment.secret}`}>
                        {groupSecret(enrolment.secret)}
                      </code>{' '}
                      <Button variant="link" onClick={() => void navigator.clipboard?.writeText(enrolment.secret ?? '')}>
                        Copy key
                      </Button>
                    </p>
                  )}
                </li>
                <li>
                  <p>Enter the 6-digit code the app shows.</p>
                  <AccountErrorList errors={verifyErrors.global} />
                  <CodeForm label="Code from the app" id="totp-code" error={verifyErrors.fields.code} busy={verify.busy} onSubmit={confirm} />
                </li>
              </ol>
              <Button variant="secondary" onClick={() => setEnrolment(null)}>
                Cancel
              </Button>
            </div>
          )}

          {user.twoFactorEnabled && (
            <div className="row">
              <div>
                <h3>Backup codes</h3>
                <p className="muted">
                  {user.backupCodeEnabled
                    ? 'Single-use codes for when you cannot use your app or phone. New codes replace the old ones.'
                    : 'Create single-use codes for when you cannot use your app or phone.'}
                </p>
              </div>
              <Button variant="secondary" busy={regenerate.busy} onClick={newCodes}>
                {user.backupCodeEnabled ? 'Generate new codes' : 'Create backup codes'}
              </Button>
            </div>
          )}
          <AccountErrorList errors={regenerate.error?.errors} />
        </>
      )}
    </section>
  )
}
