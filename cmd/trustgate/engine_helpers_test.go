package main

// Helpers of the engine_* tests: users with chosen verification, the sign-in
// steps the SDK sends, MFA enrolment through the account API, and reads of
// sign-in events and user rows. They live here rather than in harness_test.go
// so that the engine tests stay one group of files.

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/hook"
	entsession "github.com/trustgate/trustgate/ent/session"
	"github.com/trustgate/trustgate/internal/factor"
)

// testPassword is the password of every user the engine tests create.
const testPassword = "correct horse battery"

// cheapHashes gives a test server the cheapest argon2id parameters its
// configuration accepts, for tests that sign in many times and do not measure
// hashing.
func cheapHashes(c *Config) { c.Argon2Memory, c.Argon2Time = 7168, 1 }

// newUser creates a user through the admin API; in is a CreateUserInput.
func (s *server) newUser(tb testing.TB, in vars) string {
	tb.Helper()
	if _, ok := in["password"]; !ok {
		if _, ok := in["passwordHash"]; !ok {
			in["password"] = testPassword
		}
	}
	u := s.admin(`mutation($id: ID!, $in: CreateUserInput!) { createUser(applicationId: $id, input: $in) { id } }`,
		vars{"id": s.appID, "in": in}).data(tb)["createUser"].(map[string]any)
	return u["id"].(string)
}

