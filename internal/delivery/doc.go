// Package delivery sends the emails and text messages that sign-in and
// sign-up need: verification codes, Client Trust codes, new-device notices,
// and the notice that an address someone tried to sign up with already has an
// account.
//
// Everything that sends implements Sender. SMTPSender sends email through an
// SMTP server (TRUSTGATE_SMTP_URL), SMSHookSender posts text messages to an
// HTTP endpoint (TRUSTGATE_SMS_URL), and OutboxSender keeps messages in the
// dev outbox when either is not configured. Router picks one of them for each
// message by its channel. Every failure wraps ErrDeliveryFailed.
//
// The Render functions turn what a message is about (application, code,
// device) into a ready Message from the templates embedded from
// templates/.
//
// Codes are secrets: no sender puts a message's text into an error or a log.
// The single exception is OutboxSender in dev mode (TRUSTGATE_DEV), which
// logs each message, code included, so that a developer without SMTP or SMS
// can sign in.
package delivery
