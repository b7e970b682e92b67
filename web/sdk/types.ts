/**
 * Public types of the trustgate SDK. Names and shapes follow Clerk's (`@clerk/nextjs/types`) so that a
 * custom flow written from Clerk's guides type-checks after swapping the import.
 */

/** SignInStatus is where a sign-in attempt stands (CONTRACT §3 `enum SignInStatus`). */
export type SignInStatus =
  | 'needs_identifier'
  | 'needs_first_factor'
  | 'needs_second_factor'
  | 'needs_client_trust'
  | 'needs_new_password'
  | 'complete'

/** ClientTrustState tells whether the server trusts this device for the user (`new`, `known`, `pending`). */
export type ClientTrustState = 'new' | 'known' | 'pending'

/** VerificationStatus is the state of one verification (a password, a code, a TOTP). */
export type VerificationStatus = 'unverified' | 'verified' | 'failed' | 'expired'

/** SignUpStatus is where a sign-up attempt stands. */
export type SignUpStatus = 'missing_requirements' | 'complete' | 'abandoned'

/** EmailCodeFactor is a one-time code sent to one of the user's email addresses. */
export interface EmailCodeFactor {
  strategy: 'email_code'
  emailAddressId: string
  safeIdentifier: string
  primary?: boolean
}

/** PhoneCodeFactor is a one-time code sent by SMS to one of the user's phone numbers. */
export interface PhoneCodeFactor {
  strategy: 'phone_code'
  phoneNumberId: string
  safeIdentifier: string
  primary?: boolean
}

/** PasswordFactor is the user's password. */
export interface PasswordFactor {
  strategy: 'password'
}

/** TOTPFactor is a code from an authenticator app. */
export interface TOTPFactor {
  strategy: 'totp'
}

/** BackupCodeFactor is one of the user's single-use backup codes. */
export interface BackupCodeFactor {
  strategy: 'backup_code'
}

/** SignInFirstFactor is any factor that may start a sign-in. */
export type SignInFirstFactor = PasswordFactor | EmailCodeFactor | PhoneCodeFactor

/** SignInSecondFactor is any factor that may finish a sign-in (MFA or Client Trust). */
export type SignInSecondFactor = EmailCodeFactor | PhoneCodeFactor | TOTPFactor | BackupCodeFactor

/**
 * ResetPasswordEmailCodeStrategy resets a forgotten password with a code emailed to the user. The server does not
 * list it in `supportedFirstFactors` (that would tell registered accounts from unknown ones): start the flow with
 * `signIn.create({ strategy, identifier })`.
 */
export type ResetPasswordEmailCodeStrategy = 'reset_password_email_code'

/** ResetPasswordPhoneCodeStrategy resets a forgotten password with a code sent by SMS. */
export type ResetPasswordPhoneCodeStrategy = 'reset_password_phone_code'

/** ResetPasswordCodeStrategy is either password-reset strategy. */
export type ResetPasswordCodeStrategy = ResetPasswordEmailCodeStrategy | ResetPasswordPhoneCodeStrategy

/**
 * SignInCreateParams are the parameters of `signIn.create()` (`signInCreate`). With a reset strategy the sign-in
 * starts the password-reset flow and the code is sent at once; a password may not be given with it.
 */
export type SignInCreateParams =
  | { identifier?: string; password?: string; strategy?: 'password' | 'email_code' | 'phone_code' }
  | { identifier: string; strategy: ResetPasswordCodeStrategy; password?: never }

/** EmailCodeConfig prepares the `email_code` first factor of one of the listed email addresses. */
export interface EmailCodeConfig {
  strategy: 'email_code'
  emailAddressId: string
}

/** PhoneCodeConfig prepares the `phone_code` first factor of one of the listed phone numbers. */
export interface PhoneCodeConfig {
  strategy: 'phone_code'
  phoneNumberId: string
}

/** ResetPasswordEmailCodeFactorConfig sends a fresh reset code by email; without `emailAddressId`, the server's choice. */
export interface ResetPasswordEmailCodeFactorConfig {
  strategy: ResetPasswordEmailCodeStrategy
  emailAddressId?: string
}

