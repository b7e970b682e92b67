import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react'
import { Link, useLocation } from 'react-router'
import {
  useSession,
  useSignIn,
  type EmailCodeFactor,
  type Environment,
  type FieldError,
  type PhoneCodeFactor,
  type ResetPasswordCodeStrategy,
  type SignInSecondFactor,
  type Verification,
} from '@trustgate/react'
import { Alert, ErrorList } from '../ui/Alert'
import { Button, Loading } from '../ui/Button'
import { CodeForm } from '../ui/CodeForm'
import { focusNearestAlert, useErrorFocus } from '../ui/errorFocus'
import { Field, PasswordField } from '../ui/Field'
import { NEW_PASSWORD_HINT, NewPasswordFields, useNewPassword } from '../ui/NewPassword'
import { splitCodeErrors } from './codeErrors'
import { chooseCodeFactor, isCodeStrategy, isTypedAddress, pickCodeFactor, prepareParams, type CodeStrategy } from './codeFactors'
import { EnvironmentGate } from './EnvironmentGate'
import { unshown } from './fieldErrors'
import { Finalizing } from './Finalizing'
import { withCarriedParams } from './location'
import { reloadIfMovedOn } from './movedOn'
import { CodeSentNotice, ResendButton } from './ResendButton'
import { useAfterAuth } from './useAfterAuth'
import { RESEND_COOLDOWN_SECONDS, useCodeSender } from './useCodeSender'

/** CLIENT_TRUST_NOTICE is Clerk's wording for the new-device check (localization key newDeviceVerificationNotice). */
export const CLIENT_TRUST_NOTICE =
  "You're signing in from a new device. We're asking for verification to keep your account secure."

/**
 * SignInPage is the hosted `/sign-in`: the identifier the application accepts (`useEnvironment()`) and the
 * password (or "Forgot password?": a reset code and a new password), or, when the application offers an email or
 * SMS code as a first factor, the identifier alone and then the code sent to it (the only way when passwords are
 * off; "Email me a code instead" / "Text me a code instead" beside the password otherwise); then Client Trust (after
 * a password only) or MFA when the server asks, then redirect.
 */
