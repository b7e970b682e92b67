package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent/serverconfig"
	"github.com/trustgate/trustgate/internal/ids"
	"github.com/trustgate/trustgate/internal/session"
)

// jwtKid returns the kid in the header of a JWT.
func jwtKid(tb testing.TB, token string) string {
	tb.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		tb.Fatal(err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(raw, &h); err != nil {
		tb.Fatal(err)
	}
	return h.Kid
}

// jwksKids lists the key ids s publishes at /.well-known/jwks.json.
func (s *server) jwksKids(tb testing.TB) []string {
	tb.Helper()
	resp, err := http.Get(s.base + "/.well-known/jwks.json")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=300" {
		tb.Fatalf("JWKS Cache-Control %q", cc)
	}
	var set struct{ Keys []struct{ Kid string } }
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		tb.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// signedIn reports whether the device's bearer token is accepted.
func (d *browser) signedIn(tb testing.TB) bool {
	tb.Helper()
	return d.do(`{ me { id } }`, nil).data(tb)["me"] != nil
}

// TestRoutineRotationPrepublishes: a routine rotation puts the new key in
// every replica's JWKS long before it signs; until its activation time
// (session.PublishDelay later) both replicas sign with the previous key,
// from then on both sign with the new one, each from the key set it already
// holds: a replica whose re-read on an unknown key id was just spent by a
// made-up kid still accepts the first tokens of the new key.
func TestRoutineRotationPrepublishes(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		a := mustStart(t, dbURL, cheapHashes)
		b := startReplica(t, a)
		a.setSettings(t, vars{"clientTrustEnabled": false})
		a.createUser(t, "ada@example.com", "", testPassword)
		onA := a.browser()
		sid := onA.mustSession(t, "ada@example.com")
		onB := *onA // the same device (cookies) talking to replica b
		onB.s = b
		kids := func() (string, string) {
			t.Helper()
			return jwtKid(t, onA.token(t, sid)), jwtKid(t, onB.token(t, sid))
		}
		old, oldB := kids()
		if old != oldB {
			t.Fatalf("the replicas sign with %s and %s", old, oldB)
		}

		a.clock.Advance(time.Second) // the new key is the newer one
		next, at, err := a.m.Services.Sessions.Keys.RotateAfter(context.Background(), session.PublishDelay)
		if err != nil {
			t.Fatal(err)
		}
		if !at.Equal(a.clock.Now().Add(7 * time.Minute)) {
			t.Fatalf("the new key signs from %v, want 7 minutes after %v", at, a.clock.Now())
		}
		if got := a.jwksKids(t); !slices.Contains(got, old) || !slices.Contains(got, next) {
			t.Fatalf("JWKS right after the rotation: %v, want %s and %s", got, old, next)
		}
		a.clock.Advance(61 * time.Second) // past replica b's key cache
		if got := b.jwksKids(t); !slices.Contains(got, old) || !slices.Contains(got, next) {
			t.Fatalf("replica b's JWKS a minute after the rotation: %v, want %s and %s", got, old, next)
		}

		a.clock.Advance(at.Sub(a.clock.Now()) - time.Second)
		if ka, kb := kids(); ka != old || kb != old {
			t.Fatalf("a second before the activation time the replicas sign with %s and %s, want %s", ka, kb, old)
		}
		// A made-up key id of our form spends replica b's re-read.
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","typ":"JWT","kid":"` + ids.New("ins") + `"}`))
		forged := onB
		forged.bearer = header + ".eyJzdWIiOiJ4In0." + base64.RawURLEncoding.EncodeToString(make([]byte, 64))
		if forged.signedIn(t) {
			t.Fatal("a token with a made-up key id was accepted")
		}

		a.clock.Advance(time.Second)
		tokA := onA.token(t, sid)
		if got := jwtKid(t, tokA); got != next {
			t.Fatalf("at the activation time replica a signs with %s, want %s", got, next)
		}
		onB.bearer = tokA
		if !onB.signedIn(t) {
			t.Fatal("replica b refused the first token of the new key")
		}
		if got := jwtKid(t, onB.token(t, sid)); got != next {
			t.Fatalf("at the activation time replica b signs with %s, want %s", got, next)
		}
		onA.bearer = onB.bearer
		if !onA.signedIn(t) {
			t.Fatal("replica a refused replica b's token of the new key")
		}
	})
}

