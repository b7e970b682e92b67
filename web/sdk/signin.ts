import { apiError, paramOrCode, splitErrors } from './errors'
import * as ops from './operations'
import type { Operation } from './operations'
import { emptySignIn, parseSignIn, type SignInJSON, type SignInState } from './parse'
import { FlowResource, type Core } from './resource'
import type {
  AttemptFirstFactorParams,
  AttemptSecondFactorParams,
  ClientTrustState,
  EmailCodeConfig,
  EmailCodeFactor,
  FinalizeParams,
  PhoneCodeConfig,
  PhoneCodeFactor,
  PrepareFirstFactorParams,
  PrepareSecondFactorParams,
  ResetPasswordParams,
  SignInCreateParams,
  SignInErrors,
  SignInFirstFactor,
  ResetPasswordCodeStrategy,
  SignInFutureResetPasswordPhoneCodeSendParams,
  SignInFutureResetPasswordSubmitParams,
  SignInSecondFactor,
  SignInStatus,
  TrustgateAPIError,
  TrustgateAPIResponseErrorLike,
  Verification,
} from './types'

/** SignInResult is what every sign-in method resolves to: `error` is null on success; it never throws. */
export type SignInResult = Promise<{ error: TrustgateAPIResponseErrorLike | null }>

/** SignInPasswordParams name the user by exactly one of `identifier`, `emailAddress` or `phoneNumber`. */
export type SignInPasswordParams = {
  password: string
  identifier?: string
  emailAddress?: string
  phoneNumber?: string
}

const signInFieldNames = ['identifier', 'password', 'code'] as const
type SignInField = (typeof signInFieldNames)[number]

/** signInFieldFor maps an error's parameter to the sign-in form field it belongs to. */
function signInFieldFor(paramName: string | undefined, code: string): SignInField | null {
  switch (paramOrCode(paramName, code)) {
    case 'identifier':
    case 'emailAddress':
    case 'phoneNumber':
    case 'username':
      return 'identifier'
    case 'password':
      return 'password'
    case 'code':
      return 'code'
    default:
      return null
  }
}

function signInErrors(errors: TrustgateAPIError[]): SignInErrors {
  return splitErrors(errors, signInFieldNames, signInFieldFor)
}

/**
 * SignInFuture is the sign-in resource, shaped like Clerk's `SignInFuture`: its fields always describe the
 * current attempt (the same object is updated in place, so code that awaits a method and then reads
 * `signIn.status` sees the new value), and its methods resolve to `{ error }` instead of throwing.
 */
export class SignInFuture extends FlowResource<SignInErrors, SignInJSON> implements SignInState {
  id: string | undefined
  status!: SignInStatus
  identifier!: string | null
  clientTrustState!: ClientTrustState | null
  supportedFirstFactors!: SignInFirstFactor[]
  supportedSecondFactors!: SignInSecondFactor[]
  firstFactorVerification!: Verification | null
  secondFactorVerification!: Verification | null
  createdSessionId!: string | null

  /** mfa holds the second-factor steps, for MFA (`needs_second_factor`) and Client Trust (`needs_client_trust`). */
  readonly mfa = {
    /** sendEmailCode emails a code to the address of the `email_code` second factor. */
    sendEmailCode: (): SignInResult => this.prepareSecond('email_code'),
    /** verifyEmailCode checks the emailed code. */
    verifyEmailCode: ({ code }: { code: string }): SignInResult => this.attemptSecondFactor({ strategy: 'email_code', code }),
    /** sendPhoneCode texts a code to the number of the `phone_code` second factor. */
    sendPhoneCode: (): SignInResult => this.prepareSecond('phone_code'),
    /** verifyPhoneCode checks the texted code. */
    verifyPhoneCode: ({ code }: { code: string }): SignInResult => this.attemptSecondFactor({ strategy: 'phone_code', code }),
    /** verifyTOTP checks a code from the user's authenticator app. */
    verifyTOTP: ({ code }: { code: string }): SignInResult => this.attemptSecondFactor({ strategy: 'totp', code }),
    /** verifyBackupCode checks (and uses up) one of the user's backup codes. */
    verifyBackupCode: ({ code }: { code: string }): SignInResult => this.attemptSecondFactor({ strategy: 'backup_code', code }),
  }

