package delivery

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

type failingStore struct{}

func (failingStore) SaveOutbox(context.Context, Message) error { return errors.New("disk full") }

func TestOutboxSender(t *testing.T) {
	ctx := context.Background()
	m, err := RenderCodeEmail(CodeEmail{ApplicationID: "app_1", AppName: "Acme", To: "user@example.com", Code: "482913"})
	if err != nil {
		t.Fatal(err)
	}

	withheld := m
	withheld.Text, withheld.HTML = WithheldBody, ""
	for _, tc := range []struct {
		name      string
		logBodies bool
		stored    Message
	}{
		{"stores and logs the message in dev mode", true, m},
		{"stores only the envelope, no code, logs nothing and fails outside dev mode", false, withheld},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var store MemoryOutbox
			var log bytes.Buffer
			s := NewOutboxSender(&store, slog.New(slog.NewTextHandler(&log, nil)), tc.logBodies)
			err := s.Send(ctx, m)
			// Outside dev mode nobody reads the outbox: the send fails, so that
			// the caller answers delivery_failed instead of "code sent".
			if tc.logBodies && err != nil {
				t.Fatalf("Send: %v", err)
			}
			if !tc.logBodies && (!errors.Is(err, ErrDeliveryFailed) || !strings.Contains(err.Error(), "TRUSTGATE_SMTP_URL")) {
				t.Fatalf("Send outside dev mode: %v, want ErrDeliveryFailed naming TRUSTGATE_SMTP_URL", err)
			}
			if got := store.Messages(); len(got) != 1 || got[0] != tc.stored {
				t.Errorf("stored: got %+v, want %+v", got, tc.stored)
			}
			if got := store.Messages(); len(got) == 1 && !tc.logBodies && strings.Contains(got[0].Text+got[0].HTML+got[0].Subject, "482913") {
				t.Errorf("the code was stored outside dev mode: %+v", got[0])
			}
			logged := log.String()
			if !tc.logBodies {
				if logged != "" {
					t.Errorf("log: got %q, want nothing", logged)
				}
				return
			}
			for _, want := range []string{"level=INFO", `msg="outbox message"`, "to=user@example.com", "kind=verification_code", `subject="Your Acme verification code"`, "482913"} {
				if !strings.Contains(logged, want) {
					t.Errorf("log: got %q, want it to contain %q", logged, want)
				}
			}
		})
	}

	t.Run("a store failure is ErrDeliveryFailed and is not logged", func(t *testing.T) {
		var log bytes.Buffer
		s := NewOutboxSender(failingStore{}, slog.New(slog.NewTextHandler(&log, nil)), true)
		err := s.Send(ctx, m)
		if !errors.Is(err, ErrDeliveryFailed) || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("Send: got %v, want ErrDeliveryFailed wrapping disk full", err)
		}
		if log.Len() != 0 {
			t.Errorf("log: got %q, want nothing for an unsaved message", log.String())
		}
	})
}