// TestRotateCLI: `signing-keys rotate` pre-publishes by default and says
// when the key starts signing; --now and --previous revoke make the new key
// sign at once (on every replica once its key cache expires).
func TestRotateCLI(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		a := mustStart(t, dbURL, cheapHashes, func(c *Config) { c.TokenTTL = 10 * time.Minute })
		b := startReplica(t, a)
		a.setSettings(t, vars{"clientTrustEnabled": false})
		a.createUser(t, "ada@example.com", "", testPassword)
		onA := a.browser()
		sid := onA.mustSession(t, "ada@example.com")
		onB := *onA
		onB.s = b
		startsAt := func(out map[string]any) time.Time {
			t.Helper()
			at, err := time.Parse(time.RFC3339, out["startsSigningAt"].(string))
			if err != nil {
				t.Fatalf("startsSigningAt in %v: %v", out, err)
			}
			return at
		}
		signsWith := func(want string) {
			t.Helper()
			for _, d := range []*browser{onA, &onB} {
				if got := jwtKid(t, d.token(t, sid)); got != want {
					t.Fatalf("%s signs with %s, want %s", d.s.base, got, want)
				}
			}
		}

		before := jwtKid(t, onA.token(t, sid))
		routine := a.cli(t, "signing-keys", "rotate", "--json")
		// The command runs on the real clock, the servers on the test's.
		if d := time.Until(startsAt(routine)); d < session.PublishDelay-time.Minute || d > session.PublishDelay {
			t.Fatalf("a routine rotation starts signing in %v, want %v", d, session.PublishDelay)
		}
		a.clock.Advance(61 * time.Second)
		signsWith(before)
		for _, s := range []*server{a, b} {
			if got := s.jwksKids(t); !slices.Contains(got, before) || !slices.Contains(got, routine["id"].(string)) {
				t.Fatalf("JWKS after a routine rotation: %v, want %s and %v", got, before, routine["id"])
			}
		}

		now := a.cli(t, "signing-keys", "rotate", "--now", "--json")
		if d := time.Since(startsAt(now)); d < 0 || d > time.Minute || now["revoked"].(float64) != 0 {
			t.Fatalf("rotate --now = %v", now)
		}
		a.clock.Advance(61 * time.Second)
		signsWith(now["id"].(string))
		onA.bearer = ""
		old := onA.token(t, sid)
		if jwtKid(t, old) != now["id"] {
			t.Fatal("not signed with the --now key")
		}

		revoke := a.cli(t, "signing-keys", "rotate", "--previous", "revoke", "--json")
		if d := time.Since(startsAt(revoke)); d < 0 || d > time.Minute || revoke["revoked"].(float64) < 3 {
			t.Fatalf("rotate --previous revoke = %v", revoke)
		}
		a.clock.Advance(61 * time.Second)
		signsWith(revoke["id"].(string))
		onA.bearer = old
		if onA.signedIn(t) {
			t.Fatal("a token of a revoked key still verified")
		}

		var out, errOut strings.Builder
		if code := run(context.Background(), []string{"signing-keys", "rotate", "--database-url", a.m.Config.DatabaseURL}, strings.NewReader(""), &out, &errOut); code != 0 ||
			!strings.Contains(out.String(), "starts signing at ") || !strings.Contains(out.String(), "(in 7 minutes)") {
			t.Fatalf("rotate: exit %d, %q %q", code, out.String(), errOut.String())
		}
	})
}

// TestARootSecretThatCannotOpenTheSigningKeysIsRefused: the signing keys are
// sealed with the root secret. A command run where TRUSTGATE_SECRET is not
// set (another shell, a cron job) or set to another value used to go ahead:
// `signing-keys rotate` generated a root secret, stored it in the database,
// sealed the new key with it and exited 0, and every replica, unable to open
// that key, then answered the JWKS and every session token with a 500. Such a
// command, and serve, now stop before changing anything and name the setting.
func TestARootSecretThatCannotOpenTheSigningKeysIsRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s, secret, other := startWithSecret(t, dbURL)
		ctx := context.Background()
		before := s.jwksKids(t) // the first key
		if len(before) != 1 {
			t.Fatalf("JWKS %v, want one key", before)
		}
		for _, c := range []struct {
			name string
			args []string
		}{
			{"unset", []string{"signing-keys", "rotate", "--now", "--json"}},
			{"another secret", []string{"signing-keys", "rotate", "--now", "--json", "--secret", other}},
			{"unset, another command", []string{"keys", "create", "--role", "owner", "--json"}},
			{"serve with another secret", []string{"serve", "--addr", "127.0.0.1:0", "--secret", other}},
		} {
			// serve, were it to start, runs until this context ends.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			var out, errOut bytes.Buffer
			code := run(ctx, append(c.args, "--database-url", dbURL), strings.NewReader(""), &out, &errOut)
			cancel()
			if code == 0 || !strings.Contains(errOut.String(), "TRUSTGATE_SECRET") {
				t.Errorf("%s: exit %d, stdout %q, stderr %q; want a failure naming TRUSTGATE_SECRET", c.name, code, out.String(), errOut.String())
			}
		}
		if n := s.m.DB.Ent.ServerConfig.Query().Where(serverconfig.ID(rootSecretKey)).CountX(ctx); n != 0 {
			t.Errorf("a command without TRUSTGATE_SECRET stored a root secret in the database")
		}
		s.clock.Advance(2 * time.Minute) // past the server's key cache
		if code := mustGetStatus(t, s.base+"/.well-known/jwks.json"); code != http.StatusOK {
			t.Fatalf("JWKS answers %d after the refused commands", code)
		}
		if code, _, errOut := runCLI(t, "signing-keys", "rotate", "--now", "--json", "--secret", secret, "--database-url", dbURL); code != 0 {
			t.Fatalf("rotate with the right secret: exit %d: %s", code, errOut)
		}
		s.clock.Advance(2 * time.Minute)
		if after := s.jwksKids(t); len(after) != 2 {
			t.Fatalf("JWKS %v after a rotation with the right secret, want two keys", after)
		}
	})
}

