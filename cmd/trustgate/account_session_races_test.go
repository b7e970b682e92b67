package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/backupcode"
	"github.com/trustgate/trustgate/internal/factor"
)

// endSessionOnUserRead ends session sid once, by an admin's revokeSession
// (committed), right after the next read of a user row: the read of the
// caller that follows a request's authentication, so the session ends while
// the mutation runs, before any of its writes. The flag is still set while
// no such read came; the revocation's answer is in *revoked.
func (s *server) endSessionOnUserRead(sid string, revoked *result) *atomic.Bool {
	var armed atomic.Bool
	armed.Store(true)
	s.m.DB.Ent.User.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			v, err := next.Query(ctx, q)
			if err == nil && armed.Swap(false) {
				*revoked = s.admin(`mutation($id: ID!) { revokeSession(id: $id) { status } }`, vars{"id": sid})
			}
			return v, err
		})
	}))
	return &armed
}

// accountState is what the account mutations change of a user, as the admin API reads it.
func (s *server) accountState(tb testing.TB, userID string) map[string]any {
	tb.Helper()
	return s.admin(`query($id: ID!) { user(id: $id) { twoFactorEnabled totpEnabled backupCodeEnabled primaryEmailAddressId
	  emailAddresses { id verified } phoneNumbers { id verified reservedForSecondFactor } } }`, vars{"id": userID}).data(tb)["user"].(map[string]any)
}

// TestAccountChangesFromASessionEndedMeanwhile: an account mutation whose
// session ends after the request authenticated (the user signing it out
// elsewhere, an admin's revocation, a password change on another device)
// must not go on to change how the account signs in: enrol or remove a
// factor, regenerate backup codes, add or verify a phone number, make an
// address primary or remove one. Each answers authentication_invalid with
// nothing changed, as passwordUpdate does
// (TestPasswordUpdateFromASessionRevokedMeanwhile).
func TestAccountChangesFromASessionEndedMeanwhile(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"clientTrustEnabled": false, "phoneEnabled": true,
			"secondFactors": []string{"totp", "phone_code", "backup_code"}})
		const reserve = `mutation($id: ID!, $r: Boolean!) { phoneNumberReserveForSecondFactor(id: $id, reserved: $r) { id reservedForSecondFactor } }`
		cases := []struct {
			name string
			// setup prepares the signed-in user of d and returns the
			// mutation to run, its variables, and what the state must
			// still be after it (nil: as accountState read it before).
			setup func(t *testing.T, d *browser, email string) (string, vars, func(t *testing.T, id string))
		}{
			{"totpVerify", func(t *testing.T, d *browser, _ string) (string, vars, func(*testing.T, string)) {
				secret, err := decodeSecretOf(d.do(`mutation { totpCreate { secret } }`, nil).data(t))
				if err != nil {
					t.Fatal(err)
				}
				return `mutation($c: String!) { totpVerify(code: $c) { verified backupCodes } }`, vars{"c": totpNow(s, secret, 0)}, nil
			}},
			{"backupCodesCreate", func(t *testing.T, d *browser, _ string) (string, vars, func(*testing.T, string)) {
				d.enrollTOTP(t)
				return `mutation { backupCodesCreate { codes } }`, nil, s.sameBackupCodes(t, d)
			}},
			{"phoneNumberReserveForSecondFactor", func(t *testing.T, d *browser, _ string) (string, vars, func(*testing.T, string)) {
				return reserve, vars{"id": d.phoneID(t), "r": true}, nil
			}},
			{"totpDisable", func(t *testing.T, d *browser, _ string) (string, vars, func(*testing.T, string)) {
				d.enrollTOTP(t)
				return `mutation { totpDisable }`, nil, nil
			}},
			{"phoneNumberUnreserve", func(t *testing.T, d *browser, _ string) (string, vars, func(*testing.T, string)) {
				id := d.phoneID(t)
				d.do(reserve, vars{"id": id, "r": true}).data(t)
				return reserve, vars{"id": id, "r": false}, nil
			}},
			{"emailAddressDelete", func(t *testing.T, d *browser, email string) (string, vars, func(*testing.T, string)) {
				return emailDelete, vars{"id": d.addEmail(t, "second."+email)}, nil
			}},
			{"emailAddressSetPrimary", func(t *testing.T, d *browser, email string) (string, vars, func(*testing.T, string)) {
				return emailPrimary, vars{"id": d.addEmail(t, "second."+email)}, nil
			}},
			{"phoneNumberCreate", func(t *testing.T, d *browser, _ string) (string, vars, func(*testing.T, string)) {
				return `mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { id } }`, vars{"p": "+15550800099"}, nil
			}},
			{"phoneNumberAttemptVerification", func(t *testing.T, d *browser, _ string) (string, vars, func(*testing.T, string)) {
				const phone = "+15550800098"
				id := d.do(`mutation($p: String!) { phoneNumberCreate(phoneNumber: $p) { id } }`, vars{"p": phone}).
					data(t)["phoneNumberCreate"].(map[string]any)["id"].(string)
				d.do(`mutation($id: ID!) { phoneNumberPrepareVerification(id: $id) { id } }`, vars{"id": id}).data(t)
				return `mutation($id: ID!, $c: String!) { phoneNumberAttemptVerification(id: $id, code: $c) { verified } }`,
					vars{"id": id, "c": s.mail.code(t, phone)}, nil
			}},
			{"emailAddressAttemptVerification", func(t *testing.T, d *browser, email string) (string, vars, func(*testing.T, string)) {
				id := d.do(emailCreate, vars{"e": "second." + email}).data(t)["emailAddressCreate"].(map[string]any)["id"].(string)
				d.do(emailPrepare, vars{"id": id}).data(t)
				return emailAttempt, vars{"id": id, "c": s.mail.code(t, "second."+email)}, nil
			}},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				email := strings.ToLower(c.name) + "@example.com"
				uid := s.newUser(t, vars{"emailAddress": email, "phoneNumber": fmt.Sprintf("+1555081%04d", i)})
				d := s.browser()
				sid := d.mustSession(t, email)
				query, v, same := c.setup(t, d, email)
				before := s.accountState(t, uid)
				var revoked result
				armed := s.endSessionOnUserRead(sid, &revoked)
				r := d.do(query, v)
				if armed.Load() {
					t.Fatal("the mutation read no user")
				}
				revoked.data(t)
				if len(r.Errors) == 0 || r.code(t) != "authentication_invalid" {
					t.Errorf("%s from a session ended meanwhile: got data %v errors %v, want authentication_invalid", c.name, r.Data, r.Errors)
				}
				if after := s.accountState(t, uid); !sameState(before, after) {
					t.Errorf("%s from a session ended meanwhile changed the account:\nbefore %v\nafter  %v", c.name, before, after)
				}
				if same != nil {
					same(t, uid)
				}
			})
		}
	})
}

