package delivery

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/dbtest"
)

// namedSender records that it was asked to send.
type namedSender struct {
	name string
	got  *[]string
}

func (s namedSender) Send(_ context.Context, m Message) error {
	*s.got = append(*s.got, s.name+":"+string(m.Channel))
	return nil
}

func TestRouter(t *testing.T) {
	ctx := context.Background()
	var unsetSMTP *SMTPSender // what cmd/ holds when TRUSTGATE_SMTP_URL is unset

	for _, tc := range []struct {
		name        string
		smtp, hook  bool
		useTypedNil bool
		want        []string
	}{
		{name: "both configured", smtp: true, hook: true, want: []string{"smtp:email", "hook:sms"}},
		{name: "only SMTP configured", smtp: true, want: []string{"smtp:email", "outbox:sms"}},
		{name: "only the SMS hook configured", hook: true, want: []string{"outbox:email", "hook:sms"}},
		{name: "neither configured", want: []string{"outbox:email", "outbox:sms"}},
		{name: "an unset *SMTPSender counts as not configured", hook: true, useTypedNil: true, want: []string{"outbox:email", "hook:sms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			var email, sms Sender
			if tc.smtp {
				email = namedSender{"smtp", &got}
			} else if tc.useTypedNil {
				email = unsetSMTP
			}
			if tc.hook {
				sms = namedSender{"hook", &got}
			}
			r, err := NewRouter(email, sms, namedSender{"outbox", &got})
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range []Channel{ChannelEmail, ChannelSMS} {
				if err := r.Send(ctx, Message{Channel: ch}); err != nil {
					t.Fatalf("Send(%s): %v", ch, err)
				}
			}
			if len(got) != len(tc.want) || got[0] != tc.want[0] || got[1] != tc.want[1] {
				t.Errorf("senders used: got %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("an unknown channel is ErrDeliveryFailed", func(t *testing.T) {
		var got []string
		r, err := NewRouter(nil, nil, namedSender{"outbox", &got})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Send(ctx, Message{Channel: "pigeon"}); !errors.Is(err, ErrDeliveryFailed) {
			t.Errorf("Send(pigeon): got %v, want ErrDeliveryFailed", err)
		}
		if len(got) != 0 {
			t.Errorf("senders used: got %v, want none", got)
		}
	})

	t.Run("a missing sender without an outbox is refused", func(t *testing.T) {
		var got []string
		if _, err := NewRouter(namedSender{"smtp", &got}, nil, nil); err == nil {
			t.Error("NewRouter without an SMS hook or outbox: got no error, want one")
		}
	})

	t.Run("String names the senders without secrets", func(t *testing.T) {
		smtp, err := NewSMTPSender(SMTPConfig{Host: "mail.example.com", Port: 587, Username: "alice", Password: "s3cret"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewRouter(smtp, nil, NewOutboxSender(&MemoryOutbox{}, nil, false))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := r.String(), "email via smtp://alice:xxxxx@mail.example.com:587, sms via dev outbox"; got != want {
			t.Errorf("String: got %q, want %q", got, want)
		}
	})
}

// txOutbox is an outbox store that saves in the caller's transaction; the
// tests pass a nil *ent.Tx, which it only records.
type txOutbox struct {
	MemoryOutbox
	inTx int
}

func (o *txOutbox) SaveOutboxTx(ctx context.Context, _ *ent.Tx, m Message) error {
	o.inTx++
	return o.SaveOutbox(ctx, m)
}

func TestSendTxOnlyThroughTheDatabase(t *testing.T) {
	ctx := context.Background()
	var got []string
	store := &txOutbox{}
	outbox := NewOutboxSender(store, nil, false)
	r, err := NewRouter(namedSender{"smtp", &got}, nil, outbox)
	if err != nil {
		t.Fatal(err)
	}
	// Email goes over SMTP: not in the transaction, and nothing is sent yet.
	if done, err := r.SendTx(ctx, nil, Message{Channel: ChannelEmail}); done || err != nil || len(got) != 0 {
		t.Fatalf("email over SMTP: SendTx = %v, %v (sent %v), want false, nil, nothing sent", done, err, got)
	}
	// SMS goes to the outbox, which writes it in the transaction, body withheld outside dev mode; the send
	// fails there (nobody reads the outbox), which rolls the caller's transaction back.
	done, err := r.SendTx(ctx, nil, Message{Channel: ChannelSMS, To: "+15550100", Text: "code 123456"})
	if !done || !errors.Is(err, ErrDeliveryFailed) || store.inTx != 1 {
		t.Fatalf("sms to the outbox: SendTx = %v, %v with %d writes in the transaction, want true, ErrDeliveryFailed, 1", done, err, store.inTx)
	}
	if m := store.Messages(); len(m) != 1 || m[0].Text != WithheldBody {
		t.Fatalf("outbox holds %+v, want one message with its body withheld", m)
	}
	// An outbox whose store cannot join a transaction is sent after commit.
	if done, err := SendTx(ctx, NewOutboxSender(&MemoryOutbox{}, nil, false), nil, Message{Channel: ChannelSMS}); done || err != nil {
		t.Fatalf("memory outbox: SendTx = %v, %v, want false, nil", done, err)
	}
	// A store that fails: delivery_failed, as from Send.
	failing := NewOutboxSender(failingTxStore{}, nil, false)
	if _, err := failing.SendTx(ctx, nil, Message{Channel: ChannelEmail}); !errors.Is(err, ErrDeliveryFailed) {
		t.Fatalf("failing store: got %v, want an error wrapping ErrDeliveryFailed", err)
	}
}

type failingTxStore struct{}

func (failingTxStore) SaveOutbox(context.Context, Message) error { return errors.New("disk full") }
func (failingTxStore) SaveOutboxTx(context.Context, *ent.Tx, Message) error {
	return errors.New("disk full")
}

// failSender fails every send.
type failSender struct{}

func (failSender) Send(context.Context, Message) error { return ErrDeliveryFailed }

func TestRouterCountsMessages(t *testing.T) {
	ctx := context.Background()
	var got []string
	r, err := NewRouter(failSender{}, nil, namedSender{"outbox", &got})
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Send(ctx, Message{Channel: ChannelEmail, Kind: KindClientTrustCode})
	_ = r.Send(ctx, Message{Channel: ChannelSMS, Kind: KindVerificationCode})
	_ = r.Send(ctx, Message{Channel: ChannelSMS, Kind: KindVerificationCode})
	for _, c := range []struct {
		channel, kind, result string
		want                  float64
	}{
		{"email", KindClientTrustCode, "failed", 1},
		{"email", KindClientTrustCode, "sent", 0},
		{"sms", KindVerificationCode, "sent", 2},
	} {
		if n := testutil.ToFloat64(r.sent.WithLabelValues(c.channel, c.kind, c.result)); n != c.want {
			t.Errorf("trustgate_messages_total{channel=%q,kind=%q,result=%q} = %v, want %v", c.channel, c.kind, c.result, n, c.want)
		}
	}
	if n := testutil.CollectAndCount(r, "trustgate_messages_total"); n != 3 {
		t.Errorf("the router collects %d series, want 3", n)
	}
}

// TestRouterCountsOutboxMessagesOnCommit: a message the outbox writes in the
// caller's transaction counts once that transaction commits, and not when it
// rolls back (the message then never existed).
func TestRouterCountsOutboxMessagesOnCommit(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "tg.db"))
	r, err := NewRouter(nil, nil, NewOutboxSender(&EntOutbox{DB: db}, nil, true))
	if err != nil {
		t.Fatal(err)
	}
	m := Message{Channel: ChannelEmail, To: "user@example.com", Kind: KindClientTrustCode, Text: "code"}
	undone := errors.New("undone")
	for _, outcome := range []error{nil, undone} {
		err := db.Tx(ctx, func(tx *ent.Tx) error {
			if done, err := r.SendTx(ctx, tx, m); !done || err != nil {
				t.Fatalf("SendTx = %v, %v, want true, nil", done, err)
			}
			return outcome
		})
		if !errors.Is(err, outcome) {
			t.Fatal(err)
		}
	}
	if n := testutil.ToFloat64(r.sent.WithLabelValues("email", KindClientTrustCode, "sent")); n != 1 {
		t.Errorf("counted %v messages, want 1 (the committed one)", n)
	}
}
