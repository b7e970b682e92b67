import { useEffect, useState, type FormEvent, type ReactNode } from 'react'
import { Link, useLocation } from 'react-router'
import {
  useSession,
  useSignIn,
  type EmailCodeFactor,
  type FieldError,
  type PhoneCodeFactor,
  type ResetPasswordCodeStrategy,
  type SignInSecondFactor,
  type TrustgateAPIError,
} from '@trustgate/react'
import { Alert, ErrorList } from '../ui/Alert'
import { Button, Loading } from '../ui/Button'
import { CodeForm } from '../ui/CodeForm'
import { Field, PasswordField } from '../ui/Field'
import { NEW_PASSWORD_HINT, NewPasswordFields, useNewPassword } from '../ui/NewPassword'
import { splitCodeErrors } from './codeErrors'
import { Finalizing } from './Finalizing'
import { withCarriedParams } from './location'
import { ResendButton } from './ResendButton'
import { useAfterAuth } from './useAfterAuth'
import { RESEND_COOLDOWN_SECONDS, useCodeSender } from './useCodeSender'

/** CLIENT_TRUST_NOTICE is Clerk's wording for the new-device check (localization key newDeviceVerificationNotice). */
export const CLIENT_TRUST_NOTICE =
  "You're signing in from a new device. We're asking for verification to keep your account secure."

/**
 * SignInPage is the hosted `/sign-in`: password (or "Forgot password?": a reset code and a new password), then
 * Client Trust or MFA when the server asks, then redirect.
 */
export function SignInPage() {
  const { signIn } = useSignIn()
  const { isLoaded, isSignedIn } = useSession()
  const afterAuth = useAfterAuth()
  const alreadySignedIn = isLoaded && isSignedIn && signIn.status !== 'complete'
  // Kept here, above the steps, so that "Back to sign in" from the reset step finds the identifier still typed.
  const [draft, setDraft] = useState<IdentifierDraft>({ kind: 'email', identifier: '' })
  // When this page last asked for a reset code, for the resend cooldown; null after a reload (the server's applies).
  const [resetSentAt, setResetSentAt] = useState<number | null>(null)

  useEffect(() => {
    if (alreadySignedIn) afterAuth()
  }, [alreadySignedIn, afterAuth])

  if (!isLoaded) return <Loading />
  if (alreadySignedIn) return <Loading label="You're already signed in. Redirecting…" />
  switch (signIn.status) {
    case 'needs_client_trust':
      return <ClientTrustStep />
    case 'needs_second_factor':
      return <SecondFactorStep />
    case 'complete':
      return <Finalize />
    case 'needs_new_password':
      return <NeedsNewPassword />
  }
  // A reset code is on its way (also after a reload: the server keeps the sign-in and its verification).
  const pending = signIn.firstFactorVerification?.strategy
  if (signIn.status === 'needs_first_factor' && isResetStrategy(pending)) {
    return <ResetPasswordStep strategy={pending} sentAt={resetSentAt} />
  }
  return <PasswordStep draft={draft} onDraft={setDraft} onResetCodeRequested={() => setResetSentAt(Date.now())} />
}

type IdentifierKind = 'email' | 'phone'

/** IdentifierDraft is what the visitor typed to name their account: an email address or a phone number. */
interface IdentifierDraft {
  kind: IdentifierKind
  identifier: string
}

function isResetStrategy(strategy: string | null | undefined): strategy is ResetPasswordCodeStrategy {
  return strategy === 'reset_password_email_code' || strategy === 'reset_password_phone_code'
}

/** resetStrategyFor picks the reset strategy of the identifier's kind. */
function resetStrategyFor(kind: IdentifierKind): ResetPasswordCodeStrategy {
  return kind === 'email' ? 'reset_password_email_code' : 'reset_password_phone_code'
}

/** OTHER_DEVICES_NOTE tells the user what a reset does to their other sessions (the server's default). */
export const OTHER_DEVICES_NOTE = 'Resetting your password signs you out on your other devices.'

