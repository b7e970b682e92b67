package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/signinevent"
	"github.com/trustgate/trustgate/internal/identifier"
)

func TestDevSeedEvents(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		const n = 20000
		until := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		out := s.cli(t, "dev", "seed-events", "--count", fmt.Sprint(n), "--app", s.appID, "--users", "300", "--days", "30",
			"--until", until.Format(time.RFC3339), "--batch", "3000", "--json")
		if out["inserted"] != float64(n) || out["applicationId"] != s.appID {
			t.Fatalf("output = %v", out)
		}
		ctx := context.Background()
		q := func() *ent.SignInEventQuery {
			return s.m.DB.Ent.SignInEvent.Query().Where(signinevent.ApplicationID(s.appID))
		}
		t.Run("exactly count events, spread over the time span", func(t *testing.T) {
			if got := q().CountX(ctx); got != n {
				t.Fatalf("%d events, want %d", got, n)
			}
			oldest := q().Order(ent.Asc(signinevent.FieldAt)).FirstX(ctx).At
			newest := q().Order(ent.Desc(signinevent.FieldAt)).FirstX(ctx).At
			if oldest.Before(until.AddDate(0, 0, -30)) || newest.After(until.Add(3*time.Hour)) || newest.Sub(oldest) < 25*24*time.Hour {
				t.Fatalf("events from %s to %s, want about 30 days up to %s", oldest, newest, until)
			}
		})
		t.Run("a realistic mix of kinds, outcomes, users and IPs", func(t *testing.T) {
			kinds := q().GroupBy(signinevent.FieldKind).StringsX(ctx)
			outcomes := q().GroupBy(signinevent.FieldOutcome).StringsX(ctx)
			users := q().Where(signinevent.UserIDNotNil()).GroupBy(signinevent.FieldUserID).StringsX(ctx)
			ips := q().GroupBy(signinevent.FieldIPAddress).StringsX(ctx)
			if len(kinds) < 12 || len(outcomes) != 4 || len(users) < 100 || len(users) > 300 || len(ips) < 100 {
				t.Fatalf("%d kinds %v, %d outcomes, %d users, %d IPs", len(kinds), kinds, len(outcomes), len(users), len(ips))
			}
			completed := q().Where(signinevent.Kind("sign_in.completed")).CountX(ctx)
			failed := q().Where(signinevent.Kind("password.failed")).CountX(ctx)
			if completed < n/8 || failed < n/50 || failed > completed {
				t.Fatalf("%d completed and %d failed passwords out of %d", completed, failed, n)
			}
			unknown := q().Where(signinevent.UserIDIsNil(), signinevent.IdentifierDigestNotNil()).CountX(ctx)
			if unknown == 0 {
				t.Fatal("no attempts on unknown identifiers (credential stuffing)")
			}
		})
		t.Run("seeded reasons and outcomes are the ones the engine writes", func(t *testing.T) {
			for kind, want := range map[string]string{
				"client_trust.required": "new_device",               // signin.afterFirstFactor
				"user.locked":           "too_many_failed_attempts", // signin.fail
				"code.failed":           "form_code_incorrect",      // signin.codeFailed: the error code
				"password.failed":       "password_incorrect",
			} {
				reasons := q().Where(signinevent.Kind(kind), signinevent.UserIDNotNil()).GroupBy(signinevent.FieldReason).StringsX(ctx)
				if len(reasons) != 1 || reasons[0] != want {
					t.Errorf("%s events of known users have reasons %v, want only %q", kind, reasons, want)
				}
			}
			if n := q().Where(signinevent.Kind("sign_in.abandoned"), signinevent.OutcomeNEQ(signinevent.OutcomeFailure)).CountX(ctx); n != 0 {
				t.Errorf("%d sign_in.abandoned events are not failures (the engine records them as failures)", n)
			}
		})
		t.Run("seeded identifiers are searchable like real ones", func(t *testing.T) {
			ev := s.events(t, vars{"identifier": "user0@example.com"})
			if len(ev) == 0 || ev[0].Identifier != identifier.Mask("user0@example.com") {
				t.Fatalf("events of user0@example.com: %+v", ev)
			}
		})
		t.Run("bad flags are reported together", func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(ctx, []string{"dev", "seed-events", "--count", "-1", "--days", "x", "--database-url", dbURL}, strings.NewReader(""), &stdout, &stderr)
			if code == 0 || !strings.Contains(stderr.String(), "--count") || !strings.Contains(stderr.String(), "--days") {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
		})
	})
}