  /** emailCode holds the passwordless first factor by email (which never triggers Client Trust). */
  readonly emailCode = {
    /** sendCode emails a sign-in code; with `emailAddress` it starts a new sign-in for that address first. */
    sendCode: (params: { emailAddress?: string } = {}): SignInResult =>
      this.prepareFirst('email_code', params.emailAddress),
    verifyCode: ({ code }: { code: string }): SignInResult => this.attemptFirstFactor({ strategy: 'email_code', code }),
  }

  /** phoneCode holds the passwordless first factor by SMS. */
  readonly phoneCode = {
    sendCode: (params: { phoneNumber?: string } = {}): SignInResult => this.prepareFirst('phone_code', params.phoneNumber),
    verifyCode: ({ code }: { code: string }): SignInResult => this.attemptFirstFactor({ strategy: 'phone_code', code }),
  }

  /**
   * resetPasswordEmailCode is Clerk's "forgot password" flow by email, on the current sign-in (start it with
   * `create({ identifier })`). The server never lists the reset strategies in `supportedFirstFactors`, so no
   * address is looked up or sent: it picks the identifier itself when it is one of the user's verified emails, else
   * the primary one.
   */
  readonly resetPasswordEmailCode = {
    /** sendCode emails a password reset code (`signInPrepareFirstFactor` with `reset_password_email_code`). */
    sendCode: (): SignInResult => this.prepareFirstFactor({ strategy: 'reset_password_email_code' }),
    ...this.resetSteps('reset_password_email_code'),
  }

  /**
   * resetPasswordPhoneCode is the same flow by SMS (`reset_password_phone_code`); the server picks the number as
   * it picks the address for email.
   */
  readonly resetPasswordPhoneCode = {
    /**
     * sendCode texts a password reset code (`signInPrepareFirstFactor` with `reset_password_phone_code`); with
     * `phoneNumber` it starts a new sign-in for that number first.
     */
    sendCode: (params: SignInFutureResetPasswordPhoneCodeSendParams = {}): SignInResult =>
      this.createFirst(params.phoneNumber, () => this.prepareFirstFactor({ strategy: 'reset_password_phone_code' })),
    ...this.resetSteps('reset_password_phone_code'),
  }

  constructor(core: Core) {
    super(core, signInErrors)
    Object.assign(this, emptySignIn())
  }

  /**
   * password signs in with a password in one step (`signInCreate` with strategy `password`). Pass exactly one of
   * `identifier`, `emailAddress`, `phoneNumber`; with none, the identifier of the current attempt is reused.
   */
  password(params: SignInPasswordParams): SignInResult {
    const given = [params.identifier, params.emailAddress, params.phoneNumber].filter((v) => v !== undefined)
    if (given.length > 1) {
      return Promise.resolve(
        this.fail(
          apiError(
            'form_param_format_invalid',
            'Only one of identifier, emailAddress or phoneNumber may be given.',
            'identifier',
          ),
        ),
      )
    }
    const identifier = given[0] ?? this.identifier
    if (identifier === null || identifier === undefined) {
      return Promise.resolve(this.fail(apiError('form_param_missing', 'Enter an email address or phone number.', 'identifier')))
    }
    return this.create({ identifier, password: params.password, strategy: 'password' })
  }

  /**
   * create starts a new sign-in attempt (`signInCreate`). With `strategy: 'reset_password_email_code'` or
   * `'reset_password_phone_code'` it starts the password-reset flow: the server sends the code at once.
   */
  create(params: SignInCreateParams): SignInResult {
    const input = compact({ identifier: params.identifier, password: params.password, strategy: params.strategy })
    return this.send('signInCreate', () => this.core.request(ops.SignInCreate, { input }))
  }

  /**
   * prepareFirstFactor sends the code of a first factor (`signInPrepareFirstFactor`): `email_code` / `phone_code`
   * for a listed address or number, or a fresh reset code for `reset_password_email_code` /
   * `reset_password_phone_code` (`emailAddressId` / `phoneNumberId` optional there).
   */
  prepareFirstFactor(params: PrepareFirstFactorParams): SignInResult {
    return this.step(ops.SignInPrepareFirstFactor, 'signInPrepareFirstFactor', prepareStepInput(params))
  }