interface PasswordStepProps {
  draft: IdentifierDraft
  onDraft: (d: IdentifierDraft) => void
  /** onResetCodeRequested is called when "Forgot password?" asks the server for a reset code. */
  onResetCodeRequested: () => void
}

/** PasswordStep is the first screen: identifier and password, or (after "Forgot password?") the identifier alone. */
function PasswordStep({ draft, onDraft, onResetCodeRequested }: PasswordStepProps) {
  const { signIn, errors, fetchStatus } = useSignIn()
  const { search } = useLocation()
  const [password, setPassword] = useState('')
  const [forgot, setForgot] = useState(false)
  const identifier = draft.identifier.trim()

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    await signIn.password(draft.kind === 'email' ? { emailAddress: identifier, password } : { phoneNumber: identifier, password })
  }

  const sendResetCode = () => {
    // Before the request: the reset step replaces this one as soon as the new sign-in arrives.
    onResetCodeRequested()
    return signIn.create({ identifier, strategy: resetStrategyFor(draft.kind) })
  }

  // "Forgot password?" reuses the identifier typed; without one, the forgot screen asks for it first.
  const startReset = () => {
    setForgot(true)
    if (identifier) void sendResetCode()
    else void signIn.reset() // forgets the errors of an earlier password attempt (no request)
  }

  if (forgot) {
    const byEmail = draft.kind === 'email'
    return (
      <>
        <header className="card__header">
          <h1>Forgot your password?</h1>
          <p className="muted">
            {byEmail
              ? "Enter your account's email address and we'll email you a code to reset your password."
              : "Enter your account's phone number and we'll text you a code to reset your password."}
          </p>
        </header>
        <ErrorList errors={errors.global} />
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault()
            void sendResetCode()
          }}
          noValidate
        >
          <IdentifierFields draft={draft} onDraft={onDraft} error={errors.fields.identifier} autoFocus />
          <Button type="submit" busy={fetchStatus === 'fetching'} disabled={!identifier}>
            Send reset code
          </Button>
        </form>
        <div className="actions">
          <Button
            variant="secondary"
            onClick={() => {
              setForgot(false)
              void signIn.reset() // the errors were about the reset, not the sign-in form
            }}
          >
            Back to sign in
          </Button>
        </div>
      </>
    )
  }

  return (
    <>
      <header className="card__header">
        <h1>Sign in</h1>
        <p className="muted">Welcome back. Sign in to continue.</p>
      </header>
      <ErrorList errors={errors.global} />
      <form className="form" onSubmit={submit} noValidate>
        <IdentifierFields draft={draft} onDraft={onDraft} error={errors.fields.identifier} />
        <PasswordField
          label="Password"
          name="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.fields.password}
          required
        />
        <Button variant="link" onClick={startReset} style={{ alignSelf: 'flex-end', marginTop: '-0.5rem' }}>
          Forgot password?
        </Button>
        <Button type="submit" busy={fetchStatus === 'fetching'}>
          Continue
        </Button>
      </form>
      <p className="card__footer-text">
        Don't have an account? <Link to={withCarriedParams('/sign-up', search)}>Sign up</Link>
      </p>
    </>
  )
}

/** IdentifierFields are the email / phone switch and the identifier input of that kind. */
function IdentifierFields({
  draft,
  onDraft,
  error,
  autoFocus,
}: {
  draft: IdentifierDraft
  onDraft: (d: IdentifierDraft) => void
  error: FieldError | null
  autoFocus?: boolean
}) {
  const email = draft.kind === 'email'
  return (
    <>
      <fieldset className="segmented">
        <legend className="visually-hidden">Sign in with</legend>
        {(['email', 'phone'] as const).map((k) => (
          <label key={k} className="segmented__option">
            <input
              type="radio"
              name="identifier-kind"
              value={k}
              checked={draft.kind === k}
              onChange={() => onDraft({ kind: k, identifier: '' })}
            />
            <span>{k === 'email' ? 'Email' : 'Phone'}</span>
          </label>
        ))}
      </fieldset>
      <Field
        key={draft.kind}
        label={email ? 'Email address' : 'Phone number'}
        name="identifier"
        type={email ? 'email' : 'tel'}
        autoComplete={email ? 'username email' : 'username tel'}
        placeholder={email ? undefined : '+1 555 123 4567'}
        value={draft.identifier}
        onChange={(e) => onDraft({ ...draft, identifier: e.target.value })}
        error={error}
        autoFocus={autoFocus}
        required
      />
    </>
  )
}