/** ResetPasswordPhoneCodeFactorConfig sends a fresh reset code by SMS; without `phoneNumberId`, the server's choice. */
export interface ResetPasswordPhoneCodeFactorConfig {
  strategy: ResetPasswordPhoneCodeStrategy
  phoneNumberId?: string
}

/** PrepareFirstFactorParams are the parameters of `signIn.prepareFirstFactor()` (`signInPrepareFirstFactor`). */
export type PrepareFirstFactorParams =
  | EmailCodeConfig
  | PhoneCodeConfig
  | ResetPasswordEmailCodeFactorConfig
  | ResetPasswordPhoneCodeFactorConfig

/** PasswordAttempt checks the user's password as the first factor. */
export interface PasswordAttempt {
  strategy: 'password'
  password: string
}

/** EmailCodeAttempt checks an emailed sign-in code. */
export interface EmailCodeAttempt {
  strategy: 'email_code'
  code: string
}

/** PhoneCodeAttempt checks a texted sign-in code. */
export interface PhoneCodeAttempt {
  strategy: 'phone_code'
  code: string
}

/**
 * ResetPasswordEmailCodeAttempt checks an emailed reset code. With `password` it also sets the new password (the
 * sign-in then completes or asks for a second factor); without, the status becomes `needs_new_password` and
 * `signIn.resetPassword()` sets it.
 */
export interface ResetPasswordEmailCodeAttempt {
  strategy: ResetPasswordEmailCodeStrategy
  code: string
  password?: string
}

/** ResetPasswordPhoneCodeAttempt checks a texted reset code; `password` as for the email code. */
export interface ResetPasswordPhoneCodeAttempt {
  strategy: ResetPasswordPhoneCodeStrategy
  code: string
  password?: string
}

/** AttemptFirstFactorParams are the parameters of `signIn.attemptFirstFactor()` (`signInAttemptFirstFactor`). */
export type AttemptFirstFactorParams =
  | PasswordAttempt
  | EmailCodeAttempt
  | PhoneCodeAttempt
  | ResetPasswordEmailCodeAttempt
  | ResetPasswordPhoneCodeAttempt

/** ResetPasswordParams are the parameters of `signIn.resetPassword()` (`signInResetPassword`), at `needs_new_password`. */
export interface ResetPasswordParams {
  password: string
  /** signOutOfOtherSessions ends the user's other sessions; the server's default is true. */
  signOutOfOtherSessions?: boolean
}

/**
 * SignInFutureResetPasswordSubmitParams are the parameters of `signIn.resetPasswordEmailCode.submitPassword()` and
 * `signIn.resetPasswordPhoneCode.submitPassword()` (Clerk's name for `ResetPasswordParams`).
 */
export type SignInFutureResetPasswordSubmitParams = ResetPasswordParams

/** SignInFutureResetPasswordPhoneCodeSendParams are the parameters of `signIn.resetPasswordPhoneCode.sendCode()`. */
export interface SignInFutureResetPasswordPhoneCodeSendParams {
  /** phoneNumber (E.164) starts a new sign-in for that number first; without it, the current sign-in is used. */
  phoneNumber?: string
}

/** TOTPAttempt checks a code from the user's authenticator app. */
export interface TOTPAttempt {
  strategy: 'totp'
  code: string
}

/** BackupCodeAttempt checks (and uses up) one of the user's backup codes. */
export interface BackupCodeAttempt {
  strategy: 'backup_code'
  code: string
}

/**
 * SessionVerificationLevel is how much a session reverification asks (Clerk's levels): `second_factor` (the
 * server's default) asks a user with MFA for a second factor and any other user for a first factor;
 * `first_factor` asks for a first factor; `multi_factor` for a first factor, then a second one when the user has MFA.
 */
export type SessionVerificationLevel = 'first_factor' | 'second_factor' | 'multi_factor'

/** SessionVerificationStatus is where a session reverification stands. */
export type SessionVerificationStatus = 'needs_first_factor' | 'needs_second_factor' | 'complete'

/** SessionVerificationFirstFactor is a first factor a reverification may check: the password, or an email or SMS code. */
export type SessionVerificationFirstFactor = PasswordFactor | EmailCodeFactor | PhoneCodeFactor

