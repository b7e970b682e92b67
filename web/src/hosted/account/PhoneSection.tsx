import { useState, type FormEvent } from 'react'
import type { PhoneNumber, User } from '@trustgate/react'
import { Alert } from '../../ui/Alert'
import { AccountErrorList } from './AccountErrorList'
import { Button } from '../../ui/Button'
import { CodeForm } from '../../ui/CodeForm'
import { Field } from '../../ui/Field'
import { codeFieldErrors, fieldErrors, useAction } from './useAction'

/**
 * PhoneSection lists the user's phone numbers; adds one and verifies it with an SMS code; and turns SMS two-step
 * verification on or off for a verified number (`phoneNumberReserveForSecondFactor`).
 */
export function PhoneSection({ user }: { user: User }) {
  const [adding, setAdding] = useState(false)
  const [newNumber, setNewNumber] = useState('')
  const [verifying, setVerifying] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const add = useAction()
  const send = useAction()
  const attempt = useAction()
  const reserve = useAction()

  const startVerification = async (id: string) => {
    setNotice(null)
    setVerifying(id)
    attempt.clear()
    await send.run(() => user.preparePhoneNumberVerification(id))
  }

  const submitNew = async (e: FormEvent) => {
    e.preventDefault()
    const r = await add.run(() => user.createPhoneNumber({ phoneNumber: newNumber.trim() }))
    if (r.data) {
      setAdding(false)
      setNewNumber('')
      await startVerification(r.data.id)
    }
  }

  const check = async (code: string) => {
    if (!verifying) return
    const r = await attempt.run(() => user.attemptPhoneNumberVerification(verifying, { code }))
    if (r.data) {
      setVerifying(null)
      setNotice(`${r.data.phoneNumber} is verified.`)
    }
  }

  const toggle = async (p: PhoneNumber) => {
    setNotice(null)
    const r = await reserve.run(() => user.setPhoneNumberReservedForSecondFactor(p.id, { reserved: !p.reservedForSecondFactor }))
    if (r.data) {
      setNotice(
        r.data.reservedForSecondFactor
          ? `Sign-ins will ask for a code sent to ${r.data.phoneNumber}.`
          : `${r.data.phoneNumber} is no longer used for two-step verification.`,
      )
    }
  }

  const addErrors = fieldErrors(add.error, { phoneNumber: { params: ['phoneNumber'], codes: ['form_param_format_invalid', 'form_identifier_exists'] } })
  const codeErrors = codeFieldErrors(attempt.error)
  const verifyingNumber = user.phoneNumbers.find((p) => p.id === verifying)

  return (
    <section className="panel" aria-labelledby="phones-title">
      <h2 id="phones-title">Phone numbers</h2>
      {notice && <Alert tone="success">{notice}</Alert>}
      <AccountErrorList errors={reserve.error?.errors} />
      {user.phoneNumbers.length === 0 ? (
        <p className="muted">No phone numbers yet. Add one to receive sign-in codes by SMS.</p>
      ) : (
        <ul className="list">
          {user.phoneNumbers.map((p) => (
            <li key={p.id} className="list__item">
              <div>
                <span className="identifier">{p.phoneNumber}</span>{' '}
                {p.verified ? <span className="badge badge--ok">Verified</span> : <span className="badge">Unverified</span>}{' '}
                {p.reservedForSecondFactor && <span className="badge badge--accent">Two-step verification</span>}
              </div>
              {p.verified ? (
                <Button variant="secondary" busy={reserve.busy} onClick={() => toggle(p)}>
                  {p.reservedForSecondFactor ? 'Stop using for two-step verification' : 'Use for two-step verification'}
                </Button>
              ) : (
                verifying !== p.id && (
                  <Button variant="secondary" onClick={() => startVerification(p.id)}>
                    Verify
                  </Button>
                )
              )}
            </li>
          ))}
        </ul>
      )}

      {verifying && (
        <div className="inline-form">
          <p>
            We sent a 6-digit code to <strong className="identifier">{verifyingNumber?.phoneNumber ?? 'your phone'}</strong>.
          </p>
          <AccountErrorList errors={send.error?.errors} />
          <AccountErrorList errors={codeErrors.global} />
          <CodeForm label="Verification code" id="phone-code" error={codeErrors.fields.code} busy={attempt.busy} onSubmit={check} />
          <div className="actions">
            <Button variant="link" busy={send.busy} onClick={() => startVerification(verifying)}>
              Resend code
            </Button>
            <Button variant="secondary" onClick={() => setVerifying(null)}>
              Cancel
            </Button>
          </div>
        </div>
      )}

      {adding ? (
        <form className="form inline-form" onSubmit={submitNew} noValidate>
          <AccountErrorList errors={addErrors.global} />
          <Field
            label="New phone number"
            name="newPhoneNumber"
            type="tel"
            autoComplete="tel"
            placeholder="+1 555 123 4567"
            value={newNumber}
            onChange={(e) => setNewNumber(e.target.value)}
            error={addErrors.fields.phoneNumber}
            hint="Include the country code. We will text it a code."
            autoFocus
            required
          />
          <div className="actions">
            <Button type="submit" busy={add.busy}>
              Add phone number
            </Button>
            <Button variant="secondary" onClick={() => setAdding(false)}>
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <Button variant="secondary" onClick={() => setAdding(true)}>
          Add a phone number
        </Button>
      )}
    </section>
  )
}
