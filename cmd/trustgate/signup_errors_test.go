package main

import (
	"fmt"
	"slices"
	"testing"
)

// TestSignUpAnswersEveryFieldAtFault: signUpCreate answers every field at
// fault in one response, one entry of `errors` each with its code and
// paramName, as Clerk answers a form; first the fields' own problems, then,
// once they pass, every identifier already taken.
func TestSignUpAnswersEveryFieldAtFault(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL, cheapHashes)
		s.setSettings(t, vars{"usernameEnabled": true, "phoneEnabled": true})
		s.newUser(t, vars{"emailAddress": "taken@example.com", "username": "taken_name", "password": "correct horse battery"})
		const q = `mutation($in: SignUpCreateInput!) { signUpCreate(input: $in) { id } }`
		faults := func(r result) []string {
			var out []string
			for _, e := range r.Errors {
				out = append(out, fmt.Sprintf("%v %v", e.Extensions["code"], e.Extensions["paramName"]))
			}
			return out
		}
		for _, tc := range []struct {
			name string
			in   vars
			want []string
		}{
			{"every format at fault, and the password",
				vars{"emailAddress": "not-an-email", "phoneNumber": "12", "username": "x", "password": "short"},
				[]string{"form_param_format_invalid emailAddress", "form_param_format_invalid phoneNumber",
					"form_param_format_invalid username", "form_password_length_too_short password"}},
			{"a required identifier and the password missing",
				vars{"username": "fresh_name"},
				[]string{"form_param_missing emailAddress", "form_param_missing password"}},
			{"one field at fault is one error",
				vars{"emailAddress": "fresh@example.com", "password": "short"},
				[]string{"form_password_length_too_short password"}},
			{"every identifier taken",
				vars{"emailAddress": "taken@example.com", "username": "taken_name", "password": "another good passphrase"},
				[]string{"form_identifier_exists emailAddress", "form_identifier_exists username"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := s.browser().do(q, vars{"in": tc.in})
				if got := faults(r); !slices.Equal(got, tc.want) {
					t.Fatalf("errors %q, want %q (data %v)", got, tc.want, r.Data)
				}
				for _, e := range r.Errors {
					if e.Message == "" || e.Extensions["longMessage"] == "" {
						t.Errorf("an error without its messages: %+v", e)
					}
				}
			})
		}
	})
}
