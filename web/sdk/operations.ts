/**
 * The GraphQL documents the SDK sends. Selection sets request exactly the fields of CONTRACT §3; every
 * operation is named so that `operationName` identifies it in logs and tests.
 */

const factorFields = 'strategy safeIdentifier emailAddressId phoneNumberId primary'
const verificationFields = 'status strategy attempts expireAt'

/** SIGN_IN_FIELDS is the selection of a `SignIn`. */
export const SIGN_IN_FIELDS = `id status identifier clientTrustState
    supportedFirstFactors { ${factorFields} }
    supportedSecondFactors { ${factorFields} }
    firstFactorVerification { ${verificationFields} }
    secondFactorVerification { ${verificationFields} }
    createdSessionId`

/** SIGN_UP_FIELDS is the selection of a `SignUp`. */
export const SIGN_UP_FIELDS = 'id status unverifiedFields createdUserId createdSessionId'

/** SESSION_FIELDS is the selection of a `Session`. */
export const SESSION_FIELDS = 'id status userId clientId createdAt lastActiveAt expireAt'

/** PHONE_NUMBER_FIELDS is the selection of a `PhoneNumber`. */
export const PHONE_NUMBER_FIELDS = 'id phoneNumber verified reservedForSecondFactor defaultSecondFactor'

/** EMAIL_ADDRESS_FIELDS is the selection of an `EmailAddress`. */
export const EMAIL_ADDRESS_FIELDS = 'id emailAddress verified'

/** USER_FIELDS is the selection of a `User`. */
export const USER_FIELDS = `id username
    emailAddresses { ${EMAIL_ADDRESS_FIELDS} }
    phoneNumbers { ${PHONE_NUMBER_FIELDS} }
    primaryEmailAddressId twoFactorEnabled totpEnabled backupCodeEnabled locked banned lastSignInAt createdAt`

/** Operation is one named GraphQL document. */
export interface Operation {
  operationName: string
  query: string
}

function op(operationName: string, query: string): Operation {
  return { operationName, query: query.replace(/\s+/g, ' ').trim() }
}

export const SignInCreate = op(
  'SignInCreate',
  `mutation SignInCreate($input: SignInCreateInput!) { signInCreate(input: $input) { ${SIGN_IN_FIELDS} } }`,
)
export const SignInPrepareFirstFactor = op(
  'SignInPrepareFirstFactor',
  `mutation SignInPrepareFirstFactor($id: ID!, $input: PrepareFactorInput!) { signInPrepareFirstFactor(id: $id, input: $input) { ${SIGN_IN_FIELDS} } }`,
)
export const SignInAttemptFirstFactor = op(
  'SignInAttemptFirstFactor',
  `mutation SignInAttemptFirstFactor($id: ID!, $input: AttemptFactorInput!) { signInAttemptFirstFactor(id: $id, input: $input) { ${SIGN_IN_FIELDS} } }`,
)
export const SignInPrepareSecondFactor = op(
  'SignInPrepareSecondFactor',
  `mutation SignInPrepareSecondFactor($id: ID!, $input: PrepareFactorInput!) { signInPrepareSecondFactor(id: $id, input: $input) { ${SIGN_IN_FIELDS} } }`,
)
export const SignInAttemptSecondFactor = op(
  'SignInAttemptSecondFactor',
  `mutation SignInAttemptSecondFactor($id: ID!, $input: AttemptFactorInput!) { signInAttemptSecondFactor(id: $id, input: $input) { ${SIGN_IN_FIELDS} } }`,
)
export const SignInResetPassword = op(
  'SignInResetPassword',
  `mutation SignInResetPassword($id: ID!, $input: SignInResetPasswordInput!) { signInResetPassword(id: $id, input: $input) { ${SIGN_IN_FIELDS} } }`,
)

export const SignUpCreate = op(
  'SignUpCreate',
  `mutation SignUpCreate($input: SignUpCreateInput!) { signUpCreate(input: $input) { ${SIGN_UP_FIELDS} } }`,
)
export const SignUpPrepareVerification = op(
  'SignUpPrepareVerification',
  `mutation SignUpPrepareVerification($id: ID!, $strategy: String!) { signUpPrepareVerification(id: $id, strategy: $strategy) { ${SIGN_UP_FIELDS} } }`,
)
export const SignUpAttemptVerification = op(
  'SignUpAttemptVerification',
  `mutation SignUpAttemptVerification($id: ID!, $strategy: String!, $code: String!) { signUpAttemptVerification(id: $id, strategy: $strategy, code: $code) { ${SIGN_UP_FIELDS} } }`,
)