/** unshown lists the errors of the last call that no field shows, for the alert above the form. */
function unshown(raw: TrustgateAPIError[] | null, ...shown: (FieldError | null)[]): TrustgateAPIError[] | null {
  const rest = (raw ?? []).filter((e) => !shown.includes(e))
  return rest.length ? rest : null
}

/**
 * UsernameForPasswordManagers is the hidden username input Chromium's password manager looks for, so that the new
 * password is saved for the right account.
 */
function UsernameForPasswordManagers({ identifier }: { identifier: string | null }) {
  if (!identifier) return null
  return <input type="text" name="username" autoComplete="username" value={identifier} readOnly hidden />
}

/**
 * ResetPasswordStep is "Forgot password?"'s second screen: the code sent to the identifier and the new password,
 * checked together (`attemptFirstFactor` with the code and the password); the sign-in then completes or asks for
 * the second factor.
 */
function ResetPasswordStep({ strategy, sentAt }: { strategy: ResetPasswordCodeStrategy; sentAt: number | null }) {
  const { signIn, errors, fetchStatus } = useSignIn()
  const [code, setCode] = useState('')
  const next = useNewPassword()
  const cooldown = sentAt === null ? 0 : RESEND_COOLDOWN_SECONDS - Math.floor((Date.now() - sentAt) / 1000)
  const sender = useCodeSender(() => signIn.prepareFirstFactor({ strategy }), false, cooldown)
  const byEmail = strategy === 'reset_password_email_code'

  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!next.confirmed()) return
    void signIn.attemptFirstFactor({ strategy, code, password: next.password })
  }

  const codeErrors = splitCodeErrors(errors)
  const passwordError = errors.fields.password
  return (
    <>
      <header className="card__header">
        <h1>Reset your password</h1>
        <p>
          We {byEmail ? 'emailed' : 'texted'} a 6-digit code to{' '}
          {signIn.identifier ? <strong className="identifier">{signIn.identifier}</strong> : byEmail ? 'your email address' : 'your phone'}.
          Enter it and choose a new password.
        </p>
      </header>
      <ErrorList errors={unshown(errors.raw, codeErrors.code, passwordError)} />
      {sender.notice && <Alert tone="success">{sender.notice}</Alert>}
      <form className="form" onSubmit={submit} noValidate>
        <UsernameForPasswordManagers identifier={signIn.identifier} />
        <Field
          label="Verification code"
          name="code"
          value={code}
          onChange={(e) => setCode(e.target.value.replace(/\D/g, '').slice(0, 6))}
          error={codeErrors.code}
          className="field--code"
          autoComplete="one-time-code"
          inputMode="numeric"
          pattern="[0-9]{6}"
          maxLength={6}
          spellCheck={false}
          autoCapitalize="off"
          autoFocus
          required
        />
        <NewPasswordFields value={next} error={passwordError} hint={NEW_PASSWORD_HINT} />
        <p className="muted small">{OTHER_DEVICES_NOTE}</p>
        <Button type="submit" busy={fetchStatus === 'fetching' && !sender.sending} disabled={code.length !== 6}>
          Reset password
        </Button>
      </form>
      <div className="actions">
        <ResendButton remaining={sender.remaining} sending={sender.sending} onResend={sender.resend} />
        <StartOver>Back to sign in</StartOver>
      </div>
    </>
  )
}

