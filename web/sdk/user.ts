import { apiError } from './errors'
import * as ops from './operations'
import {
  parseSession,
  parseTrustedClient,
  parseUser,
  type SessionJSON,
  type TrustedClientJSON,
  type UserJSON,
} from './parse'
import type { Operation } from './operations'
import type {
  AttemptEmailAddressVerificationParams,
  AttemptPhoneNumberVerificationParams,
  BackupCodeResource,
  CreateEmailAddressParams,
  EmailAddress,
  EmailAddressResource,
  PhoneNumber,
  PhoneNumberResource,
  PhoneNumberVerification,
  PrepareEmailAddressVerificationParams,
  Result,
  SessionData,
  SetReservedForSecondFactorParams,
  TOTPResource,
  TrustedClient,
  UpdateUserParams,
  UserData,
} from './types'

/** AccountCore is what the user resource needs from its client: requests made with the session JWT. */
export interface AccountCore {
  authedRequest<T>(op: Operation, variables?: Record<string, unknown>): Promise<Result<T>>
  /** reloadUser fetches `me` again and publishes the new user to subscribers. */
  reloadUser(): Promise<Result<User | null>>
  /**
   * changeUser sends an account change that answers with the whole user, and publishes that user as a reload would
   * (reloading instead only when a `me` on its way, or answered since the change began, may be newer).
   */
  changeUser<T>(op: Operation, variables: Record<string, unknown>, user: (d: T) => UserJSON): Promise<Result<User>>
}

function map<T, U>(r: Result<T>, f: (d: T) => U): Result<U> {
  return r.error ? r : { data: f(r.data), error: null }
}

/** thenReload waits for an account change and, when it passed, reloads the user before mapping its answer. */
async function thenReload<T, U>(core: AccountCore, p: Promise<Result<T>>, f: (d: T) => U): Promise<Result<U>> {
  const r = await p
  if (!r.error) await core.reloadUser()
  return map(r, f)
}

/**
 * User is the signed-in user (query `me`) with the account self-service methods. A User is a snapshot: methods
 * that change the account reload it, and the client then holds a new User object (so React re-renders).
 * Every method resolves to `{ data, error }` and never throws for an API error.
 */
export class User implements UserData {
  readonly id: string
  readonly username: string | null
  /** emailAddresses carry the methods of Clerk's `EmailAddressResource` (`prepareVerification`, …). */
  readonly emailAddresses: EmailAddressResource[]
  /** phoneNumbers carry the methods of Clerk's `PhoneNumberResource` (`prepareVerification`, …). */
  readonly phoneNumbers: PhoneNumberResource[]
  readonly primaryEmailAddressId: string | null
  readonly twoFactorEnabled: boolean
  readonly totpEnabled: boolean
  readonly backupCodeEnabled: boolean
  readonly locked: boolean
  readonly banned: boolean
  readonly lastSignInAt: Date | null
  readonly createdAt: Date
  readonly #core: AccountCore

  constructor(core: AccountCore, json: UserJSON) {
    const d = parseUser(json)
    this.id = d.id
    this.username = d.username
    this.emailAddresses = d.emailAddresses.map((e) => new UserEmailAddress(core, e))
    this.phoneNumbers = d.phoneNumbers.map((p) => new UserPhoneNumber(core, p))
    this.primaryEmailAddressId = d.primaryEmailAddressId
    this.twoFactorEnabled = d.twoFactorEnabled
    this.totpEnabled = d.totpEnabled
    this.backupCodeEnabled = d.backupCodeEnabled
    this.locked = d.locked
    this.banned = d.banned
    this.lastSignInAt = d.lastSignInAt
    this.createdAt = d.createdAt
    this.#core = core
  }

  /** primaryEmailAddress is the primary email address, if the user has one. */
  get primaryEmailAddress(): EmailAddressResource | null {
    return this.emailAddresses.find((e) => e.id === this.primaryEmailAddressId) ?? null
  }

  /** createTOTP starts an authenticator-app enrolment: a new secret, its otpauth URI and a QR code PNG. */
  async createTOTP(): Promise<Result<TOTPResource>> {
    const r = await this.#core.authedRequest<{ totpCreate: Omit<TOTPResource, 'backupCodes'> }>(ops.TotpCreate)
    return map(r, (d) => ({ ...d.totpCreate, backupCodes: null }))
  }

