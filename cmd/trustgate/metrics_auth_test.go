package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsToken: with TRUSTGATE_METRICS_TOKEN set, GET /metrics answers
// only a scrape that sends it as a bearer token (401 authentication_invalid
// with a Bearer challenge otherwise); /healthz and /readyz stay open to the
// load balancer. Without it, /metrics answers anyone (the documented
// default, for a monitoring network).
func TestMetricsToken(t *testing.T) {
	const token = "scrape-0123456789abcdefghijklmnopqrstuv"
	s := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes, func(c *Config) { c.MetricsToken = token })
	get := func(path, auth string) (int, string, http.Header) {
		t.Helper()
		h := map[string]string{}
		if auth != "" {
			h["Authorization"] = auth
		}
		resp := s.getWith(t, path, h)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header
	}
	for _, auth := range []string{"", "Bearer wrong", "Bearer " + token[:len(token)-1], "Basic " + token, token, "Bearer " + token + "x"} {
		status, body, h := get("/metrics", auth)
		if status != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", auth, status)
			continue
		}
		if c := h.Get("WWW-Authenticate"); !strings.HasPrefix(c, "Bearer ") {
			t.Errorf("Authorization %q: WWW-Authenticate %q, want a Bearer challenge", auth, c)
		}
		var r struct {
			Errors []struct {
				Extensions struct{ Code string } `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "authentication_invalid" {
			t.Errorf("Authorization %q: body %s, want one authentication_invalid error", auth, body)
		}
		if strings.Contains(body, "trustgate_") || strings.Contains(body, token) {
			t.Errorf("Authorization %q: the refusal shows metrics or the token: %s", auth, body)
		}
	}
	for _, auth := range []string{"Bearer " + token, "bearer " + token} {
		if status, body, _ := get("/metrics", auth); status != http.StatusOK || !strings.Contains(body, "trustgate_http_requests_total") {
			t.Errorf("Authorization %q: status %d, want 200 with the metrics", auth, status)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if status, _, _ := get(path, ""); status != http.StatusOK {
			t.Errorf("%s without credentials: status %d, want 200", path, status)
		}
	}
	if strings.Contains(s.logText(), token) {
		t.Error("the log holds the metrics token")
	}

	open := mustStart(t, "sqlite://"+t.TempDir()+"/tg.db", cheapHashes)
	resp := open.getWith(t, "/metrics", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("without a token configured: status %d, want 200", resp.StatusCode)
	}
}
