package delivery

import (
	"context"
	"encoding/base64"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// stripTLSMITM is what an on-path attacker who strips STARTTLS from the EHLO
// answer looks like to trustgate: a server on a non-localhost address that
// offers no STARTTLS and only a challenge-response AUTH mechanism. It records
// whatever the client sends in answer to the AUTH challenge.
func stripTLSMITM(t *testing.T, mech string) (addr string, got <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0") // not "localhost"/"127.0.0.1": no local exemption
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		tp := textproto.NewConn(conn)
		_ = tp.PrintfLine("220 mitm ESMTP")
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			verb, _, _ := strings.Cut(line, " ")
			switch strings.ToUpper(verb) {
			case "EHLO", "HELO":
				_ = tp.PrintfLine("250-mitm")
				_ = tp.PrintfLine("250 AUTH %s", mech)
			case "AUTH":
				if mech == "CRAM-MD5" {
					_ = tp.PrintfLine("334 %s", base64.StdEncoding.EncodeToString([]byte("<1.2@mitm>")))
				} else { // SCRAM: ask for the client-first message
					_ = tp.PrintfLine("334 ")
				}
				resp, err := tp.ReadLine()
				if err != nil {
					return
				}
				ch <- resp
				_ = tp.PrintfLine("535 no")
				return
			default:
				_ = tp.PrintfLine("250 ok")
			}
		}
	}()
	return ln.Addr().String(), ch
}

// TestSMTPSendsNoCredentialMaterialOverPlainText: with credentials, a server
// that does not offer STARTTLS (an on-path attacker stripped it) gets no
// AUTH at all: CRAM-MD5 or SCRAM over the plain connection would hand it
// HMAC-MD5(a challenge of its choosing, the password), crackable offline.
func TestSMTPSendsNoCredentialMaterialOverPlainText(t *testing.T) {
	addr, got := stripTLSMITM(t, "CRAM-MD5")
	s := newTestSMTPSender(t, "smtp://alice:s3cret@"+addr, func(c *SMTPConfig) { c.Timeout = 2 * time.Second })
	_ = s.Send(context.Background(), codeEmail(t, "Acme"))
	select {
	case resp := <-got:
		dec, _ := base64.StdEncoding.DecodeString(resp)
		t.Errorf("over a plain (STARTTLS-stripped) connection to %s the client answered AUTH CRAM-MD5 with %q: "+
			"user name and HMAC-MD5(attacker challenge, password), crackable offline", addr, dec)
	default:
	}
}

// TestNoDeliveryOutsideDevIsAFailure: outside dev mode, with no SMTP server
// or SMS hook configured, a code sent to the outbox (which withholds bodies,
// and which nothing reads there) is a delivery failure, not a code sent.
func TestNoDeliveryOutsideDevIsAFailure(t *testing.T) {
	store := &MemoryOutbox{}
	r, err := NewRouter(nil, nil, NewOutboxSender(store, nil, false))
	if err != nil {
		t.Fatal(err)
	}
	m, err := RenderCodeSMS(CodeSMS{AppName: "Acme", To: "+15551234567", Code: "482913"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Send(context.Background(), m); err == nil {
		kept := store.Messages()
		t.Errorf("Send outside dev mode without an SMS hook: got success; the outbox kept only %q, so the code reached nobody", kept[len(kept)-1].Text)
	}
}

// slowSMTP answers correctly but takes `pause` before the greeting and again
// before accepting the message data: each pause is shorter than the
// configured timeout, their sum is not.
func slowSMTP(t *testing.T, pause time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		tp := textproto.NewConn(conn)
		time.Sleep(pause)
		_ = tp.PrintfLine("220 slow ESMTP")
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			verb, _, _ := strings.Cut(line, " ")
			switch strings.ToUpper(verb) {
			case "EHLO", "HELO":
				_ = tp.PrintfLine("250 slow")
			case "DATA":
				_ = tp.PrintfLine("354 go on")
				if _, err := tp.ReadDotBytes(); err != nil {
					return
				}
				time.Sleep(pause)
				_ = tp.PrintfLine("250 queued")
			case "QUIT":
				_ = tp.PrintfLine("221 bye")
				return
			default:
				_ = tp.PrintfLine("250 ok")
			}
		}
	}()
	return ln.Addr().String()
}

// TestSMTPTimeoutBoundsTheWholeSend: SMTPConfig.Timeout bounds one delivery
// attempt as a whole (connecting, authenticating, handing over the message),
// not each step: a server slow at every step fails the send once Timeout is
// spent. go-mail alone re-arms the deadline before the message, which let
// this one succeed after both pauses (1.8 s). The check is the failure, not
// a time; 2 × Timeout is only a loose guard.
func TestSMTPTimeoutBoundsTheWholeSend(t *testing.T) {
	const timeout = time.Second
	addr := slowSMTP(t, 900*time.Millisecond)
	s := newTestSMTPSender(t, "smtp://"+addr, func(c *SMTPConfig) { c.Timeout = timeout })
	start := time.Now()
	err := s.Send(context.Background(), codeEmail(t, "Acme"))
	if elapsed := time.Since(start); err == nil || elapsed > 2*timeout {
		t.Errorf("Send against a server slow at every step: %v after %v with Timeout %v; want a failure within the timeout", err, elapsed.Round(time.Millisecond), timeout)
	}
}
