package settings

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkOriginAllowed checks a cross-origin request's Origin against the
// allowedOrigins of settings loaded as the server loads them (Effective),
// as every CORS request does: a few entries, and the most an application
// may list, with the origin last (or absent).
func BenchmarkOriginAllowed(b *testing.B) {
	for _, n := range []int{3, MaxAllowedOrigins} {
		list := make([]string, n)
		for i := range list {
			list[i] = fmt.Sprintf("https://app%d.example.com", i)
		}
		raw, _ := json.Marshal(list)
		s, err := Effective(day("2026-08-01"), nil, map[string]json.RawMessage{"allowedOrigins": raw})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%d/listed", n), func(b *testing.B) {
			for b.Loop() {
				if !s.OriginAllowed(list[n-1]) {
					b.Fatal("not allowed")
				}
			}
		})
		b.Run(fmt.Sprintf("%d/unlisted", n), func(b *testing.B) {
			for b.Loop() {
				if s.OriginAllowed("https://evil.example.net") {
					b.Fatal("allowed")
				}
			}
		})
	}
}

// TestOriginAllowed: settings loaded by Effective (whose normalised origins
// are kept) answer as settings built by hand, for canonical entries and for
// entries stored before entries were checked, and a list replaced after
// loading is the one consulted.
func TestOriginAllowed(t *testing.T) {
	stored := []string{"https://app.example.com", "HTTPS://Legacy.Example.com:443/", "http://[::1]:3000", "not an origin/"}
	raw, _ := json.Marshal(stored)
	loaded, err := Effective(day("2026-08-01"), nil, map[string]json.RawMessage{"allowedOrigins": raw})
	if err != nil {
		t.Fatal(err)
	}
	byHand := Defaults(day("2026-08-01"), nil)
	byHand.AllowedOrigins = stored
	for origin, want := range map[string]bool{
		"https://app.example.com": true, "https://APP.example.com:443": true, "https://legacy.example.com": true,
		"http://[0:0::1]:3000": true, "not an origin": true, "https://evil.example.net": false,
		"http://app.example.com": false, "": false,
	} {
		for name, s := range map[string]*Settings{"loaded": &loaded, "by hand": &byHand} {
			for range 2 { // the memo's first use and a later one
				if got := s.OriginAllowed(origin); got != want {
					t.Errorf("%s: OriginAllowed(%q) = %v, want %v", name, origin, got, want)
				}
			}
		}
	}
	copied := loaded
	copied.AllowedOrigins = []string{"https://other.example.com"}
	if copied.OriginAllowed("https://app.example.com") || !copied.OriginAllowed("https://other.example.com") {
		t.Error("a copy with another list answered from the loaded one's")
	}
	if !loaded.OriginAllowed("https://app.example.com") {
		t.Error("the loaded settings lost their list")
	}
}