// TestTheRootSecretIsCheckedWithoutSigningKeys: the signing keys used to be
// the only test of a root secret, so with none in the database (all deleted,
// or none made yet) a command run with another secret, or none, went ahead:
// it stored a generated root secret beside the servers' TRUSTGATE_SECRET, and
// serve would seal TOTP secrets the other replicas cannot open.
// The database now keeps a check value of its secret; one from before the
// check value still has its signing keys tried.
func TestTheRootSecretIsCheckedWithoutSigningKeys(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s, secret, other := startWithSecret(t, dbURL)
		ctx := context.Background()
		db := s.m.DB.Ent
		if _, err := db.SigningKey.Delete().Exec(ctx); err != nil {
			t.Fatal(err)
		}
		refused := func(t *testing.T, args ...string) {
			t.Helper()
			code, out, errOut := runCLI(t, append(args, "--database-url", dbURL)...)
			if code == 0 || !strings.Contains(errOut, "TRUSTGATE_SECRET") {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want a failure naming TRUSTGATE_SECRET", args, code, out, errOut)
			}
		}
		keys := func() int { return db.APIKey.Query().CountX(ctx) }
		before := keys()
		refused(t, "keys", "create", "--role", "owner", "--json", "--secret", other)
		refused(t, "keys", "create", "--role", "owner", "--json")
		if n := keys(); n != before {
			t.Errorf("refused commands left %d API keys, want %d", n, before)
		}
		if n := db.ServerConfig.Query().Where(serverconfig.ID(rootSecretKey)).CountX(ctx); n != 0 {
			t.Errorf("a command without TRUSTGATE_SECRET stored a root secret in the database")
		}
		if code, _, errOut := runCLI(t, "keys", "create", "--role", "owner", "--json", "--secret", secret, "--database-url", dbURL); code != 0 {
			t.Fatalf("keys create with the right secret: exit %d: %s", code, errOut)
		}

		t.Run("a database from before the check value", func(t *testing.T) {
			if code, _, errOut := runCLI(t, "signing-keys", "rotate", "--now", "--json", "--secret", secret, "--database-url", dbURL); code != 0 {
				t.Fatalf("rotate with the right secret: exit %d: %s", code, errOut)
			}
			forget := func() {
				if _, err := db.ServerConfig.Delete().Where(serverconfig.ID(rootCheckKey)).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			forget()
			refused(t, "keys", "create", "--role", "owner", "--json", "--secret", other)
			if n := db.ServerConfig.Query().Where(serverconfig.ID(rootCheckKey)).CountX(ctx); n != 0 {
				t.Fatalf("a refused command stored its check value")
			}
			if code, _, errOut := runCLI(t, "keys", "create", "--role", "owner", "--json", "--secret", secret, "--database-url", dbURL); code != 0 {
				t.Fatalf("keys create with the right secret: exit %d: %s", code, errOut)
			}
			if n := db.ServerConfig.Query().Where(serverconfig.ID(rootCheckKey)).CountX(ctx); n != 1 {
				t.Fatalf("the right secret left %d check values, want 1", n)
			}
			// With the check value back, the signing keys no longer decide.
			if _, err := db.SigningKey.Delete().Exec(ctx); err != nil {
				t.Fatal(err)
			}
			refused(t, "keys", "create", "--role", "owner", "--json", "--secret", other)
		})
	})
}