/** ClientTrustStep is the new-device screen: the emailed (or texted) code; the dashboard's operator sign-in reuses it. */
export function ClientTrustStep() {
  const { signIn, errors, fetchStatus } = useSignIn()
  const factor = signIn.supportedSecondFactors.find(
    (f): f is EmailCodeFactor | PhoneCodeFactor => f.strategy === 'email_code' || f.strategy === 'phone_code',
  )
  // A code goes out once when the server asks for trust (`new`); after a reload (`pending`) the user resends.
  const sender = useCodeSender(
    () => (factor?.strategy === 'phone_code' ? signIn.mfa.sendPhoneCode() : signIn.mfa.sendEmailCode()),
    factor !== undefined && signIn.clientTrustState !== 'pending',
  )

  if (!factor) {
    return (
      <>
        <header className="card__header">
          <h1>We can't verify this device</h1>
          <p className="muted">{CLIENT_TRUST_NOTICE}</p>
        </header>
        <Alert>Your account has no verified email address or phone number to send a code to.</Alert>
        <StartOver />
      </>
    )
  }
  const byEmail = factor.strategy === 'email_code'
  const codeErrors = splitCodeErrors(errors)
  const verify = (code: string) => (byEmail ? signIn.mfa.verifyEmailCode({ code }) : signIn.mfa.verifyPhoneCode({ code }))
  return (
    <>
      <header className="card__header">
        <h1>{byEmail ? 'Check your email' : 'Check your phone'}</h1>
        <p className="muted">{CLIENT_TRUST_NOTICE}</p>
        <p>
          {signIn.clientTrustState === 'pending' || sender.remaining > 0 ? 'We sent a 6-digit code to ' : 'We will send a 6-digit code to '}
          <strong className="identifier">{factor.safeIdentifier}</strong>.
        </p>
      </header>
      <ErrorList errors={codeErrors.global} />
      {sender.notice && <Alert tone="success">{sender.notice}</Alert>}
      <CodeForm
        label="Verification code"
        error={codeErrors.code}
        busy={fetchStatus === 'fetching' && !sender.sending}
        onSubmit={verify}
      />
      <div className="actions">
        <ResendButton remaining={sender.remaining} sending={sender.sending} onResend={sender.resend} />
        <StartOver />
      </div>
    </>
  )
}

/** SECOND_FACTOR_ORDER is the order methods are offered in: the authenticator app first, as Clerk does. */
const SECOND_FACTOR_ORDER: SignInSecondFactor['strategy'][] = ['totp', 'phone_code', 'backup_code', 'email_code']

const switchLabels: Record<SignInSecondFactor['strategy'], string> = {
  totp: 'Use your authenticator app',
  phone_code: 'Use a text message instead',
  backup_code: 'Use a backup code',
  email_code: 'Use an email code instead',
}

/** SecondFactorStep is the MFA screen (authenticator app, SMS, backup code); the dashboard reuses it. */
export function SecondFactorStep() {
  const { signIn } = useSignIn()
  const offered = SECOND_FACTOR_ORDER.filter((s) => signIn.supportedSecondFactors.some((f) => f.strategy === s))
  const [method, setMethod] = useState(offered[0])

  if (!method) {
    return (
      <>
        <header className="card__header">
          <h1>Two-step verification</h1>
        </header>
        <Alert>This account has no second factor this page can use.</Alert>
        <StartOver />
      </>
    )
  }
  return (
    <>
      <header className="card__header">
        <h1>Two-step verification</h1>
      </header>
      {/* Keyed by method so that switching starts a fresh form (and sends an SMS/email code once). */}
      <SecondFactorMethod key={method} method={method} />
      {offered.length > 1 && (
        <nav aria-label="Other ways to verify" className="alt-methods">
          <ul>
            {offered
              .filter((s) => s !== method)
              .map((s) => (
                <li key={s}>
                  <Button variant="link" onClick={() => setMethod(s)}>
                    {switchLabels[s]}
                  </Button>
                </li>
              ))}
          </ul>
        </nav>
      )}
      <div className="actions">
        <StartOver />
      </div>
    </>
  )
}

