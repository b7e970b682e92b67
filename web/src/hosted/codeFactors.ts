import type { EmailCodeConfig, EmailCodeFactor, PhoneCodeConfig, PhoneCodeFactor, SignInFirstFactor } from '@trustgate/react'

/** CodeStrategy is a first factor that signs in with a code sent to an email address or phone number. */
export type CodeStrategy = 'email_code' | 'phone_code'

export type CodeFactor = EmailCodeFactor | PhoneCodeFactor

export function isCodeStrategy(strategy: string | null | undefined): strategy is CodeStrategy {
  return strategy === 'email_code' || strategy === 'phone_code'
}

function isCodeFactor(f: SignInFirstFactor): f is CodeFactor {
  return isCodeStrategy(f.strategy)
}

/** identifierKind classifies an identifier as the server does: an `@` makes an email address, a leading `+` a phone number. */
export function identifierKind(identifier: string): 'email' | 'phone' | 'username' {
  const s = identifier.trim()
  if (s.includes('@')) return 'email'
  if (s.startsWith('+')) return 'phone'
  return 'username'
}

/**
 * isTypedAddress reports whether a factor is the address typed as the identifier. The server finds an account only
 * by a verified address and lists that address's code factor first among its strategy (under enumeration protection
 * it is the only one), so the first factor of the identifier's kind is the one typed.
 */
export function isTypedAddress(factor: CodeFactor, factors: SignInFirstFactor[], identifier: string | null): boolean {
  if (!identifier) return false
  const kind = identifierKind(identifier)
  if (kind !== (factor.strategy === 'email_code' ? 'email' : 'phone')) return false
  return factors.find((f) => f.strategy === factor.strategy) === factor
}

/**
 * pickCodeFactor chooses where a sign-in code goes among the factors the sign-in lists: the first factor of
 * `strategy` (the address typed, when it is of that kind, as the server lists it first), as Clerk's custom flows do.
 * Null when none of that strategy is listed.
 */
export function pickCodeFactor(factors: SignInFirstFactor[], strategy: CodeStrategy): CodeFactor | null {
  return factors.filter(isCodeFactor).find((f) => f.strategy === strategy) ?? null
}

/**
 * chooseCodeFactor picks the factor a passwordless sign-in sends its code to: for an email address an email code,
 * for a phone number a text (for a username, `preferred`, the code of the kind of input it was typed in); when the
 * sign-in lists no code of that kind, any code it lists (the server lists an account's addresses whatever the
 * identifier's kind). Null when it lists no code at all.
 */
export function chooseCodeFactor(
  factors: SignInFirstFactor[],
  identifier: string | null,
  preferred: CodeStrategy | null,
): CodeFactor | null {
  const kind = identifier ? identifierKind(identifier) : 'username'
  const wanted: CodeStrategy | null = kind === 'email' ? 'email_code' : kind === 'phone' ? 'phone_code' : preferred
  const order: CodeStrategy[] = wanted === 'phone_code' ? ['phone_code', 'email_code'] : ['email_code', 'phone_code']
  for (const s of order) {
    const f = pickCodeFactor(factors, s)
    if (f) return f
  }
  return null
}

/** prepareParams are `signIn.prepareFirstFactor()`'s parameters for a listed code factor. */
export function prepareParams(factor: CodeFactor): EmailCodeConfig | PhoneCodeConfig {
  return factor.strategy === 'email_code'
    ? { strategy: 'email_code', emailAddressId: factor.emailAddressId }
    : { strategy: 'phone_code', phoneNumberId: factor.phoneNumberId }
}
