package main

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

const appSettingsFields = `clientTrustEnabled emailEnabled phoneEnabled passwordEnabled usernameEnabled firstFactors secondFactors
  lockoutMaxAttempts lockoutDurationSeconds codeTtlSeconds sessionLifetimeSeconds eventRetentionDays allowedOrigins`

// appSettings reads an application's settings and dated updates (key → [enabled, explicit]).
func (s *server) appSettings(tb testing.TB, appID string) (map[string]any, map[string][2]bool) {
	tb.Helper()
	a := s.admin(`query($id: ID!) { application(id: $id) { settings { `+appSettingsFields+` } updates { key enabled explicit date } } }`,
		vars{"id": appID}).data(tb)["application"].(map[string]any)
	ups := map[string][2]bool{}
	for _, u := range a["updates"].([]any) {
		u := u.(map[string]any)
		ups[u["key"].(string)] = [2]bool{u["enabled"].(bool), u["explicit"].(bool)}
	}
	return a["settings"].(map[string]any), ups
}

func TestAdminCreationDateDefaults(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		cases := []struct {
			createdAt   string
			clientTrust bool
			lockout     float64
		}{
			{"2025-11-13T23:59:59.999Z", false, 100},
			// 00:30 in Paris is still the 13th in UTC, where the dates are drawn.
			{"2025-11-14T00:30:00+01:00", false, 100},
			{"2025-11-14T00:00:00Z", true, 100},
			{"2026-07-05T23:59:59Z", true, 100},
			{"2026-07-06T00:00:00Z", true, 10},
			{"2026-07-06T12:00:00Z", true, 10},
		}
		for _, c := range cases {
			at, err := time.Parse(time.RFC3339Nano, c.createdAt)
			if err != nil {
				t.Fatal(err)
			}
			for _, via := range []string{"createApplication", "apps create --created-at"} {
				t.Run(c.createdAt+" via "+via, func(t *testing.T) {
					var id string
					if via == "createApplication" {
						id = s.createApp(t, "App "+c.createdAt, at).id
					} else {
						id = s.cli(t, "apps", "create", "--name", "CLI "+c.createdAt, "--created-at", c.createdAt, "--json")["id"].(string)
					}
					set, ups := s.appSettings(t, id)
					if set["clientTrustEnabled"] != c.clientTrust || set["lockoutMaxAttempts"] != c.lockout {
						t.Fatalf("clientTrustEnabled %v lockoutMaxAttempts %v, want %v and %v", set["clientTrustEnabled"], set["lockoutMaxAttempts"], c.clientTrust, c.lockout)
					}
					if set["lockoutDurationSeconds"] != float64(3600) {
						t.Fatalf("lockoutDurationSeconds = %v, want 3600", set["lockoutDurationSeconds"])
					}
					want := map[string][2]bool{"client_trust": {c.clientTrust, false}, "lockout_10_attempts": {c.lockout == 10, false}}
					for k, w := range want {
						if ups[k] != w {
							t.Errorf("update %s: [enabled explicit] = %v, want %v", k, ups[k], w)
						}
					}
				})
			}
		}
		t.Run("the updates list names each dated update", func(t *testing.T) {
			a := s.admin(`query($id: ID!) { application(id: $id) { updates { key title description date } } }`, vars{"id": s.appID}).
				data(t)["application"].(map[string]any)["updates"].([]any)
			dates := map[string]string{}
			for _, u := range a {
				u := u.(map[string]any)
				if u["title"] == "" || u["description"] == "" {
					t.Errorf("update %v has no title or description", u["key"])
				}
				dates[u["key"].(string)] = u["date"].(string)
			}
			if !strings.HasPrefix(dates["client_trust"], "2025-11-14T00:00:00") || !strings.HasPrefix(dates["lockout_10_attempts"], "2026-07-06T00:00:00") {
				t.Fatalf("update dates = %v", dates)
			}
		})
		t.Run("a future creation date is refused", func(t *testing.T) {
			r := s.admin(`mutation($at: Time) { createApplication(input: {name: "Later", createdAt: $at}) { id } }`, vars{"at": s.clock.Now().Add(time.Hour)})
			if r.code(t) != "form_param_format_invalid" || r.ext(t)["paramName"] != "createdAt" {
				t.Fatalf("got %v", r.Errors)
			}
		})
	})
}

