package verification

import (
	"context"
	"testing"
	"time"

	"github.com/trustgate/trustgate/internal/delivery"
)

func TestPace(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var waits []time.Duration
	p := &Pace{Clock: func() time.Time { return now }, Sleep: func(_ context.Context, d time.Duration) { waits = append(waits, d) }}
	ctx := context.Background()

	var none *Pace
	none.observe(delivery.ChannelEmail, time.Second)
	none.Match(ctx, delivery.ChannelEmail, now) // a nil Pace does nothing

	p.Match(ctx, delivery.ChannelEmail, now)
	if len(waits) != 0 {
		t.Fatalf("with nothing observed a decoy waited %v", waits)
	}

	// A decoy waits for what is left of a delivery drawn from the recent ones.
	p.observe(delivery.ChannelEmail, 300*time.Millisecond)
	p.observe(delivery.ChannelEmail, 500*time.Millisecond)
	seen := map[time.Duration]bool{}
	for range 200 {
		waits = nil
		p.Match(ctx, delivery.ChannelEmail, now.Add(-100*time.Millisecond))
		if len(waits) != 1 {
			t.Fatalf("waits = %v, want one", waits)
		}
		seen[waits[0]] = true
	}
	if len(seen) != 2 || !seen[200*time.Millisecond] || !seen[400*time.Millisecond] {
		t.Fatalf("waited %v, want 200ms and 400ms (the two deliveries less the 100ms taken)", seen)
	}

	// A decoy that already took longer does not wait; channels are apart.
	waits = nil
	p.Match(ctx, delivery.ChannelEmail, now.Add(-time.Second))
	p.Match(ctx, delivery.ChannelSMS, now)
	if len(waits) != 0 {
		t.Fatalf("waited %v, want nothing", waits)
	}

	// Only the last paceSamples deliveries count.
	for range paceSamples {
		p.observe(delivery.ChannelEmail, 2*time.Second)
	}
	for range 50 {
		waits = nil
		p.Match(ctx, delivery.ChannelEmail, now)
		if len(waits) != 1 || waits[0] != 2*time.Second {
			t.Fatalf("waits = %v, want [2s]: older deliveries still count", waits)
		}
	}
}
