import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react'
import {
  useSession,
  useUser,
  type EmailCodeFactor,
  type NeedsReverificationParams,
  type PhoneCodeFactor,
  type Result,
  type SessionVerificationLevel,
  type SessionVerificationResource,
  type TrustgateAPIError,
  type TrustgateAPIResponseErrorLike,
} from '@trustgate/react'
import { Alert, ErrorList } from '../../ui/Alert'
import { Button, Loading } from '../../ui/Button'
import { CodeForm } from '../../ui/CodeForm'
import { PasswordField } from '../../ui/Field'
import { Modal } from '../../ui/Modal'
import { CodeSentNotice, ResendButton } from '../ResendButton'
import { prepareParams } from '../codeFactors'
import { movedOn } from '../movedOn'
import { useCodeSender } from '../useCodeSender'
import { SignInAgain } from './AccountErrorList'
import { ReverificationContext, type AccountReverificationHandler } from './reverificationContext'
import { codeFieldErrors, fieldErrors, useAction } from './useAction'

const LEVEL_ORDER: SessionVerificationLevel[] = ['first_factor', 'second_factor', 'multi_factor']

/** strongest is the most demanding level asked for, or undefined (the server's default) when none named one. */
function strongest(levels: (SessionVerificationLevel | undefined)[]): SessionVerificationLevel | undefined {
  return levels.reduce<SessionVerificationLevel | undefined>(
    (a, b) => (b === undefined || (a !== undefined && LEVEL_ORDER.indexOf(a) >= LEVEL_ORDER.indexOf(b)) ? a : b),
    undefined,
  )
}

/**
 * ReverificationProvider gives the account page's actions (through `useAction`) one "Confirm it's you" dialog:
 * when a call answers `session_reverification_required`, the dialog verifies the session in place
 * (`session.startVerification()` and its factors); once it is complete, every action waiting for it runs again.
 * Cancelling gives each action its error back.
 */
export function ReverificationProvider({ children }: { children: ReactNode }) {
  const waiting = useRef<NeedsReverificationParams[]>([])
  // returnFocusTo: the element that had focus when the action that opened the dialog started.
  const [open, setOpen] = useState<{ level: SessionVerificationLevel | undefined; returnFocusTo: HTMLElement | null } | null>(null)

  const handler = useCallback<AccountReverificationHandler>((params, opener) => {
    waiting.current.push(params)
    const level = strongest(waiting.current.map((p) => p.level))
    setOpen((prev) => ({ level, returnFocusTo: prev ? prev.returnFocusTo : opener }))
  }, [])

  const settle = useCallback((completed: boolean) => {
    const all = waiting.current
    waiting.current = []
    setOpen(null)
    for (const p of all) {
      if (completed) p.complete()
      else p.cancel()
    }
  }, [])

  return (
    <>
      <ReverificationContext.Provider value={handler}>{children}</ReverificationContext.Provider>
      {open && (
        <ConfirmItsYou
          level={open.level}
          returnFocusTo={open.returnFocusTo}
          onComplete={() => settle(true)}
          onCancel={() => settle(false)}
        />
      )}
    </>
  )
}

interface ConfirmItsYouProps {
  /** level to start the verification at; undefined leaves it to the server (second_factor). */
  level: SessionVerificationLevel | undefined
  /** returnFocusTo is where focus goes when the dialog closes (see `Modal`); default: what had focus when it opened. */
  returnFocusTo?: HTMLElement | null
  onComplete: () => void
  onCancel: () => void
}

/**
 * ConfirmItsYou is the reverification dialog: it starts a verification of the session, asks for the factor its
 * status needs (the password or an emailed / texted code; for a user with MFA, the authenticator app, a texted
 * code or a backup code), lets the user switch between the factors offered, and reports `complete`.
 * "Sign in again" stays available as the fallback.
 */