/** SessionVerificationSecondFactor is a second factor a reverification may check. */
export type SessionVerificationSecondFactor = TOTPFactor | PhoneCodeFactor | BackupCodeFactor

/**
 * SessionVerificationResource is an in-place reverification of the active session (Clerk's
 * `SessionVerificationResource`), as `session.startVerification()` and the factor methods return it.
 */
export interface SessionVerificationResource {
  id: string
  status: SessionVerificationStatus
  level: SessionVerificationLevel
  /** supportedFirstFactors: `password`, and `email_code` / `phone_code` for each verified address the app offers. */
  supportedFirstFactors: SessionVerificationFirstFactor[]
  /** supportedSecondFactors: `totp`, `phone_code`, `backup_code`; empty when the user has no MFA. */
  supportedSecondFactors: SessionVerificationSecondFactor[]
  firstFactorVerification: Verification | null
  secondFactorVerification: Verification | null
  /** expireAt: after it the reverification can no longer complete; start another. */
  expireAt: Date
}

/** SessionVerifyCreateParams are the parameters of `session.startVerification()`. */
export interface SessionVerifyCreateParams {
  /** level defaults to the server's, `second_factor`. */
  level?: SessionVerificationLevel
}

/** SessionVerifyPrepareFirstFactorParams send the code of an `email_code` or `phone_code` first factor. */
export type SessionVerifyPrepareFirstFactorParams = EmailCodeConfig | PhoneCodeConfig

/** SessionVerifyAttemptFirstFactorParams check the password, or an emailed or texted code. */
export type SessionVerifyAttemptFirstFactorParams = PasswordAttempt | EmailCodeAttempt | PhoneCodeAttempt

/**
 * PhoneCodeSecondFactorConfig texts the code of the `phone_code` second factor; without `phoneNumberId`, the
 * number of the `phone_code` factor the last answer listed.
 */
export interface PhoneCodeSecondFactorConfig {
  strategy: 'phone_code'
  phoneNumberId?: string
}

/** SessionVerifyPrepareSecondFactorParams send the code of a second factor (only `phone_code` has one). */
export type SessionVerifyPrepareSecondFactorParams = PhoneCodeSecondFactorConfig

/** SessionVerifyAttemptSecondFactorParams check an authenticator-app code, a texted code or a backup code. */
export type SessionVerifyAttemptSecondFactorParams = TOTPAttempt | PhoneCodeAttempt | BackupCodeAttempt

/**
 * EmailCodeSecondFactorConfig emails the code of the `email_code` second factor (Client Trust); without
 * `emailAddressId`, the server picks the address it listed.
 */
export interface EmailCodeSecondFactorConfig {
  strategy: 'email_code'
  emailAddressId?: string
}

/**
 * PrepareSecondFactorParams are the parameters of `signIn.prepareSecondFactor()` (`signInPrepareSecondFactor`):
 * `phone_code` or `email_code`; without an id, the server picks the number or address it listed.
 */
export type PrepareSecondFactorParams = PhoneCodeSecondFactorConfig | EmailCodeSecondFactorConfig

/** AttemptSecondFactorParams are the parameters of `signIn.attemptSecondFactor()` (`signInAttemptSecondFactor`). */
export type AttemptSecondFactorParams = PhoneCodeAttempt | TOTPAttempt | BackupCodeAttempt | EmailCodeAttempt

/** Verification is the state of the first or second factor of a sign-in. */
export interface Verification {
  status: VerificationStatus
  strategy: string | null
  attempts: number
  expireAt: Date | null
}

/**
 * TrustgateAPIError is one error of the API, in Clerk's `ClerkAPIError` shape. `meta` holds `paramName` and any
 * extra detail the server sent (e.g. `lockoutExpiresInSeconds` for `user_locked`, `retryAfterSeconds` for
 * `too_many_requests`).
 */
export interface TrustgateAPIError {
  code: string
  message: string
  longMessage: string
  meta: { paramName?: string; [key: string]: unknown }
}

/** FieldError is the error shown beside one form field. */
export type FieldError = TrustgateAPIError

