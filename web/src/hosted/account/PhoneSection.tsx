import { useState } from 'react'
import type { PhoneNumber, User } from '@trustgate/react'
import { Button } from '../../ui/Button'
import { AccountErrorList } from './AccountErrorList'
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
 * PhoneSection lists the user's phone numbers; adds one and verifies it with an SMS code; and turns SMS two-step
 * verification on or off for a verified number (`phoneNumberReserveForSecondFactor`).
 */
export function PhoneSection({ user }: { user: User }) {
  const [notice, setNotice] = useState<string | null>(null)
  const reserve = useAction()

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
        p.verified && (
          <Button variant="secondary" busy={reserve.busy} onClick={() => toggle(p)}>
            {p.reservedForSecondFactor ? 'Stop using for two-step verification' : 'Use for two-step verification'}
          </Button>
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
    >
      <AccountErrorList errors={reserve.error?.errors} />
    </IdentifierSection>
  )
}
