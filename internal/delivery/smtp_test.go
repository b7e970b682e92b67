package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    SMTPConfig
		wantErr string // part of the error; empty means success
	}{
		{name: "smtp with credentials and port", raw: "smtp://alice:s3cret@mail.example.com:2525",
			want: SMTPConfig{Host: "mail.example.com", Port: 2525, Username: "alice", Password: "s3cret"}},
		{name: "smtp defaults to the submission port", raw: "smtp://mail.example.com",
			want: SMTPConfig{Host: "mail.example.com", Port: 587}},
		{name: "smtps is implicit TLS on 465", raw: "smtps://alice:s3cret@mail.example.com",
			want: SMTPConfig{Host: "mail.example.com", Port: 465, ImplicitTLS: true, Username: "alice", Password: "s3cret"}},
		{name: "percent-encoded credentials are decoded", raw: "smtp://alice%40example.com:p%40ss%3Aw%2Fd@mail.example.com:587",
			want: SMTPConfig{Host: "mail.example.com", Port: 587, Username: "alice@example.com", Password: "p@ss:w/d"}},
		{name: "IPv6 host", raw: "smtp://[::1]:25",
			want: SMTPConfig{Host: "::1", Port: 25}},
		{name: "trailing slash is accepted", raw: "smtp://mail.example.com:25/",
			want: SMTPConfig{Host: "mail.example.com", Port: 25}},
		{name: "scheme is required", raw: "mail.example.com:25", wantErr: "scheme"},
		{name: "other schemes are refused", raw: "http://mail.example.com", wantErr: `scheme "http" is not smtp or smtps`},
		{name: "host is required", raw: "smtp://alice:s3cret@:25", wantErr: "missing host"},
		{name: "port must be a number", raw: "smtp://alice:s3cret@mail.example.com:smtp", wantErr: "port"},
		{name: "port must be in range", raw: "smtp://alice:s3cret@mail.example.com:70000", wantErr: "port is not a number from 1 to 65535"},
		{name: "password without a user", raw: "smtp://:s3cret@mail.example.com", wantErr: "needs a user name"},
		{name: "path is refused", raw: "smtp://mail.example.com/inbox", wantErr: "path"},
		{name: "query is refused", raw: "smtp://mail.example.com?tls=off", wantErr: "query"},
		{name: "unparseable URL", raw: "smtp://alice:s3cret@mail example.com", wantErr: "SMTP URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSMTPURL(tc.raw)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseSMTPURL(%q): got %+v, want an error containing %q", tc.raw, got, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("ParseSMTPURL(%q): got error %q, want it to contain %q", tc.raw, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("ParseSMTPURL(%q): got error %q, want it without the password", tc.raw, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSMTPURL(%q): got error %v, want %+v", tc.raw, err, tc.want)
			}
			if got != tc.want {
				t.Errorf("ParseSMTPURL(%q): got %+v, want %+v", tc.raw, got, tc.want)
			}
		})
	}
}

func TestSMTPConfigRedactsPassword(t *testing.T) {
	cfg, err := ParseSMTPURL("smtps://alice:s3cret@mail.example.com")
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "smtp", cfg)
	for _, tc := range []struct{ how, got string }{
		{"String", cfg.String()},
		{"%v", fmt.Sprintf("%v", cfg)},
		{"%+v", fmt.Sprintf("%+v", cfg)},
		{"%#v", fmt.Sprintf("%#v", cfg)},
		{"slog JSON", logged.String()},
	} {
		if strings.Contains(tc.got, "s3cret") || !strings.Contains(tc.got, "smtps://alice:xxxxx@mail.example.com:465") {
			t.Errorf("%s: got %q, want smtps://alice:xxxxx@mail.example.com:465 and no password", tc.how, tc.got)
		}
	}
}