  /**
   * attemptFirstFactor checks a first factor (`signInAttemptFirstFactor`). For a reset strategy, `code` with
   * `password` sets the new password (status `complete` or `needs_second_factor`); `code` alone gives
   * `needs_new_password`, and `resetPassword()` follows.
   */
  attemptFirstFactor(params: AttemptFirstFactorParams): SignInResult {
    const input = compact({
      strategy: params.strategy,
      code: 'code' in params ? params.code : undefined,
      password: 'password' in params ? params.password : undefined,
    })
    return this.step(ops.SignInAttemptFirstFactor, 'signInAttemptFirstFactor', input)
  }

  /**
   * prepareSecondFactor sends the code of a second factor (`signInPrepareSecondFactor`), as Clerk's classic
   * `signIn.prepareSecondFactor()` that Clerk's Client Trust and MFA guides call: `phone_code` or `email_code`, at
   * `needs_client_trust` or `needs_second_factor`. Only the fields given are sent: without `phoneNumberId` /
   * `emailAddressId` the server picks the one it listed. `mfa.sendPhoneCode()` / `mfa.sendEmailCode()` do the same
   * with the listed id. Unlike Clerk's classic method it resolves to `{ error }`, as every method here.
   */
  prepareSecondFactor(params: PrepareSecondFactorParams): SignInResult {
    return this.step(ops.SignInPrepareSecondFactor, 'signInPrepareSecondFactor', prepareStepInput(params))
  }

  /**
   * attemptSecondFactor checks a second factor (`signInAttemptSecondFactor`): a texted or emailed code, an
   * authenticator-app code (`totp`) or a backup code, as Clerk's classic `signIn.attemptSecondFactor()`.
   */
  attemptSecondFactor(params: AttemptSecondFactorParams): SignInResult {
    return this.step(ops.SignInAttemptSecondFactor, 'signInAttemptSecondFactor', {
      strategy: params.strategy,
      code: params.code,
    })
  }

  /**
   * resetPassword sets the new password of a sign-in at `needs_new_password` (`signInResetPassword`); the sign-in
   * then completes or asks for the user's second factor. `signOutOfOtherSessions` defaults to true on the server.
   */
  resetPassword(params: ResetPasswordParams): SignInResult {
    const input = compact({ password: params.password, signOutOfOtherSessions: params.signOutOfOtherSessions })
    return this.step(ops.SignInResetPassword, 'signInResetPassword', input)
  }

  /**
   * finalize activates the session the completed sign-in created (`sessionTokenCreate` confirms it and mints its
   * first token), then calls `navigate({ session, decorateUrl })`.
   */
  finalize(params: FinalizeParams = {}): SignInResult {
    return this.finalizeSession(this.createdSessionId, params, 'The sign-in is not complete yet.')
  }

  /**
   * reload reads the sign-in again from the server, as Clerk's `signIn.reload()`, for when it may have gone on
   * elsewhere: its code was used in another tab, and a resend answered `verification_already_verified`. It reads the
   * client's state (query `client`, which also takes the client's session) and the sign-in takes its status now; one
   * the client no longer has in progress (completed, and then its session is the client's active one; expired; or
   * replaced by a newer one) is forgotten, as by `reset()`.
   */
  reload(): SignInResult {
    const id = this.id
    if (!id) return Promise.resolve(this.fail(noSignIn()))
    return this.run(
      () => this.core.reloadClient(),
      (client) => this.apply(client.signIn?.id === id ? client.signIn : null),
    )
  }

  /** reset forgets the current attempt locally, to start over; it makes no request. */
  async reset(): SignInResult {
    Object.assign(this, emptySignIn())
    this.clearState()
    this.core.emit()
    return { error: null }
  }

  /** apply replaces the resource's fields with a sign-in from the server. */
  apply(data: SignInJSON | null): void {
    Object.assign(this, data ? parseSignIn(data) : emptySignIn())
  }

