import { useState, type FormEvent } from 'react'
import type { User } from '@trustgate/react'
import { Alert } from '../../ui/Alert'
import { AccountErrorList } from './AccountErrorList'
import { Button } from '../../ui/Button'
import { useErrorFocus } from '../../ui/errorFocus'
import { PasswordField } from '../../ui/Field'
import { NewPasswordFields, useNewPassword } from '../../ui/NewPassword'
import { fieldErrors, useAction } from './useAction'

const NEW_PASSWORD_CODES = ['form_password_length_too_short', 'form_password_length_too_long', 'form_password_pwned']

/** PasswordSection changes the password; the server then forgets the user's trusted devices. */
export function PasswordSection({ user }: { user: User }) {
  const [current, setCurrent] = useState('')
  const next = useNewPassword()
  const [done, setDone] = useState(false)
  const action = useAction()
  const { ref: formRef, focusError } = useErrorFocus()

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (action.busy) return
    setDone(false)
    if (!next.confirmed()) {
      // This submit is checked here, not sent: the server's errors of the last one no longer apply.
      action.clear()
      focusError()
      return
    }
    const r = await action.run(() => user.updatePassword({ currentPassword: current, newPassword: next.password }))
    if (!r.error) {
      setCurrent('')
      next.clear()
      setDone(true)
    } else focusError()
  }

  const errors = fieldErrors(action.error, {
    current: { params: ['current', 'currentPassword'], codes: ['form_password_incorrect'] },
    next: { params: ['new', 'newPassword', 'password'], codes: NEW_PASSWORD_CODES },
  })

  return (
    <section className="panel" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      {done && (
        <Alert tone="success">
          Your password was changed. Other devices will need a verification code the next time they sign in.
        </Alert>
      )}
      <AccountErrorList errors={errors.global} />
      <form className="form" onSubmit={submit} noValidate ref={formRef}>
        <PasswordField
          label="Current password"
          name="currentPassword"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={errors.fields.current}
          required
        />
        <NewPasswordFields value={next} error={errors.fields.next} names={{ password: 'newPassword', confirm: 'confirmPassword' }} />
        <Button type="submit" busy={action.busy} disabled={!current || !next.password || !next.confirm}>
          Change password
        </Button>
      </form>
    </section>
  )
}
