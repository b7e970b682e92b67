package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	t.Run("every code has messages and a status", func(t *testing.T) {
		for code, m := range messages {
			if m.short == "" || m.long == "" {
				t.Errorf("code %s has an empty message", code)
			}
			if s := New(code).HTTPStatus(); s < 400 || s > 599 {
				t.Errorf("code %s has status %d", code, s)
			}
		}
	})
	t.Run("wrapped errors keep their code", func(t *testing.T) {
		err := fmt.Errorf("context: %w", New(UserLocked).WithMeta("lockoutExpiresInSeconds", 30))
		if !Is(err, UserLocked) {
			t.Fatalf("Is(%v, user_locked) = false", err)
		}
		e, _ := As(err)
		if got := e.Meta["lockoutExpiresInSeconds"]; got != 30 {
			t.Fatalf("meta = %v, want 30", got)
		}
		if got := e.HTTPStatus(); got != http.StatusForbidden {
			t.Fatalf("status = %d, want 403", got)
		}
	})
	t.Run("the cause is kept for logs but not in the message", func(t *testing.T) {
		cause := errors.New("smtp: 451 temporary failure")
		e := New(DeliveryFailed).Wrap(cause)
		if !errors.Is(e, cause) {
			t.Fatal("cause lost")
		}
		if e.LongMessage != messages[DeliveryFailed].long {
			t.Fatalf("long message changed: %q", e.LongMessage)
		}
	})
	t.Run("param helpers name the field", func(t *testing.T) {
		if e := Missing("identifier"); e.Param != "identifier" || e.Code != FormParamMissing {
			t.Fatalf("got %+v", e)
		}
		if e := Invalid("emailAddress", "not an email address"); e.Param != "emailAddress" || e.Code != FormParamFormatInvalid {
			t.Fatalf("got %+v", e)
		}
	})
	t.Run("unknown codes fall back to internal messages", func(t *testing.T) {
		if got := New(Code("nope")).LongMessage; got != messages[Internal].long {
			t.Fatalf("got %q", got)
		}
	})
}

func TestExtensions(t *testing.T) {
	e := New(UserLocked).WithMeta("lockoutExpiresInSeconds", 42)
	ext := e.Extensions()
	if ext["code"] != "user_locked" || ext["status"] != e.HTTPStatus() || ext["longMessage"] != e.LongMessage {
		t.Errorf("got %v", ext)
	}
	if meta, _ := ext["meta"].(map[string]any); meta["lockoutExpiresInSeconds"] != 42 {
		t.Errorf("meta: got %v, want lockoutExpiresInSeconds 42 (plain-HTTP errors dropped it)", ext["meta"])
	}
	if _, ok := ext["paramName"]; ok {
		t.Error("paramName set without a param")
	}
	if got := Missing("identifier").Extensions()["paramName"]; got != "identifier" {
		t.Errorf("paramName: got %v", got)
	}
}

func TestJoin(t *testing.T) {
	if err := Join(); err != nil {
		t.Fatalf("Join() = %v, want nil", err)
	}
	one := Missing("password")
	if err := Join(one); err != one {
		t.Fatalf("Join(one) = %#v, want the error itself", err)
	}
	two := Invalid("emailAddress", "not a valid email address")
	err := Join(two, one)
	list, ok := err.(List)
	if !ok || len(list) != 2 {
		t.Fatalf("Join(two errors) = %#v, want a List of both", err)
	}
	if e, ok := As(err); !ok || e != two {
		t.Errorf("As(list) = %v, want the first", e)
	}
	if !Is(err, FormParamFormatInvalid) || !Is(err, FormParamMissing) {
		t.Error("Is does not see every error of the list")
	}
	if want := two.Error() + "; " + one.Error(); err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

// TestEveryCodeIsDocumented: docs/ERRORS.md has a row for every code, and
// no row for a code that does not exist.
func TestEveryCodeIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/ERRORS.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "| `") {
			rows[strings.Trim(strings.SplitN(line, "|", 3)[1], " `")] = true
		}
	}
	for code := range messages {
		if !rows[string(code)] {
			t.Errorf("%s has no row in docs/ERRORS.md", code)
		}
		delete(rows, string(code))
	}
	for code := range rows {
		t.Errorf("docs/ERRORS.md documents %s, which apierr does not define", code)
	}
}