function SecondFactorMethod({ method }: { method: SignInSecondFactor['strategy'] }) {
  const { signIn, errors, fetchStatus } = useSignIn()
  const factor = signIn.supportedSecondFactors.find((f) => f.strategy === method)
  const sendsCode = method === 'phone_code' || method === 'email_code'
  const sender = useCodeSender(
    () => (method === 'phone_code' ? signIn.mfa.sendPhoneCode() : signIn.mfa.sendEmailCode()),
    sendsCode,
  )
  const busy = fetchStatus === 'fetching' && !sender.sending
  const codeErrors = splitCodeErrors(errors)

  let intro: ReactNode
  let form: ReactNode
  switch (method) {
    case 'totp':
      intro = 'Enter the 6-digit code from your authenticator app.'
      form = (
        <CodeForm label="Authentication code" error={codeErrors.code} busy={busy} onSubmit={(code) => signIn.mfa.verifyTOTP({ code })} />
      )
      break
    case 'backup_code':
      intro = 'Enter one of the backup codes you saved when you set up two-step verification. Each code works once.'
      form = (
        <CodeForm
          kind="backup"
          label="Backup code"
          error={codeErrors.code}
          busy={busy}
          onSubmit={(code) => signIn.mfa.verifyBackupCode({ code })}
        />
      )
      break
    default: {
      const to = factor && 'safeIdentifier' in factor ? factor.safeIdentifier : null
      intro = (
        <>
          We sent a 6-digit code to {to ? <strong className="identifier">{to}</strong> : method === 'phone_code' ? 'your phone' : 'your email'}.
        </>
      )
      form = (
        <>
          <CodeForm
            label="Verification code"
            error={codeErrors.code}
            busy={busy}
            onSubmit={(code) =>
              method === 'phone_code' ? signIn.mfa.verifyPhoneCode({ code }) : signIn.mfa.verifyEmailCode({ code })
            }
          />
          <div className="actions">
            <ResendButton remaining={sender.remaining} sending={sender.sending} onResend={sender.resend} />
          </div>
        </>
      )
    }
  }
  return (
    <>
      <p className="muted">{intro}</p>
      <ErrorList errors={codeErrors.global} />
      {sender.notice && <Alert tone="success">{sender.notice}</Alert>}
      {form}
    </>
  )
}

/**
 * NeedsNewPassword sets the new password of a sign-in whose reset code passed without one (`needs_new_password`,
 * e.g. from a custom flow or after a reload): `resetPassword`, which ends the user's other sessions; the sign-in
 * then completes or asks for the second factor. The dashboard's operator sign-in reuses it.
 */
export function NeedsNewPassword() {
  const { signIn, errors, fetchStatus } = useSignIn()
  const next = useNewPassword()

  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!next.confirmed()) return
    void signIn.resetPassword({ password: next.password })
  }

  const passwordError = errors.fields.password
  return (
    <>
      <header className="card__header">
        <h1>Set a new password</h1>
        <p className="muted">
          Your code is verified. Choose a new password
          {signIn.identifier ? (
            <>
              {' '}
              for <strong className="identifier">{signIn.identifier}</strong>
            </>
          ) : null}
          .
        </p>
      </header>
      <ErrorList errors={unshown(errors.raw, passwordError)} />
      <form className="form" onSubmit={submit} noValidate>
        <UsernameForPasswordManagers identifier={signIn.identifier} />
        <NewPasswordFields value={next} error={passwordError} hint={NEW_PASSWORD_HINT} autoFocus />
        <p className="muted small">{OTHER_DEVICES_NOTE}</p>
        <Button type="submit" busy={fetchStatus === 'fetching'}>
          Set new password
        </Button>
      </form>
      <div className="actions">
        <StartOver>Back to sign in</StartOver>
      </div>
    </>
  )
}

function Finalize() {
  const { signIn, errors } = useSignIn()
  return (
    <Finalizing
      finalize={(p) => signIn.finalize(p)}
      errors={errors.raw}
      label="Signing you in…"
      failed={<StartOver />}
    />
  )
}

/** StartOver forgets the sign-in attempt and goes back to the password step. */
export function StartOver({ children = 'Start over' }: { children?: ReactNode }) {
  const { signIn } = useSignIn()
  return (
    <Button variant="secondary" onClick={() => void signIn.reset()}>
      {children}
    </Button>
  )
}