/** SignInErrors are the errors of the last sign-in call, split by form field as Clerk's `useSignIn()` does. */
export interface SignInErrors {
  fields: {
    identifier: FieldError | null
    password: FieldError | null
    code: FieldError | null
  }
  /** raw holds every error of the last call, or null. */
  raw: TrustgateAPIError[] | null
  /** global holds the errors that belong to no field (e.g. `user_locked`), or null. */
  global: TrustgateAPIError[] | null
}

/** SignUpErrors are the errors of the last sign-up call, split by form field. */
export interface SignUpErrors {
  fields: {
    emailAddress: FieldError | null
    phoneNumber: FieldError | null
    username: FieldError | null
    password: FieldError | null
    code: FieldError | null
  }
  raw: TrustgateAPIError[] | null
  global: TrustgateAPIError[] | null
}

/** FetchStatus is `fetching` while a call of the resource is in flight. */
export type FetchStatus = 'idle' | 'fetching'

/** SessionTask is a pending step of a session; trustgate has none yet, so `currentTask` is always null. */
export interface SessionTask {
  key: string
}

/** SessionData is a session as the API returns it (CONTRACT §3 `type Session`). */
export interface SessionData {
  id: string
  status: string
  userId: string
  clientId: string
  createdAt: Date
  lastActiveAt: Date
  expireAt: Date
}

/** GetTokenOptions tune `session.getToken()`. */
export interface GetTokenOptions {
  /** skipCache fetches a new token even when the cached one is still fresh. */
  skipCache?: boolean
}

/** SessionVerificationResult is what the reverification methods of a session resolve to; they never throw. */
export type SessionVerificationResult = Promise<Result<SessionVerificationResource>>

/**
 * Session is the active session of this client, with the method that mints its short-lived JWT and the
 * reverification methods of Clerk's `SessionResource` (each sends the session JWT as `Authorization: Bearer`).
 */
export interface Session {
  id: string
  status: string
  currentTask: SessionTask | null
  /** getToken returns the session JWT, cached until a few seconds before it expires; null when signed out. */
  getToken(options?: GetTokenOptions): Promise<string | null>
  /** startVerification starts a reverification (`sessionVerificationCreate`), replacing an earlier one. */
  startVerification(params?: SessionVerifyCreateParams): SessionVerificationResult
  /** prepareFirstFactorVerification sends the code of an `email_code` / `phone_code` first factor. */
  prepareFirstFactorVerification(params: SessionVerifyPrepareFirstFactorParams): SessionVerificationResult
  /** attemptFirstFactorVerification checks the password or a first-factor code. */
  attemptFirstFactorVerification(params: SessionVerifyAttemptFirstFactorParams): SessionVerificationResult
  /** prepareSecondFactorVerification texts the code of the `phone_code` second factor. */
  prepareSecondFactorVerification(params?: SessionVerifyPrepareSecondFactorParams): SessionVerificationResult
  /** attemptSecondFactorVerification checks a `totp`, `phone_code` or `backup_code` second factor. */
  attemptSecondFactorVerification(params: SessionVerifyAttemptSecondFactorParams): SessionVerificationResult
  /** getVerification reads the session's current reverification (query `sessionVerification`), or null. */
  getVerification(): Promise<Result<SessionVerificationResource | null>>
}

/** NavigateParams are passed to the `navigate` callback of `finalize()`. */
export interface NavigateParams {
  session: Session
  /** decorateUrl returns the URL to go to; trustgate needs no decoration, so it returns its argument. */
  decorateUrl: (url: string) => string
}

/** FinalizeParams are the parameters of `signIn.finalize()` and `signUp.finalize()`. */
export interface FinalizeParams {
  navigate?: (params: NavigateParams) => void | Promise<unknown>
}

/** EmailAddress is one of the user's email addresses. */
export interface EmailAddress {
  id: string
  emailAddress: string
  verified: boolean
}

/** CreateEmailAddressParams are the parameters of `user.createEmailAddress()` (Clerk's). */
export interface CreateEmailAddressParams {
  email: string
}

/** PrepareEmailAddressVerificationParams say how to verify an address: trustgate sends a code (`email_code`). */
export interface PrepareEmailAddressVerificationParams {
  strategy: 'email_code'
}

/** AttemptEmailAddressVerificationParams carry the emailed code. */
export interface AttemptEmailAddressVerificationParams {
  code: string
}

