package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent/signinevent"
	"github.com/trustgate/trustgate/ent/verification"
	"github.com/trustgate/trustgate/internal/audit"
	"github.com/trustgate/trustgate/internal/delivery"
)

// TestFailedResendKeepsTheDeliveredCode: a user got code A; after the
// cooldown they ask for another, and that resend fails at the SMTP server.
// Nothing is lost: code A, which the user holds, still signs them in.
func TestFailedResendKeepsTheDeliveredCode(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		const addr = "resend-outage@example.com"
		s.newUser(t, vars{"emailAddress": addr})
		d := s.browser()
		si := signInObj(t, d.create(vars{"identifier": addr}), "signInCreate")
		sid := si["id"].(string)
		in := factorInput(si["supportedFirstFactors"], "email_code")
		signInObj(t, d.prepareFirstWith(sid, in), "signInPrepareFirstFactor")
		codeA := s.mail.code(t, addr)

		s.clock.Advance(31 * time.Second) // past the resend cooldown
		s.mail.setFail(true)
		r := d.prepareFirstWith(sid, in)
		s.mail.setFail(false)
		if got := r.code(t); got != "delivery_failed" {
			t.Fatalf("resend during the outage: got %s, want delivery_failed", got)
		}

		done := d.attemptFirstWith(sid, vars{"strategy": "email_code", "code": codeA})
		if len(done.Errors) > 0 {
			t.Fatalf("the code the user did receive (%s), after a resend that reached nobody: got %s, want the sign-in to complete", codeA, done.code(t))
		}
	})
}

// TestSpentContactCodesAreDeleted: a phone number's verification code,
// once it passed, is deleted with the pointer to it: no row is left behind
// holding the number, waiting for a sweep that would never come.
func TestSpentContactCodesAreDeleted(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false})
		s.newUser(t, vars{"emailAddress": "orphan@example.com"})
		d := s.browser()
		d.mustSession(t, "orphan@example.com")
		p := d.do(`mutation { phoneNumberCreate(phoneNumber: "+15550809999") { id } }`, nil).data(t)["phoneNumberCreate"].(map[string]any)
		d.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`, vars{"id": p["id"]}).data(t)
		ctx := context.Background()
		if n, _ := s.m.DB.Ent.Verification.Query().Where(verification.Target("+15550809999")).Count(ctx); n != 1 {
			t.Fatalf("%d verifications for the number after its code was sent, want 1", n)
		}
		d.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { verified } }`,
			vars{"id": p["id"], "c": s.mail.code(t, "+15550809999")}).data(t)
		if n, _ := s.m.DB.Ent.Verification.Query().Where(verification.Target("+15550809999")).Count(ctx); n != 0 {
			t.Fatalf("%d verifications for the number after its code passed, want 0 (spent, and pointed to by nothing)", n)
		}
	})
}

