import { useId, useState, type InputHTMLAttributes, type ReactNode } from 'react'
import type { FieldError } from '@trustgate/react'

/** errorText is what a person reads for an API error: its long message when the server gave one. */
export function errorText(error: FieldError): string {
  return error.longMessage || error.message
}

export interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  label: ReactNode
  /** name doubles as the input's id unless `id` is given. */
  name: string
  id?: string
  error?: FieldError | null
  hint?: ReactNode
  /** optional shows "Optional" beside the label. */
  optional?: boolean
}

/**
 * Field is a labelled input whose hint and error are tied to it with aria-describedby, and which is marked
 * aria-invalid while it has an error; the error is announced when it appears (role=alert).
 */
export function Field({ label, name, id, error, hint, optional, className, ...input }: FieldProps) {
  const inputId = id ?? name
  const hintId = `${inputId}-hint`
  const errorId = `${inputId}-error`
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined
  return (
    <div className={`field${error ? ' field--invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={inputId}>
        {label}
        {/* The space keeps "Optional" a word of its own in the accessible name ("Phone number Optional"). */}
        {optional && <> <span className="field__optional">Optional</span></>}
      </label>
      <input id={inputId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {hint && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="field__error" role="alert">
          {errorText(error)}
        </p>
      )}
    </div>
  )
}

/** PasswordField is a Field with a show/hide toggle. */
export function PasswordField(props: FieldProps) {
  const [visible, setVisible] = useState(false)
  const toggleId = useId()
  return (
    <div className="password-field">
      <Field {...props} type={visible ? 'text' : 'password'} />
      <button
        type="button"
        id={toggleId}
        className="password-field__toggle"
        aria-pressed={visible}
        aria-controls={props.id ?? props.name}
        onClick={() => setVisible((v) => !v)}
      >
        {visible ? 'Hide' : 'Show'}
        <span className="visually-hidden"> password</span>
      </button>
    </div>
  )
}