  /** verifyTOTP confirms the enrolment with a first code; `backupCodes` come back when this enables MFA. */
  async verifyTOTP({ code }: { code: string }): Promise<Result<TOTPResource>> {
    const r = await this.#core.authedRequest<{ totpVerify: { id: string; verified: boolean; backupCodes: string[] | null } }>(
      ops.TotpVerify,
      { code },
    )
    if (!r.error) await this.#core.reloadUser()
    return map(r, (d) => ({ secret: null, uri: null, qrCodePng: null, ...d.totpVerify, backupCodes: d.totpVerify.backupCodes ?? null }))
  }

  /** disableTOTP removes the authenticator app. */
  async disableTOTP(): Promise<Result<boolean>> {
    return this.thenReload(this.#core.authedRequest<{ totpDisable: boolean }>(ops.TotpDisable), (d) => d.totpDisable)
  }

  /** createBackupCode makes a fresh set of backup codes (shown once), replacing any earlier set. */
  async createBackupCode(): Promise<Result<BackupCodeResource>> {
    return this.thenReload(
      this.#core.authedRequest<{ backupCodesCreate: BackupCodeResource }>(ops.BackupCodesCreate),
      (d) => d.backupCodesCreate,
    )
  }

  /**
   * createPhoneNumber adds an unverified phone number and resolves to it as a `PhoneNumberResource`; verify it with
   * its `prepareVerification()` and `attemptVerification()`.
   */
  async createPhoneNumber({ phoneNumber }: { phoneNumber: string }): Promise<Result<PhoneNumberResource>> {
    return phoneChange(
      this.#core,
      this.#core.authedRequest<{ phoneNumberCreate: PhoneNumber }>(ops.PhoneNumberCreate, { phoneNumber }),
      (d) => d.phoneNumberCreate,
    )
  }

  /** preparePhoneNumberVerification texts a verification code to one of the user's phone numbers. */
  preparePhoneNumberVerification(phoneNumberId: string): Promise<Result<PhoneNumberResource>> {
    return preparePhoneNumber(this.#core, phoneNumberId)
  }

  /** attemptPhoneNumberVerification checks the texted code. */
  attemptPhoneNumberVerification(
    phoneNumberId: string,
    params: AttemptPhoneNumberVerificationParams,
  ): Promise<Result<PhoneNumberResource>> {
    return attemptPhoneNumber(this.#core, phoneNumberId, params)
  }

  /** setPhoneNumberReservedForSecondFactor turns SMS two-step verification on or off for a verified number. */
  setPhoneNumberReservedForSecondFactor(
    phoneNumberId: string,
    params: SetReservedForSecondFactorParams,
  ): Promise<Result<PhoneNumberResource>> {
    return reservePhoneNumber(this.#core, phoneNumberId, params)
  }

  /**
   * makePhoneNumberDefaultSecondFactor makes a number reserved for two-step verification the one a sign-in's second
   * step texts unless told another, as the number's `makeDefaultSecondFactor()` does.
   */
  makePhoneNumberDefaultSecondFactor(phoneNumberId: string): Promise<Result<PhoneNumberResource>> {
    return makeDefaultPhoneNumber(this.#core, phoneNumberId)
  }

  /**
   * deletePhoneNumber removes one of the user's phone numbers (Clerk's `phoneNumber.destroy()`); one reserved for
   * two-step verification stops being a second factor. The last verified identifier cannot be removed
   * (`resource_forbidden`).
   */
  deletePhoneNumber(phoneNumberId: string): Promise<Result<boolean>> {
    return deletePhoneNumber(this.#core, phoneNumberId)
  }

  /**
   * createEmailAddress adds an unverified email address (Clerk's); verify it with `prepareVerification()` and
   * `attemptVerification()` on the address it resolves to.
   */
  async createEmailAddress({ email }: CreateEmailAddressParams): Promise<Result<EmailAddressResource>> {
    return this.thenReload(
      this.#core.authedRequest<{ emailAddressCreate: EmailAddress }>(ops.EmailAddressCreate, { emailAddress: email }),
      (d) => new UserEmailAddress(this.#core, d.emailAddressCreate),
    )
  }

  /**
   * update changes the user (Clerk's `user.update()`); trustgate takes `primaryEmailAddressId`, a verified address
   * of the user's. Making another address primary revokes the trust of every other device (Client Trust rule 4):
   * their next password sign-in asks for a code again. It resolves to the updated user.
   */
  async update({ primaryEmailAddressId }: UpdateUserParams): Promise<Result<User>> {
    return this.#core.changeUser<{ emailAddressSetPrimary: UserJSON }>(
      ops.EmailAddressSetPrimary,
      { id: primaryEmailAddressId },
      (d) => d.emailAddressSetPrimary,
    )
  }

  /** updatePassword changes the password; the server then revokes the user's trusted devices. */
  async updatePassword({ currentPassword, newPassword }: { currentPassword: string; newPassword: string }): Promise<Result<boolean>> {
    const r = await this.#core.authedRequest<{ passwordUpdate: boolean }>(ops.PasswordUpdate, {
      current: currentPassword,
      new: newPassword,
    })
    return map(r, (d) => d.passwordUpdate)
  }

  /** getSessions lists the user's sessions. */
  async getSessions(): Promise<Result<SessionData[]>> {
    const r = await this.#core.authedRequest<{ sessions: SessionJSON[] }>(ops.Sessions)
    return map(r, (d) => d.sessions.map(parseSession))
  }

  /** revokeSession ends one of the user's sessions. */
  async revokeSession(sessionId: string): Promise<Result<SessionData>> {
    const r = await this.#core.authedRequest<{ sessionRevoke: SessionJSON }>(ops.SessionRevoke, { id: sessionId })
    return map(r, (d) => parseSession(d.sessionRevoke))
  }

  /** getTrustedClients lists the devices Client Trust will not ask about again. */
  async getTrustedClients(): Promise<Result<TrustedClient[]>> {
    const r = await this.#core.authedRequest<{ trustedClients: TrustedClientJSON[] }>(ops.TrustedClients)
    return map(r, (d) => d.trustedClients.map(parseTrustedClient))
  }

  /** revokeTrustedClient forgets one trusted device: the next password sign-in there needs a code again. */
  async revokeTrustedClient(trustedClientId: string): Promise<Result<boolean>> {
    const r = await this.#core.authedRequest<{ trustedClientRevoke: boolean }>(ops.TrustedClientRevoke, {
      id: trustedClientId,
    })
    return map(r, (d) => d.trustedClientRevoke)
  }

  /** reload fetches the user again. */
  reload(): Promise<Result<User | null>> {
    return this.#core.reloadUser()
  }

  private thenReload<T, U>(p: Promise<Result<T>>, f: (d: T) => U): Promise<Result<U>> {
    return thenReload(this.#core, p, f)
  }
}

/**
 * UserEmailAddress is one of the signed-in user's email addresses with the methods of Clerk's
 * `EmailAddressResource`. Its client is a private field, so logging it shows only its data. Each method sends the
 * session JWT and resolves to `{ data, error }`; `attemptVerification()` and `destroy()` reload the user.
 */
class UserEmailAddress implements EmailAddressResource {
  readonly id: string
  readonly emailAddress: string
  readonly verified: boolean
  readonly #core: AccountCore

  constructor(core: AccountCore, data: EmailAddress) {
    this.id = data.id
    this.emailAddress = data.emailAddress
    this.verified = data.verified
    this.#core = core
  }

  /** prepareVerification emails a 6-digit code; another send within 30 s answers `verification_code_too_many_requests`. */
  async prepareVerification({ strategy }: PrepareEmailAddressVerificationParams): Promise<Result<EmailAddressResource>> {
    if (strategy !== 'email_code') {
      // Only codes are sent: Clerk's email_link has no counterpart here yet.
      const message = `Email addresses are verified with a code (email_code), not ${String(strategy)}.`
      return { data: null, error: apiError('strategy_for_user_invalid', message, 'strategy') }
    }
    const r = await this.#core.authedRequest<{ emailAddressPrepareVerification: EmailAddress }>(
      ops.EmailAddressPrepareVerification,
      { id: this.id },
    )
    return map(r, (d) => new UserEmailAddress(this.#core, d.emailAddressPrepareVerification))
  }

  /** attemptVerification checks the emailed code. */
  async attemptVerification({ code }: AttemptEmailAddressVerificationParams): Promise<Result<EmailAddressResource>> {
    return thenReload(
      this.#core,
      this.#core.authedRequest<{ emailAddressAttemptVerification: EmailAddress }>(ops.EmailAddressAttemptVerification, {
        id: this.id,
        code,
      }),
      (d) => new UserEmailAddress(this.#core, d.emailAddressAttemptVerification),
    )
  }

  /** destroy removes the address; the primary one cannot be removed (`resource_forbidden`). */
  async destroy(): Promise<Result<boolean>> {
    return thenReload(
      this.#core,
      this.#core.authedRequest<{ emailAddressDelete: boolean }>(ops.EmailAddressDelete, { id: this.id }),
      (d) => d.emailAddressDelete,
    )
  }
}

/** phoneChange waits for a change to a phone number and, when it passed, reloads the user before resolving to the number. */
function phoneChange<T>(core: AccountCore, p: Promise<Result<T>>, number: (d: T) => PhoneNumber): Promise<Result<PhoneNumberResource>> {
  return thenReload(core, p, (d) => new UserPhoneNumber(core, number(d)))
}

async function preparePhoneNumber(core: AccountCore, id: string): Promise<Result<PhoneNumberResource>> {
  const r = await core.authedRequest<{ phoneNumberPrepareVerification: PhoneNumber }>(ops.PhoneNumberPrepareVerification, { id })
  return map(r, (d) => new UserPhoneNumber(core, d.phoneNumberPrepareVerification))
}

function attemptPhoneNumber(
  core: AccountCore,
  id: string,
  { code }: AttemptPhoneNumberVerificationParams,
): Promise<Result<PhoneNumberResource>> {
  return phoneChange(
    core,
    core.authedRequest<{ phoneNumberAttemptVerification: PhoneNumber }>(ops.PhoneNumberAttemptVerification, { id, code }),
    (d) => d.phoneNumberAttemptVerification,
  )
}

function reservePhoneNumber(
  core: AccountCore,
  id: string,
  { reserved }: SetReservedForSecondFactorParams,
): Promise<Result<PhoneNumberResource>> {
  return phoneChange(
    core,
    core.authedRequest<{ phoneNumberReserveForSecondFactor: PhoneNumber }>(ops.PhoneNumberReserveForSecondFactor, {
      id,
      reserved,
    }),
    (d) => d.phoneNumberReserveForSecondFactor,
  )
}

function makeDefaultPhoneNumber(core: AccountCore, id: string): Promise<Result<PhoneNumberResource>> {
  return phoneChange(
    core,
    core.authedRequest<{ phoneNumberMakeDefaultSecondFactor: PhoneNumber }>(ops.PhoneNumberMakeDefaultSecondFactor, { id }),
    (d) => d.phoneNumberMakeDefaultSecondFactor,
  )
}

function deletePhoneNumber(core: AccountCore, id: string): Promise<Result<boolean>> {
  return thenReload(
    core,
    core.authedRequest<{ phoneNumberDelete: boolean }>(ops.PhoneNumberDelete, { id }),
    (d) => d.phoneNumberDelete,
  )
}

/**
 * UserPhoneNumber is one of the signed-in user's phone numbers with the methods of Clerk's `PhoneNumberResource`.
 * Like `UserEmailAddress`, its client is a private field; each method sends the session JWT and resolves to
 * `{ data, error }`, and all but `prepareVerification()` reload the user. `user.preparePhoneNumberVerification(id)`
 * and its siblings do the same.
 */
class UserPhoneNumber implements PhoneNumberResource {
  readonly id: string
  readonly phoneNumber: string
  readonly verified: boolean
  readonly reservedForSecondFactor: boolean
  /** defaultSecondFactor is the server's (`PhoneNumber.defaultSecondFactor`): the number a second step texts. */
  readonly defaultSecondFactor: boolean
  readonly verification: PhoneNumberVerification
  readonly #core: AccountCore

  constructor(core: AccountCore, data: PhoneNumber) {
    this.id = data.id
    this.phoneNumber = data.phoneNumber
    this.verified = data.verified
    this.reservedForSecondFactor = data.reservedForSecondFactor
    this.defaultSecondFactor = data.defaultSecondFactor
    this.verification = { status: data.verified ? 'verified' : 'unverified', strategy: 'phone_code' }
    this.#core = core
  }

  /** prepareVerification texts a 6-digit code; another send within 30 s answers `verification_code_too_many_requests`. */
  prepareVerification(): Promise<Result<PhoneNumberResource>> {
    return preparePhoneNumber(this.#core, this.id)
  }

  /** attemptVerification checks the texted code. */
  attemptVerification(params: AttemptPhoneNumberVerificationParams): Promise<Result<PhoneNumberResource>> {
    return attemptPhoneNumber(this.#core, this.id, params)
  }

  /** setReservedForSecondFactor turns SMS two-step verification on or off; the number must be verified. */
  setReservedForSecondFactor(params: SetReservedForSecondFactorParams): Promise<Result<PhoneNumberResource>> {
    return reservePhoneNumber(this.#core, this.id, params)
  }

  /**
   * makeDefaultSecondFactor makes this number, which must be reserved for two-step verification
   * (`resource_forbidden` otherwise), the one a sign-in's second step texts unless told another; the user's other
   * numbers stop being the default.
   */
  makeDefaultSecondFactor(): Promise<Result<PhoneNumberResource>> {
    return makeDefaultPhoneNumber(this.#core, this.id)
  }

  /** destroy removes the number; the last verified one the user signs in with cannot go (`resource_forbidden`). */
  destroy(): Promise<Result<boolean>> {
    return deletePhoneNumber(this.#core, this.id)
  }
}
