package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzGraphQLRequest throws arbitrary request bodies (documents, variables,
// JSON shapes) at the real /graphql endpoint. Whatever arrives, the server
// answers with JSON, never with a 5xx or an internal_error: bad input gets a
// clear client error code.
func FuzzGraphQLRequest(f *testing.F) {
	s := mustStart(f, "sqlite://"+f.TempDir()+"/fuzz.db")
	seeds := []string{
		`{"query":"{ client { id } }"}`,
		`{"query":"mutation($i: String!, $p: String!) { signInCreate(input: {identifier: $i, password: $p}) { id status } }","variables":{"i":"a@b.co","p":"x"}}`,
		`{"query":"mutation($i: String) { signInCreate(input: {identifier: $i}) { id } }","variables":{"i":"+15551234567"}}`,
		`{"query":"mutation { signInAttemptSecondFactor(id: \"sia_x\", input: {strategy: \"totp\", code: \"123456\"}) { id } }"}`,
		`{"query":"mutation($in: SignUpCreateInput!) { signUpCreate(input: $in) { id } }","variables":{"in":{"emailAddress":["x"],"password":7}}}`,
		`{"query":"{ users(applicationId: \"app_x\") { totalCount } }"}`,
		`{"query":"query Q { client { id } } query R { me { id } }","operationName":"R"}`,
		`{"query":"{","variables":null}`,
		`[]`, `null`, `{"query":42}`, `{"variables":{"a":{"b":{"c":[1,2,3]}}}}`,
	}
	for _, seed := range seeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, _ := http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Publishable-Key", s.pk)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for body %q: %s", resp.StatusCode, body, raw)
		}
		if !json.Valid(raw) {
			t.Fatalf("response is not JSON for body %q: %q", body, raw)
		}
		if strings.Contains(string(raw), `"internal_error"`) {
			t.Fatalf("internal_error for body %q: %s", body, raw)
		}
	})
}
