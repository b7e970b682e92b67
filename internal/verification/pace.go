package verification

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/trustgate/trustgate/internal/delivery"
)

// paceSamples is how many recent deliveries per channel a Pace remembers.
const paceSamples = 32

// A Pace makes a decoy take as long as a real delivery. A code sent through
// SMTP or the SMS hook keeps the request waiting for the mail server or the
// gateway, while a decoy (Codes.Decoy: enumeration protection's answer for an
// identifier that names nobody) sends nothing; without a Pace the answer's
// time would tell the two apart. It remembers how long recent successful
// deliveries took, per channel, from the start of Deliver to its end, and a
// decoy waits until it has taken as long as one of them drawn at random, so
// that the two kinds of answer share one distribution of times. Before any
// delivery on a channel, decoys do not wait. The zero value is ready to use;
// a nil Pace does nothing.
type Pace struct {
	// Clock and Sleep default to the real clock; tests replace them.
	Clock func() time.Time
	Sleep func(ctx context.Context, d time.Duration)

	mu     sync.Mutex
	recent map[delivery.Channel][]time.Duration
	next   map[delivery.Channel]int
}

// Now is the time on p's clock, for a decoy's start.
func (p *Pace) Now() time.Time {
	if p == nil || p.Clock == nil {
		return time.Now()
	}
	return p.Clock()
}

// observe remembers that a delivery on ch took d.
func (p *Pace) observe(ch delivery.Channel, d time.Duration) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.recent == nil {
		p.recent, p.next = map[delivery.Channel][]time.Duration{}, map[delivery.Channel]int{}
	}
	if r := p.recent[ch]; len(r) < paceSamples {
		p.recent[ch] = append(r, d)
		return
	}
	p.recent[ch][p.next[ch]] = d
	p.next[ch] = (p.next[ch] + 1) % paceSamples
}

// Match waits until a decoy on ch that started at start has taken as long
// as a recent delivery on ch, drawn at random.
func (p *Pace) Match(ctx context.Context, ch delivery.Channel, start time.Time) {
	if p == nil {
		return
	}
	p.mu.Lock()
	r := p.recent[ch]
	var target time.Duration
	if len(r) > 0 {
		target = r[rand.IntN(len(r))]
	}
	p.mu.Unlock()
	wait := target - p.Now().Sub(start)
	if wait <= 0 {
		return
	}
	if p.Sleep != nil {
		p.Sleep(ctx, wait)
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