  private prepareSecond(strategy: 'email_code' | 'phone_code'): SignInResult {
    if (!this.id) return Promise.resolve(this.fail(noSignIn()))
    const input = prepareInput(this.supportedSecondFactors, strategy)
    if (!input) {
      return Promise.resolve(this.fail(apiError('factor_not_found', `This sign-in offers no ${strategy} second factor.`)))
    }
    return this.prepareSecondFactor(input)
  }

  /** step runs a mutation on the current sign-in (`{ id, input }`) and applies the sign-in it answers as `field`. */
  private step(op: Operation, field: string, input: Record<string, unknown>): SignInResult {
    const id = this.id
    if (!id) return Promise.resolve(this.fail(noSignIn()))
    return this.send(field, () => this.core.request(op, { id, input }))
  }

  private prepareFirst(strategy: 'email_code' | 'phone_code', identifier?: string): SignInResult {
    return this.createFirst(identifier, async () => {
      if (!this.id) return this.fail(noSignIn())
      const input = prepareInput(this.supportedFirstFactors, strategy)
      if (!input) return this.fail(apiError('factor_not_found', `This sign-in offers no ${strategy} first factor.`))
      return this.prepareFirstFactor(input)
    })
  }

  /** createFirst starts a new sign-in for identifier, when given, before then; it stops at create's error. */
  private async createFirst(identifier: string | undefined, then: () => SignInResult): SignInResult {
    if (identifier !== undefined) {
      const { error } = await this.create({ identifier })
      if (error) return { error }
    }
    return then()
  }

  /** resetSteps are the code and new-password steps of a reset flow, the same by email and by SMS. */
  private resetSteps(strategy: ResetPasswordCodeStrategy) {
    return {
      /** verifyCode checks the reset code; the status becomes `needs_new_password`. */
      verifyCode: ({ code }: { code: string }): SignInResult => this.attemptFirstFactor({ strategy, code }),
      /** submitPassword sets the new password (`signInResetPassword`): status `complete` or `needs_second_factor`. */
      submitPassword: (params: SignInFutureResetPasswordSubmitParams): SignInResult => this.resetPassword(params),
    }
  }

  /** toJSON keeps `console.log(signIn)` and `JSON.stringify(signIn)` to the data fields. */
  toJSON(): SignInState {
    return {
      id: this.id,
      status: this.status,
      identifier: this.identifier,
      clientTrustState: this.clientTrustState,
      supportedFirstFactors: this.supportedFirstFactors,
      supportedSecondFactors: this.supportedSecondFactors,
      firstFactorVerification: this.firstFactorVerification,
      secondFactorVerification: this.secondFactorVerification,
      createdSessionId: this.createdSessionId,
    }
  }
}

/**
 * prepareInput is the PrepareFactorInput for the listed factor of a strategy: it names the email address or phone
 * number the server listed, or is null when the sign-in offers no such factor.
 */
function prepareInput(
  factors: (SignInFirstFactor | SignInSecondFactor)[],
  strategy: 'email_code' | 'phone_code',
): EmailCodeConfig | PhoneCodeConfig | null {
  const factor = factors.find((f): f is EmailCodeFactor | PhoneCodeFactor => f.strategy === strategy)
  if (!factor) return null
  return factor.strategy === 'email_code'
    ? { strategy: 'email_code', emailAddressId: factor.emailAddressId }
    : { strategy: 'phone_code', phoneNumberId: factor.phoneNumberId }
}

/** prepareStepInput is the input of a prepare step: its strategy and the address or number given, if any. */
function prepareStepInput(params: PrepareFirstFactorParams | PrepareSecondFactorParams): Record<string, unknown> {
  return compact({
    strategy: params.strategy,
    emailAddressId: 'emailAddressId' in params ? params.emailAddressId : undefined,
    phoneNumberId: 'phoneNumberId' in params ? params.phoneNumberId : undefined,
  })
}

/** compact drops the undefined entries of a GraphQL input, so only the fields the caller gave are sent. */
export function compact<T extends Record<string, unknown>>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>
}

function noSignIn() {
  return apiError('sign_in_missing', 'There is no sign-in in progress. Start over.')
}
