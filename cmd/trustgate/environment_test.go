package main

import (
	"fmt"
	"path/filepath"
	"testing"
)

// TestEnvironment: a frontend with only the publishable key learns which
// identifiers and factors its application offers, and they follow the
// settings as an admin changes them; an unknown key gets
// application_not_found.
func TestEnvironment(t *testing.T) {
	s := mustStart(t, "sqlite://"+filepath.Join(t.TempDir(), "trustgate.db"), cheapHashes)
	const q = `query { environment { applicationName emailEnabled phoneEnabled usernameEnabled passwordEnabled firstFactors secondFactors allowedOrigins } }`
	env := func() map[string]any {
		t.Helper()
		return s.browser().do(q, nil).data(t)["environment"].(map[string]any)
	}
	name := s.admin(`query($id: ID!) { application(id: $id) { name } }`, vars{"id": s.appID}).data(t)["application"].(map[string]any)["name"]
	s.setSettings(t, vars{"emailEnabled": true, "phoneEnabled": false, "usernameEnabled": false,
		"firstFactors": []string{"password", "email_code"}, "secondFactors": []string{"totp"}, "allowedOrigins": []string{"https://app.example.com"}})
	got := fmt.Sprint(env())
	want := fmt.Sprint(map[string]any{"applicationName": name, "emailEnabled": true, "phoneEnabled": false, "usernameEnabled": false,
		"passwordEnabled": true, "firstFactors": []any{"password", "email_code"}, "secondFactors": []any{"totp"},
		"allowedOrigins": []any{"https://app.example.com"}})
	if got != want {
		t.Errorf("environment: got %s, want %s", got, want)
	}
	s.setSettings(t, vars{"clientTrustEnabled": false, "emailEnabled": false, "usernameEnabled": true, "firstFactors": []string{"password"}, "secondFactors": []string{}})
	e := env()
	if e["emailEnabled"] != false || e["usernameEnabled"] != true || fmt.Sprint(e["firstFactors"]) != "[password]" || fmt.Sprint(e["secondFactors"]) != "[]" {
		t.Errorf("environment after a settings change: got %v", e)
	}
	d := s.browser()
	d.pk = "pk_test_nobody"
	if got := d.do(q, nil).code(t); got != "application_not_found" {
		t.Errorf("environment with an unknown publishable key: got %s, want application_not_found", got)
	}
}
