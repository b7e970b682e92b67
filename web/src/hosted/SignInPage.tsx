import { useEffect, useState, type FormEvent, type ReactNode } from 'react'
import { Link, useLocation } from 'react-router'
import {
  useSession,
  useSignIn,
  type EmailCodeFactor,
  type PhoneCodeFactor,
  type SignInSecondFactor,
} from '@trustgate/react'
import { Alert, ErrorList } from '../ui/Alert'
import { Button, Loading } from '../ui/Button'
import { CodeForm } from '../ui/CodeForm'
import { Field, PasswordField } from '../ui/Field'
import { splitCodeErrors } from './codeErrors'
import { Finalizing } from './Finalizing'
import { withCarriedParams } from './location'
import { ResendButton } from './ResendButton'
import { useAfterAuth } from './useAfterAuth'
import { useCodeSender } from './useCodeSender'

/** CLIENT_TRUST_NOTICE is Clerk's wording for the new-device check (localization key newDeviceVerificationNotice). */
export const CLIENT_TRUST_NOTICE =
  "You're signing in from a new device. We're asking for verification to keep your account secure."

/** SignInPage is the hosted `/sign-in`: password, then Client Trust or MFA when the server asks, then redirect. */
export function SignInPage() {
  const { signIn } = useSignIn()
  const { isLoaded, isSignedIn } = useSession()
  const afterAuth = useAfterAuth()
  const alreadySignedIn = isLoaded && isSignedIn && signIn.status !== 'complete'

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
    default:
      return <PasswordStep />
  }
}

type IdentifierKind = 'email' | 'phone'

function PasswordStep() {
  const { signIn, errors, fetchStatus } = useSignIn()
  const { search } = useLocation()
  const [kind, setKind] = useState<IdentifierKind>('email')
  const [identifier, setIdentifier] = useState('')
  const [password, setPassword] = useState('')

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    await signIn.password(
      kind === 'email' ? { emailAddress: identifier.trim(), password } : { phoneNumber: identifier.trim(), password },
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
        <fieldset className="segmented">
          <legend className="visually-hidden">Sign in with</legend>
          {(['email', 'phone'] as const).map((k) => (
            <label key={k} className="segmented__option">
              <input
                type="radio"
                name="identifier-kind"
                value={k}
                checked={kind === k}
                onChange={() => {
                  setKind(k)
                  setIdentifier('')
                }}
              />
              <span>{k === 'email' ? 'Email' : 'Phone'}</span>
            </label>
          ))}
        </fieldset>
        {kind === 'email' ? (
          <Field
            key="email"
            label="Email address"
            name="identifier"
            type="email"
            autoComplete="username email"
            value={identifier}
            onChange={(e) => setIdentifier(e.target.value)}
            error={errors.fields.identifier}
            required
          />
        ) : (
          <Field
            key="phone"
            label="Phone number"
            name="identifier"
            type="tel"
            autoComplete="username tel"
            placeholder="+1 555 123 4567"
            value={identifier}
            onChange={(e) => setIdentifier(e.target.value)}
            error={errors.fields.identifier}
            required
          />
        )}
        <PasswordField
          label="Password"
          name="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.fields.password}
          required
        />
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

/** NeedsNewPassword tells a user whose password must be reset that an administrator has to do it. */
export function NeedsNewPassword() {
  return (
    <>
      <header className="card__header">
        <h1>Your password needs to be reset</h1>
      </header>
      <Alert>Your password must be changed before you can sign in. Contact your administrator to reset it.</Alert>
      <StartOver />
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
export function StartOver() {
  const { signIn } = useSignIn()
  return (
    <Button variant="secondary" onClick={() => void signIn.reset()}>
      Start over
    </Button>
  )
}
