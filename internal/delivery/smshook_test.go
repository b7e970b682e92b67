package delivery

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// hookRequest is what the fake SMS hook received.
type hookRequest struct {
	method, contentType, body string
}

// startHook runs an SMS hook that answers status and reports each request.
func startHook(t *testing.T, status int) (*httptest.Server, <-chan hookRequest) {
	t.Helper()
	got := make(chan hookRequest, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- hookRequest{r.Method, r.Header.Get("Content-Type"), string(b)}
		w.WriteHeader(status)
		// A hook that echoes the request must not get the code into errors.
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestSMSHookSender(t *testing.T) {
	ctx := context.Background()
	sms, err := RenderCodeSMS(CodeSMS{AppName: "Acme & <Co>", To: "+15551234567", Code: "482913"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("posts the documented JSON", func(t *testing.T) {
		srv, got := startHook(t, http.StatusAccepted)
		s, err := NewSMSHookSender(srv.URL + "/sms")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, sms); err != nil {
			t.Fatalf("Send: %v", err)
		}
		req := <-got
		want := `{"to":"+15551234567","body":"482913 is your Acme & <Co> verification code. It expires in 10 minutes.","kind":"verification_code"}`
		if req.body != want {
			t.Errorf("body:\ngot  %s\nwant %s", req.body, want)
		}
		if req.method != http.MethodPost || req.contentType != "application/json" {
			t.Errorf("got %s with Content-Type %q, want POST with application/json", req.method, req.contentType)
		}
	})

	for _, status := range []int{http.StatusInternalServerError, http.StatusBadRequest, http.StatusFound} {
		t.Run("answer "+http.StatusText(status)+" is an error without the message text", func(t *testing.T) {
			srv, _ := startHook(t, status)
			s, err := NewSMSHookSender(srv.URL + "?token=hook-s3cret")
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(ctx, sms)
			if !errors.Is(err, ErrDeliveryFailed) {
				t.Fatalf("Send: got %v, want ErrDeliveryFailed", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, http.StatusText(status)) {
				t.Errorf("error: got %q, want it to name the status %q", msg, http.StatusText(status))
			}
			for _, secret := range []string{"482913", "verification code", "hook-s3cret"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error: got %q, want it without %q", msg, secret)
				}
			}
		})
	}

	t.Run("an unreachable hook is an error without its token", func(t *testing.T) {
		srv, _ := startHook(t, http.StatusOK)
		url := srv.URL + "?token=hook-s3cret"
		srv.Close()
		s, err := NewSMSHookSender(url)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Send(ctx, sms)
		if !errors.Is(err, ErrDeliveryFailed) {
			t.Fatalf("Send: got %v, want ErrDeliveryFailed", err)
		}
		if strings.Contains(err.Error(), "hook-s3cret") || strings.Contains(err.Error(), "482913") {
			t.Errorf("error: got %q, want neither the token nor the code", err)
		}
	})

	t.Run("refuses an email", func(t *testing.T) {
		s, err := NewSMSHookSender("https://hooks.example.com/sms")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, Message{Channel: ChannelEmail, To: "user@example.com"}); !errors.Is(err, ErrDeliveryFailed) {
			t.Errorf("Send(email): got %v, want ErrDeliveryFailed", err)
		}
	})
}

func TestNewSMSHookSender(t *testing.T) {
	for _, tc := range []struct {
		raw     string
		wantErr string
	}{
		{"https://hooks.example.com/sms", ""},
		{"http://127.0.0.1:9000/sms", ""},
		{"ftp://hooks.example.com/sms", `scheme "ftp"`},
		{"hooks.example.com/sms", `scheme ""`},
		{"https:///sms", "missing host"},
		{"https://u:pw-s3cret@hooks.example.com:x/sms", "invalid port"},
	} {
		_, err := NewSMSHookSender(tc.raw)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("NewSMSHookSender(%q): got error %v, want none", tc.raw, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("NewSMSHookSender(%q): got error %v, want one containing %q", tc.raw, err, tc.wantErr)
		case err != nil && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("NewSMSHookSender(%q): got error %q, want it without the password", tc.raw, err)
		}
	}

	s, err := NewSMSHookSender("https://user:pw-s3cret@hooks.example.com/sms?token=q-s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), "https://user:xxxxx@hooks.example.com/sms?xxxxx"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
}

// TestSMSHookRefusesACutShortURL: a token holding an unencoded / or # makes
// url.Parse read "hook:1234" as host:port and the rest of the token, up to
// the @, as the path or fragment: the hook would POST to the wrong host with
// a piece of the token in its path. NewSMSHookSender refuses such a URL,
// quoting none of it. An @ in the query is common in a real hook URL
// (?from=alerts@example.com), so a token cut short by a ? cannot be told from
// one and is accepted; String (in every delivery error and the startup log)
// then shows none of it.
func TestSMSHookRefusesACutShortURL(t *testing.T) {
	for _, raw := range []string{
		"https://hook:1234/t0k3n@sms.example.com/send",
		"http://127.0.0.1:1/t0k3n@hooks.example.com/sms",
		"https://hook:1234#t0k3n@sms.example.com/send",
	} {
		_, err := NewSMSHookSender(raw)
		if err == nil || !strings.Contains(err.Error(), "cut it short") || strings.Contains(err.Error(), "t0k3n") || strings.Contains(err.Error(), "1234") {
			t.Errorf("NewSMSHookSender(%q): got %v, want a refusal quoting no piece of the token", raw, err)
		}
	}
	for _, raw := range []string{"https://hooks.example.com/sms?from=alerts@example.com", "https://hook:1234?t0k3n@sms.example.com/send"} {
		s, err := NewSMSHookSender(raw)
		if err != nil {
			t.Fatalf("NewSMSHookSender(%q): %v", raw, err)
		}
		if got := s.String(); strings.Contains(got, "1234") || strings.Contains(got, "t0k3n") || strings.Contains(got, "alerts") {
			t.Errorf("String() = %q: shows a piece of the query", got)
		}
	}
}
