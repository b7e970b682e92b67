import { useEffect, useRef, useState, type FormEvent, type HTMLInputTypeAttribute, type ReactNode } from 'react'
import type { Result, TrustgateAPIResponseErrorLike } from '@trustgate/react'
import { Alert } from '../../ui/Alert'
import { Button } from '../../ui/Button'
import { CodeForm } from '../../ui/CodeForm'
import { useErrorFocus } from '../../ui/errorFocus'
import { Field } from '../../ui/Field'
import { movedOn } from '../movedOn'
import { CodeSentNotice, ResendButton } from '../ResendButton'
import { useCodeSender } from '../useCodeSender'
import { AccountErrorList } from './AccountErrorList'
import { useGoneNotice } from './goneNotice'
import { OtherSessionsOffer, useFactorChanged } from './otherSessions'
import { codeFieldErrors, fieldErrors, useAction } from './useAction'

/** Identifier is an email address or phone number of the account, as the section lists it. */
export interface Identifier {
  id: string
  verified: boolean
}

/**
 * rereadIn reads the user again (`reload`) and answers the item of `item`'s id among those `itemsOf` lists in it now
 * (null when it is gone): an `IdentifierSection`'s `reread`.
 */
export async function rereadIn<U, T extends Identifier>(
  reload: () => Promise<Result<U | null>>,
  itemsOf: (user: U) => readonly T[],
  item: T,
): Promise<Result<T | null>> {
  const r = await reload()
  if (r.error) return r
  return { data: (r.data && itemsOf(r.data).find((i) => i.id === item.id)) ?? null, error: null }
}

/** AddField describes the form that adds an identifier. */
export interface AddField {
  /** open is the button that opens the form ("Add a phone number"), submit the one that sends it ("Add phone number"). */
  open: string
  submit: string
  label: string
  name: string
  type: HTMLInputTypeAttribute
  autoComplete: string
  placeholder: string
  hint: string
  /** params are the `paramName`s (and codes, for errors that name none) shown beside the input. */
  params: string[]
  codes: string[]
}

export interface IdentifierSectionProps<T extends Identifier> {
  title: string
  titleId: string
  items: readonly T[]
  /** valueOf is the identifier as the user typed it (the address or number). */
  valueOf: (item: T) => string
  empty: ReactNode
  /** badges follow the verified / unverified badge of an item. */
  badges?: (item: T) => ReactNode
  /** actions are an item's buttons besides "Verify" (which unverified items get); none while its code step is open. */
  actions?: (item: T) => ReactNode
  /** notice is the section's last success message; the section sets it after a verification and clears it before one. */
  notice: string | null
  onNotice: (notice: string | null) => void
  /** children go between the list and the forms (e.g. a confirmation asked by an action). */
  children?: ReactNode
  /**
   * asking is the question the section's children ask about one item ("Remove …?", "Make primary?"), or null: the
   * item, the `stale` count of the action its answer runs (`useAction`), and `close`. The question closes when the
   * item's code step opens (so the item cannot be changed under its own step), and when a refusal of that action
   * read the account again without the item (removed in another tab): the section then says so, as when a code
   * step closes that way.
   */
  asking?: { item: T; stale: number; close: () => void } | null
  field: AddField
  codeInputId: string
  create: (value: string) => Promise<Result<T>>
  prepare: (item: T) => Promise<Result<unknown>>
  attempt: (item: T, code: string) => Promise<Result<T>>
  /**
   * reread reads the account again and answers the item as it is now (null when it is gone), for a code step whose
   * send or check found the item verified meanwhile (in another tab).
   */
  reread: (item: T) => Promise<Result<T | null>>
  /** verifiedNotice is the notice after an item is verified; "… is verified." by default. */
  verifiedNotice?: (item: T) => string
}

/**
 * IdentifierSection is the part the email and phone sections of /account share: the list with verified and
 * unverified badges, "Add a …" (a change that may ask "Confirm it's you" first), and the code sent to a new or
 * unverified identifier, with a resend cooldown, until it is verified.
 */
