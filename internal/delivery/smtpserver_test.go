package delivery

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is the behaviour of a test SMTP server.
type fakeSMTP struct {
	authMechs   []string    // offered in EHLO, e.g. PLAIN, LOGIN; none means no AUTH
	user, pass  string      // the one account AUTH accepts
	startTLS    *tls.Config // offer STARTTLS with this configuration
	implicitTLS *tls.Config // speak TLS from the first byte (smtps)
	rejectRcpt  bool        // answer RCPT TO with 550
	deferRcpt   bool        // answer RCPT TO with 450 (try again later)
	mute        bool        // accept connections but never greet
}

// receivedMail is one message the fake server accepted.
type receivedMail struct {
	From     string
	To       []string
	Data     []byte
	TLS      bool   // the message came over TLS
	AuthUser string // who authenticated, if anyone
}

// smtpServer is a running fakeSMTP.
type smtpServer struct {
	fakeSMTP
	addr  string
	mails chan receivedMail
}

// startSMTP runs f on a free port on 127.0.0.1 until the test ends.
func startSMTP(t *testing.T, f fakeSMTP) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if f.implicitTLS != nil {
		ln = tls.NewListener(ln, f.implicitTLS)
	}
	s := &smtpServer{fakeSMTP: f, addr: ln.Addr().String(), mails: make(chan receivedMail, 10)}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				go func() {
					<-done
					conn.Close()
				}()
				s.serve(t, conn)
			})
		}
	})
	return s
}

// next returns the next accepted message, failing the test if none comes.
func (s *smtpServer) next(t *testing.T) receivedMail {
	t.Helper()
	select {
	case m := <-s.mails:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("the SMTP server received no message")
		return receivedMail{}
	}
}

// serve speaks just enough SMTP for go-mail: EHLO/HELO, STARTTLS, AUTH
// PLAIN and LOGIN, MAIL, RCPT, DATA, RSET, NOOP and QUIT.
func (s *smtpServer) serve(t *testing.T, conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if s.mute {
		_, _ = io.Copy(io.Discard, conn)
		return
	}
	_, isTLS := conn.(*tls.Conn)
	tp := textproto.NewConn(conn)
	var mail receivedMail
	authUser := ""
	reply := func(format string, args ...any) bool { return tp.PrintfLine(format, args...) == nil }
	if !reply("220 fake.test ESMTP") {
		return
	}
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"fake.test"}
			if len(s.authMechs) > 0 {
				ext = append(ext, "AUTH "+strings.Join(s.authMechs, " "))
			}
			if s.startTLS != nil && !isTLS {
				ext = append(ext, "STARTTLS")
			}
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				if !reply("250%s%s", sep, e) {
					return
				}
			}
		case "STARTTLS":
			if s.startTLS == nil || isTLS {
				reply("502 not offered")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(conn, s.startTLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, isTLS, tp = tc, true, textproto.NewConn(tc)
			mail, authUser = receivedMail{}, ""
		case "AUTH":
			user, ok := s.auth(tp, arg)
			if !ok {
				reply("535 5.7.8 authentication failed")
				continue
			}
			authUser = user
			reply("235 2.7.0 authenticated")
		case "MAIL":
			if len(s.authMechs) > 0 && authUser == "" {
				reply("530 5.7.0 authentication required")
				continue
			}
			mail = receivedMail{From: angle(arg), TLS: isTLS, AuthUser: authUser}
			reply("250 ok")
		case "RCPT":
			if s.rejectRcpt {
				reply("550 5.1.1 no such user")
				continue
			}
			if s.deferRcpt {
				reply("450 4.2.1 mailbox busy, try later")
				continue
			}
			mail.To = append(mail.To, angle(arg))
			reply("250 ok")
		case "DATA":
			reply("354 end with .")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			mail.Data = data
			s.mails <- mail
			mail = receivedMail{}
			reply("250 queued")
		case "RSET":
			mail = receivedMail{}
			reply("250 ok")
		case "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 unknown command")
		}
	}
}

// auth runs AUTH PLAIN or LOGIN and returns the authenticated user.
func (s *smtpServer) auth(tp *textproto.Conn, arg string) (string, bool) {
	mech, initial, _ := strings.Cut(arg, " ")
	challenge := func(prompt string) (string, bool) {
		if err := tp.PrintfLine("334 %s", base64.StdEncoding.EncodeToString([]byte(prompt))); err != nil {
			return "", false
		}
		line, err := tp.ReadLine()
		if err != nil {
			return "", false
		}
		b, err := base64.StdEncoding.DecodeString(line)
		return string(b), err == nil
	}
	var user, pass string
	switch strings.ToUpper(mech) {
	case "PLAIN":
		var resp string
		if initial != "" {
			b, err := base64.StdEncoding.DecodeString(initial)
			if err != nil {
				return "", false
			}
			resp = string(b)
		} else {
			var ok bool
			if resp, ok = challenge(""); !ok {
				return "", false
			}
		}
		parts := strings.Split(resp, "\x00")
		if len(parts) != 3 {
			return "", false
		}
		user, pass = parts[1], parts[2]
	case "LOGIN":
		var ok bool
		if user, ok = challenge("Username:"); !ok {
			return "", false
		}
		if pass, ok = challenge("Password:"); !ok {
			return "", false
		}
	default:
		return "", false
	}
	return user, user == s.user && pass == s.pass
}

// angle returns the address in "FROM:<a@b> BODY=8BITMIME".
func angle(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

// parsedMail is a received message taken apart.
type parsedMail struct {
	Header netmail.Header
	Text   string
	HTML   string
}

// subject is the decoded Subject header.
func (p parsedMail) subject(t *testing.T) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(p.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject %q: %v", p.Header.Get("Subject"), err)
	}
	return s
}

// parseMail splits a message into its plain-text and HTML parts.
func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, data)
	}
	p := parsedMail{Header: msg.Header}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		p.Text = decodePart(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return p
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return p
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		// multipart decodes quoted-printable itself and drops the header.
		body := decodePart(t, part.Header.Get("Content-Transfer-Encoding"), part)
		switch ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct {
		case "text/plain":
			p.Text = body
		case "text/html":
			p.HTML = body
		}
	}
}

func decodePart(t *testing.T, encoding string, r io.Reader) string {
	t.Helper()
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s part: %v", encoding, err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// selfSignedTLS is a server configuration with a fresh self-signed
// certificate for 127.0.0.1 and localhost.
func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fake.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
	}
}