// TestSigningKeyChangesAreAudited: rotating the signing keys, and deleting
// the retired ones (which makes every token they signed stop verifying), are
// operators' changes like any other and are in the audit log, by the command
// line, with the key they made or deleted.
func TestSigningKeyChangesAreAudited(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		first := s.jwksKids(t)[0] // made on first use, by no operator
		rotated := s.cli(t, "signing-keys", "rotate", "--json")
		revoking := s.cli(t, "signing-keys", "rotate", "--previous", "revoke", "--json")
		if revoking["revoked"] != float64(2) {
			t.Fatalf("--previous revoke: %v, want the first two keys deleted", revoking)
		}
		events, _ := s.auditLog(t, s.ownerKey, "", 10, nil)
		var got []string
		for _, ev := range events {
			if ev.TargetType != "signing_key" {
				continue
			}
			if ev.Actor != "cli" || ev.ApplicationID != nil {
				t.Errorf("event %+v: want the command line's, of no one application", ev)
			}
			got = append(got, ev.Action+" "+ev.TargetID)
			if ev.Action == "signing_keys:rotate" && jsonObject(t, ev.After)["startsSigningAt"] == nil {
				t.Errorf("rotation %+v does not say when its key starts signing", ev)
			}
		}
		slices.Sort(got)
		want := []string{
			"signing_keys:revoke " + first, "signing_keys:revoke " + rotated["id"].(string),
			"signing_keys:rotate " + revoking["id"].(string), "signing_keys:rotate " + rotated["id"].(string),
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("signing key audit events %q, want %q", got, want)
		}
	})
}

// TestTheGeneratedSecretMovesOutOfTheDatabase: serve started without
// TRUSTGATE_SECRET generates the root secret and stores it in the database,
// and warns to set TRUSTGATE_SECRET. The stored copy used to stay after the
// operator did, so a dump of the database still held the key to everything
// sealed or keyed under it. `secret export` prints it, and the first process
// started with it as TRUSTGATE_SECRET deletes the copy.
func TestTheGeneratedSecretMovesOutOfTheDatabase(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		t.Setenv("TRUSTGATE_SECRET", "")
		ctx := context.Background()
		db := s.m.DB.Ent
		stored := func() int { return db.ServerConfig.Query().Where(serverconfig.ID(rootSecretKey)).CountX(ctx) }
		secret := s.cli(t, "secret", "export", "--json")["secret"].(string)
		if row := db.ServerConfig.GetX(ctx, rootSecretKey); row.Value != secret || secret == "" {
			t.Fatalf("secret export printed %q, want the stored secret", secret)
		}

		// A stored secret that is not TRUSTGATE_SECRET's stays.
		db.ServerConfig.UpdateOneID(rootSecretKey).SetValue(otherSecret).ExecX(ctx)
		if code, _, errOut := runCLI(t, "keys", "create", "--role", "owner", "--json", "--secret", secret, "--database-url", dbURL); code != 0 {
			t.Fatalf("keys create with the database's secret: exit %d: %s", code, errOut)
		}
		if stored() != 1 {
			t.Fatal("a stored secret unlike TRUSTGATE_SECRET was deleted")
		}
		db.ServerConfig.UpdateOneID(rootSecretKey).SetValue(secret).ExecX(ctx)

		if code, _, errOut := runCLI(t, "keys", "create", "--role", "owner", "--json", "--secret", secret, "--database-url", dbURL); code != 0 {
			t.Fatalf("keys create with the exported secret: exit %d: %s", code, errOut)
		}
		if stored() != 0 {
			t.Fatal("the stored copy of the root secret is still in the database after a process ran with it as TRUSTGATE_SECRET")
		}
		if code, out, errOut := runCLI(t, "secret", "export", "--database-url", dbURL); code == 0 || !strings.Contains(errOut, "no root secret is stored") {
			t.Errorf("secret export with none stored: exit %d, %q %q", code, out, errOut)
		}
		// A process that forgets TRUSTGATE_SECRET now is refused, and
		// stores no new secret of its own.
		if code, out, errOut := runCLI(t, "keys", "create", "--role", "owner", "--json", "--database-url", dbURL); code == 0 || !strings.Contains(errOut, "TRUSTGATE_SECRET") {
			t.Errorf("keys create without the secret: exit %d, %q %q; want a failure naming TRUSTGATE_SECRET", code, out, errOut)
		}
		if stored() != 0 {
			t.Error("a process without TRUSTGATE_SECRET stored a secret again")
		}
	})
}

// otherSecret is a root secret other than any test server's.
var otherSecret = base64.RawURLEncoding.EncodeToString([]byte("a secret from some other machine"))

// startWithSecret starts a server whose replicas all run with the
// TRUSTGATE_SECRET it returns, unset in this process's environment so that
// commands run without it, and returns otherSecret beside it.
func startWithSecret(t *testing.T, dbURL string) (s *server, secret, other string) {
	t.Helper()
	secret = base64.RawURLEncoding.EncodeToString([]byte("the secret the replicas all use!"))
	s = mustStart(t, dbURL, cheapHashes, func(c *Config) { c.Secret = secret })
	t.Setenv("TRUSTGATE_SECRET", "")
	return s, secret, otherSecret
}
