package delivery

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"math"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Each file is its own template set, with the shared "request" block (the
// attempt's device, IP and time) of request.txt.tmpl or request.html.tmpl:
// every email's text file defines its own "subject".
var (
	codeText          = mustText("code.txt.tmpl")
	codeHTML          = mustHTML("code.html.tmpl")
	codeSMS           = mustText("code_sms.txt.tmpl")
	newDeviceText     = mustText("new_device.txt.tmpl")
	newDeviceHTML     = mustHTML("new_device.html.tmpl")
	accountExistsText = mustText("account_exists.txt.tmpl")
	accountExistsHTML = mustHTML("account_exists.html.tmpl")
	accountExistsSMS  = mustText("account_exists_sms.txt.tmpl")
	securityText      = mustText("security_notice.txt.tmpl")
	securityHTML      = mustHTML("security_notice.html.tmpl")
)

func mustText(name string) *texttemplate.Template {
	return texttemplate.Must(texttemplate.New(name).ParseFS(templateFS, "templates/"+name, "templates/request.txt.tmpl"))
}

func mustHTML(name string) *htmltemplate.Template {
	return htmltemplate.Must(htmltemplate.New(name).ParseFS(templateFS, "templates/"+name, "templates/request.html.tmpl"))
}

// DefaultCodeTTL is how long a code is valid when the caller does not say.
const DefaultCodeTTL = 10 * time.Minute

// maxDeviceLen bounds the device description, which comes from the client.
const maxDeviceLen = 120

// Purpose is why a code is sent.
type Purpose int

// The purposes of a code.
const (
	// PurposeVerification proves an email address or phone number, or
	// signs in with it (kind verification_code).
	PurposeVerification Purpose = iota
	// PurposeClientTrust confirms a password sign-in from a new device
	// (kind client_trust_code).
	PurposeClientTrust
	// PurposeResetPassword lets a user who forgot their password set a new
	// one (kind reset_password_code).
	PurposeResetPassword
)

// kind is the Message.Kind for a code sent for p.
func (p Purpose) kind() string {
	switch p {
	case PurposeClientTrust:
		return KindClientTrustCode
	case PurposeResetPassword:
		return KindResetPasswordCode
	}
	return KindVerificationCode
}

// CodeEmail is an email carrying a one-time code. Device, IP and At describe
// the request that sent it and are shown for PurposeClientTrust and
// PurposeResetPassword.
type CodeEmail struct {
	ApplicationID string
	AppName       string
	To            string
	Code          string
	TTL           time.Duration // zero means DefaultCodeTTL
	Purpose       Purpose
	Device        string // summary of the user agent, e.g. "Firefox on Linux"
	IP            string
	At            time.Time
}

// CodeSMS is a text message carrying a one-time code.
type CodeSMS struct {
	ApplicationID string
	AppName       string
	To            string // E.164
	Code          string
	TTL           time.Duration // zero means DefaultCodeTTL
	Purpose       Purpose
}

// RenderCode renders the message that carries a one-time code to e.To: the
// email of e, or, when email is false, a text message with the same
// application, code, lifetime and purpose (a text carries no device, IP or
// time).
func RenderCode(email bool, e CodeEmail) (Message, error) {
	if email {
		return RenderCodeEmail(e)
	}
	return RenderCodeSMS(CodeSMS{ApplicationID: e.ApplicationID, AppName: e.AppName, To: e.To, Code: e.Code, TTL: e.TTL, Purpose: e.Purpose})
}

// NewDeviceEmail tells a user that their account was signed in to from a new
// device.
type NewDeviceEmail struct {
	ApplicationID string
	AppName       string
	To            string
	Device        string // summary of the user agent, e.g. "Firefox on Linux"
	IP            string
	At            time.Time
	AccountURL    string // optional link to the account page
}

// AccountExists tells the owner of an email address or phone number that
// someone tried to sign up with it, and that it is already registered (to an
// account, which may hold it unverified). Under enumeration protection a sign-up
// for a taken address goes on as if it were free, and this notice goes out
// where the verification code would have: only the address's owner learns
// that it has an account. Device, IP and At describe the sign-up's request
// (shown in the email).
type AccountExists struct {
	ApplicationID string
	AppName       string
	To            string
	Device        string
	IP            string
	At            time.Time
}

// Change is a change to how an account signs in, told in a security notice.
type Change int

// The changes a security notice tells of.
const (
	ChangePassword      Change = iota + 1 // passwordUpdate
	ChangePasswordReset                   // a forgotten password replaced at sign-in
	ChangeTOTPAdded                       // an authenticator app enrolled
	ChangeTOTPRemoved                     // the authenticator app removed
	ChangePhoneAdded                      // a phone number now receives second-factor codes
	ChangePhoneRemoved                    // a phone number no longer does
	ChangeBackupCodes                     // a new set of backup codes (the old one no longer works)
	ChangePrimaryEmail                    // the primary email address moved elsewhere (told to the old one)
	ChangeMFAReset                        // an administrator removed every second factor (resetUserMfa)
	// SecondFactorFailed is no change but the sign of a leaked first
	// factor: a sign-in passed it and then failed its second factor.
	SecondFactorFailed
	BackupCodeUsed // a sign-in's second factor was a backup code (a recovery)
	// ChangeEmailAdded and ChangeNumberAdded: an email address or phone
	// number was verified onto the account, where it signs in and receives
	// codes (a password reset's among them).
	ChangeEmailAdded
	ChangeNumberAdded
)

// changes are each Change's subject and sentence (%s: the application's
// name), and whether an administrator makes it: then the notice says so
// instead of showing the request's device and IP, which are the operator's.
var changes = map[Change]struct {
	subject, sentence string
	byAdmin           bool
}{
	ChangePassword:      {"Your password was changed", "The password of your %s account was changed.", false},
	ChangePasswordReset: {"Your password was reset", "The password of your %s account was reset with a code sent to you.", false},
	ChangeTOTPAdded:     {"An authenticator app was added", "An authenticator app was added to your %s account for two-step verification.", false},
	ChangeTOTPRemoved:   {"Your authenticator app was removed", "The authenticator app was removed from your %s account's two-step verification.", false},
	ChangePhoneAdded:    {"A phone number was added for two-step verification", "A phone number now receives two-step verification codes for your %s account.", false},
	ChangePhoneRemoved:  {"A phone number was removed from two-step verification", "A phone number no longer receives two-step verification codes for your %s account.", false},
	ChangeBackupCodes:   {"New backup codes were created", "New backup codes were created for your %s account; the earlier ones no longer work.", false},
	ChangePrimaryEmail:  {"Your primary email address was changed", "This address is no longer the primary email address of your %s account.", false},
	ChangeMFAReset: {"Two-step verification was turned off", "An administrator of %s removed the second factors of your account " +
		"(authenticator app, phone numbers for two-step verification, backup codes): your password alone signs you in now.", true},
	SecondFactorFailed: {"A sign-in to your account was stopped at two-step verification", "Someone signed in to your %s account " +
		"with your password or a code sent to you, then entered a wrong two-step verification code. The sign-in was stopped.", false},
	BackupCodeUsed: {"A backup code was used to sign in", "A backup code was used for two-step verification to sign in to your %s account; " +
		"it works no more.", false},
	ChangeEmailAdded: {"An email address was added to your account", "An email address was added to your %s account: " +
		"it can sign in and receive codes, a password reset's too.", false},
	ChangeNumberAdded: {"A phone number was added to your account", "A phone number was added to your %s account: " +
		"it can receive codes, and sign in where the application takes phone numbers.", false},
}

// SecurityNotice tells a user that how their account signs in changed, so
// that a change they did not make (an attacker with the password or a
// session) does not go unseen (ASVS 2.2.3; NIST 800-63B: a recovery notifies
// the subscriber). Device, IP and At describe the request that made it.
// Detail, when set, is one more line (the new primary address, masked).
type SecurityNotice struct {
	ApplicationID string
	AppName       string
	To            string
	Change        Change
	Detail        string
	Device        string
	IP            string
	At            time.Time
}

// RenderSecurityNoticeEmail renders a security notice.
func RenderSecurityNoticeEmail(e SecurityNotice) (Message, error) {
	if err := required("SecurityNotice", "AppName", e.AppName, "To", e.To); err != nil {
		return Message{}, err
	}
	c, ok := changes[e.Change]
	if !ok {
		return Message{}, fmt.Errorf("render SecurityNotice: unknown change %d", e.Change)
	}
	app := oneLine(e.AppName)
	v := view{
		AppName: app, Change: c.subject, Sentence: fmt.Sprintf(c.sentence, app), Detail: oneLine(e.Detail),
		ByAdmin: c.byAdmin, Device: device(e.Device), IP: orUnknown(e.IP), At: when(e.At),
	}
	return renderEmail(securityText, securityHTML, v, Message{
		ApplicationID: e.ApplicationID,
		Channel:       ChannelEmail,
		To:            e.To,
		Kind:          KindSecurityNotice,
	})
}

// view is what the templates see. Every value is one line of plain text;
// html/template escapes it for the HTML part.
type view struct {
	Subject     string
	AppName     string
	Code        string
	Expiry      string
	ClientTrust bool
	Reset       bool
	Device      string
	IP          string
	At          string
	AccountURL  string
	// Change, Sentence, Detail and ByAdmin are a security notice's
	// (SecurityNotice).
	Change, Sentence, Detail string
	ByAdmin                  bool
}

// RenderCodeEmail renders a verification or Client Trust code email.
func RenderCodeEmail(e CodeEmail) (Message, error) {
	if err := required("CodeEmail", "AppName", e.AppName, "To", e.To, "Code", e.Code); err != nil {
		return Message{}, err
	}
	v := view{
		AppName:     oneLine(e.AppName),
		Code:        oneLine(e.Code),
		Expiry:      expiry(e.TTL),
		ClientTrust: e.Purpose == PurposeClientTrust,
		Reset:       e.Purpose == PurposeResetPassword,
		Device:      device(e.Device),
		IP:          orUnknown(e.IP),
		At:          when(e.At),
	}
	return renderEmail(codeText, codeHTML, v, Message{
		ApplicationID: e.ApplicationID,
		Channel:       ChannelEmail,
		To:            e.To,
		Kind:          e.Purpose.kind(),
	})
}

// RenderNewDeviceEmail renders the notice of a sign-in from a new device.
func RenderNewDeviceEmail(e NewDeviceEmail) (Message, error) {
	if err := required("NewDeviceEmail", "AppName", e.AppName, "To", e.To); err != nil {
		return Message{}, err
	}
	v := view{
		AppName:    oneLine(e.AppName),
		Device:     device(e.Device),
		IP:         orUnknown(e.IP),
		At:         when(e.At),
		AccountURL: oneLine(e.AccountURL),
	}
	return renderEmail(newDeviceText, newDeviceHTML, v, Message{
		ApplicationID: e.ApplicationID,
		Channel:       ChannelEmail,
		To:            e.To,
		Kind:          KindNewDeviceSignIn,
	})
}

// RenderAccountExistsEmail renders the notice of a sign-up for an email
// address that already has an account.
func RenderAccountExistsEmail(e AccountExists) (Message, error) {
	if err := required("AccountExists", "AppName", e.AppName, "To", e.To); err != nil {
		return Message{}, err
	}
	v := view{AppName: oneLine(e.AppName), Device: device(e.Device), IP: orUnknown(e.IP), At: when(e.At)}
	return renderEmail(accountExistsText, accountExistsHTML, v, Message{
		ApplicationID: e.ApplicationID,
		Channel:       ChannelEmail,
		To:            e.To,
		Kind:          KindAccountExists,
	})
}

// RenderAccountExistsSMS renders the text message of a sign-up for a phone
// number that already has an account.
func RenderAccountExistsSMS(e AccountExists) (Message, error) {
	if err := required("AccountExists", "AppName", e.AppName, "To", e.To); err != nil {
		return Message{}, err
	}
	return renderSMS(accountExistsSMS, view{AppName: oneLine(e.AppName)}, Message{
		ApplicationID: e.ApplicationID,
		Channel:       ChannelSMS,
		To:            e.To,
		Kind:          KindAccountExists,
	})
}

// RenderCodeSMS renders a code text message: "123456 is your Acme
// verification code. It expires in 10 minutes."
func RenderCodeSMS(s CodeSMS) (Message, error) {
	if err := required("CodeSMS", "AppName", s.AppName, "To", s.To, "Code", s.Code); err != nil {
		return Message{}, err
	}
	v := view{AppName: oneLine(s.AppName), Code: oneLine(s.Code), Expiry: expiry(s.TTL), Reset: s.Purpose == PurposeResetPassword}
	return renderSMS(codeSMS, v, Message{
		ApplicationID: s.ApplicationID,
		Channel:       ChannelSMS,
		To:            s.To,
		Kind:          s.Purpose.kind(),
	})
}

// renderSMS fills m's text from a text message template.
func renderSMS(t *texttemplate.Template, v view, m Message) (Message, error) {
	var text bytes.Buffer
	if err := t.Execute(&text, v); err != nil {
		return Message{}, fmt.Errorf("render %s text message: %w", m.Kind, err)
	}
	m.Text = strings.TrimSpace(text.String())
	return m, nil
}

// renderEmail fills m's subject, text and HTML from the templates.
func renderEmail(text *texttemplate.Template, html *htmltemplate.Template, v view, m Message) (Message, error) {
	var subject, body, page bytes.Buffer
	if err := text.ExecuteTemplate(&subject, "subject", v); err != nil {
		return Message{}, fmt.Errorf("render %s subject: %w", m.Kind, err)
	}
	v.Subject = subject.String()
	if err := text.Execute(&body, v); err != nil {
		return Message{}, fmt.Errorf("render %s text: %w", m.Kind, err)
	}
	if err := html.Execute(&page, v); err != nil {
		return Message{}, fmt.Errorf("render %s HTML: %w", m.Kind, err)
	}
	m.Subject = v.Subject
	m.Text = body.String()
	m.HTML = page.String()
	return m, nil
}

// required reports the first of the named values that is blank.
func required(what string, nameValues ...string) error {
	for i := 0; i+1 < len(nameValues); i += 2 {
		if strings.TrimSpace(nameValues[i+1]) == "" {
			return fmt.Errorf("render %s: %s is required", what, nameValues[i])
		}
	}
	return nil
}

// expiry says how long a code lasts in whole minutes, rounding up:
// "10 minutes", "1 minute".
func expiry(ttl time.Duration) string {
	if ttl <= 0 {
		ttl = DefaultCodeTTL
	}
	n := int(math.Ceil(ttl.Minutes()))
	if n == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}

// when formats the time of a sign-in attempt in UTC, which is all an email
// can know of the reader's zone.
func when(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}

// device shortens the client-supplied device description.
func device(s string) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) > maxDeviceLen {
		s = string([]rune(s)[:maxDeviceLen-1]) + "…"
	}
	return orUnknown(s)
}

func orUnknown(s string) string {
	if s = oneLine(s); s == "" {
		return "unknown"
	}
	return s
}

// oneLine replaces control characters, line breaks included, with spaces, so
// that a value cannot start a new header or a new line of a message.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s))
}