/**
 * EmailAddressResource is one of the user's email addresses with the methods of Clerk's `EmailAddressResource`,
 * as `user.emailAddresses` and `user.createEmailAddress()` hold them. Like every method of the SDK, they resolve
 * to `{ data, error }` instead of throwing; those that change the account reload the user.
 */
export interface EmailAddressResource extends EmailAddress {
  /** prepareVerification emails a 6-digit code to the address (`emailAddressPrepareVerification`). */
  prepareVerification(params: PrepareEmailAddressVerificationParams): Promise<Result<EmailAddressResource>>
  /** attemptVerification checks the emailed code (`emailAddressAttemptVerification`). */
  attemptVerification(params: AttemptEmailAddressVerificationParams): Promise<Result<EmailAddressResource>>
  /** destroy removes the address, which may not be the primary one (`emailAddressDelete`). */
  destroy(): Promise<Result<boolean>>
}

/**
 * UpdateUserParams are the parameters of `user.update()`. Of Clerk's, trustgate takes `primaryEmailAddressId`: a
 * verified address of the user's becomes the primary one (`emailAddressSetPrimary`).
 */
export interface UpdateUserParams {
  primaryEmailAddressId: string
}

/** PhoneNumber is one of the user's phone numbers. */
export interface PhoneNumber {
  id: string
  phoneNumber: string
  verified: boolean
  reservedForSecondFactor: boolean
  /**
   * defaultSecondFactor is true for the number a sign-in's second step texts unless told another (Clerk's
   * `defaultSecondFactor`), as the server reads it: among the verified numbers reserved for two-step verification,
   * the one chosen with `makeDefaultSecondFactor()`, else the oldest. It is the `primary` `phone_code` entry of a
   * sign-in's `supportedSecondFactors`, listed first among them. False for every other number.
   */
  defaultSecondFactor: boolean
}

/**
 * PhoneNumberVerification is the verification state of a phone number, as Clerk's `phoneNumber.verification`
 * reads it: `verified` once a texted code was checked, else `unverified`. The server keeps no finer state of it
 * (Clerk's `failed` and `expired` come back as the errors of `attemptVerification()` instead).
 */
export interface PhoneNumberVerification {
  status: 'verified' | 'unverified'
  strategy: 'phone_code'
}

/** AttemptPhoneNumberVerificationParams carry the texted code. */
export interface AttemptPhoneNumberVerificationParams {
  code: string
}

/** SetReservedForSecondFactorParams turn SMS two-step verification on (`true`) or off for a number. */
export interface SetReservedForSecondFactorParams {
  reserved: boolean
}

/**
 * PhoneNumberResource is one of the user's phone numbers with the methods of Clerk's `PhoneNumberResource`, as
 * `user.phoneNumbers` and `user.createPhoneNumber()` hold them. Like every method of the SDK, they resolve to
 * `{ data, error }` instead of throwing; those that change the account reload the user.
 */
export interface PhoneNumberResource extends PhoneNumber {
  /** verification is `{ status: 'verified' | 'unverified', strategy: 'phone_code' }`, from `verified`. */
  verification: PhoneNumberVerification
  /** prepareVerification texts a 6-digit code to the number (`phoneNumberPrepareVerification`). */
  prepareVerification(): Promise<Result<PhoneNumberResource>>
  /** attemptVerification checks the texted code (`phoneNumberAttemptVerification`). */
  attemptVerification(params: AttemptPhoneNumberVerificationParams): Promise<Result<PhoneNumberResource>>
  /** setReservedForSecondFactor turns SMS two-step verification on or off for a verified number. */
  setReservedForSecondFactor(params: SetReservedForSecondFactorParams): Promise<Result<PhoneNumberResource>>
  /**
   * makeDefaultSecondFactor makes this number, reserved for two-step verification, the one a sign-in's second step
   * texts unless told another (`phoneNumberMakeDefaultSecondFactor`); the user's other numbers stop being the
   * default. A number not reserved answers `resource_forbidden` (`paramName` `id`).
   */
  makeDefaultSecondFactor(): Promise<Result<PhoneNumberResource>>
  /** destroy removes the number (`phoneNumberDelete`). */
  destroy(): Promise<Result<boolean>>
}