export const SignOut = op('SignOut', 'mutation SignOut($sessionId: ID) { signOut(sessionId: $sessionId) }')
export const SessionTokenCreate = op(
  'SessionTokenCreate',
  'mutation SessionTokenCreate($sessionId: ID!) { sessionTokenCreate(sessionId: $sessionId) { jwt expiresAt } }',
)

export const ClientQuery = op(
  'Client',
  `query Client { client { id signIn { ${SIGN_IN_FIELDS} } sessions { ${SESSION_FIELDS} } lastActiveSessionId } }`,
)
/** ClientSignUp reads the client's sign-up in progress (`signUp.reload()`); `load()` does not resume sign-ups. */
export const ClientSignUp = op('ClientSignUp', `query ClientSignUp { client { id signUp { ${SIGN_UP_FIELDS} } } }`)
export const Me = op('Me', `query Me { me { ${USER_FIELDS} } }`)

// Account self-service (CONTRACT §3 "Account self-service"); these authenticate with the session JWT.
export const TotpCreate = op('TotpCreate', 'mutation TotpCreate { totpCreate { id secret uri qrCodePng verified } }')
export const TotpVerify = op(
  'TotpVerify',
  'mutation TotpVerify($code: String!) { totpVerify(code: $code) { id verified backupCodes } }',
)
export const TotpDisable = op('TotpDisable', 'mutation TotpDisable { totpDisable }')
export const BackupCodesCreate = op('BackupCodesCreate', 'mutation BackupCodesCreate { backupCodesCreate { codes } }')
export const PhoneNumberCreate = op(
  'PhoneNumberCreate',
  `mutation PhoneNumberCreate($phoneNumber: String!) { phoneNumberCreate(phoneNumber: $phoneNumber) { ${PHONE_NUMBER_FIELDS} } }`,
)
export const PhoneNumberPrepareVerification = op(
  'PhoneNumberPrepareVerification',
  `mutation PhoneNumberPrepareVerification($id: ID!) { phoneNumberPrepareVerification(id: $id) { ${PHONE_NUMBER_FIELDS} } }`,
)
export const PhoneNumberAttemptVerification = op(
  'PhoneNumberAttemptVerification',
  `mutation PhoneNumberAttemptVerification($id: ID!, $code: String!) { phoneNumberAttemptVerification(id: $id, code: $code) { ${PHONE_NUMBER_FIELDS} } }`,
)
export const PhoneNumberReserveForSecondFactor = op(
  'PhoneNumberReserveForSecondFactor',
  `mutation PhoneNumberReserveForSecondFactor($id: ID!, $reserved: Boolean!) { phoneNumberReserveForSecondFactor(id: $id, reserved: $reserved) { ${PHONE_NUMBER_FIELDS} } }`,
)
export const PhoneNumberMakeDefaultSecondFactor = op(
  'PhoneNumberMakeDefaultSecondFactor',
  `mutation PhoneNumberMakeDefaultSecondFactor($id: ID!) { phoneNumberMakeDefaultSecondFactor(id: $id) { ${PHONE_NUMBER_FIELDS} } }`,
)
export const EmailAddressCreate = op(
  'EmailAddressCreate',
  `mutation EmailAddressCreate($emailAddress: String!) { emailAddressCreate(emailAddress: $emailAddress) { ${EMAIL_ADDRESS_FIELDS} } }`,
)
export const EmailAddressPrepareVerification = op(
  'EmailAddressPrepareVerification',
  `mutation EmailAddressPrepareVerification($id: ID!) { emailAddressPrepareVerification(id: $id) { ${EMAIL_ADDRESS_FIELDS} } }`,
)
export const EmailAddressAttemptVerification = op(
  'EmailAddressAttemptVerification',
  `mutation EmailAddressAttemptVerification($id: ID!, $code: String!) { emailAddressAttemptVerification(id: $id, code: $code) { ${EMAIL_ADDRESS_FIELDS} } }`,
)
export const EmailAddressSetPrimary = op(
  'EmailAddressSetPrimary',
  `mutation EmailAddressSetPrimary($id: ID!) { emailAddressSetPrimary(id: $id) { ${USER_FIELDS} } }`,
)
export const EmailAddressDelete = op('EmailAddressDelete', 'mutation EmailAddressDelete($id: ID!) { emailAddressDelete(id: $id) }')
export const PhoneNumberDelete = op('PhoneNumberDelete', 'mutation PhoneNumberDelete($id: ID!) { phoneNumberDelete(id: $id) }')
export const PasswordUpdate = op(
  'PasswordUpdate',
  'mutation PasswordUpdate($current: String!, $new: String!) { passwordUpdate(current: $current, new: $new) }',
)
export const Sessions = op('Sessions', `query Sessions { sessions { ${SESSION_FIELDS} } }`)
export const SessionRevoke = op(
  'SessionRevoke',
  `mutation SessionRevoke($id: ID!) { sessionRevoke(id: $id) { ${SESSION_FIELDS} } }`,
)
export const TrustedClients = op('TrustedClients', 'query TrustedClients { trustedClients { id clientId method ipAddress userAgent createdAt lastUsedAt current } }')
export const TrustedClientRevoke = op(
  'TrustedClientRevoke',
  'mutation TrustedClientRevoke($id: ID!) { trustedClientRevoke(id: $id) }',
)

