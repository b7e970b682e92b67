import { useRef, useState } from 'react'
import type { PhoneNumber, User } from '@trustgate/react'
import { Button } from '../../ui/Button'
import { focusFromScript, focusLost, useErrorFocus } from '../../ui/errorFocus'
import { AccountErrorList } from './AccountErrorList'
import { Confirm } from './Confirm'
import { useFactorChanged } from './otherSessions'
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
 * verification on or off for a verified number (`phoneNumberReserveForSecondFactor`); with two or more numbers
 * reserved for it, marks the one a sign-in texts ("Default", the server's `defaultSecondFactor`) and makes another
 * one the default (`phoneNumberMakeDefaultSecondFactor`); and removes a number, after asking (`phoneNumberDelete`: a
 * lost or recycled number must not stay a way into the account).
 */
export function PhoneSection({ user }: { user: User }) {
  const [notice, setNotice] = useState<string | null>(null)
  const [removing, setRemoving] = useState<PhoneNumber | null>(null)
  const reserve = useAction()
  const makeDefault = useAction()
  const remove = useAction()
  const factorChanged = useFactorChanged()
  // With one reserved number there is nothing to choose: it is the default.
  const choosing = user.phoneNumbers.filter((p) => p.verified && p.reservedForSecondFactor).length >= 2
  // A change to the two-step numbers moves focus once it answered, as the busy button dropped it to the page's body
  // meanwhile (Chromium). "Make default" leaves the row it was in once it passed (the number is the default now):
  // focus goes to the section's heading, as when a question closes. "Use for / Stop using for two-step verification"
  // stays in its row under the other label: focus goes back to it (to the heading if the number is gone). When the
  // change failed, focus goes to its error. Set with the focus request, so the focus function of the render that
  // shows the outcome knows which it was.
  const [changed, setChanged] = useState<{ passed: boolean; toggled: string | null }>({ passed: false, toggled: null })
  const changeButton = useRef<Element | null>(null)
  // Each verified number's two-step toggle, by the number's id.
  const toggles = useRef(new Map<string, HTMLButtonElement>())
  const { ref: twoStepErrors, focusError: focusChange } = useErrorFocus<HTMLDivElement>((area) =>
    focusAfterChange(
      area,
      changeButton.current,
      changed.passed,
      changed.toggled === null ? null : (toggles.current.get(changed.toggled) ?? null),
    ),
  )

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
    factorChanged('phones-title')
  }

  const toggle = async (p: PhoneNumber) => {
    setNotice(null)
    makeDefault.clear()
    changeButton.current = document.activeElement
    const r = await reserve.run(() => user.setPhoneNumberReservedForSecondFactor(p.id, { reserved: !p.reservedForSecondFactor }))
    if (r.data) {
      factorChanged('phones-title')
      setNotice(
        r.data.reservedForSecondFactor
          ? `Sign-ins will ask for a code sent to ${r.data.phoneNumber}.`
          : `${r.data.phoneNumber} is no longer used for two-step verification.`,
      )
    }
    setChanged({ passed: !r.error, toggled: p.id })
    focusChange()
  }

  const choose = async (p: PhoneNumber) => {
    setNotice(null)
    reserve.clear()
    changeButton.current = document.activeElement
    const r = await makeDefault.run(() => user.makePhoneNumberDefaultSecondFactor(p.id))
    if (r.data) setNotice(`Sign-ins will text the code to ${r.data.phoneNumber} unless you choose another number.`)
    setChanged({ passed: !r.error, toggled: null })
    focusChange()
  }

  return (
    <IdentifierSection
      title="Phone numbers"
      titleId="phones-title"
      items={user.phoneNumbers}
      valueOf={(p) => p.phoneNumber}
      empty="No phone numbers yet. Add one to receive sign-in codes by SMS."
      badges={(p) =>
        p.reservedForSecondFactor && (
          <>
            <span className="badge badge--accent">Two-step verification</span>
            {choosing && p.defaultSecondFactor && (
              <>
                {' '}
                <span className="badge badge--accent">Default</span>
              </>
            )}
          </>
        )
      }
      actions={(p) =>
        removing?.id !== p.id && (
          <>
            {choosing && p.verified && p.reservedForSecondFactor && !p.defaultSecondFactor && (
              // One change to the two-step numbers at a time: each answers with which number is the default.
              <Button variant="secondary" busy={makeDefault.busy} disabled={reserve.busy} onClick={() => choose(p)}>
                Make default
              </Button>
            )}
            {p.verified && (
              <Button
                variant="secondary"
                busy={reserve.busy}
                disabled={makeDefault.busy}
                onClick={() => toggle(p)}
                ref={(el) => {
                  if (el) toggles.current.set(p.id, el)
                  else toggles.current.delete(p.id)
                }}
              >
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
      asking={removing && { item: removing, stale: remove.stale, close: () => setRemoving(null) }}
    >
      <div ref={twoStepErrors}>
        <AccountErrorList errors={reserve.error?.errors} />
        <AccountErrorList errors={makeDefault.error?.errors} />
      </div>
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

/**
 * focusAfterChange moves focus after a change to the two-step numbers answered: when it passed, to `next` (the
 * number's two-step toggle, under its new label) if it is still on the page, else to the section's heading (the
 * "Make default" button left its row, or the number is gone); when it failed, to the error shown in `area`. It leaves
 * focus alone when it has gone elsewhere meanwhile (not the button pressed, nor the page's body, where the busy or
 * removed button dropped it).
 */
function focusAfterChange(area: HTMLElement | null, button: Element | null, passed: boolean, next: HTMLElement | null): void {
  if (!area?.isConnected || !focusLost(button)) return
  if (passed && next?.isConnected) {
    next.focus()
    return
  }
  const target = passed ? area.closest('section')?.querySelector<HTMLElement>('h2') : area.querySelector<HTMLElement>('[role="alert"]')
  if (target) focusFromScript(target)
}
