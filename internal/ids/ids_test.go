package ids

import (
	"sort"
	"sync"
	"testing"
	"time"
)

func TestIDs(t *testing.T) {
	t.Run("ids carry their prefix and are well formed", func(t *testing.T) {
		id := New("user")
		if !HasPrefix(id, "user") {
			t.Fatalf("HasPrefix(%q, user) = false", id)
		}
		if HasPrefix(id, "sess") {
			t.Fatalf("HasPrefix(%q, sess) = true", id)
		}
		if got := Prefix(id); got != "user" {
			t.Fatalf("Prefix(%q) = %q, want user", id, got)
		}
	})
	t.Run("ids sort by creation time", func(t *testing.T) {
		base := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
		var got []string
		for i := 0; i < 50; i++ {
			got = append(got, At("sie", base.Add(time.Duration(i)*time.Millisecond)))
		}
		if !sort.StringsAreSorted(got) {
			t.Fatalf("ids minted in time order are not sorted: %v", got)
		}
	})
	t.Run("ids from New rise in minting order while other goroutines mint too", func(t *testing.T) {
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Go(func() {
				prev := New("sie")
				for i := 0; i < 40000; i++ {
					id := New("sie")
					if id <= prev {
						t.Errorf("goroutine %d: %s minted after %s sorts before it", g, id, prev)
						return
					}
					prev = id
				}
			})
		}
		wg.Wait()
	})
	t.Run("dated ids do not disturb the order of New's", func(t *testing.T) {
		first := New("sie")
		At("sie", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
		if second := New("sie"); second <= first {
			t.Fatalf("%s minted after %s (with a dated id between) sorts before it", second, first)
		}
	})
	t.Run("ids minted in the same millisecond sort in minting order", func(t *testing.T) {
		now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
		var got []string
		for i := 0; i < 1000; i++ {
			got = append(got, At("sie", now))
		}
		if !sort.StringsAreSorted(got) {
			t.Fatal("ids of one millisecond are not in minting order")
		}
	})
	t.Run("ids are unique", func(t *testing.T) {
		seen := map[string]bool{}
		now := time.Now()
		for i := 0; i < 10000; i++ {
			id := At("x", now)
			if seen[id] {
				t.Fatalf("duplicate id %q", id)
			}
			seen[id] = true
		}
	})
	t.Run("malformed ids are rejected", func(t *testing.T) {
		for _, id := range []string{"", "user", "user_", "user_0123", "user_0123456789abcdefghjkmnpqrI"} {
			if HasPrefix(id, "user") {
				t.Errorf("HasPrefix(%q) = true, want false", id)
			}
		}
	})
}
