import { apiError, paramOrCode, splitErrors } from './errors'
import * as ops from './operations'
import { emptySignUp, parseSignUp, type SignUpJSON, type SignUpState } from './parse'
import { FlowResource, type Core } from './resource'
import type { FinalizeParams, SignUpErrors, SignUpStatus, TrustgateAPIError, TrustgateAPIResponseErrorLike } from './types'

/** SignUpResult is what every sign-up method resolves to: `error` is null on success; it never throws. */
export type SignUpResult = Promise<{ error: TrustgateAPIResponseErrorLike | null }>

/** SignUpCreateParams are the fields of a new account (CONTRACT §3 `SignUpCreateInput`). */
export interface SignUpCreateParams {
  emailAddress?: string
  phoneNumber?: string
  username?: string
  password?: string
}

/** VerificationStrategy is how a sign-up proves an email address or phone number. */
export type SignUpVerificationStrategy = 'email_code' | 'phone_code'

const signUpFieldNames = ['emailAddress', 'phoneNumber', 'username', 'password', 'code'] as const
type SignUpField = (typeof signUpFieldNames)[number]

/**
 * signUpFieldFor maps an error's parameter to the sign-up field it belongs to. An error about the `identifier`
 * (named so, or implied by its code, like `form_identifier_exists` without a parameter) belongs to the identifier
 * the sign-up was created with: its email address, else its phone number, else its username (see `identifierField`).
 */
function signUpFieldFor(paramName: string | undefined, code: string, entered: SignUpCreateParams): SignUpField | null {
  const p = paramOrCode(paramName, code)
  if (p === 'identifier') return identifierField(entered)
  return (signUpFieldNames as readonly string[]).includes(p ?? '') ? (p as SignUpField) : null
}

/**
 * identifierField is the field of the identifier a sign-up was created with; the email address when it had none
 * (nothing was sent yet), as before.
 */
function identifierField(entered: SignUpCreateParams): 'emailAddress' | 'phoneNumber' | 'username' {
  if (entered.emailAddress) return 'emailAddress'
  if (entered.phoneNumber) return 'phoneNumber'
  if (entered.username) return 'username'
  return 'emailAddress'
}

function signUpErrors(errors: TrustgateAPIError[], entered: SignUpCreateParams): SignUpErrors {
  return splitErrors(errors, signUpFieldNames, (paramName, code) => signUpFieldFor(paramName, code, entered))
}

/**
 * SignUpFuture is the sign-up resource, shaped like Clerk's: fields describe the current attempt and are updated
 * in place; methods resolve to `{ error }` instead of throwing.
 */
export class SignUpFuture extends FlowResource<SignUpErrors, SignUpJSON> implements SignUpState {
  id: string | undefined
  status!: SignUpStatus | null
  unverifiedFields!: string[]
  createdUserId!: string | null
  createdSessionId!: string | null

  /** verifications are Clerk's SignUpFuture shortcuts for the code strategies. */
  readonly verifications = {
    sendEmailCode: (): SignUpResult => this.prepareVerification({ strategy: 'email_code' }),
    verifyEmailCode: ({ code }: { code: string }): SignUpResult =>
      this.attemptVerification({ strategy: 'email_code', code }),
    sendPhoneCode: (): SignUpResult => this.prepareVerification({ strategy: 'phone_code' }),
    verifyPhoneCode: ({ code }: { code: string }): SignUpResult =>
      this.attemptVerification({ strategy: 'phone_code', code }),
  }

  /** #entered holds the identifiers of the last `create`, which the errors about the `identifier` belong to. */
  readonly #entered: { params: SignUpCreateParams }

  constructor(core: Core) {
    const entered: { params: SignUpCreateParams } = { params: {} }
    super(core, (errors) => signUpErrors(errors, entered.params))
    this.#entered = entered
    Object.assign(this, emptySignUp())
  }

  /** create starts a sign-up (`signUpCreate`). */
  create(params: SignUpCreateParams): SignUpResult {
    this.#entered.params = { emailAddress: params.emailAddress, phoneNumber: params.phoneNumber, username: params.username }
    return this.send('signUpCreate', () => this.core.request(ops.SignUpCreate, { input: params }))
  }

  /** password is Clerk's name for a sign-up with a password: the same as `create`. */
  password(params: SignUpCreateParams & { password: string }): SignUpResult {
    return this.create(params)
  }

  /** prepareVerification sends a code to the email address or phone number of the sign-up. */
  prepareVerification({ strategy }: { strategy: SignUpVerificationStrategy }): SignUpResult {
    const id = this.id
    if (!id) return Promise.resolve(this.fail(noSignUp()))
    return this.send('signUpPrepareVerification', () => this.core.request(ops.SignUpPrepareVerification, { id, strategy }))
  }

  /** attemptVerification checks the code sent by `prepareVerification`. */
  attemptVerification({ strategy, code }: { strategy: SignUpVerificationStrategy; code: string }): SignUpResult {
    const id = this.id
    if (!id) return Promise.resolve(this.fail(noSignUp()))
    return this.send('signUpAttemptVerification', () =>
      this.core.request(ops.SignUpAttemptVerification, { id, strategy, code }),
    )
  }

  /** finalize activates the session the completed sign-up created, then calls `navigate`. */
  finalize(params: FinalizeParams = {}): SignUpResult {
    return this.finalizeSession(this.createdSessionId, params, 'The sign-up is not complete yet.')
  }

  /**
   * reload reads the sign-up again from the server (the client's sign-up in progress), as Clerk's `signUp.reload()`,
   * for when it may have gone on elsewhere: a field verified in another tab, so that a resend answered
   * `verification_already_verified`. The sign-up takes what the server says of it now (complete, ready to finalize,
   * or the fields still unverified); one the client no longer has (a newer one replaced it) is forgotten.
   */
  reload(): SignUpResult {
    const id = this.id
    if (!id) return Promise.resolve(this.fail(noSignUp()))
    const current = (d: { client: { signUp: SignUpJSON | null } }) => (d.client.signUp?.id === id ? d.client.signUp : null)
    return this.run(
      () => this.core.request<{ client: { signUp: SignUpJSON | null } }>(ops.ClientSignUp),
      (d) => this.apply(current(d)),
      (d) => current(d)?.status === 'complete',
    )
  }

  /** reset forgets the current attempt locally; it makes no request. */
  async reset(): SignUpResult {
    this.#entered.params = {}
    Object.assign(this, emptySignUp())
    this.clearState()
    this.core.emit()
    return { error: null }
  }

  apply(data: SignUpJSON | null): void {
    Object.assign(this, data ? parseSignUp(data) : emptySignUp())
  }

  toJSON(): SignUpState {
    return {
      id: this.id,
      status: this.status,
      unverifiedFields: this.unverifiedFields,
      createdUserId: this.createdUserId,
      createdSessionId: this.createdSessionId,
    }
  }
}

function noSignUp() {
  return apiError('sign_up_missing', 'There is no sign-up in progress. Start over.')
}