// TestCodeAcceptedBeforeTheClientLeftStaysValid: the SMS hook accepts a
// resent code, then the client goes away (tab closed, network dropped)
// while the hook's answer is on its way. The text with code B is on the
// user's phone: code B, not the code it replaced, must pass, and the send
// is recorded as sent, not as failed.
func TestCodeAcceptedBeforeTheClientLeftStaysValid(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true, "enumerationProtection": false,
			"firstFactors": []string{"password", "phone_code"}})

		t.Run("sign-in code", func(t *testing.T) {
			const phone = "+15550807001"
			s.newUser(t, vars{"emailAddress": "left@example.com", "phoneNumber": phone, "phoneVerified": true})
			d := s.browser()
			sid := signInObj(t, d.create(vars{"identifier": phone}), "signInCreate")["id"].(string)
			in := vars{"strategy": "phone_code"}
			signInObj(t, d.prepareFirstWith(sid, in), "signInPrepareFirstFactor")
			codeA := s.mail.code(t, phone)

			s.clock.Advance(31 * time.Second) // past the resend cooldown
			s.leaveMidSend(t, d, `mutation($id: ID!, $in: PrepareFactorInput!) { signInPrepareFirstFactor(id: $id, input: $in) { id } }`,
				vars{"id": sid, "in": in})
			codeB := s.mail.code(t, phone)
			if codeB == codeA {
				t.Skip("the resend drew the same code")
			}
			count := func(kind string) int {
				n, err := s.m.DB.Ent.SignInEvent.Query().Where(signinevent.SignInID(sid), signinevent.Kind(kind)).Count(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			if sent, failed := count(audit.KindCodeSent), count(audit.KindCodeDeliveryFailed); sent != 2 || failed != 0 {
				t.Errorf("events after a resend the hook accepted: %d %s, %d %s; want 2 and 0", sent, audit.KindCodeSent, failed, audit.KindCodeDeliveryFailed)
			}
			done := d.attemptFirstWith(sid, vars{"strategy": "phone_code", "code": codeB})
			if len(done.Errors) > 0 {
				t.Fatalf("the code the user received (%s), accepted by the SMS hook before the client left: got %s, want the sign-in to complete", codeB, done.code(t))
			}
		})

		t.Run("phone number verification code", func(t *testing.T) {
			const phone = "+15550807002"
			s.newUser(t, vars{"emailAddress": "left-contact@example.com"})
			d := s.browser()
			d.mustSession(t, "left-contact@example.com")
			p := d.do(`mutation { phoneNumberCreate(phoneNumber: "`+phone+`") { id } }`, nil).data(t)["phoneNumberCreate"].(map[string]any)
			prepare := `mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`
			d.do(prepare, vars{"id": p["id"]}).data(t)
			codeA := s.mail.code(t, phone)

			s.clock.Advance(31 * time.Second)
			s.leaveMidSend(t, d, prepare, vars{"id": p["id"]})
			codeB := s.mail.code(t, phone)
			if codeB == codeA {
				t.Skip("the resend drew the same code")
			}
			r := d.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { verified } }`,
				vars{"id": p["id"], "c": codeB})
			if len(r.Errors) > 0 {
				t.Fatalf("the code the user received (%s), accepted by the SMS hook before the client left: got %s, want the number verified", codeB, r.code(t))
			}
		})
	})
}

// leaveMidSend posts query as d through an SMS hook that accepts the text
// and answers a second later, and drops the connection as soon as the hook
// has the text. It returns once the server has finished the request.
func (s *server) leaveMidSend(t *testing.T, d *browser, query string, v vars) {
	t.Helper()
	accepted := make(chan struct{}, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		accepted <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	defer hook.Close()
	sms, err := delivery.NewSMSHookSender(hook.URL)
	if err != nil {
		t.Fatal(err)
	}
	s.mail.mu.Lock()
	s.mail.via = sms
	s.mail.mu.Unlock()
	defer func() {
		s.mail.mu.Lock()
		s.mail.via = nil
		s.mail.mu.Unlock()
	}()

	requests := func() int { return strings.Count(s.logText(), "msg=request ") }
	before := requests()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": v})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Publishable-Key", d.pk)
	if d.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+d.bearer)
	}
	for k, val := range d.header {
		req.Header.Set(k, val)
	}
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		if resp, err := d.http.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the SMS hook")
	}
	cancel() // the client leaves
	<-gone
	for deadline := time.Now().Add(15 * time.Second); requests() == before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server never finished the request")
		}
	}
}

// textOnly is an SMS hook that takes every text message.
type textOnly struct{}

func (textOnly) Send(context.Context, delivery.Message) error { return nil }

// TestNewDeviceNoticeOutageDoesNotFailTheSignIn: a server outside dev mode
// with an SMS hook but no SMTP server (text-message sign-ins; email goes to
// the outbox, which outside dev mode is a delivery failure). A sign-in with
// a phone code on a new device completes: the new-device notice that cannot
// go out is skipped, as the notice's other failures are, never the sign-in.
func TestNewDeviceNoticeOutageDoesNotFailTheSignIn(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		router, err := delivery.NewRouter(nil, textOnly{}, delivery.NewOutboxSender(&delivery.EntOutbox{DB: s.m.DB}, s.m.Log, false))
		if err != nil {
			t.Fatal(err)
		}
		s.mail.mu.Lock()
		s.mail.also = router // what sender() builds with TRUSTGATE_SMS_URL alone
		s.mail.mu.Unlock()
		s.setSettings(t, vars{"phoneEnabled": true, "firstFactors": []string{"password", "phone_code"}})
		const phone = "+15550808001"
		s.newUser(t, vars{"emailAddress": "sms-only@example.com", "phoneNumber": phone, "phoneVerified": true})

		r := s.browser().codeSignIn(t, phone, "phone_code", phone)
		if len(r.Errors) > 0 {
			t.Fatalf("phone-code sign-in on a new device, the new-device email undeliverable: got %s, want the sign-in to complete", r.code(t))
		}
		if si := signInObj(t, r, "signInAttemptFirstFactor"); si["status"] != "complete" {
			t.Fatalf("got status %v, want complete", si["status"])
		}
	})
}