export function SignInPage() {
  const { signIn } = useSignIn()
  const { isLoaded, isSignedIn } = useSession()
  const afterAuth = useAfterAuth()
  const alreadySignedIn = isLoaded && isSignedIn && signIn.status !== 'complete'
  // Kept here, above the steps, so that "Back to sign in" from the reset step finds the identifier still typed.
  const [draft, setDraft] = useState<IdentifierDraft>({ kind: 'email', identifier: '' })
  // When this page last asked for a reset or sign-in code, for the resend cooldown; null after a reload (the
  // server's applies).
  const [codeSentAt, setCodeSentAt] = useState<number | null>(null)
  const codeRequested = () => setCodeSentAt(Date.now())

  useEffect(() => {
    if (alreadySignedIn) void afterAuth()
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
    return <ResetPasswordStep strategy={pending} sentAt={codeSentAt} />
  }
  // A sign-in code is on its way (also after a reload). Keyed by strategy: switching to the other kind of code
  // starts a fresh form.
  if (signIn.status === 'needs_first_factor' && isCodeStrategy(pending)) {
    return <FirstFactorCodeStep key={pending} strategy={pending} sentAt={codeSentAt} onCodeRequested={codeRequested} />
  }
  return (
    <EnvironmentGate>
      {(env) => <PasswordStep env={env} draft={draft} onDraft={setDraft} onCodeRequested={codeRequested} />}
    </EnvironmentGate>
  )
}

type IdentifierKind = 'email' | 'phone' | 'username'

/** IdentifierDraft is what the visitor typed to name their account: an email address, phone number or username. */
interface IdentifierDraft {
  kind: IdentifierKind
  identifier: string
}

/** IdentifierOption is one kind of identifier the sign-in form asks for, as the application enables it. */
interface IdentifierOption {
  kind: IdentifierKind
  /** label of the input ("Email address", "Email address or username", "Phone number", "Username", …). */
  label: string
  /** switchLabel names the option in the email / phone switch. */
  switchLabel: string
  type: 'email' | 'tel' | 'text'
  autoComplete: string
  placeholder?: string
  /** acceptsUsername: the input may hold a username too, so it is sent as a plain `identifier`. */
  acceptsUsername: boolean
  /** reset is the "Forgot password?" strategy for this kind, or null when no code can be sent (usernames only). */
  reset: ResetPasswordCodeStrategy | null
  /** code is the sign-in code first factor the application offers for this kind, or null. */
  code: CodeStrategy | null
}

/**
 * identifierOptions lists what the sign-in form can ask for, following the application's settings: an email
 * address and / or a phone number (switched between when both are on), a username folded into the first of them
 * when usernames are on, or a username alone when neither email nor phone is.
 */
function identifierOptions(env: Environment): IdentifierOption[] {
  const u = env.usernameEnabled
  const options: IdentifierOption[] = []
  const reset = env.passwordEnabled
  const offers = (s: CodeStrategy) => (env.firstFactors.includes(s) ? s : null)
  if (env.emailEnabled) {
    options.push({
      kind: 'email',
      label: u ? 'Email address or username' : 'Email address',
      switchLabel: u ? 'Email or username' : 'Email',
      type: u ? 'text' : 'email',
      autoComplete: u ? 'username' : 'username email',
      acceptsUsername: u,
      reset: reset ? 'reset_password_email_code' : null,
      code: offers('email_code'),
    })
  }
  if (env.phoneEnabled) {
    // The username goes with email when both are on; with email off, with the phone number.
    const withUsername = u && !env.emailEnabled
    options.push({
      kind: 'phone',
      label: withUsername ? 'Phone number or username' : 'Phone number',
      switchLabel: withUsername ? 'Phone or username' : 'Phone',
      type: withUsername ? 'text' : 'tel',
      autoComplete: withUsername ? 'username' : 'username tel',
      placeholder: withUsername ? undefined : '+1 555 123 4567',
      acceptsUsername: withUsername,
      reset: reset ? 'reset_password_phone_code' : null,
      code: offers('phone_code'),
    })
  }
  if (options.length === 0) {
    options.push({
      kind: 'username',
      label: 'Username',
      switchLabel: 'Username',
      type: 'text',
      autoComplete: 'username',
      acceptsUsername: true,
      reset: null,
      code: null,
    })
  }
  return options
}

/** pickOption is the option of the draft's kind, else the first one (the draft's kind may not be enabled). */
function pickOption(options: IdentifierOption[], kind: IdentifierKind): IdentifierOption {
  return options.find((o) => o.kind === kind) ?? options[0]!
}

function isResetStrategy(strategy: string | null | undefined): strategy is ResetPasswordCodeStrategy {
  return strategy === 'reset_password_email_code' || strategy === 'reset_password_phone_code'
}

/** OTHER_DEVICES_NOTE tells the user what a reset does to their other sessions (the server's default). */
export const OTHER_DEVICES_NOTE = 'Resetting your password signs you out on your other devices.'

interface PasswordStepProps {
  env: Environment
  draft: IdentifierDraft
  onDraft: (d: IdentifierDraft) => void
  /** onCodeRequested is called when this step asks the server to send a code (a reset or a sign-in code). */
  onCodeRequested: () => void
}

/**
 * FirstStepMode is what the first screen asks for: the identifier and password; the identifier alone, for a sign-in
 * code (the only mode when passwords are off); or the identifier alone, for a password reset code.
 */
type FirstStepMode = 'password' | 'code' | 'forgot'

/** NO_CODE_FACTOR is shown when the sign-in lists no email or SMS code to send (e.g. a username without one). */
const NO_CODE_FACTOR = "We can't send a sign-in code for this account."

/**
 * PasswordStep is the first screen: identifier and password, or the identifier alone, to send a sign-in code or
 * (after "Forgot password?") a reset code.
 */
function PasswordStep({ env, draft: typed, onDraft, onCodeRequested }: PasswordStepProps) {
  const { signIn, errors, fetchStatus } = useSignIn()
  const { search } = useLocation()
  const [password, setPassword] = useState('')
  const [mode, setMode] = useState<FirstStepMode>(env.passwordEnabled ? 'password' : 'code')
  // Sending a sign-in code takes two requests (create, then prepare): busy across both.
  const [sendingCode, setSendingCode] = useState(false)
  const [noCodeFactor, setNoCodeFactor] = useState(false)
  const options = identifierOptions(env)
  const option = pickOption(options, typed.kind)
  const draft: IdentifierDraft = { ...typed, kind: option.kind }
  const identifier = draft.identifier.trim()
  const busy = fetchStatus === 'fetching' || sendingCode
  // Each screen of this step has one form; a failed submit moves focus to its error.
  const { ref: formRef, focusError } = useErrorFocus()

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (busy) return
    const { error } = await signIn.password(
      option.acceptsUsername
        ? { identifier, password }
        : option.kind === 'email'
          ? { emailAddress: identifier, password }
          : { phoneNumber: identifier, password },
    )
    if (error) focusError()
  }

  const sendResetCode = async (strategy: ResetPasswordCodeStrategy) => {
    // Before the request: the reset step replaces this one as soon as the new sign-in arrives.
    onCodeRequested()
    const r = await signIn.create({ identifier, strategy })
    if (r.error) focusError()
    return r
  }
  // "Forgot password?" needs somewhere to send the code: an email address or a phone number (not a username alone).
  const resetStrategy = option.reset

  /**
   * sendSignInCode starts a sign-in for the identifier (no password: the server lists its first factors), then
   * sends the code of the matching factor; the code step replaces this one once it is on its way. An unknown
   * identifier under enumeration protection lists a factor like a known one, and is treated no differently.
   */
  const sendSignInCode = async () => {
    if (!identifier || busy) return
    setNoCodeFactor(false)
    setSendingCode(true)
    try {
      const { error } = await signIn.create({ identifier })
      if (error) {
        focusError()
        return
      }
      const factor = chooseCodeFactor(signIn.supportedFirstFactors, signIn.identifier ?? identifier, option.code)
      if (!factor) {
        setNoCodeFactor(true)
        focusError()
        return
      }
      // Before the request, as for a reset code: the code step mounts as soon as the sign-in names the code.
      onCodeRequested()
      const sent = await signIn.prepareFirstFactor(prepareParams(factor))
      if (sent.error) focusError()
    } finally {
      setSendingCode(false)
    }
  }

  const switchTo = (next: FirstStepMode) => {
    setMode(next)
    setNoCodeFactor(false)
  }

  // "Forgot password?" reuses the identifier typed; without one, the forgot screen asks for it first.
  const startReset = () => {
    if (!resetStrategy) return
    switchTo('forgot')
    if (identifier) void sendResetCode(resetStrategy)
    else void signIn.reset() // forgets the errors of an earlier password attempt (no request)
  }

  // "Email me a code instead" reuses the identifier typed too.
  const startCode = () => {
    switchTo('code')
    if (identifier) void sendSignInCode()
    else void signIn.reset()
  }

  // Back to the password form; the errors were about the code or the reset, not the password form.
  const backToPassword = () => {
    switchTo('password')
    void signIn.reset()
  }

  const footer = (
    <p className="card__footer-text">
      Don't have an account? <Link to={withCarriedParams('/sign-up', search)}>Sign up</Link>
    </p>
  )

  if (mode === 'forgot' && resetStrategy) {
    const byEmail = resetStrategy === 'reset_password_email_code'
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
            if (!busy) void sendResetCode(resetStrategy)
          }}
          noValidate
          ref={formRef}
        >
          <IdentifierFields options={options} draft={draft} onDraft={onDraft} error={errors.fields.identifier} autoFocus />
          <Button type="submit" busy={fetchStatus === 'fetching'} disabled={!identifier}>
            Send reset code
          </Button>
        </form>
        <div className="actions">
          <Button variant="secondary" onClick={backToPassword}>
            Back to sign in
          </Button>
        </div>
      </>
    )
  }

  if (mode === 'code' || !env.passwordEnabled) {
    const how =
      option.code === 'email_code'
        ? "we'll email you a code"
        : option.code === 'phone_code'
          ? "we'll text you a code"
          : "we'll send you a code"
    return (
      <>
        <header className="card__header">
          <h1>Sign in</h1>
          <p className="muted">
            Enter your {option.label.toLowerCase()} and {how} to sign in.
          </p>
        </header>
        <ErrorList errors={unshown(errors.raw, errors.fields.identifier)} />
        {noCodeFactor && (
          <Alert>
            {NO_CODE_FACTOR}
            {env.passwordEnabled ? ' Sign in with your password instead.' : ''}
          </Alert>
        )}
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault()
            void sendSignInCode()
          }}
          noValidate
          ref={formRef}
        >
          <IdentifierFields
            options={options}
            draft={draft}
            onDraft={onDraft}
            error={errors.fields.identifier}
            autoFocus={env.passwordEnabled}
          />
          <Button type="submit" busy={busy} disabled={!identifier}>
            Continue
          </Button>
        </form>
        {env.passwordEnabled && (
          <div className="actions">
            <Button variant="secondary" onClick={backToPassword}>
              Use your password instead
            </Button>
          </div>
        )}
        {footer}
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
      <form className="form" onSubmit={submit} noValidate ref={formRef}>
        <IdentifierFields options={options} draft={draft} onDraft={onDraft} error={errors.fields.identifier} />
        <PasswordField
          label="Password"
          name="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.fields.password}
          required
        />
        {resetStrategy && (
          <Button variant="link" onClick={startReset} style={{ alignSelf: 'flex-end', marginTop: '-0.5rem' }}>
            Forgot password?
          </Button>
        )}
        <Button type="submit" busy={fetchStatus === 'fetching'}>
          Continue
        </Button>
      </form>
      {option.code && (
        <nav aria-label="Other ways to sign in" className="alt-methods">
          <ul>
            <li>
              <Button variant="link" onClick={startCode}>
                {option.code === 'email_code' ? 'Email me a code instead' : 'Text me a code instead'}
              </Button>
            </li>
          </ul>
        </nav>
      )}
      {footer}
    </>
  )
}