export function ConfirmItsYou({ level, returnFocusTo, onComplete, onCancel }: ConfirmItsYouProps) {
  const { session } = useSession()
  const [verification, setVerification] = useState<SessionVerificationResource | null>(null)
  // The session's verification, not the account: its steps read a refused verification again themselves (movedOn).
  const start = useAction({ refresh: false })
  const { run } = start

  const begin = useCallback(async () => {
    if (!session) return
    setVerification(null)
    const r = await run(() => session.startVerification(level ? { level } : {}))
    if (r.data) setVerification(r.data)
  }, [run, session, level])

  const started = useRef(false)
  useEffect(() => {
    if (started.current) return
    started.current = true
    void begin()
  }, [begin])

  const onCompleteRef = useRef(onComplete)
  onCompleteRef.current = onComplete
  const complete = verification?.status === 'complete'
  useEffect(() => {
    if (complete) onCompleteRef.current()
  }, [complete])

  let body: ReactNode
  if (verification && !complete) {
    // Keyed by status: a multi_factor verification moves on to a fresh second-factor step.
    body = <VerificationStep key={verification.status} verification={verification} onUpdate={setVerification} onRestart={begin} />
  } else if (start.error) {
    body = (
      <>
        <ErrorList errors={start.error.errors} />
        <div className="actions">
          <Button variant="secondary" onClick={() => void begin()}>
            Try again
          </Button>
        </div>
      </>
    )
  } else {
    body = <Loading label={complete ? 'Confirmed. Continuing…' : 'Getting ready…'} />
  }

  return (
    <Modal
      title="Confirm it's you"
      description="For your security, confirm it's you before you change how you sign in."
      onClose={onCancel}
      returnFocusTo={returnFocusTo}
    >
      <div className="reverify">{body}</div>
      <div className="actions actions--end">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
      <p className="muted small reverify__fallback">
        Can't confirm it here? <SignInAgain variant="link" />
      </p>
    </Modal>
  )
}

/** Method is one way to pass the step a verification is at. */
type Method =
  | { kind: 'password' }
  | { kind: 'code'; step: 'first' | 'second'; factor: EmailCodeFactor | PhoneCodeFactor }
  | { kind: 'totp' }
  | { kind: 'backup_code' }

const FIRST_ORDER = ['password', 'email_code', 'phone_code']
const SECOND_ORDER = ['totp', 'phone_code', 'backup_code']

/** methodsOf lists the ways to pass the verification's current step: password first, authenticator app first. */
export function methodsOf(v: SessionVerificationResource): Method[] {
  const second = v.status === 'needs_second_factor'
  const order = second ? SECOND_ORDER : FIRST_ORDER
  const factors = [...(second ? v.supportedSecondFactors : v.supportedFirstFactors)]
    .filter((f) => order.includes(f.strategy))
    .sort((a, b) => order.indexOf(a.strategy) - order.indexOf(b.strategy) || primaryFirst(a, b))
  return factors.map((f): Method => {
    switch (f.strategy) {
      case 'password':
        return { kind: 'password' }
      case 'totp':
        return { kind: 'totp' }
      case 'backup_code':
        return { kind: 'backup_code' }
      default:
        return { kind: 'code', step: second ? 'second' : 'first', factor: f }
    }
  })
}

function primaryFirst(a: object, b: object): number {
  const p = (f: object) => ('primary' in f && f.primary ? 0 : 1)
  return p(a) - p(b)
}

function methodKey(m: Method): string {
  if (m.kind !== 'code') return m.kind
  return `${m.factor.strategy}:${m.factor.strategy === 'email_code' ? m.factor.emailAddressId : m.factor.phoneNumberId}`
}

function switchLabel(m: Method): string {
  switch (m.kind) {
    case 'password':
      return 'Use your password'
    case 'totp':
      return 'Use your authenticator app'
    case 'backup_code':
      return 'Use a backup code'
    case 'code':
      return `${m.factor.strategy === 'email_code' ? 'Email' : 'Text'} a code to ${m.factor.safeIdentifier}`
  }
}

interface StepProps {
  verification: SessionVerificationResource
  onUpdate: (v: SessionVerificationResource) => void
  onRestart: () => void
}

