import type { ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from 'react'
import type { FieldError } from '@trustgate/react'
import { errorText } from '../ui/Field'

function describedBy(id: string, hint: ReactNode, error: FieldError | null | undefined) {
  return [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined
}

function HintAndError({ id, hint, error }: { id: string; hint?: ReactNode; error?: FieldError | null }) {
  return (
    <>
      {hint && (
        <p id={`${id}-hint`} className="field__hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field__error">
          {errorText(error)}
        </p>
      )}
    </>
  )
}

export interface SelectFieldProps extends Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'> {
  label: ReactNode
  name: string
  id?: string
  error?: FieldError | null
  hint?: ReactNode
  children: ReactNode
}

/** SelectField is a labelled <select> with its hint and error tied to it. */
export function SelectField({ label, name, id, error, hint, children, ...rest }: SelectFieldProps) {
  const inputId = id ?? name
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label htmlFor={inputId}>{label}</label>
      <select id={inputId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy(inputId, hint, error)} {...rest}>
        {children}
      </select>
      <HintAndError id={inputId} hint={hint} error={error} />
    </div>
  )
}

export interface TextAreaFieldProps extends Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'> {
  label: ReactNode
  name: string
  id?: string
  error?: FieldError | null
  hint?: ReactNode
}

/** TextAreaField is a labelled <textarea> with its hint and error tied to it. */
export function TextAreaField({ label, name, id, error, hint, ...rest }: TextAreaFieldProps) {
  const inputId = id ?? name
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label htmlFor={inputId}>{label}</label>
      <textarea id={inputId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy(inputId, hint, error)} {...rest} />
      <HintAndError id={inputId} hint={hint} error={error} />
    </div>
  )
}

export interface CheckFieldProps {
  label: ReactNode
  name: string
  id?: string
  checked: boolean
  onChange: (checked: boolean) => void
  hint?: ReactNode
  error?: FieldError | null
  disabled?: boolean
  /** type `radio` makes it one option of a radio group (`name` is then the group). */
  type?: 'checkbox' | 'radio'
  value?: string
}

/** CheckField is a checkbox (or radio) with its label beside it and an optional hint below. */
export function CheckField({ label, name, id, checked, onChange, hint, error, disabled, type = 'checkbox', value }: CheckFieldProps) {
  const inputId = id ?? (type === 'radio' ? `${name}-${value}` : name)
  return (
    <div className={`check${error ? ' field--invalid' : ''}`}>
      <input
        type={type}
        id={inputId}
        name={name}
        value={value}
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(inputId, hint, error)}
      />
      <div>
        <label htmlFor={inputId}>{label}</label>
        <HintAndError id={inputId} hint={hint} error={error} />
      </div>
    </div>
  )
}

/**
 * Fieldset groups related inputs under a legend; an error about the whole group (e.g. `secondFactors`) is shown
 * under it and tied to the group with aria-describedby.
 */
export function Fieldset({
  legend,
  id,
  hint,
  error,
  children,
}: {
  legend: ReactNode
  id: string
  hint?: ReactNode
  error?: FieldError | null
  children: ReactNode
}) {
  return (
    <fieldset className={`fieldset${error ? ' fieldset--invalid' : ''}`} id={id} aria-describedby={describedBy(id, hint, error)}>
      <legend>{legend}</legend>
      {hint && (
        <p id={`${id}-hint`} className="field__hint">
          {hint}
        </p>
      )}
      <div className="fieldset__body">{children}</div>
      {error && (
        <p id={`${id}-error`} className="field__error" role="alert">
          {errorText(error)}
        </p>
      )}
    </fieldset>
  )
}
