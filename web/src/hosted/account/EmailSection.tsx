import { useState } from 'react'
import type { EmailAddressResource, User } from '@trustgate/react'
import { Button } from '../../ui/Button'
import { Confirm } from './Confirm'
import { useFactorChanged } from './otherSessions'
import { IdentifierSection, rereadIn, type AddField } from './IdentifierSection'
import { useAction } from './useAction'

const EMAIL_FIELD: AddField = {
  open: 'Add an email address',
  submit: 'Add email address',
  label: 'New email address',
  name: 'newEmailAddress',
  type: 'email',
  autoComplete: 'email',
  placeholder: 'you@example.com',
  hint: 'We will email it a code.',
  params: ['emailAddress'],
  codes: ['form_param_format_invalid', 'form_identifier_exists'],
}

/** OTHER_DEVICES tells what making another address primary does to the user's trusted devices (Client Trust rule 4). */
export const OTHER_DEVICES = 'Your other devices will need a code the next time they sign in.'

/** Change is an action on one address that asks first: making it primary, or removing it. */
interface Change {
  kind: 'primary' | 'remove'
  address: EmailAddressResource
}

/**
 * EmailSection lists the user's email addresses (the primary one marked); adds one and verifies it with an emailed
 * code; makes a verified one primary (every other device then stops being trusted); removes any but the primary.
 */
export function EmailSection({ user }: { user: User }) {
  const [notice, setNotice] = useState<string | null>(null)
  const [asking, setAsking] = useState<Change | null>(null)
  const change = useAction()
  const factorChanged = useFactorChanged()

  const ask = (kind: Change['kind'], address: EmailAddressResource) => {
    setNotice(null)
    change.clear()
    setAsking({ kind, address })
  }

  const confirm = async ({ kind, address }: Change) => {
    const r =
      kind === 'primary'
        ? await change.run(() => user.update({ primaryEmailAddressId: address.id }))
        : await change.run(() => address.destroy())
    if (r.error) return
    setAsking(null)
    factorChanged('emails-title')
    setNotice(
      kind === 'primary'
        ? `${address.emailAddress} is now your primary email address. ${OTHER_DEVICES}`
        : `${address.emailAddress} was removed.`,
    )
  }

  const primary = (e: EmailAddressResource) => e.id === user.primaryEmailAddressId
  const hadPrimary = user.emailAddresses.some((e) => e.verified && primary(e))

  return (
    <IdentifierSection
      title="Email addresses"
      titleId="emails-title"
      items={user.emailAddresses}
      valueOf={(e) => e.emailAddress}
      empty="No email addresses yet. Add one to receive sign-in codes by email."
      badges={(e) => primary(e) && <span className="badge badge--accent">Primary</span>}
      actions={(e) =>
        !primary(e) &&
        asking?.address.id !== e.id && (
          <>
            {e.verified && (
              <Button variant="secondary" onClick={() => ask('primary', e)}>
                Make primary
              </Button>
            )}
            <Button variant="secondary" onClick={() => ask('remove', e)}>
              Remove
            </Button>
          </>
        )
      }
      notice={notice}
      onNotice={setNotice}
      field={EMAIL_FIELD}
      codeInputId="email-code"
      create={(email) => user.createEmailAddress({ email })}
      prepare={(e) => e.prepareVerification({ strategy: 'email_code' })}
      attempt={(e, code) => e.attemptVerification({ code })}
      reread={(e) => rereadIn(() => user.reload(), (u) => u.emailAddresses, e)}
      asking={asking && { item: asking.address, stale: change.stale, close: () => setAsking(null) }}
      verifiedNotice={(e) =>
        // The first verified address becomes the primary one, a change of primary address like any other.
        hadPrimary
          ? `${e.emailAddress} is verified.`
          : `${e.emailAddress} is verified and is now your primary email address. ${OTHER_DEVICES}`
      }
    >
      {asking && (
        <Confirm
          // One question per address and kind: a new one mounts, and takes focus, as the first did.
          key={`${asking.kind}-${asking.address.id}`}
          id="email-change-question"
          question={
            asking.kind === 'primary' ? (
              <>
                Make <strong className="identifier">{asking.address.emailAddress}</strong> your primary email address?{' '}
                {OTHER_DEVICES}
              </>
            ) : (
              <>
                Remove <strong className="identifier">{asking.address.emailAddress}</strong> from your account? It will no
                longer receive sign-in codes.
              </>
            )
          }
          errors={change.error?.errors}
          confirmLabel={asking.kind === 'primary' ? 'Make primary' : 'Remove'}
          busy={change.busy}
          onConfirm={() => confirm(asking)}
          onCancel={() => setAsking(null)}
        />
      )}
    </IdentifierSection>
  )
}
