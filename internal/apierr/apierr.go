// Package apierr is trustgate's one error type: a closed set of Clerk error
// codes, each with its HTTP status and messages, mapped once per transport
// (the GraphQL error presenter, the CSV export). Domain packages return these;
// anything else that reaches a transport is an internal error, logged there and
// shown to the caller as internal_error with no detail.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Code is one of the public error codes of CONTRACT.md.
type Code string

// The error codes. Names and meanings follow Clerk's error catalogue.
const (
	FormIdentifierNotFound           Code = "form_identifier_not_found"
	FormIdentifierExists             Code = "form_identifier_exists"
	FormPasswordIncorrect            Code = "form_password_incorrect"
	FormPasswordOrIdentifierIncorect Code = "form_password_or_identifier_incorrect"
	FormPasswordLengthTooShort       Code = "form_password_length_too_short"
	FormPasswordLengthTooLong        Code = "form_password_length_too_long"
	FormPasswordPwned                Code = "form_password_pwned"
	FormCodeIncorrect                Code = "form_code_incorrect"
	FormParamMissing                 Code = "form_param_missing"
	FormParamFormatInvalid           Code = "form_param_format_invalid"
	VerificationFailed               Code = "verification_failed"
	VerificationExpired              Code = "verification_expired"
	VerificationMissing              Code = "verification_missing"
	VerificationAlreadyVerified      Code = "verification_already_verified"
	VerificationCodeTooManyRequests  Code = "verification_code_too_many_requests"
	StrategyForUserInvalid           Code = "strategy_for_user_invalid"
	FactorNotFound                   Code = "factor_not_found"
	UserLocked                       Code = "user_locked"
	UserBanned                       Code = "user_banned"
	TooManyRequests                  Code = "too_many_requests"
	ClientTrustUnavailable           Code = "client_trust_unavailable"
	SessionExists                    Code = "session_exists"
	SessionReverificationRequired    Code = "session_reverification_required"
	AuthenticationInvalid            Code = "authentication_invalid"
	ApplicationNotFound              Code = "application_not_found"
	PermissionDenied                 Code = "permission_denied"
	ResourceNotFound                 Code = "resource_not_found"
	ResourceForbidden                Code = "resource_forbidden"
	SignInExpired                    Code = "sign_in_expired"
	SignUpExpired                    Code = "sign_up_expired"
	ClientStateInvalid               Code = "client_state_invalid"
	BackupCodesNotAvailable          Code = "backup_codes_not_available"
	TOTPAlreadyEnabled               Code = "totp_already_enabled"
	SecondFactorUnverified           Code = "identification_create_second_factor_unverified"
	DeliveryFailed                   Code = "delivery_failed"
	Internal                         Code = "internal_error"
)

// Error is a client-facing error with a Clerk code.
type Error struct {
	Code        Code
	Message     string
	LongMessage string
	// Param names the input field at fault (paramName on the wire), if any.
	Param string
	// Meta carries extra machine-readable detail, e.g. lockoutExpiresInSeconds.
	Meta map[string]any
	// cause is logged, never shown.
	cause error
}

// Error returns the code and the long message.
func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.LongMessage, e.cause)
	}
	return string(e.Code) + ": " + e.LongMessage
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// HTTPStatus is the status Clerk answers with for the code.
func (e *Error) HTTPStatus() int { return status(e.Code) }

// WithMeta returns a copy of e with key set in its meta.
func (e *Error) WithMeta(key string, value any) *Error {
	c := *e
	c.Meta = make(map[string]any, len(e.Meta)+1)
	for k, v := range e.Meta {
		c.Meta[k] = v
	}
	c.Meta[key] = value
	return &c
}

// WithParam returns a copy of e naming the input field at fault.
func (e *Error) WithParam(param string) *Error {
	c := *e
	c.Param = param
	return &c
}

// Extensions is e as the extensions of a GraphQL error (code, longMessage,
// status, paramName and meta when set): the one wire shape of every error,
// GraphQL or plain HTTP.
func (e *Error) Extensions() map[string]any {
	ext := map[string]any{"code": string(e.Code), "longMessage": e.LongMessage, "status": e.HTTPStatus()}
	if e.Param != "" {
		ext["paramName"] = e.Param
	}
	if len(e.Meta) > 0 {
		ext["meta"] = e.Meta
	}
	return ext
}

// Wrap returns a copy of e that carries cause for the logs.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// New builds an error with the default messages of code.
func New(code Code) *Error {
	m := messages[code]
	if m.short == "" {
		m = messages[Internal]
	}
	return &Error{Code: code, Message: m.short, LongMessage: m.long}
}

// Newf builds an error with the code's short message and a custom long message.
func Newf(code Code, format string, args ...any) *Error {
	e := New(code)
	e.LongMessage = fmt.Sprintf(format, args...)
	return e
}

// Missing is form_param_missing for the named parameter.
func Missing(param string) *Error {
	e := Newf(FormParamMissing, "%s must be included.", param)
	e.Param = param
	return e
}

// Invalid is form_param_format_invalid for the named parameter with a reason.
func Invalid(param, reason string) *Error {
	e := Newf(FormParamFormatInvalid, "%s is invalid: %s", param, reason)
	e.Param = param
	return e
}

// Raced is client_state_invalid for a request that lost a race: another
// request changed what (a sign-in, a sign-up) while this one ran, and this
// one's writes were undone.
func Raced(what string) *Error {
	return Newf(ClientStateInvalid, "This %s was changed by another request while this one ran. Read it again and go on from there.", what)
}