/**
 * IdentifierFields are the email / phone switch (only when the application enables both) and the identifier input
 * of the chosen kind.
 */
function IdentifierFields({
  options,
  draft,
  onDraft,
  error,
  autoFocus,
}: {
  options: IdentifierOption[]
  draft: IdentifierDraft
  onDraft: (d: IdentifierDraft) => void
  error: FieldError | null
  autoFocus?: boolean
}) {
  const option = pickOption(options, draft.kind)
  return (
    <>
      {options.length > 1 && (
        <fieldset className="segmented">
          <legend className="visually-hidden">Sign in with</legend>
          {options.map((o) => (
            <label key={o.kind} className="segmented__option">
              <input
                type="radio"
                name="identifier-kind"
                value={o.kind}
                checked={option.kind === o.kind}
                onChange={() => onDraft({ kind: o.kind, identifier: '' })}
              />
              <span>{o.switchLabel}</span>
            </label>
          ))}
        </fieldset>
      )}
      <Field
        key={option.kind}
        label={option.label}
        name="identifier"
        type={option.type}
        autoComplete={option.autoComplete}
        placeholder={option.placeholder}
        autoCapitalize={option.type === 'text' ? 'off' : undefined}
        spellCheck={option.type === 'text' ? false : undefined}
        value={draft.identifier}
        onChange={(e) => onDraft({ ...draft, identifier: e.target.value })}
        error={error}
        autoFocus={autoFocus}
        required
      />
    </>
  )
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
  const sender = useCodeSender(() => signIn.prepareFirstFactor({ strategy }), () => signIn.reload(), false, cooldown)
  const byEmail = strategy === 'reset_password_email_code'
  const { ref: formRef, focusError } = useErrorFocus()
  // This form's own check, on its way: the step is not busy while a resend is (the code already sent can be checked
  // meanwhile), and a second submit would check the code again.
  const [checking, setChecking] = useState(false)
  const checkingRef = useRef(false)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if ((fetchStatus === 'fetching' && !sender.sending) || checkingRef.current) return
    if (!next.confirmed()) {
      focusError()
      return
    }
    checkingRef.current = true
    setChecking(true)
    try {
      const { error } = await reloadIfMovedOn(signIn.attemptFirstFactor({ strategy, code, password: next.password }), signIn)
      if (error) focusError()
    } finally {
      checkingRef.current = false
      setChecking(false)
    }
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
      <CodeSentNotice notice={sender.notice} />
      <form className="form" onSubmit={submit} noValidate ref={formRef}>
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
        <Button type="submit" busy={(fetchStatus === 'fetching' && !sender.sending) || checking} disabled={code.length !== 6}>
          Reset password
        </Button>
      </form>
      <div className="actions">
        <ResendButton sender={sender} checking={fetchStatus === 'fetching'} />
        <StartOver>Back to sign in</StartOver>
      </div>
    </>
  )
}

