import { useEffect, useRef, useState, type FormEvent } from 'react'
import { useSignIn } from '@trustgate/react'
import { ErrorList } from '../ui/Alert'
import { Button, Loading } from '../ui/Button'
import { Field, PasswordField } from '../ui/Field'
import { ClientTrustStep, NeedsNewPassword, SecondFactorStep, StartOver } from '../hosted/SignInPage'

/**
 * OperatorSignIn signs an operator in to the dashboard application through the normal sign-in engine, so Client
 * Trust (a code for a new device) and MFA apply as for any user. The code and MFA screens are the hosted ones.
 */
export function OperatorSignIn() {
  const { signIn } = useSignIn()
  let step
  switch (signIn.status) {
    case 'needs_client_trust':
      step = <ClientTrustStep />
      break
    case 'needs_second_factor':
      step = <SecondFactorStep />
      break
    case 'complete':
      step = <Activate />
      break
    case 'needs_new_password':
      step = <NeedsNewPassword />
      break
    default:
      step = <PasswordStep />
  }
  return (
    <div className="hosted">
      <main className="card" id="main">
        {step}
      </main>
      <footer className="hosted__footer">
        <span className="brand">trustgate</span> dashboard
      </footer>
    </div>
  )
}

function PasswordStep() {
  const { signIn, errors, fetchStatus } = useSignIn()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    await signIn.password({ emailAddress: email.trim(), password })
  }
  return (
    <>
      <header className="card__header">
        <h1>Sign in to the dashboard</h1>
        <p className="muted">For trustgate operators. Your role decides what you can see and change.</p>
      </header>
      <ErrorList errors={errors.global} />
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label="Email address"
          name="identifier"
          type="email"
          autoComplete="username email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.fields.identifier}
          required
          autoFocus
        />
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
    </>
  )
}

/** Activate turns the completed sign-in into the active session once; the dashboard then shows itself. */
function Activate() {
  const { signIn, errors } = useSignIn()
  const started = useRef(false)
  const [failed, setFailed] = useState(false)
  useEffect(() => {
    if (started.current) return
    started.current = true
    void signIn.finalize({ navigate: () => {} }).then((r) => setFailed(r.error !== null))
  }, [signIn])
  if (!failed) return <Loading label="Signing you in…" />
  return (
    <>
      <ErrorList errors={errors.raw} />
      <StartOver />
    </>
  )
}