// Is reports whether err is (or wraps) an *Error with the given code, or a
// List holding one.
func Is(err error, code Code) bool {
	var l List
	if errors.As(err, &l) {
		return slices.ContainsFunc(l, func(e *Error) bool { return e.Code == code })
	}
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

type message struct{ short, long string }

var messages = map[Code]message{
	FormIdentifierNotFound:           {"Couldn't find your account.", "Couldn't find your account."},
	FormIdentifierExists:             {"That identifier is taken.", "That email address, phone number or username is taken. Please try another."},
	FormPasswordIncorrect:            {"Password is incorrect.", "Password is incorrect. Try again, or use another method."},
	FormPasswordOrIdentifierIncorect: {"Identifier or password is incorrect.", "The identifier or the password is incorrect. Try again, or use another method."},
	FormPasswordLengthTooShort:       {"Passwords must be 8 characters or more.", "Passwords must be 8 characters or more."},
	FormPasswordLengthTooLong:        {"Passwords must be 256 characters or fewer.", "Passwords must be 256 characters or fewer."},
	FormPasswordPwned:                {"Password has been found in an online data breach.", "This password has been found as part of a breach and can not be used, please try another password instead."},
	FormCodeIncorrect:                {"Incorrect code.", "The code is incorrect."},
	FormParamMissing:                 {"A parameter is missing.", "A required parameter is missing."},
	FormParamFormatInvalid:           {"A parameter is invalid.", "A parameter has an invalid format."},
	VerificationFailed:               {"Too many failed attempts.", "Too many failed attempts. You have to try again with the same or another method."},
	VerificationExpired:              {"Verification expired.", "This verification has expired. You must create a new one."},
	VerificationMissing:              {"Verification missing.", "This strategy needs a verification to be prepared first."},
	VerificationAlreadyVerified:      {"Already verified.", "This verification has already been verified."},
	VerificationCodeTooManyRequests:  {"Too many requests.", "Too many requests. Please wait at least 30 seconds to receive your code before trying again."},
	StrategyForUserInvalid:           {"Invalid verification strategy.", "The verification strategy is not valid for this account."},
	FactorNotFound:                   {"Factor not found.", "No matching factor was found for this sign-in."},
	UserLocked:                       {"Account locked.", "Your account is locked. Please try again later or contact support."},
	UserBanned:                       {"You have been banned.", "You have been banned. Please contact support if you believe this is a mistake."},
	TooManyRequests:                  {"Too many requests.", "Too many requests, retry later."},
	ClientTrustUnavailable:           {"Cannot verify this device.", "You're signing in from a new device, but your account has no verified email address or phone number to send a code to. Please contact support."},
	SessionExists:                    {"You're already signed in.", "You're already signed in."},
	SessionReverificationRequired:    {"Confirm it's you to continue.", "For your security, changing how you sign in needs a recent verification: verify this session again (sessionVerificationCreate) or sign in again, then try once more."},
	AuthenticationInvalid:            {"Invalid authentication.", "You need to be signed in with a valid session or key to do this."},
	ApplicationNotFound:              {"Application not found.", "No application matches this publishable key. Pass X-Publishable-Key."},
	PermissionDenied:                 {"Permission denied.", "Your role does not allow this action in this application."},
	ResourceNotFound:                 {"Not found.", "The resource was not found."},
	ResourceForbidden:                {"Forbidden.", "Update operations are not allowed on this resource."},
	SignInExpired:                    {"Sign-in expired.", "This sign-in has expired. Please start again."},
	SignUpExpired:                    {"Sign-up expired.", "This sign-up has expired. Please start again."},
	ClientStateInvalid:               {"Invalid client state.", "This request is not valid for the current client."},
	BackupCodesNotAvailable:          {"Backup codes not available.", "In order to use backup codes, you have to enable any other Multi-factor method."},
	TOTPAlreadyEnabled:               {"TOTP already enabled.", "An authenticator app is already enabled for this account."},
	SecondFactorUnverified:           {"Not verified.", "Only a verified phone number can be used for two-step verification."},
	DeliveryFailed:                   {"Could not send the code.", "We could not deliver the message. Please try again in a moment."},
	Internal:                         {"Internal error.", "Something went wrong on our side."},
}

func status(c Code) int {
	switch c {
	case TooManyRequests, VerificationCodeTooManyRequests:
		return http.StatusTooManyRequests
	case UserLocked, UserBanned, PermissionDenied, ResourceForbidden, SessionReverificationRequired:
		return http.StatusForbidden
	case AuthenticationInvalid:
		return http.StatusUnauthorized
	case ResourceNotFound, ApplicationNotFound:
		return http.StatusNotFound
	case Internal:
		return http.StatusInternalServerError
	case DeliveryFailed:
		return http.StatusBadGateway
	case FormIdentifierNotFound, FormIdentifierExists, FormPasswordIncorrect, FormPasswordOrIdentifierIncorect,
		FormPasswordLengthTooShort, FormPasswordLengthTooLong, FormPasswordPwned, FormCodeIncorrect,
		FormParamMissing, FormParamFormatInvalid:
		return http.StatusUnprocessableEntity
	default:
		return http.StatusBadRequest
	}
}

// List is several client errors answered together, as Clerk answers a form
// with every field at fault: GraphQL shows each as an entry of `errors`.
// Is and As see its first.
type List []*Error

// Error joins the errors' texts.
func (l List) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (l List) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Join returns nil for no errors, the error itself for one, and a List for
// more.
func Join(errs ...*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return List(errs)
}