/**
 * FirstFactorCodeStep is the passwordless sign-in's second screen: the code emailed or texted to the identifier
 * (`attemptFirstFactor` with `email_code` / `phone_code`); the sign-in then completes or asks for the second factor
 * (never for Client Trust). It offers the account's other ways listed in `supportedFirstFactors`: the password, or
 * the other kind of code. An unknown identifier under enumeration protection gets this same screen (no code
 * arrives, and every code is refused as incorrect).
 */
function FirstFactorCodeStep({
  strategy,
  sentAt,
  onCodeRequested,
}: {
  strategy: CodeStrategy
  sentAt: number | null
  onCodeRequested: () => void
}) {
  const { signIn, errors, fetchStatus } = useSignIn()
  const factors = signIn.supportedFirstFactors
  // The same choice as when the code was sent (the typed address, which the server lists first), so a resend goes there too.
  const factor = pickCodeFactor(factors, strategy)
  const cooldown = sentAt === null ? 0 : RESEND_COOLDOWN_SECONDS - Math.floor((Date.now() - sentAt) / 1000)
  const sender = useCodeSender(
    () => (factor ? signIn.prepareFirstFactor(prepareParams(factor)) : Promise.resolve({ error: null })),
    () => signIn.reload(),
    false,
    cooldown,
  )
  const byEmail = strategy === 'email_code'
  const other = pickCodeFactor(factors, byEmail ? 'phone_code' : 'email_code')
  const offersPassword = factors.some((f) => f.strategy === 'password')
  // Sending the other kind of code, once: a second send would be refused by the cooldown, and its refusal, the newer
  // answer, would hide the sent code's. The busy button drops focus; a failure moves it to the error.
  const [switching, setSwitching] = useState(false)
  const switchingRef = useRef(false)
  const { ref: otherRef, focusError: focusSwitchError } = useErrorFocus<HTMLButtonElement>(focusNearestAlert)

  if (!factor) {
    return (
      <>
        <header className="card__header">
          <h1>{byEmail ? 'Check your email' : 'Check your phone'}</h1>
        </header>
        <Alert>{NO_CODE_FACTOR}</Alert>
        <div className="actions">
          <StartOver />
        </div>
      </>
    )
  }

  const to = isTypedAddress(factor, factors, signIn.identifier) ? signIn.identifier : factor.safeIdentifier
  const codeErrors = splitCodeErrors(errors)
  const sendOther = async () => {
    if (!other || switchingRef.current) return
    switchingRef.current = true
    setSwitching(true)
    onCodeRequested()
    const { error } = await signIn.prepareFirstFactor(prepareParams(other))
    switchingRef.current = false
    setSwitching(false)
    if (error) focusSwitchError()
  }
  return (
    <>
      <header className="card__header">
        <h1>{byEmail ? 'Check your email' : 'Check your phone'}</h1>
        <p>
          We {byEmail ? 'emailed' : 'texted'} a 6-digit code to <strong className="identifier">{to}</strong>. Enter it to
          sign in.
        </p>
      </header>
      <ErrorList errors={unshown(errors.raw, codeErrors.code)} />
      <CodeSentNotice notice={sender.notice} />
      <CodeForm
        label="Verification code"
        error={codeErrors.code}
        busy={fetchStatus === 'fetching' && !sender.sending}
        onSubmit={(code) => reloadIfMovedOn(signIn.attemptFirstFactor({ strategy, code }), signIn)}
      />
      {(other || offersPassword) && (
        <nav aria-label="Other ways to sign in" className="alt-methods">
          <ul>
            {other && (
              <li>
                <Button ref={otherRef} variant="link" busy={switching} onClick={() => void sendOther()}>
                  {byEmail ? 'Text me a code instead' : 'Email me a code instead'}
                </Button>
              </li>
            )}
            {offersPassword && (
              <li>
                {/* Back to the first screen, which opens on the password form with the identifier still typed. */}
                <Button variant="link" onClick={() => void signIn.reset()}>
                  Use your password instead
                </Button>
              </li>
            )}
          </ul>
        </nav>
      )}
      <div className="actions">
        <ResendButton sender={sender} checking={fetchStatus === 'fetching'} />
        <StartOver />
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
    () => signIn.reload(),
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
  const verify = (code: string) =>
    reloadIfMovedOn(byEmail ? signIn.mfa.verifyEmailCode({ code }) : signIn.mfa.verifyPhoneCode({ code }), signIn)
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
      <CodeSentNotice notice={sender.notice} />
      <CodeForm
        label="Verification code"
        error={codeErrors.code}
        busy={fetchStatus === 'fetching' && !sender.sending}
        onSubmit={verify}
      />
      <div className="actions">
        <ResendButton sender={sender} checking={fetchStatus === 'fetching'} />
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
  // After a reload, the method a code was sent to, if any: that code can still be entered.
  const sent = codeSentFor(signIn.secondFactorVerification)
  const [method, setMethod] = useState(sent && offered.includes(sent) ? sent : offered[0])

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

/**
 * codeSentFor is the strategy of a second-factor code that was sent and not yet entered (the sign-in's
 * `secondFactorVerification`), or null.
 */
function codeSentFor(v: Verification | null): SignInSecondFactor['strategy'] | null {
  return v?.status === 'unverified' && (v.strategy === 'phone_code' || v.strategy === 'email_code') ? v.strategy : null
}

function SecondFactorMethod({ method }: { method: SignInSecondFactor['strategy'] }) {
  const { signIn, errors, fetchStatus } = useSignIn()
  const factor = signIn.supportedSecondFactors.find((f) => f.strategy === method)
  const sendsCode = method === 'phone_code' || method === 'email_code'
  // A code sent already (before a reload, or before a switch to another method and back) is still the one to enter:
  // sending again within the server's 30 s cooldown would only be refused.
  const sender = useCodeSender(
    () => (method === 'phone_code' ? signIn.mfa.sendPhoneCode() : signIn.mfa.sendEmailCode()),
    () => signIn.reload(),
    sendsCode && codeSentFor(signIn.secondFactorVerification) !== method,
  )
  const busy = fetchStatus === 'fetching' && !sender.sending
  const codeErrors = splitCodeErrors(errors)

  let intro: ReactNode
  let form: ReactNode
  switch (method) {
    case 'totp':
      intro = 'Enter the 6-digit code from your authenticator app.'
      form = (
        <CodeForm
          label="Authentication code"
          error={codeErrors.code}
          busy={busy}
          onSubmit={(code) => reloadIfMovedOn(signIn.mfa.verifyTOTP({ code }), signIn)}
        />
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
          onSubmit={(code) => reloadIfMovedOn(signIn.mfa.verifyBackupCode({ code }), signIn)}
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
              reloadIfMovedOn(method === 'phone_code' ? signIn.mfa.verifyPhoneCode({ code }) : signIn.mfa.verifyEmailCode({ code }), signIn)
            }
          />
          <div className="actions">
            <ResendButton sender={sender} checking={fetchStatus === 'fetching'} />
          </div>
        </>
      )
    }
  }
  return (
    <>
      <p className="muted">{intro}</p>
      <ErrorList errors={codeErrors.global} />
      <CodeSentNotice notice={sender.notice} />
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
  const { ref: formRef, focusError } = useErrorFocus()

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (fetchStatus === 'fetching') return
    if (!next.confirmed()) {
      focusError()
      return
    }
    const { error } = await reloadIfMovedOn(signIn.resetPassword({ password: next.password }), signIn)
    if (error) focusError()
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
      <form className="form" onSubmit={submit} noValidate ref={formRef}>
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
