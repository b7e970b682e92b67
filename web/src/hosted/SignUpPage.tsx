import { useEffect, useState, type FormEvent } from 'react'
import { Link, useLocation } from 'react-router'
import { useSession, useSignUp } from '@trustgate/react'
import { Alert, ErrorList } from '../ui/Alert'
import { Button, Loading } from '../ui/Button'
import { CodeForm } from '../ui/CodeForm'
import { Field, PasswordField } from '../ui/Field'
import { NEW_PASSWORD_HINT } from '../ui/NewPassword'
import { splitCodeErrors } from './codeErrors'
import { Finalizing } from './Finalizing'
import { withCarriedParams } from './location'
import { ResendButton } from './ResendButton'
import { useAfterAuth } from './useAfterAuth'
import { useCodeSender } from './useCodeSender'

/** SignUpPage is the hosted `/sign-up`: email, password and an optional phone, then the email code, then redirect. */
export function SignUpPage() {
  const { signUp } = useSignUp()
  const { isLoaded, isSignedIn } = useSession()
  const afterAuth = useAfterAuth()
  const [entered, setEntered] = useState({ emailAddress: '', phoneNumber: '' })
  const alreadySignedIn = isLoaded && isSignedIn && signUp.status !== 'complete'

  useEffect(() => {
    if (alreadySignedIn) afterAuth()
  }, [alreadySignedIn, afterAuth])

  if (!isLoaded) return <Loading />
  if (alreadySignedIn) return <Loading label="You're already signed in. Redirecting…" />
  if (signUp.status === 'complete') return <Finalize />
  if (signUp.id && signUp.status === 'missing_requirements') {
    if (signUp.unverifiedFields.includes('email_address')) {
      return <VerifyStep key="email" strategy="email_code" destination={entered.emailAddress} />
    }
    if (signUp.unverifiedFields.includes('phone_number')) {
      return <VerifyStep key="phone" strategy="phone_code" destination={entered.phoneNumber} />
    }
  }
  return <DetailsStep onSubmitted={setEntered} />
}

function DetailsStep({ onSubmitted }: { onSubmitted: (v: { emailAddress: string; phoneNumber: string }) => void }) {
  const { signUp, errors, fetchStatus } = useSignUp()
  const { search } = useLocation()
  const [emailAddress, setEmailAddress] = useState('')
  const [password, setPassword] = useState('')
  const [phoneNumber, setPhoneNumber] = useState('')

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const entered = { emailAddress: emailAddress.trim(), phoneNumber: phoneNumber.trim() }
    onSubmitted(entered)
    await signUp.create({
      emailAddress: entered.emailAddress,
      password,
      ...(entered.phoneNumber ? { phoneNumber: entered.phoneNumber } : {}),
    })
  }

  return (
    <>
      <header className="card__header">
        <h1>Create your account</h1>
        <p className="muted">Sign up with your email address and a password.</p>
      </header>
      <ErrorList errors={errors.global} />
      {signUp.status === 'abandoned' && <Alert>This sign-up expired. Please start again.</Alert>}
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label="Email address"
          name="emailAddress"
          type="email"
          autoComplete="email"
          value={emailAddress}
          onChange={(e) => setEmailAddress(e.target.value)}
          error={errors.fields.emailAddress}
          required
        />
        <PasswordField
          label="Password"
          name="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.fields.password}
          hint={NEW_PASSWORD_HINT}
          required
        />
        <Field
          label="Phone number"
          name="phoneNumber"
          type="tel"
          autoComplete="tel"
          placeholder="+1 555 123 4567"
          optional
          value={phoneNumber}
          onChange={(e) => setPhoneNumber(e.target.value)}
          error={errors.fields.phoneNumber}
        />
        <Button type="submit" busy={fetchStatus === 'fetching'}>
          Create account
        </Button>
      </form>
      <p className="card__footer-text">
        Already have an account? <Link to={withCarriedParams('/sign-in', search)}>Sign in</Link>
      </p>
    </>
  )
}

function VerifyStep({ strategy, destination }: { strategy: 'email_code' | 'phone_code'; destination: string }) {
  const { signUp, errors, fetchStatus } = useSignUp()
  const sender = useCodeSender(() => signUp.prepareVerification({ strategy }), true)
  const codeErrors = splitCodeErrors(errors)
  const byEmail = strategy === 'email_code'
  return (
    <>
      <header className="card__header">
        <h1>{byEmail ? 'Verify your email' : 'Verify your phone'}</h1>
        <p className="muted">
          We sent a 6-digit code to {destination ? <strong className="identifier">{destination}</strong> : byEmail ? 'your email address' : 'your phone'}.
        </p>
      </header>
      <ErrorList errors={codeErrors.global} />
      {sender.notice && <Alert tone="success">{sender.notice}</Alert>}
      <CodeForm
        label="Verification code"
        error={codeErrors.code}
        busy={fetchStatus === 'fetching' && !sender.sending}
        onSubmit={(code) => signUp.attemptVerification({ strategy, code })}
      />
      <div className="actions">
        <ResendButton remaining={sender.remaining} sending={sender.sending} onResend={sender.resend} />
        <Button variant="secondary" onClick={() => void signUp.reset()}>
          Start over
        </Button>
      </div>
    </>
  )
}

function Finalize() {
  const { signUp, errors } = useSignUp()
  return (
    <Finalizing
      finalize={(p) => signUp.finalize(p)}
      errors={errors.raw}
      label="Setting up your account…"
      failed={
        <p>
          Your account is ready. <Link to="/sign-in">Sign in</Link>
        </p>
      }
    />
  )
}