// userRow reads a user's row straight from the database.
func (s *server) userRow(tb testing.TB, id string) *ent.User {
	tb.Helper()
	u, err := s.m.DB.Ent.User.Get(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// sessionCount counts the sessions a user has, whatever their status.
func (s *server) sessionCount(tb testing.TB, userID string) int {
	tb.Helper()
	n, err := s.m.DB.Ent.Session.Query().Where(entsession.UserID(userID)).Count(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// create runs signInCreate with a SignInCreateInput, as the SDK's signIn.create.
func (d *browser) create(in vars) result {
	d.s.t.Helper()
	return d.do(`mutation($in: SignInCreateInput!) { signInCreate(input: $in) { `+signInFields+` } }`, vars{"in": in})
}

// prepareFirstWith runs signInPrepareFirstFactor with a PrepareFactorInput.
func (d *browser) prepareFirstWith(id string, in vars) result {
	d.s.t.Helper()
	return d.do(`mutation($id: ID!, $in: PrepareFactorInput!) { signInPrepareFirstFactor(id: $id, input: $in) { `+signInFields+` } }`,
		vars{"id": id, "in": in})
}

// attemptFirstWith runs signInAttemptFirstFactor with an AttemptFactorInput.
func (d *browser) attemptFirstWith(id string, in vars) result {
	d.s.t.Helper()
	return d.do(`mutation($id: ID!, $in: AttemptFactorInput!) { signInAttemptFirstFactor(id: $id, input: $in) { `+signInFields+` } }`,
		vars{"id": id, "in": in})
}

// prepareSecondWith runs signInPrepareSecondFactor with a PrepareFactorInput.
func (d *browser) prepareSecondWith(id string, in vars) result {
	d.s.t.Helper()
	return d.do(`mutation($id: ID!, $in: PrepareFactorInput!) { signInPrepareSecondFactor(id: $id, input: $in) { `+signInFields+` } }`,
		vars{"id": id, "in": in})
}

// factorInput is the PrepareFactorInput the SDK builds for the listed factor
// of strategy (its emailAddressId or phoneNumberId), or nil if none is listed.
func factorInput(list any, strategy string) vars {
	for _, f := range list.([]any) {
		m := f.(map[string]any)
		if m["strategy"] != strategy {
			continue
		}
		in := vars{"strategy": strategy}
		if id, ok := m["emailAddressId"].(string); ok {
			in["emailAddressId"] = id
		}
		if id, ok := m["phoneNumberId"].(string); ok {
			in["phoneNumberId"] = id
		}
		return in
	}
	return nil
}

// codeSignIn runs a passwordless sign-in: signInCreate with the identifier,
// prepare the listed first factor of strategy, attempt it with the code sent
// to `to`. It returns the attempt's result.
func (d *browser) codeSignIn(tb testing.TB, ident, strategy, to string) result {
	tb.Helper()
	si := signInObj(tb, d.create(vars{"identifier": ident}), "signInCreate")
	in := factorInput(si["supportedFirstFactors"], strategy)
	if in == nil {
		tb.Fatalf("first factors %v: got no %s, want one", strategies(si["supportedFirstFactors"]), strategy)
	}
	signInObj(tb, d.prepareFirstWith(si["id"].(string), in), "signInPrepareFirstFactor")
	return d.attemptFirstWith(si["id"].(string), vars{"strategy": strategy, "code": d.s.mail.code(tb, to)})
}

// mustSession signs in with a password on d, which must complete at once
// (Client Trust off or d trusted, no MFA), and makes d use the session.
func (d *browser) mustSession(tb testing.TB, ident string) string {
	tb.Helper()
	return d.mustSessionWith(tb, ident, testPassword)
}

// mustSessionWith is mustSession with another password.
func (d *browser) mustSessionWith(tb testing.TB, ident, password string) string {
	tb.Helper()
	si := signInObj(tb, d.signIn(ident, password), "signInCreate")
	if si["status"] != "complete" {
		tb.Fatalf("sign-in of %s: got status %v, want complete", ident, si["status"])
	}
	sid := si["createdSessionId"].(string)
	d.token(tb, sid)
	return sid
}

// userIDByEmail finds a user of the test application by email address.
func (s *server) userIDByEmail(tb testing.TB, email string) string {
	tb.Helper()
	r := s.admin(`query($app: ID!, $q: String) { users(applicationId: $app, first: 2, where: {query: $q}) { edges { node { id } } } }`,
		vars{"app": s.appID, "q": email}).data(tb)
	edges := r["users"].(map[string]any)["edges"].([]any)
	if len(edges) != 1 {
		tb.Fatalf("users matching %s: got %d, want 1", email, len(edges))
	}
	return edges[0].(map[string]any)["node"].(map[string]any)["id"].(string)
}

// totpNow is the TOTP code of secret at the fake clock's time plus steps × 30 s.
func totpNow(s *server, secret []byte, steps int) string {
	return factor.TOTPAt(secret, s.clock.Now().Add(time.Duration(steps)*30*time.Second))
}

// countKind counts the messages of a kind sent to an address.
func (b *mailbox) countKind(to, kind string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.msgs {
		if m.To == to && string(m.Kind) == kind {
			n++
		}
	}
	return n
}

// clientID returns the id of d's client.
func (d *browser) clientID(tb testing.TB) string {
	tb.Helper()
	return d.do(`{ client { id } }`, nil).data(tb)["client"].(map[string]any)["id"].(string)
}

// enrollTOTP enrols an authenticator for d's signed-in user, verifying it
// with the code of the fake clock's current step. It returns the secret and
// the backup codes totpVerify showed.
func (d *browser) enrollTOTP(tb testing.TB) ([]byte, []string) {
	tb.Helper()
	created := d.do(`mutation { totpCreate { id secret uri qrCodePng verified } }`, nil).data(tb)["totpCreate"].(map[string]any)
	secret, err := factor.DecodeSecret(created["secret"].(string))
	if err != nil {
		tb.Fatalf("totpCreate secret %q: %v", created["secret"], err)
	}
	v := d.do(`mutation($c: String!) { totpVerify(code: $c) { id verified backupCodes } }`,
		vars{"c": factor.TOTPAt(secret, d.s.clock.Now())}).data(tb)["totpVerify"].(map[string]any)
	if v["verified"] != true {
		tb.Fatalf("totpVerify: got verified %v, want true", v["verified"])
	}
	var codes []string
	if list, ok := v["backupCodes"].([]any); ok {
		for _, c := range list {
			codes = append(codes, c.(string))
		}
	}
	return secret, codes
}

// enrollPhoneMFA adds phone to d's signed-in user, verifies it by SMS and
// reserves it for two-step verification; it returns the phone number's id.
func (d *browser) enrollPhoneMFA(tb testing.TB, phone string) string {
	tb.Helper()
	const fields = `id phoneNumber verified reservedForSecondFactor`
	p := d.do(`mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { `+fields+` } }`, vars{"p": phone}).
		data(tb)["phoneNumberCreate"].(map[string]any)
	id := p["id"].(string)
	d.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { `+fields+` } }`, vars{"id": id}).data(tb)
	v := d.do(`mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { `+fields+` } }`,
		vars{"id": id, "c": d.s.mail.code(tb, phone)}).data(tb)["phoneNumberAttemptVerification"].(map[string]any)
	if v["verified"] != true {
		tb.Fatalf("phoneNumberAttemptVerification: got verified %v, want true", v["verified"])
	}
	r := d.do(`mutation($id: ID!) { phoneNumberReserveForSecondFactor(id: $id, reserved: true) { `+fields+` } }`, vars{"id": id}).
		data(tb)["phoneNumberReserveForSecondFactor"].(map[string]any)
	if r["reservedForSecondFactor"] != true {
		tb.Fatalf("phoneNumberReserveForSecondFactor: got %v, want reserved", r)
	}
	return id
}

// signInEvent is one row of the admin signInEvents query.
type signInEvent struct {
	Kind, Strategy, Outcome, Reason, Identifier, ClientID, IP, UserAgent, SignInID, UserID string
}

// events lists sign-in events of the test application matching where (a
// SignInEventWhereInput), oldest first.
func (s *server) events(tb testing.TB, where vars) []signInEvent {
	tb.Helper()
	r := s.admin(`query($app: ID!, $w: SignInEventWhereInput) { signInEvents(applicationId: $app, first: 100, where: $w) {
	  edges { node { kind strategy outcome reason identifier clientId ipAddress userAgent signInId userId } } } }`,
		vars{"app": s.appID, "w": where}).data(tb)
	edges := r["signInEvents"].(map[string]any)["edges"].([]any)
	out := make([]signInEvent, 0, len(edges))
	str := func(v any) string { s, _ := v.(string); return s }
	for _, e := range edges {
		n := e.(map[string]any)["node"].(map[string]any)
		out = append(out, signInEvent{
			Kind: str(n["kind"]), Strategy: str(n["strategy"]), Outcome: str(n["outcome"]), Reason: str(n["reason"]),
			Identifier: str(n["identifier"]), ClientID: str(n["clientId"]), IP: str(n["ipAddress"]), UserAgent: str(n["userAgent"]),
			SignInID: str(n["signInId"]), UserID: str(n["userId"]),
		})
	}
	slices.Reverse(out)
	return out
}

// kindsOf lists the kinds of events, in order.
func kindsOf(events []signInEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Kind
	}
	return out
}

// beforePasswordWrite runs change once, in the transaction of the next
// write of a user's password hash and just before it, as if change had
// committed just before that write (while the password was hashed). The
// flag it returns is still set while no such write came.
func (s *server) beforePasswordWrite(change func(ctx context.Context, c *ent.Client) error) *atomic.Bool {
	var armed atomic.Bool
	armed.Store(true)
	s.m.DB.Ent.User.Use(func(next ent.Mutator) ent.Mutator {
		return hook.UserFunc(func(ctx context.Context, m *ent.UserMutation) (ent.Value, error) {
			if _, setting := m.PasswordHash(); setting && armed.Swap(false) {
				if err := change(ctx, m.Client()); err != nil {
					return nil, err
				}
			}
			return next.Mutate(ctx, m)
		})
	})
	return &armed
}

// afterNextRead runs do once, right after the next query through client (an
// ent client of one table, such as s.m.DB.Ent.PhoneNumber) has returned: a
// change made by another request between a step's read and its write. The
// returned fired reports whether it ran, so a test can tell the step read
// nothing through client.
func afterNextRead(client interface{ Intercept(...ent.Interceptor) }, do func()) (fired func() bool) {
	var armed atomic.Bool
	armed.Store(true)
	client.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			v, err := next.Query(ctx, q)
			if armed.Swap(false) {
				do()
			}
			return v, err
		})
	}))
	return func() bool { return !armed.Load() }
}
