import { useRef, useState, type FormEvent, type ReactNode } from 'react'
import type { FieldError } from '@trustgate/react'
import { Button } from './Button'
import { failed, useErrorFocus } from './errorFocus'
import { Field } from './Field'

export interface CodeFormProps {
  /** label of the input, e.g. "Verification code". */
  label: string
  id?: string
  /** kind `otp` is a 6-digit one-time code (numeric keypad, autofill from SMS/email); `backup` is free text. */
  kind?: 'otp' | 'backup'
  submitLabel?: string
  error?: FieldError | null
  busy: boolean
  hint?: ReactNode
  /** onSubmit is called with the code; when it resolves to a failure (`{ error }`), focus goes to the error. */
  onSubmit: (code: string) => unknown
}

/** CodeForm asks for one code: a 6-digit one-time code (autocomplete="one-time-code") or a backup code. */
export function CodeForm({ label, id = 'code', kind = 'otp', submitLabel = 'Verify', error, busy, hint, onSubmit }: CodeFormProps) {
  const [code, setCode] = useState('')
  const { ref, focusError } = useErrorFocus()
  // This form's own check, on its way: `busy` may leave it out (a code step is not busy while a resend is on its way,
  // so that the code already sent can be checked meanwhile), and a second submit would check the code again.
  const [checking, setChecking] = useState(false)
  const checkingRef = useRef(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (busy || checkingRef.current) return
    checkingRef.current = true
    setChecking(true)
    try {
      if (failed(await onSubmit(code.trim()))) focusError()
    } finally {
      checkingRef.current = false
      setChecking(false)
    }
  }
  const otp = kind === 'otp'
  return (
    <form className="form" onSubmit={submit} noValidate ref={ref}>
      <Field
        label={label}
        name={id}
        value={code}
        onChange={(e) => setCode(otp ? e.target.value.replace(/\D/g, '').slice(0, 6) : e.target.value)}
        error={error}
        hint={hint}
        className={otp ? 'field--code' : undefined}
        autoComplete={otp ? 'one-time-code' : 'off'}
        inputMode={otp ? 'numeric' : 'text'}
        pattern={otp ? '[0-9]{6}' : undefined}
        maxLength={otp ? 6 : 64}
        spellCheck={false}
        autoCapitalize="off"
        autoFocus
        required
      />
      <Button type="submit" busy={busy || checking} disabled={code.trim().length === 0 || (otp && code.length !== 6)}>
        {submitLabel}
      </Button>
    </form>
  )
}
