package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/trustgate/trustgate/internal/database"
)

// DefaultFrom is the sender address used when none is configured
// (TRUSTGATE_SMTP_FROM).
const DefaultFrom = "trustgate <no-reply@localhost>"

// Default ports for the two URL schemes: submission with STARTTLS, and
// submission over implicit TLS.
const (
	DefaultSMTPPort  = 587
	DefaultSMTPSPort = 465
)

// SMTPConfig says how to reach an SMTP server. ParseSMTPURL builds one from
// TRUSTGATE_SMTP_URL.
type SMTPConfig struct {
	Host string
	Port int
	// ImplicitTLS speaks TLS from the first byte (smtps://). Otherwise the
	// connection is upgraded with STARTTLS when the server offers it and
	// stays plain when it does not.
	ImplicitTLS bool
	// Username and Password, when Username is set, authenticate with the
	// best mechanism the server offers. PLAIN and LOGIN send the password
	// only over TLS or to localhost.
	Username string
	Password string
	// From is the sender address; empty means DefaultFrom.
	From string
	// Timeout bounds each send; zero means DefaultTimeout.
	Timeout time.Duration
	// InsecureSkipVerify accepts any server certificate. It exists for tests
	// against servers with self-signed certificates; never set it from
	// configuration.
	InsecureSkipVerify bool
}

// ParseSMTPURL reads smtp://user:pass@host:port or smtps://user:pass@host:port.
// The credentials are optional, and so is the port (587 for smtp, 465 for
// smtps). Errors never quote the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPConfig{}, errors.New("SMTP URL: " + database.URLError(err))
	}
	var cfg SMTPConfig
	switch u.Scheme {
	case "smtp":
		cfg.Port = DefaultSMTPPort
	case "smtps":
		cfg.Port, cfg.ImplicitTLS = DefaultSMTPSPort, true
	case "":
		return SMTPConfig{}, errors.New("SMTP URL: missing scheme, want smtp://host:port or smtps://host:port")
	default:
		return SMTPConfig{}, fmt.Errorf("SMTP URL: scheme %q is not smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" {
		return SMTPConfig{}, errors.New("SMTP URL: want smtp://host:port, with two slashes")
	}
	cfg.Host = u.Hostname()
	if cfg.Host == "" {
		return SMTPConfig{}, errors.New("SMTP URL: missing host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			// Not quoted: a password holding a slash makes its first part
			// the "port" (smtp://user:123456/rest@host).
			return SMTPConfig{}, errors.New("SMTP URL: the port is not a number from 1 to 65535" + database.URLEncodeHint)
		}
		cfg.Port = n
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
		if cfg.Username == "" {
			return SMTPConfig{}, errors.New("SMTP URL: a password needs a user name (smtp://user:pass@host)")
		}
	}
	if u.Path != "" && u.Path != "/" {
		// Not quoted: it may be the rest of such a password.
		return SMTPConfig{}, errors.New("SMTP URL: unexpected path after host:port" + database.URLEncodeHint)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return SMTPConfig{}, errors.New("SMTP URL: query parameters and fragments are not supported")
	}
	return cfg, nil
}

// String returns the configuration as a URL with the password replaced by
// xxxxx, safe to log.
func (c SMTPConfig) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.User(c.Username)
		if c.Password != "" {
			u.User = url.UserPassword(c.Username, "xxxxx")
		}
	}
	return u.String()
}

// GoString is String, so that %#v does not print the password either.
func (c SMTPConfig) GoString() string { return c.String() }