export function IdentifierSection<T extends Identifier>(props: IdentifierSectionProps<T>) {
  const { title, titleId, items, valueOf, badges, actions, notice, onNotice, field } = props
  const asking = props.asking ?? null
  const [adding, setAdding] = useState(false)
  const [value, setValue] = useState('')
  const [verifying, setVerifying] = useState<T | null>(null)
  // An item removed while its code step is open (from another tab) closes the step. A step opened for an item just
  // added stays open until the list has shown it once (the list reloads after the addition).
  const listed = verifying !== null && items.some((i) => i.id === verifying.id)
  const wasListed = useRef(false)
  // The identifier whose step or question closed that way, said in the section: the step's or question's own refusal
  // (useAction reads the account again after a `resource_not_found`) leaves the page with it, as does the button
  // that had focus.
  const gone = useGoneNotice()
  const sayGone = (item: T) =>
    gone.say(
      <>
        <span className="identifier">{valueOf(item)}</span> is no longer on your account: it was removed elsewhere.
      </>,
    )
  useEffect(() => {
    if (listed) wasListed.current = true
    else if (wasListed.current) {
      wasListed.current = false
      if (verifying) {
        sayGone(verifying)
        setVerifying(null)
      }
    }
  }, [listed])
  // Only once a refusal of the question's own action was read again: its answer that passed (a removal) reloads the
  // account without the item too, and the section says that itself.
  useEffect(() => {
    if (asking && asking.stale > 0 && !items.some((i) => i.id === asking.item.id)) {
      sayGone(asking.item)
      asking.close()
    }
  }, [asking?.stale])
  useEffect(() => {
    if (notice) gone.clear()
  }, [notice])
  const add = useAction()
  const { ref: addForm, focusError } = useErrorFocus()
  const factorChanged = useFactorChanged()

  const startVerification = (item: T) => {
    onNotice(null)
    gone.clear()
    if (asking?.item.id === item.id) asking.close()
    wasListed.current = false
    setVerifying(item)
  }

  const submitNew = async (e: FormEvent) => {
    e.preventDefault()
    if (add.busy) return
    const r = await add.run(() => props.create(value.trim()))
    if (r.data) {
      setAdding(false)
      setValue('')
      startVerification(r.data)
    } else focusError()
  }

  const verified = (item: T) => {
    setVerifying(null)
    onNotice(props.verifiedNotice?.(item) ?? `${valueOf(item)} is verified.`)
    // A verified identifier is a new way to sign in (a code sent to it).
    factorChanged(titleId)
  }

  const addErrors = fieldErrors(add.error, { value: { params: field.params, codes: field.codes } })

  return (
    <section className="panel" aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {notice && <Alert tone="success">{notice}</Alert>}
      {gone.notice}
      <OtherSessionsOffer section={titleId} />
      {items.length === 0 ? (
        <p className="muted">{props.empty}</p>
      ) : (
        <ul className="list">
          {items.map((item) => (
            <li key={item.id} className="list__item">
              <div>
                <span className="identifier">{valueOf(item)}</span>{' '}
                {item.verified ? <span className="badge badge--ok">Verified</span> : <span className="badge">Unverified</span>}{' '}
                {badges?.(item)}
              </div>
              <div className="list__actions">
                {/* While its code step is open, an item offers nothing else (Cancel closes the step). */}
                {verifying?.id !== item.id && (
                  <>
                    {!item.verified && (
                      <Button variant="secondary" onClick={() => startVerification(item)}>
                        Verify
                      </Button>
                    )}
                    {actions?.(item)}
                  </>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {props.children}

      {verifying && (
        <CodeStep
          key={verifying.id}
          destination={valueOf(verifying)}
          inputId={props.codeInputId}
          send={() => props.prepare(verifying)}
          check={(code) => props.attempt(verifying, code)}
          reread={() => props.reread(verifying)}
          onVerified={verified}
          onCancel={() => setVerifying(null)}
        />
      )}

      {adding ? (
        <form className="form inline-form" onSubmit={submitNew} noValidate ref={addForm}>
          <AccountErrorList errors={addErrors.global} />
          <Field
            label={field.label}
            name={field.name}
            type={field.type}
            autoComplete={field.autoComplete}
            placeholder={field.placeholder}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            error={addErrors.fields.value}
            hint={field.hint}
            autoFocus
            required
          />
          <div className="actions">
            <Button type="submit" busy={add.busy}>
              {field.submit}
            </Button>
            <Button variant="secondary" onClick={() => setAdding(false)}>
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <Button
          variant="secondary"
          onClick={() => {
            gone.clear()
            setAdding(true)
          }}
        >
          {field.open}
        </Button>
      )}
    </section>
  )
}

interface CodeStepProps<T extends Identifier> {
  destination: string
  inputId: string
  send: () => Promise<Result<unknown>>
  check: (code: string) => Promise<Result<T>>
  reread: () => Promise<Result<T | null>>
  onVerified: (item: T) => void
  onCancel: () => void
}

/**
 * CodeStep sends a code to one identifier when it opens, then takes it: a wrong code shows beside the input,
 * "Resend code" waits out the 30 s cooldown (or the server's `retryAfterSeconds`). A send or check that finds the
 * identifier verified meanwhile (`verification_already_verified`: its code was entered in another tab) reads the
 * account again and, when it is verified, ends the step as a check that passed here would.
 */
function CodeStep<T extends Identifier>({ destination, inputId, send, check, reread, onVerified, onCancel }: CodeStepProps<T>) {
  const sending = useAction()
  const attempt = useAction()
  // The refusal stays shown unless the account, read again, has the identifier verified.
  const reload = async (error: TrustgateAPIResponseErrorLike) => {
    const r = await reread()
    if (r.data?.verified) {
      onVerified(r.data)
      return { error: null }
    }
    return { error: r.error ?? error }
  }
  const sender = useCodeSender(() => sending.run(send), reload, true)
  const codeErrors = codeFieldErrors(attempt.error)

  const submit = async (code: string) => {
    const r = await attempt.run(() => check(code))
    if (r.error && movedOn(r.error)) return reload(r.error)
    if (r.data) onVerified(r.data)
    return r
  }

  return (
    <div className="inline-form">
      <p>
        We sent a 6-digit code to <strong className="identifier">{destination}</strong>.
      </p>
      <CodeSentNotice notice={sender.notice} />
      <AccountErrorList errors={sending.error?.errors} />
      <AccountErrorList errors={codeErrors.global} />
      <CodeForm label="Verification code" id={inputId} error={codeErrors.fields.code} busy={attempt.busy} onSubmit={submit} />
      <div className="actions">
        <ResendButton sender={sender} checking={attempt.busy} />
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </div>
  )
}