func TestAdminAppUpdatesOptInOut(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	old := s.createApp(t, "Old", time.Date(2025, 11, 13, 12, 0, 0, 0, time.UTC)).id
	young := s.createApp(t, "Young", time.Date(2026, 7, 6, 0, 0, 0, 0, time.UTC)).id
	setUpdate := func(t *testing.T, app, key string, enabled any) result {
		t.Helper()
		return s.admin(`mutation($id: ID!, $k: String!, $e: Boolean) { setAppUpdate(applicationId: $id, key: $k, enabled: $e) { id } }`,
			vars{"id": app, "k": key, "e": enabled})
	}

	t.Run("opting an old application into Client Trust turns it on, explicitly", func(t *testing.T) {
		setUpdate(t, old, "client_trust", true).data(t)
		set, ups := s.appSettings(t, old)
		if set["clientTrustEnabled"] != true || ups["client_trust"] != [2]bool{true, true} {
			t.Fatalf("clientTrustEnabled %v, update %v", set["clientTrustEnabled"], ups["client_trust"])
		}
	})
	t.Run("opting in clears the admin's explicit values of the update's fields", func(t *testing.T) {
		s.admin(`mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {lockoutMaxAttempts: 50}) { lockoutMaxAttempts } }`, vars{"id": old}).data(t)
		if set, _ := s.appSettings(t, old); set["lockoutMaxAttempts"] != float64(50) {
			t.Fatalf("lockoutMaxAttempts = %v, want 50", set["lockoutMaxAttempts"])
		}
		setUpdate(t, old, "lockout_10_attempts", true).data(t)
		if set, _ := s.appSettings(t, old); set["lockoutMaxAttempts"] != float64(10) {
			t.Fatalf("lockoutMaxAttempts after opting in = %v, want 10", set["lockoutMaxAttempts"])
		}
	})
	t.Run("opting a new application out restores the older default", func(t *testing.T) {
		setUpdate(t, young, "lockout_10_attempts", false).data(t)
		set, ups := s.appSettings(t, young)
		if set["lockoutMaxAttempts"] != float64(100) || ups["lockout_10_attempts"] != [2]bool{false, true} {
			t.Fatalf("lockoutMaxAttempts %v, update %v", set["lockoutMaxAttempts"], ups["lockout_10_attempts"])
		}
		// The audit entry names the settings the choice changed, not only the choice.
		ev := s.admin(`query($id: ID) { auditEvents(applicationId: $id, first: 1) { edges { node { before after } } } }`,
			vars{"id": young}).data(t)["auditEvents"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
		var before, after map[string]any
		if err := json.Unmarshal([]byte(ev["before"].(string)), &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(ev["after"].(string)), &after); err != nil {
			t.Fatal(err)
		}
		if before["lockoutMaxAttempts"] != float64(10) || after["lockoutMaxAttempts"] != float64(100) ||
			before["lockout_10_attempts"] != true || after["lockout_10_attempts"] != false {
			t.Fatalf("audit before %v after %v, want lockoutMaxAttempts 10 → 100 and the choice true → false", before, after)
		}
	})
	t.Run("null goes back to the creation-date default", func(t *testing.T) {
		setUpdate(t, young, "lockout_10_attempts", nil).data(t)
		set, ups := s.appSettings(t, young)
		if set["lockoutMaxAttempts"] != float64(10) || ups["lockout_10_attempts"] != [2]bool{true, false} {
			t.Fatalf("lockoutMaxAttempts %v, update %v", set["lockoutMaxAttempts"], ups["lockout_10_attempts"])
		}
	})
	t.Run("other settings survive an opt-in", func(t *testing.T) {
		s.admin(`mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {codeTtlSeconds: 300}) { codeTtlSeconds } }`, vars{"id": young}).data(t)
		setUpdate(t, young, "client_trust", true).data(t)
		if set, _ := s.appSettings(t, young); set["codeTtlSeconds"] != float64(300) {
			t.Fatalf("codeTtlSeconds = %v, want 300", set["codeTtlSeconds"])
		}
	})
	t.Run("an unknown update is a parameter error", func(t *testing.T) {
		r := setUpdate(t, young, "no_such_update", true)
		if r.code(t) != "form_param_format_invalid" || r.ext(t)["paramName"] != "key" {
			t.Fatalf("got %v", r.Errors)
		}
	})
	t.Run("each choice is audited", func(t *testing.T) {
		ev := s.admin(`query($id: ID) { auditEvents(applicationId: $id, first: 1) { edges { node { action targetType targetId before after } } } }`,
			vars{"id": young}).data(t)["auditEvents"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
		if ev["action"] != "settings:update" || ev["targetType"] != "application_update" || ev["targetId"] != "client_trust" {
			t.Fatalf("newest audit event = %v", ev)
		}
	})
}

func TestAdminSettingsValidation(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	update := func(in vars) result {
		return s.admin(`mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { `+appSettingsFields+` } }`,
			vars{"id": s.appID, "in": in})
	}
	before, _ := s.appSettings(t, s.appID)
	for _, c := range []struct {
		name  string
		in    vars
		param string
	}{
		{"backup codes need another second factor", vars{"secondFactors": []string{"backup_code"}}, "secondFactors"},
		{"an unknown second factor", vars{"secondFactors": []string{"totp", "sms_link"}}, "secondFactors"},
		{"phone_code as a first factor needs phone enabled", vars{"phoneEnabled": false}, "firstFactors"},
		{"phone_code as a second factor needs phone enabled",
			vars{"phoneEnabled": false, "firstFactors": []string{"password", "email_code"}, "secondFactors": []string{"totp", "phone_code"}}, "secondFactors"},
		{"the Client Trust fallback to phone needs phone enabled",
			vars{"emailEnabled": false, "phoneEnabled": false, "usernameEnabled": true, "firstFactors": []string{"password"},
				"secondFactors": []string{"totp"}, "clientTrustEnabled": true}, "clientTrustEnabled"},
		{"some identifier stays enabled", vars{"emailEnabled": false, "phoneEnabled": false, "usernameEnabled": false}, "emailEnabled"},
		{"the password factor and passwordEnabled agree", vars{"passwordEnabled": false}, "passwordEnabled"},
		{"no first factor at all", vars{"firstFactors": []string{}}, "firstFactors"},
		{"enumeration protection with usernames needs passwords",
			vars{"enumerationProtection": true, "usernameEnabled": true, "passwordEnabled": false, "phoneEnabled": false,
				"secondFactors": []string{"totp"}, "firstFactors": []string{"email_code"}}, "enumerationProtection"},
		{"without passwords each identifier needs its own code",
			vars{"passwordEnabled": false, "phoneEnabled": true, "firstFactors": []string{"email_code"}}, "firstFactors"},
		{"lockout threshold too low", vars{"lockoutMaxAttempts": 2}, "lockoutMaxAttempts"},
		{"lockout duration too short", vars{"lockoutDurationSeconds": 5}, "lockoutDurationSeconds"},
		{"code lifetime too long", vars{"codeTtlSeconds": 86400}, "codeTtlSeconds"},
		{"code lifetime over NIST's 10 minutes", vars{"codeTtlSeconds": 601}, "codeTtlSeconds"},
		{"retention of zero days", vars{"eventRetentionDays": 0}, "eventRetentionDays"},
		{"an origin with a path", vars{"allowedOrigins": []string{"https://app.example.com/login"}}, "allowedOrigins"},
		{"null where null means nothing", vars{"lockoutMaxAttempts": nil}, "lockoutMaxAttempts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := update(c.in)
			if got := r.code(t); got != "form_param_format_invalid" || r.ext(t)["paramName"] != c.param {
				t.Fatalf("code %s paramName %v, want form_param_format_invalid on %s", got, r.ext(t)["paramName"], c.param)
			}
		})
	}
	t.Run("a refused update changes nothing", func(t *testing.T) {
		after, _ := s.appSettings(t, s.appID)
		for k, v := range before {
			if adminJSON(v) != adminJSON(after[k]) {
				t.Errorf("%s changed from %v to %v", k, v, after[k])
			}
		}
	})
	t.Run("lockoutDurationSeconds: null locks until an admin unlocks", func(t *testing.T) {
		set := update(vars{"lockoutDurationSeconds": nil}).data(t)["updateAppSettings"].(map[string]any)
		if v, ok := set["lockoutDurationSeconds"]; !ok || v != nil {
			t.Fatalf("lockoutDurationSeconds = %v, want null", v)
		}
		if got, _ := s.appSettings(t, s.appID); got["lockoutDurationSeconds"] != nil {
			t.Fatalf("stored lockoutDurationSeconds = %v, want null", got["lockoutDurationSeconds"])
		}
	})
	t.Run("a valid update returns the new settings", func(t *testing.T) {
		set := update(vars{"secondFactors": []string{"totp", "backup_code"}, "eventRetentionDays": 30, "lockoutDurationSeconds": 900,
			"allowedOrigins": []string{"https://app.example.com"}}).data(t)["updateAppSettings"].(map[string]any)
		if set["eventRetentionDays"] != float64(30) || set["lockoutDurationSeconds"] != float64(900) || len(set["secondFactors"].([]any)) != 2 {
			t.Fatalf("settings = %v", set)
		}
	})
}

// TestConcurrentSettingsPatchesBothApply: two admins change different
// settings of one application at the same moment; both changes stay (a
// read-modify-write without a row lock lost one on PostgreSQL).
func TestConcurrentSettingsPatchesBothApply(t *testing.T) {
	forEachDB(t, func(t *testing.T, dbURL string) {
		s := mustStart(t, dbURL)
		const q = `mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { codeTtlSeconds } }`
		for round := range 10 {
			ttl, retention := 300+round, 30+round
			var wg sync.WaitGroup
			for _, in := range []vars{{"codeTtlSeconds": ttl}, {"eventRetentionDays": retention}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if r := s.admin(q, vars{"id": s.appID, "in": in}); len(r.Errors) > 0 {
						t.Errorf("patch %v: %v", in, r.Errors)
					}
				}()
			}
			wg.Wait()
			got := s.admin(`query($id: ID!) { application(id: $id) { settings { codeTtlSeconds eventRetentionDays } } }`, vars{"id": s.appID}).
				data(t)["application"].(map[string]any)["settings"].(map[string]any)
			if got["codeTtlSeconds"] != float64(ttl) || got["eventRetentionDays"] != float64(retention) {
				t.Fatalf("round %d: settings %v, want codeTtlSeconds %d and eventRetentionDays %d", round, got, ttl, retention)
			}
		}
	})
}