// newTestSMTPSender returns a sender for the fake server at addr.
func newTestSMTPSender(t *testing.T, rawURL string, tweak func(*SMTPConfig)) *SMTPSender {
	t.Helper()
	cfg, err := ParseSMTPURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 5 * time.Second
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func codeEmail(t *testing.T, appName string) Message {
	t.Helper()
	m, err := RenderCodeEmail(CodeEmail{ApplicationID: "app_1", AppName: appName, To: "user@example.com", Code: "482913"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPSender(t *testing.T) {
	ctx := context.Background()
	const evilApp = `<script>alert("pwned")</script> & Co`

	t.Run("sends a code email as plain text and HTML with the app name escaped", func(t *testing.T) {
		srv := startSMTP(t, fakeSMTP{})
		s := newTestSMTPSender(t, "smtp://"+srv.addr, nil)
		if err := s.Send(ctx, codeEmail(t, evilApp)); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := srv.next(t)
		if len(got.To) != 1 || got.To[0] != "user@example.com" {
			t.Errorf("recipients: got %q, want [user@example.com]", got.To)
		}
		if got.From != "no-reply@localhost" {
			t.Errorf("envelope sender: got %q, want no-reply@localhost", got.From)
		}
		p := parseMail(t, got.Data)
		if from := p.Header.Get("From"); !strings.Contains(from, "no-reply@localhost") || !strings.Contains(from, "trustgate") {
			t.Errorf("From header: got %q, want trustgate <no-reply@localhost>", from)
		}
		if subj, want := p.subject(t), "Your "+evilApp+" verification code"; subj != want {
			t.Errorf("subject: got %q, want %q", subj, want)
		}
		if !strings.Contains(p.Text, "482913") {
			t.Errorf("text part: got %q, want it to contain the code 482913", p.Text)
		}
		if !strings.Contains(p.HTML, "482913") {
			t.Errorf("HTML part: got %q, want it to contain the code 482913", p.HTML)
		}
		if strings.Contains(p.HTML, "<script>") {
			t.Errorf("HTML part: got a raw <script> from the app name:\n%s", p.HTML)
		}
		if !strings.Contains(p.HTML, "&lt;script&gt;") {
			t.Errorf("HTML part: got %q, want the app name escaped as &lt;script&gt;", p.HTML)
		}
		if got.TLS {
			t.Error("TLS: got an encrypted connection from a server without STARTTLS, want plain")
		}
	})

	t.Run("sends plain text only when there is no HTML", func(t *testing.T) {
		srv := startSMTP(t, fakeSMTP{})
		s := newTestSMTPSender(t, "smtp://"+srv.addr, func(c *SMTPConfig) { c.From = "Acme <security@acme.test>" })
		m := Message{Channel: ChannelEmail, To: "user@example.com", Kind: KindVerificationCode, Subject: "Code", Text: "Your code is 111222."}
		if err := s.Send(ctx, m); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := srv.next(t)
		p := parseMail(t, got.Data)
		if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type: got %q, want text/plain", ct)
		}
		if !strings.Contains(p.Text, "Your code is 111222.") || p.HTML != "" {
			t.Errorf("body: got text %q and HTML %q, want only the text", p.Text, p.HTML)
		}
		if got.From != "security@acme.test" {
			t.Errorf("envelope sender: got %q, want the configured security@acme.test", got.From)
		}
	})

	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run("authenticates with AUTH "+mech, func(t *testing.T) {
			srv := startSMTP(t, fakeSMTP{authMechs: []string{mech}, user: "alice", pass: "s3cret"})
			s := newTestSMTPSender(t, "smtp://alice:s3cret@"+srv.addr, nil)
			if err := s.Send(ctx, codeEmail(t, "Acme")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := srv.next(t); got.AuthUser != "alice" {
				t.Errorf("authenticated user: got %q, want alice", got.AuthUser)
			}
		})
	}

	t.Run("a wrong password fails with ErrDeliveryFailed and without the password", func(t *testing.T) {
		srv := startSMTP(t, fakeSMTP{authMechs: []string{"PLAIN"}, user: "alice", pass: "right"})
		s := newTestSMTPSender(t, "smtp://alice:wr0ng-pa55@"+srv.addr, nil)
		err := s.Send(ctx, codeEmail(t, "Acme"))
		if !errors.Is(err, ErrDeliveryFailed) {
			t.Fatalf("Send: got %v, want ErrDeliveryFailed", err)
		}
		if strings.Contains(err.Error(), "wr0ng-pa55") || strings.Contains(err.Error(), "482913") {
			t.Errorf("error: got %q, want neither the password nor the code in it", err)
		}
	})

	t.Run("upgrades with STARTTLS when the server offers it", func(t *testing.T) {
		srv := startSMTP(t, fakeSMTP{startTLS: selfSignedTLS(t), authMechs: []string{"PLAIN"}, user: "alice", pass: "s3cret"})
		s := newTestSMTPSender(t, "smtp://alice:s3cret@"+srv.addr, func(c *SMTPConfig) { c.InsecureSkipVerify = true })
		if err := s.Send(ctx, codeEmail(t, "Acme")); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := srv.next(t); !got.TLS || got.AuthUser != "alice" {
			t.Errorf("got TLS %v and user %q, want the message and AUTH over TLS", got.TLS, got.AuthUser)
		}
	})

	t.Run("an unverifiable STARTTLS certificate fails instead of falling back to plain", func(t *testing.T) {
		srv := startSMTP(t, fakeSMTP{startTLS: selfSignedTLS(t)})
		s := newTestSMTPSender(t, "smtp://"+srv.addr, nil)
		if err := s.Send(ctx, codeEmail(t, "Acme")); !errors.Is(err, ErrDeliveryFailed) {
			t.Fatalf("Send: got %v, want ErrDeliveryFailed", err)
		}
		select {
		case m := <-srv.mails:
			t.Errorf("got a message delivered (TLS %v), want none", m.TLS)
		default:
		}
	})

	t.Run("smtps speaks TLS from the start", func(t *testing.T) {
		srv := startSMTP(t, fakeSMTP{implicitTLS: selfSignedTLS(t)})
		s := newTestSMTPSender(t, "smtps://"+srv.addr, func(c *SMTPConfig) { c.InsecureSkipVerify = true })
		if err := s.Send(ctx, codeEmail(t, "Acme")); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := srv.next(t); !got.TLS {
			t.Error("TLS: got a plain connection, want implicit TLS")
		}
	})

	t.Run("a rejected recipient fails with ErrDeliveryFailed and ErrRecipientRejected, not naming the address", func(t *testing.T) {
		srv := startSMTP(t, fakeSMTP{rejectRcpt: true})
		s := newTestSMTPSender(t, "smtp://"+srv.addr, nil)
		err := s.Send(ctx, codeEmail(t, "Acme"))
		if !errors.Is(err, ErrDeliveryFailed) || !errors.Is(err, ErrRecipientRejected) {
			t.Fatalf("Send: got %v, want ErrDeliveryFailed and ErrRecipientRejected", err)
		}
		if strings.Contains(err.Error(), "user@example.com") || !strings.Contains(err.Error(), "550") {
			t.Errorf("Send: %q, want the server's 550 without the recipient's address (it is logged)", err)
		}
	})

	t.Run("a recipient deferred (4xx) is a failure to retry, not a rejection", func(t *testing.T) {
		srv := startSMTP(t, fakeSMTP{deferRcpt: true})
		s := newTestSMTPSender(t, "smtp://"+srv.addr, nil)
		err := s.Send(ctx, codeEmail(t, "Acme"))
		if !errors.Is(err, ErrDeliveryFailed) || errors.Is(err, ErrRecipientRejected) {
			t.Fatalf("Send: got %v, want ErrDeliveryFailed alone", err)
		}
		if strings.Contains(err.Error(), "user@example.com") {
			t.Errorf("Send: %q names the recipient's address", err)
		}
	})

	t.Run("a server that never answers times out", func(t *testing.T) {
		srv := startSMTP(t, fakeSMTP{mute: true})
		s := newTestSMTPSender(t, "smtp://"+srv.addr, func(c *SMTPConfig) { c.Timeout = 300 * time.Millisecond })
		start := time.Now()
		err := s.Send(ctx, codeEmail(t, "Acme"))
		if !errors.Is(err, ErrDeliveryFailed) {
			t.Fatalf("Send: got %v, want ErrDeliveryFailed", err)
		}
		if elapsed := time.Since(start); elapsed > 3*time.Second {
			t.Errorf("Send took %v, want it to give up after the 300ms timeout", elapsed)
		}
	})

	t.Run("refuses a text message", func(t *testing.T) {
		s := newTestSMTPSender(t, "smtp://127.0.0.1:1", nil)
		err := s.Send(ctx, Message{Channel: ChannelSMS, To: "+15551234567", Text: "hi"})
		if !errors.Is(err, ErrDeliveryFailed) {
			t.Errorf("Send(sms): got %v, want ErrDeliveryFailed", err)
		}
	})
}

func TestNewSMTPSenderChecksFrom(t *testing.T) {
	_, err := NewSMTPSender(SMTPConfig{Host: "mail.example.com", From: "not an address"})
	if err == nil {
		t.Fatal("NewSMTPSender with From \"not an address\": got no error, want one")
	}
	s, err := NewSMTPSender(SMTPConfig{Host: "mail.example.com"})
	if err != nil {
		t.Fatalf("NewSMTPSender with the default From: %v", err)
	}
	if s.from != `"trustgate" <no-reply@localhost>` {
		t.Errorf("default From: got %q, want trustgate <no-reply@localhost>", s.from)
	}
}
