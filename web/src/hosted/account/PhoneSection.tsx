import { useState } from 'react'
import type { PhoneNumber, User } from '@trustgate/react'
import { Button } from '../../ui/Button'
import { AccountErrorList } from './AccountErrorList'
import { Confirm } from './Confirm'
import { IdentifierSection, rereadIn, type AddField } from './IdentifierSection'
import { useAction } from './useAction'

const PHONE_FIELD: AddField = {
  open: 'Add a phone number',
  submit: 'Add phone number',
  label: 'New phone number',
  name: 'newPhoneNumber',
  type: 'tel',
  autoComplete: 'tel',
  placeholder: '+1 555 123 4567',
  hint: 'Include the country code. We will text it a code.',
  params: ['phoneNumber'],
  codes: ['form_param_format_invalid', 'form_identifier_exists'],
}

/**
 * PhoneSection lists the user's phone numbers; adds one and verifies it with an SMS code; turns SMS two-step
 * verification on or off for a verified number (`phoneNumberReserveForSecondFactor`); and removes a number, after
 * asking (`phoneNumberDelete`: a lost or recycled number must not stay a way into the account).
 */
export function PhoneSection({ user }: { user: User }) {
  const [notice, setNotice] = useState<string | null>(null)
  const [removing, setRemoving] = useState<PhoneNumber | null>(null)
  const reserve = useAction()
  const remove = useAction()

  const askRemove = (p: PhoneNumber) => {
    setNotice(null)
    remove.clear()
    setRemoving(p)
  }

  const confirmRemove = async (p: PhoneNumber) => {
    const r = await remove.run(() => user.deletePhoneNumber(p.id))
    if (r.error) return
    setRemoving(null)
    setNotice(`${p.phoneNumber} was removed.`)
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

  return (
    <IdentifierSection
      title="Phone numbers"
      titleId="phones-title"
      items={user.phoneNumbers}
      valueOf={(p) => p.phoneNumber}
      empty="No phone numbers yet. Add one to receive sign-in codes by SMS."
      badges={(p) => p.reservedForSecondFactor && <span className="badge badge--accent">Two-step verification</span>}
      actions={(p) =>
        removing?.id !== p.id && (
          <>
            {p.verified && (
              <Button variant="secondary" busy={reserve.busy} onClick={() => toggle(p)}>
                {p.reservedForSecondFactor ? 'Stop using for two-step verification' : 'Use for two-step verification'}
              </Button>
            )}
            <Button variant="secondary" onClick={() => askRemove(p)}>
              Remove
            </Button>
          </>
        )
      }
      notice={notice}
      onNotice={setNotice}
      field={PHONE_FIELD}
      codeInputId="phone-code"
      create={(phoneNumber) => user.createPhoneNumber({ phoneNumber })}
      prepare={(p) => user.preparePhoneNumberVerification(p.id)}
      attempt={(p, code) => user.attemptPhoneNumberVerification(p.id, { code })}
      reread={(p) => rereadIn(() => user.reload(), (u) => u.phoneNumbers, p)}
      onVerifying={(p) => {
        if (removing?.id === p.id) setRemoving(null)
      }}
    >
      <AccountErrorList errors={reserve.error?.errors} />
      {removing && (
        <Confirm
          // One question per number: asking about another while one is open takes focus into the new question
          // (the button that asked leaves the page with the click).
          key={removing.id}
          id="phone-remove-question"
          question={
            <>
              Remove <strong className="identifier">{removing.phoneNumber}</strong> from your account? It will no longer
              receive sign-in codes
              {removing.reservedForSecondFactor ? ', and sign-ins will stop asking for a code sent to it.' : '.'}
            </>
          }
          errors={remove.error?.errors}
          confirmLabel="Remove"
          busy={remove.busy}
          onConfirm={() => confirmRemove(removing)}
          onCancel={() => setRemoving(null)}
        />
      )}
    </IdentifierSection>
  )
}
