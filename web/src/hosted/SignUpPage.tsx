import { useEffect, useState, type FormEvent } from 'react'
import { Link, useLocation } from 'react-router'
import { useSession, useSignUp, type Environment } from '@trustgate/react'
import { Alert, ErrorList } from '../ui/Alert'
import { Button, Loading } from '../ui/Button'
import { CodeForm } from '../ui/CodeForm'
import { useErrorFocus } from '../ui/errorFocus'
import { Field, PasswordField } from '../ui/Field'
import { NEW_PASSWORD_HINT } from '../ui/NewPassword'
import { splitCodeErrors } from './codeErrors'
import { EnvironmentGate } from './EnvironmentGate'
import { unshown } from './fieldErrors'
import { Finalizing } from './Finalizing'
import { withCarriedParams } from './location'
import { reloadIfMovedOn } from './movedOn'
import { CodeSentNotice, ResendButton } from './ResendButton'
import { useAfterAuth } from './useAfterAuth'
import { useCodeSender } from './useCodeSender'

/**
 * SignUpPage is the hosted `/sign-up`: the fields the application enables (username, email address, phone number,
 * password; `useEnvironment()`), then the code sent to the email address or phone number, then redirect. A sign-up
 * with neither (a username and a password) completes at once.
 */
export function SignUpPage() {
  const { signUp } = useSignUp()
  const { isLoaded, isSignedIn } = useSession()
  const afterAuth = useAfterAuth()
  const [entered, setEntered] = useState({ emailAddress: '', phoneNumber: '' })
  const alreadySignedIn = isLoaded && isSignedIn && signUp.status !== 'complete'

  useEffect(() => {
    if (alreadySignedIn) void afterAuth()
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
  return <EnvironmentGate>{(env) => <DetailsStep env={env} onSubmitted={setEntered} />}</EnvironmentGate>
}

/** Need is how the server treats a field at sign-up: not shown (`null`), required, or optional. */
type Need = 'required' | 'optional' | null

/** SignUpFieldNeeds say which fields the sign-up form shows, following the server's rules (internal/signup). */
interface SignUpFieldNeeds {
  username: Need
  /** emailAddress is `required` even with phone on: the server then takes a phone number instead. */
  emailAddress: Need
  phoneNumber: Need
  password: boolean
}

/**
 * signUpFieldNeeds mirrors the server: a username when usernames are on, required only when email and phone are
 * both off; an email address when email is on (with phone on too, a phone number may stand in for it); a phone
 * number when phone is on, required when email is off; a password when passwords are on.
 */
function signUpFieldNeeds(env: Environment): SignUpFieldNeeds {
  return {
    username: env.usernameEnabled ? (env.emailEnabled || env.phoneEnabled ? 'optional' : 'required') : null,
    emailAddress: env.emailEnabled ? 'required' : null,
    phoneNumber: env.phoneEnabled ? (env.emailEnabled ? 'optional' : 'required') : null,
    password: env.passwordEnabled,
  }
}

/** signUpIntro is the sentence under the heading: what this application signs users up with. */
function signUpIntro(env: Environment): string {
  const by =
    env.emailEnabled && env.phoneEnabled
      ? 'your email address or phone number'
      : env.emailEnabled
        ? 'your email address'
        : env.phoneEnabled
          ? 'your phone number'
          : 'a username'
  return `Sign up with ${by}${env.passwordEnabled ? ' and a password' : ''}.`
}

/** USERNAME_HINT is the server's username rule (internal/identifier NormalizeUsername). */
const USERNAME_HINT = "3 to 64 letters, digits, '.', '_' or '-'."

interface DetailsStepProps {
  env: Environment
  onSubmitted: (v: { emailAddress: string; phoneNumber: string }) => void
}

function DetailsStep({ env, onSubmitted }: DetailsStepProps) {
  const { signUp, errors, fetchStatus } = useSignUp()
  const { search } = useLocation()
  const [username, setUsername] = useState('')
  const [emailAddress, setEmailAddress] = useState('')
  const [password, setPassword] = useState('')
  const [phoneNumber, setPhoneNumber] = useState('')
  const needs = signUpFieldNeeds(env)
  const { ref: formRef, focusError } = useErrorFocus()

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (fetchStatus === 'fetching') return
    const entered = {
      username: needs.username ? username.trim() : '',
      emailAddress: needs.emailAddress ? emailAddress.trim() : '',
      phoneNumber: needs.phoneNumber ? phoneNumber.trim() : '',
    }
    onSubmitted(entered)
    // Only the fields shown, and only those filled in: the server answers form_param_missing for a required one.
    const { error } = await signUp.create({
      ...(entered.username ? { username: entered.username } : {}),
      ...(entered.emailAddress ? { emailAddress: entered.emailAddress } : {}),
      ...(needs.password ? { password } : {}),
      ...(entered.phoneNumber ? { phoneNumber: entered.phoneNumber } : {}),
    })
    if (error) focusError()
  }

  // Errors about a field this form does not show (e.g. a setting changed since the page loaded) go above it.
  const shown = [
    needs.username ? errors.fields.username : null,
    needs.emailAddress ? errors.fields.emailAddress : null,
    needs.phoneNumber ? errors.fields.phoneNumber : null,
    needs.password ? errors.fields.password : null,
  ]
  return (
    <>
      <header className="card__header">
        <h1>Create your account</h1>
        <p className="muted">{signUpIntro(env)}</p>
      </header>
      <ErrorList errors={unshown(errors.raw, ...shown)} />
      {signUp.status === 'abandoned' && <Alert>This sign-up expired. Please start again.</Alert>}
      <form className="form" onSubmit={submit} noValidate ref={formRef}>
        {needs.username && (
          <Field
            label="Username"
            name="username"
            autoComplete="username"
            autoCapitalize="off"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            error={errors.fields.username}
            hint={USERNAME_HINT}
            optional={needs.username === 'optional'}
            required={needs.username === 'required'}
          />
        )}
        {needs.emailAddress && (
          <Field
            label="Email address"
            name="emailAddress"
            type="email"
            autoComplete="email"
            value={emailAddress}
            onChange={(e) => setEmailAddress(e.target.value)}
            error={errors.fields.emailAddress}
            // With phone on too, a phone number may stand in for it (the phone field says so).
            required={!needs.phoneNumber}
          />
        )}
        {needs.password && (
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
        )}
        {needs.phoneNumber && (
          <Field
            label="Phone number"
            name="phoneNumber"
            type="tel"
            autoComplete="tel"
            placeholder="+1 555 123 4567"
            optional={needs.phoneNumber === 'optional'}
            required={needs.phoneNumber === 'required'}
            hint={needs.emailAddress ? 'You can give a phone number instead of an email address.' : undefined}
            value={phoneNumber}
            onChange={(e) => setPhoneNumber(e.target.value)}
            error={errors.fields.phoneNumber}
          />
        )}
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
  const sender = useCodeSender(() => signUp.prepareVerification({ strategy }), () => signUp.reload(), true)
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
      {/* Every error but the code's: one about a field of the first step (a username or address taken meanwhile) too. */}
      <ErrorList errors={unshown(errors.raw, codeErrors.code)} />
      <CodeSentNotice notice={sender.notice} />
      <CodeForm
        label="Verification code"
        error={codeErrors.code}
        busy={fetchStatus === 'fetching' && !sender.sending}
        onSubmit={(code) => reloadIfMovedOn(signUp.attemptVerification({ strategy, code }), signUp)}
      />
      <div className="actions">
        <ResendButton sender={sender} checking={fetchStatus === 'fetching'} />
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