/** SESSION_VERIFICATION_FIELDS is the selection of a `SessionVerification`. */
export const SESSION_VERIFICATION_FIELDS = `id status level
    supportedFirstFactors { ${factorFields} }
    supportedSecondFactors { ${factorFields} }
    firstFactorVerification { ${verificationFields} }
    secondFactorVerification { ${verificationFields} }
    expireAt`

// Session reverification (Clerk's session.startVerification and friends); with the session JWT like the above.
export const SessionVerificationQuery = op(
  'SessionVerification',
  `query SessionVerification { sessionVerification { ${SESSION_VERIFICATION_FIELDS} } }`,
)
export const SessionVerificationCreate = op(
  'SessionVerificationCreate',
  `mutation SessionVerificationCreate($level: SessionVerificationLevel) { sessionVerificationCreate(level: $level) { ${SESSION_VERIFICATION_FIELDS} } }`,
)
export const SessionVerificationPrepareFirstFactor = op(
  'SessionVerificationPrepareFirstFactor',
  `mutation SessionVerificationPrepareFirstFactor($input: PrepareFactorInput!) { sessionVerificationPrepareFirstFactor(input: $input) { ${SESSION_VERIFICATION_FIELDS} } }`,
)
export const SessionVerificationAttemptFirstFactor = op(
  'SessionVerificationAttemptFirstFactor',
  `mutation SessionVerificationAttemptFirstFactor($input: AttemptFactorInput!) { sessionVerificationAttemptFirstFactor(input: $input) { ${SESSION_VERIFICATION_FIELDS} } }`,
)
export const SessionVerificationPrepareSecondFactor = op(
  'SessionVerificationPrepareSecondFactor',
  `mutation SessionVerificationPrepareSecondFactor($input: PrepareFactorInput!) { sessionVerificationPrepareSecondFactor(input: $input) { ${SESSION_VERIFICATION_FIELDS} } }`,
)
export const SessionVerificationAttemptSecondFactor = op(
  'SessionVerificationAttemptSecondFactor',
  `mutation SessionVerificationAttemptSecondFactor($input: AttemptFactorInput!) { sessionVerificationAttemptSecondFactor(input: $input) { ${SESSION_VERIFICATION_FIELDS} } }`,
)

// ---- Environment: the application's settings as a frontend sees them (client.environment(), sdk/environment.ts) ----

/** ENVIRONMENT_FIELDS is the selection of an `Environment`. */
export const ENVIRONMENT_FIELDS =
  'applicationName emailEnabled phoneEnabled usernameEnabled passwordEnabled firstFactors secondFactors allowedOrigins'

// Public: needs only the publishable key (no session).
export const EnvironmentQuery = op('Environment', `query Environment { environment { ${ENVIRONMENT_FIELDS} } }`)