/** VerificationStep asks for one of the factors the verification's status needs, with links to the others. */
function VerificationStep({ verification, onUpdate, onRestart }: StepProps) {
  const methods = methodsOf(verification)
  // `switched`: the user picked this method, so a code goes out at once (as on the sign-in page).
  const [choice, setChoice] = useState<{ key: string | undefined; switched: boolean }>(() => ({
    key: methods[0] && methodKey(methods[0]),
    switched: false,
  }))
  const method = methods.find((m) => methodKey(m) === choice.key) ?? methods[0]

  if (!method) {
    return (
      <Alert>
        Your account has no way to confirm it's you here. Sign in again to continue.
      </Alert>
    )
  }
  const others = methods.filter((m) => m !== method)
  return (
    <>
      {/* Keyed by method so that switching starts a fresh form. */}
      <MethodForm
        key={methodKey(method)}
        method={method}
        status={verification.status}
        autoSend={choice.switched}
        onUpdate={onUpdate}
        onRestart={onRestart}
      />
      {others.length > 0 && (
        <nav aria-label="Other ways to confirm" className="alt-methods">
          <ul>
            {others.map((m) => (
              <li key={methodKey(m)}>
                <Button variant="link" onClick={() => setChoice({ key: methodKey(m), switched: true })}>
                  {switchLabel(m)}
                </Button>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </>
  )
}

/** RESTART_CODES are the errors after which only a new verification helps. */
const RESTART_CODES = ['verification_expired', 'verification_missing', 'client_state_invalid']

interface MethodFormProps {
  method: Method
  /** status is the step of the verification the form answers. */
  status: SessionVerificationResource['status']
  autoSend: boolean
  onUpdate: (v: SessionVerificationResource) => void
  onRestart: () => void
}

function MethodForm({ method, status, autoSend, onUpdate, onRestart }: MethodFormProps) {
  const { session } = useSession()
  const attempt = useAction({ refresh: false })

  /**
   * reload reads the verification again after a send or check found it moved on (`movedOn`: its code passed in
   * another tab, or it is at another step now), and goes on from the step it is at; when it is still at this one,
   * or gone, the refusal stays (with "Start again" where only a new verification helps).
   */
  const reload = async (error: TrustgateAPIResponseErrorLike) => {
    const r = session ? await session.getVerification() : null
    if (!r?.data) return { error: r?.error ?? error }
    onUpdate(r.data)
    return { error: r.data.status === status ? error : null }
  }

  // A refused factor puts focus back in its input, to type it again.
  const check = async (fieldId: string, call: () => Promise<Result<SessionVerificationResource>>) => {
    const r = await attempt.run(call)
    if (r.data) onUpdate(r.data)
    else if (!movedOn(r.error) || (await reload(r.error)).error) document.getElementById(fieldId)?.focus()
  }

  if (!session) return null
  switch (method.kind) {
    case 'password':
      return <PasswordMethod attempt={attempt} onRestart={onRestart} onSubmit={(password) => check('reverify-password', () => session.attemptFirstFactorVerification({ strategy: 'password', password }))} />
    case 'totp':
      return (
        <SecondFactorCode
          attempt={attempt}
          onRestart={onRestart}
          hint="Enter the 6-digit code from your authenticator app."
          label="Authentication code"
          id="reverify-totp"
          onSubmit={(code) => check('reverify-totp', () => session.attemptSecondFactorVerification({ strategy: 'totp', code }))}
        />
      )
    case 'backup_code':
      return (
        <SecondFactorCode
          attempt={attempt}
          onRestart={onRestart}
          hint="Enter one of the backup codes you saved. Each code works once."
          kind="backup"
          label="Backup code"
          id="reverify-backup-code"
          onSubmit={(code) => check('reverify-backup-code', () => session.attemptSecondFactorVerification({ strategy: 'backup_code', code }))}
        />
      )
    case 'code': {
      const { factor, step } = method
      const send = () => {
        if (step === 'second') return session.prepareSecondFactorVerification({ strategy: 'phone_code', phoneNumberId: factor.strategy === 'phone_code' ? factor.phoneNumberId : undefined })
        return session.prepareFirstFactorVerification(prepareParams(factor))
      }
      const verify = (code: string) =>
        check('reverify-code', () =>
          step === 'second'
            ? session.attemptSecondFactorVerification({ strategy: 'phone_code', code })
            : session.attemptFirstFactorVerification({ strategy: factor.strategy, code }),
        )
      return (
        <CodeMethod
          factor={factor}
          autoSend={autoSend}
          send={send}
          onSent={onUpdate}
          reload={reload}
          verify={verify}
          attempt={attempt}
          onRestart={onRestart}
        />
      )
    }
  }
}

type Action = ReturnType<typeof useAction>

/** SecondFactorCode asks for the code of an authenticator app or a backup code. */
function SecondFactorCode({
  attempt,
  onRestart,
  hint,
  kind,
  label,
  id,
  onSubmit,
}: {
  attempt: Action
  onRestart: () => void
  hint: string
  kind?: 'backup'
  label: string
  id: string
  onSubmit: (code: string) => void
}) {
  const errors = codeFieldErrors(attempt.error)
  return (
    <>
      <p className="muted">{hint}</p>
      <ErrorList errors={errors.global} />
      <Restart errors={attempt.error?.errors} onRestart={onRestart} />
      <CodeForm kind={kind} label={label} id={id} submitLabel="Confirm" error={errors.fields.code} busy={attempt.busy} onSubmit={onSubmit} />
    </>
  )
}

/** UsernameForPasswordManagers tells a password manager which account's password to fill in. */
function UsernameForPasswordManagers() {
  const { user } = useUser()
  const username = user?.primaryEmailAddress?.emailAddress ?? user?.phoneNumbers[0]?.phoneNumber ?? user?.username
  if (!username) return null
  return <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
}

function PasswordMethod({ attempt, onSubmit, onRestart }: { attempt: Action; onSubmit: (password: string) => unknown; onRestart: () => void }) {
  const [password, setPassword] = useState('')
  const errors = fieldErrors(attempt.error, { password: { params: ['password'], codes: ['form_password_incorrect'] } })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    void onSubmit(password)
  }
  return (
    <>
      <p className="muted">Enter your password to continue.</p>
      <ErrorList errors={errors.global} />
      <Restart errors={attempt.error?.errors} onRestart={onRestart} />
      <form className="form" onSubmit={submit} noValidate>
        <UsernameForPasswordManagers />
        <PasswordField
          label="Password"
          name="password"
          id="reverify-password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.fields.password}
          autoFocus
          required
        />
        <Button type="submit" busy={attempt.busy} disabled={!password}>
          Confirm
        </Button>
      </form>
    </>
  )
}

interface CodeMethodProps {
  factor: EmailCodeFactor | PhoneCodeFactor
  autoSend: boolean
  send: () => Promise<Result<SessionVerificationResource>>
  onSent: (v: SessionVerificationResource) => void
  /** reload reads the verification again when a send found it moved on (see `MethodForm`). */
  reload: (error: TrustgateAPIResponseErrorLike) => Promise<{ error: TrustgateAPIResponseErrorLike | null }>
  verify: (code: string) => unknown
  attempt: Action
  onRestart: () => void
}

/**
 * CODE_COOLDOWN is the server's refusal of a send within 30 s of the last code to the same address or number
 * (`meta.retryAfterSeconds`). The verification keeps that code across new starts and switches of method, so the
 * refusal means a code is on its way there and can be entered.
 */
const CODE_COOLDOWN = 'verification_code_too_many_requests'

/**
 * CodeMethod sends a code to the masked address or number ("Send code", or at once when the user switched to it),
 * then asks for it, with "Resend code" after the cooldown (the server's `retryAfterSeconds` when it refuses). A
 * send the cooldown refuses (a code sent moments ago, before a Cancel or a switch of method) asks for that code.
 */
function CodeMethod({ factor, autoSend, send, onSent, reload, verify, attempt, onRestart }: CodeMethodProps) {
  const sending = useAction({ refresh: false })
  const [requested, setRequested] = useState(autoSend)
  const [sent, setSent] = useState(false)
  const sender = useCodeSender(
    async () => {
      const r = await sending.run(send)
      if (r.data) {
        setSent(true)
        onSent(r.data)
      } else if (r.error.errors.some((e) => e.code === CODE_COOLDOWN)) {
        setSent(true)
      }
      return { error: r.error }
    },
    reload,
    requested,
  )
  const byEmail = factor.strategy === 'email_code'
  const errors = codeFieldErrors(attempt.error)
  // The cooldown is shown by the resend button's countdown, beside the input for the code already sent.
  const sendErrors = sending.error?.errors.filter((e) => e.code !== CODE_COOLDOWN)

  return (
    <>
      <p>
        {sent ? 'We sent a 6-digit code to ' : `We'll ${byEmail ? 'email' : 'text'} a 6-digit code to `}
        <strong className="identifier">{factor.safeIdentifier}</strong>.
      </p>
      <ErrorList errors={sendErrors} />
      <ErrorList errors={errors.global} />
      <Restart errors={[...(attempt.error?.errors ?? []), ...(sendErrors ?? [])]} onRestart={onRestart} />
      <CodeSentNotice notice={sender.notice} />
      {sent ? (
        <>
          <CodeForm
            label="Verification code"
            id="reverify-code"
            submitLabel="Confirm"
            error={errors.fields.code}
            busy={attempt.busy}
            onSubmit={verify}
          />
          <div className="actions">
            <ResendButton sender={sender} checking={attempt.busy} />
          </div>
        </>
      ) : (
        <div className="actions">
          <Button
            busy={sender.sending}
            disabled={sender.remaining > 0}
            onClick={() => (requested ? void sender.resend() : setRequested(true))}
          >
            {sender.remaining > 0 ? `Send code in ${sender.remaining}s` : 'Send code'}
          </Button>
        </div>
      )}
    </>
  )
}

/** Restart offers a new verification after an error that only a new one fixes (expired, missing, wrong step). */
function Restart({ errors, onRestart }: { errors: TrustgateAPIError[] | undefined; onRestart: () => void }) {
  if (!errors?.some((e) => RESTART_CODES.includes(e.code))) return null
  return (
    <div className="actions">
      <Button variant="secondary" onClick={onRestart}>
        Start again
      </Button>
    </div>
  )
}