// TestUpdateChoiceAuditsClearedValues: opting out of a dated update clears
// the admin's explicit value of its field; the audit entry names that value
// even when the effective setting ends up the same.
func TestUpdateChoiceAuditsClearedValues(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	s.admin(`mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {lockoutMaxAttempts: 100}) { lockoutMaxAttempts } }`, vars{"id": s.appID}).data(t)
	s.admin(`mutation($id: ID!) { setAppUpdate(applicationId: $id, key: "lockout_10_attempts", enabled: false) { id } }`, vars{"id": s.appID}).data(t)
	ev := s.admin(`query($id: ID) { auditEvents(applicationId: $id, first: 1) { edges { node { before after } } } }`,
		vars{"id": s.appID}).data(t)["auditEvents"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
	var before, after map[string]any
	if err := json.Unmarshal([]byte(ev["before"].(string)), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(ev["after"].(string)), &after); err != nil {
		t.Fatal(err)
	}
	if before["lockoutMaxAttempts"] != float64(100) || after["lockoutMaxAttempts"] != float64(100) {
		t.Fatalf("audit before %v after %v, want the cleared explicit lockoutMaxAttempts 100 named", before, after)
	}
}

// TestSettingsInputAsGraphQLCoercesIt: updateAppSettings takes its input as
// GraphQL coerces it: one value where a list is expected is a list of that
// value, and an Int variable sent as a JSON string of digits is that
// number. Both answered internal_error, the raw input being decoded again
// beside the coerced one. An empty list still clears a list.
func TestSettingsInputAsGraphQLCoercesIt(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	set := s.admin(`mutation($id: ID!) { updateAppSettings(applicationId: $id, input: {secondFactors: "totp", allowedOrigins: "https://app.example.com"}) { secondFactors allowedOrigins } }`,
		vars{"id": s.appID}).data(t)["updateAppSettings"].(map[string]any)
	if adminJSON(set["secondFactors"]) != `["totp"]` || adminJSON(set["allowedOrigins"]) != `["https://app.example.com"]` {
		t.Fatalf("settings %v, want secondFactors [totp] and allowedOrigins [https://app.example.com]", set)
	}
	set = s.admin(`mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { codeTtlSeconds allowedOrigins } }`,
		vars{"id": s.appID, "in": vars{"codeTtlSeconds": "300", "allowedOrigins": []string{}}}).data(t)["updateAppSettings"].(map[string]any)
	if set["codeTtlSeconds"] != float64(300) || adminJSON(set["allowedOrigins"]) != `[]` {
		t.Fatalf("settings %v, want codeTtlSeconds 300 and no allowedOrigins", set)
	}
	got, _ := s.appSettings(t, s.appID)
	if got["codeTtlSeconds"] != float64(300) || adminJSON(got["secondFactors"]) != `["totp"]` || adminJSON(got["allowedOrigins"]) != `[]` {
		t.Fatalf("stored settings %v", got)
	}
}

// TestSettingsFieldOfAnUnsentVariableIsAbsent: an input field bound to a
// variable the request does not send is absent, as GraphQL's input coercion
// says, not an explicit null: lockoutDurationSeconds: $d without $d leaves
// the lockout duration as it was, instead of making locks last until an
// admin unlocks.
func TestSettingsFieldOfAnUnsentVariableIsAbsent(t *testing.T) {
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db")
	before, _ := s.appSettings(t, s.appID)
	if before["lockoutDurationSeconds"] == nil {
		t.Fatal("the test application's lockout already lasts until an admin unlocks")
	}
	const q = `mutation($id: ID!, $d: Int, $n: Int) { updateAppSettings(applicationId: $id, input: {lockoutDurationSeconds: $d, lockoutMaxAttempts: $n}) { lockoutDurationSeconds lockoutMaxAttempts } }`
	set := s.admin(q, vars{"id": s.appID, "n": 7}).data(t)["updateAppSettings"].(map[string]any)
	if set["lockoutDurationSeconds"] != before["lockoutDurationSeconds"] || set["lockoutMaxAttempts"] != float64(7) {
		t.Fatalf("settings %v, want lockoutDurationSeconds %v kept and lockoutMaxAttempts 7", set, before["lockoutDurationSeconds"])
	}
	// A variable sent as null is an explicit null.
	set = s.admin(q, vars{"id": s.appID, "d": nil}).data(t)["updateAppSettings"].(map[string]any)
	if set["lockoutDurationSeconds"] != nil || set["lockoutMaxAttempts"] != float64(7) {
		t.Fatalf("settings %v, want lockoutDurationSeconds null (sent as null) and lockoutMaxAttempts 7 kept", set)
	}
	// No field sent at all is no change to make.
	if r := s.admin(q, vars{"id": s.appID}); r.code(t) != "form_param_missing" {
		t.Fatalf("nothing sent: code %q, want form_param_missing", r.code(t))
	}
}