// decodeSecretOf reads the secret of a totpCreate answer.
func decodeSecretOf(data map[string]any) ([]byte, error) {
	return factor.DecodeSecret(data["totpCreate"].(map[string]any)["secret"].(string))
}

// phoneID returns the id of the (only) phone number of d's signed-in user.
func (d *browser) phoneID(tb testing.TB) string {
	tb.Helper()
	phones := d.do(`{ me { phoneNumbers { id } } }`, nil).data(tb)["me"].(map[string]any)["phoneNumbers"].([]any)
	if len(phones) != 1 {
		tb.Fatalf("%d phone numbers, want 1", len(phones))
	}
	return phones[0].(map[string]any)["id"].(string)
}

// sameBackupCodes returns a check that d's user still holds the backup
// codes it holds now.
func (s *server) sameBackupCodes(tb testing.TB, d *browser) func(*testing.T, string) {
	tb.Helper()
	ids := func(tb testing.TB, userID string) []string {
		out, err := s.m.DB.Ent.BackupCode.Query().Where(backupcode.UserID(userID)).IDs(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		slices.Sort(out)
		return out
	}
	var before []string
	userID := d.do(`{ me { id } }`, nil).data(tb)["me"].(map[string]any)["id"].(string)
	before = ids(tb, userID)
	return func(t *testing.T, id string) {
		if after := ids(t, id); !slices.Equal(before, after) {
			t.Errorf("the backup codes were replaced: %v, then %v", before, after)
		}
	}
}

// sameState compares two accountState answers.
func sameState(a, b map[string]any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