/** UserData is the signed-in user as `me` returns it. */
export interface UserData {
  id: string
  /** username is the user's username, or null (none, or the application does not use usernames). */
  username: string | null
  emailAddresses: EmailAddress[]
  phoneNumbers: PhoneNumber[]
  primaryEmailAddressId: string | null
  twoFactorEnabled: boolean
  totpEnabled: boolean
  backupCodeEnabled: boolean
  locked: boolean
  banned: boolean
  lastSignInAt: Date | null
  createdAt: Date
}

/** TOTPResource is an authenticator-app enrolment: the secret and QR code come back only from `createTOTP()`. */
export interface TOTPResource {
  id: string
  secret: string | null
  uri: string | null
  /** qrCodePng is a base64 PNG of the otpauth URI, for `<img src="data:image/png;base64,…">`. */
  qrCodePng: string | null
  verified: boolean
  /** backupCodes are filled by `verifyTOTP()` when it enables MFA and the app offers backup codes. */
  backupCodes: string[] | null
}

/** BackupCodeResource is a fresh set of backup codes, shown once. */
export interface BackupCodeResource {
  codes: string[]
}

/** TrustedClient is a device on which the user completed a sign-in, so Client Trust does not ask again there. */
export interface TrustedClient {
  id: string
  clientId: string
  /** method is how the device was trusted (e.g. `email_code`, `phone_code`, `totp`). */
  method: string
  ipAddress: string
  userAgent: string
  createdAt: Date
  lastUsedAt: Date | null
  /** current is true for the device making the request. */
  current: boolean
}

/** Result is what every SDK call resolves to: it never throws for an API error. */
export type Result<T> = { data: T; error: null } | { data: null; error: TrustgateAPIResponseErrorLike }

/** TrustgateAPIResponseErrorLike is the error of a failed call (see `TrustgateAPIResponseError`). */
export interface TrustgateAPIResponseErrorLike extends Error {
  errors: TrustgateAPIError[]
  code: string
  longMessage: string
  status: number | null
  retryAfter: number | null
}

// ---- Environment (client.environment(), useEnvironment(); sdk/environment.ts) ----

/** EnvironmentFirstFactor is a first factor an application can enable; other strings may come from newer servers. */
export type EnvironmentFirstFactor = 'password' | 'email_code' | 'phone_code' | (string & {})

/** EnvironmentSecondFactor is a second factor (MFA) an application can enable. */
export type EnvironmentSecondFactor = 'totp' | 'phone_code' | 'backup_code' | (string & {})

/**
 * Environment is the application as a frontend sees it (query `environment`, which needs only the publishable key;
 * the part of Clerk's `clerk.__unstable__environment.userSettings` trustgate has): which identifiers users sign up
 * and sign in with, and which factors the application offers.
 *
 * The server's sign-up rules follow from it: a username is accepted when `usernameEnabled`, and required only when
 * email and phone are both off; an email address is required when `emailEnabled`, unless phone is on too and a
 * phone number is given; with email off and phone on, a phone number is required; a password is required when
 * `passwordEnabled`. A sign-up with neither email nor phone (a username and a password) completes at once.
 */
export interface Environment {
  applicationName: string
  emailEnabled: boolean
  phoneEnabled: boolean
  usernameEnabled: boolean
  passwordEnabled: boolean
  /** firstFactors are the enabled first factors: `password`, `email_code`, `phone_code`. */
  firstFactors: EnvironmentFirstFactor[]
  /** secondFactors are the enabled second factors: `totp`, `phone_code`, `backup_code`. */
  secondFactors: EnvironmentSecondFactor[]
  /**
   * allowedOrigins are the origins besides the server's own that may call the API from a browser, and that the
   * hosted pages may send a user back to after sign-in or sign-up (`?redirect_url=`), as the server lists them.
   */
  allowedOrigins: string[]
}

/**
 * EnvironmentState is where a client's environment stands (`client.environmentState`): `idle` before anything asked
 * for it, `loading`, `loaded`, or `error` (the last load failed; `environment` keeps an earlier success, if any).
 */
export interface EnvironmentState {
  status: 'idle' | 'loading' | 'loaded' | 'error'
  environment: Environment | null
  error: TrustgateAPIResponseErrorLike | null
}