// LogValue is String, so that structured logs do not print the password
// either.
func (c SMTPConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// SMTPSender sends email through an SMTP server. It is safe for concurrent
// use; each Send opens its own connection.
type SMTPSender struct {
	cfg  SMTPConfig
	from string
}

// NewSMTPSender returns a sender for cfg, checking the From address.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	if cfg.Host == "" {
		return nil, errors.New("SMTP: missing host")
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultSMTPPort
		if cfg.ImplicitTLS {
			cfg.Port = DefaultSMTPSPort
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.From == "" {
		cfg.From = DefaultFrom
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("SMTP: From address %q: %v", cfg.From, err)
	}
	return &SMTPSender{cfg: cfg, from: from.String()}, nil
}

// String describes the sender without its password.
func (s *SMTPSender) String() string { return s.cfg.String() }

// Send delivers an email message: multipart plain text and HTML when m.HTML
// is set, plain text otherwise.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelEmail {
		return fmt.Errorf("%w: SMTP sends email, not %q messages", ErrDeliveryFailed, m.Channel)
	}
	msg := mail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("%w: From address: %w", ErrDeliveryFailed, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("%w: recipient address: %w", ErrDeliveryFailed, hideAddresses(err))
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}

	// Timeout bounds the whole send: go-mail applies it to the dial and to
	// each deadline it sets, so a server slow at every step could take
	// several times as long. The connection's deadlines never pass this one.
	limit := time.Now().Add(s.cfg.Timeout)
	client, err := mail.NewClient(s.cfg.Host, append(s.clientOptions(), mail.WithDialContextFunc(s.dial(limit)))...)
	if err != nil {
		return fmt.Errorf("%w: SMTP client for %s: %w", ErrDeliveryFailed, s.cfg, err)
	}
	ctx, cancel := context.WithDeadline(ctx, limit)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		// go-mail names the recipient in its error, which goes to the log.
		err = hideAddresses(err)
		var se *mail.SendError
		if errors.As(err, &se) && se.Reason == mail.ErrSMTPRcptTo && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
			return fmt.Errorf("%w: %w: %s email via %s: %w", ErrDeliveryFailed, ErrRecipientRejected, m.Kind, s.cfg, err)
		}
		return fmt.Errorf("%w: %s email via %s: %w", ErrDeliveryFailed, m.Kind, s.cfg, err)
	}
	return nil
}

// ErrRecipientRejected is wrapped, with ErrDeliveryFailed, by the error of an
// email the server refused for good at its recipient (RCPT TO answered 5xx:
// "no such user"): sending it again would fail again.
var ErrRecipientRejected = errors.New("recipient rejected")

// emailLike matches what looks like an email address in an error's text.
var emailLike = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+`)

// hideAddresses returns err with every email address in its text replaced
// by "<address>", and err itself behind it (errors.Is and errors.As see it).
func hideAddresses(err error) error {
	return &addressesHidden{err: err, text: emailLike.ReplaceAllString(err.Error(), "<address>")}
}

type addressesHidden struct {
	err  error
	text string
}

func (e *addressesHidden) Error() string { return e.text }
func (e *addressesHidden) Unwrap() error { return e.err }

func (s *SMTPSender) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName:         s.cfg.Host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: s.cfg.InsecureSkipVerify, //nolint:gosec // tests only, see SMTPConfig
	}
}

// dial connects to the server with every deadline of the connection held to
// limit, and with ImplicitTLS completes the TLS handshake (go-mail leaves
// that to a custom dialer); STARTTLS runs over the held connection too.
func (s *SMTPSender) dial(limit time.Time) mail.DialContextFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		held := &heldConn{Conn: c, limit: limit}
		if err := held.SetDeadline(limit); err != nil {
			c.Close()
			return nil, err
		}
		if !s.cfg.ImplicitTLS {
			return held, nil
		}
		tc := tls.Client(held, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		return tc, nil
	}
}

// heldConn is a connection whose deadlines never pass limit (nor are
// lifted).
type heldConn struct {
	net.Conn
	limit time.Time
}

func (c *heldConn) hold(t time.Time) time.Time {
	if t.IsZero() || t.After(c.limit) {
		return c.limit
	}
	return t
}

func (c *heldConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.hold(t)) }
func (c *heldConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.hold(t)) }
func (c *heldConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.hold(t)) }

func (s *SMTPSender) clientOptions() []mail.Option {
	opts := []mail.Option{
		mail.WithPort(s.cfg.Port),
		mail.WithTimeout(s.cfg.Timeout),
		mail.WithTLSConfig(s.tlsConfig()),
	}
	switch {
	case s.cfg.ImplicitTLS:
		opts = append(opts, mail.WithSSL())
	case s.cfg.Username != "" && !localRelay(s.cfg.Host):
		// With credentials, STARTTLS is required: an on-path attacker who
		// strips it from the server's answer and offers CRAM-MD5 or SCRAM
		// would otherwise collect a digest of the password to crack at
		// leisure. Only a relay on this host (localhost) may go without.
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if s.cfg.Username != "" {
		// Strongest first. Over TLS (required above) none of them exposes
		// the password to the network.
		opts = append(opts,
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthSCRAMSHA1,
				mail.SMTPAuthPlain, mail.SMTPAuthLogin, mail.SMTPAuthCramMD5),
			mail.WithUsername(s.cfg.Username),
			mail.WithPassword(s.cfg.Password),
		)
	}
	return opts
}

// localRelay reports whether host names this machine by name or loopback
// literal (a local relay, reached without leaving the host).
func localRelay(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
