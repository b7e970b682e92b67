import { useState } from 'react'
import type { FieldError } from '@trustgate/react'
import { PasswordField } from './Field'

/** NEW_PASSWORD_HINT is the advice beside a new password (the server's policy: 8 characters or more, not a common one). */
export const NEW_PASSWORD_HINT = 'Use at least 8 characters. A few unrelated words make a strong password.'

/** PASSWORD_MISMATCH is the error of a confirmation that differs from the new password (checked here, not sent). */
export const PASSWORD_MISMATCH: FieldError = {
  code: 'form_password_mismatch',
  message: "The passwords don't match.",
  longMessage: "The passwords don't match.",
  meta: {},
}

/** NewPassword is a new password and its confirmation, as a form edits them. */
export interface NewPassword {
  password: string
  confirm: string
  setPassword: (v: string) => void
  setConfirm: (v: string) => void
  mismatch: boolean
  /** confirmed reports whether the confirmation matches, and shows the mismatch when it does not. */
  confirmed: () => boolean
  /** clear empties both fields. */
  clear: () => void
}

/** useNewPassword holds a NewPassword. */
export function useNewPassword(): NewPassword {
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [mismatch, setMismatch] = useState(false)
  return {
    password,
    confirm,
    setPassword,
    setConfirm,
    mismatch,
    confirmed: () => {
      const ok = password === confirm
      setMismatch(!ok)
      return ok
    },
    clear: () => {
      setPassword('')
      setConfirm('')
      setMismatch(false)
    },
  }
}

interface NewPasswordFieldsProps {
  value: NewPassword
  /** error is the server's answer about the new password (its policy). */
  error: FieldError | null
  /** names of the two inputs; they double as their ids. */
  names?: { password: string; confirm: string }
  hint?: string
  autoFocus?: boolean
}

/** NewPasswordFields are the "New password" and "Confirm new password" inputs, both `autocomplete=new-password`. */
export function NewPasswordFields({
  value,
  error,
  names = { password: 'new-password', confirm: 'confirm-password' },
  hint,
  autoFocus,
}: NewPasswordFieldsProps) {
  return (
    <>
      <PasswordField
        label="New password"
        name={names.password}
        autoComplete="new-password"
        value={value.password}
        onChange={(e) => value.setPassword(e.target.value)}
        error={error}
        hint={hint}
        autoFocus={autoFocus}
        required
      />
      <PasswordField
        label="Confirm new password"
        name={names.confirm}
        autoComplete="new-password"
        value={value.confirm}
        onChange={(e) => value.setConfirm(e.target.value)}
        error={value.mismatch ? PASSWORD_MISMATCH : null}
        required
      />
    </>
  )
}
