package verification

import (
	"context"
	"time"
)

// SendFloor holds back the answer of a code send until Min has passed since
// the request began. With enumeration protection, a sign-in prepare for an
// identifier that names nobody sends nothing (a decoy), and a sign-up
// prepare for a taken address sends a notice where a free one gets a code;
// padding every such answer to the same floor keeps the time from telling
// them apart. The floor is fixed, not learned from recent sends: what a
// replica learned would change with each real send and tell of it in turn.
// A send slower than the floor still shows, so operators set it above their
// gateway's usual time (TRUSTGATE_CODE_SEND_FLOOR).
type SendFloor struct {
	Min time.Duration
	Now func() time.Time
	// Sleep waits d (nil: a timer that the request's end cuts short);
	// tests replace it to record the waits.
	Sleep func(ctx context.Context, d time.Duration)
}

// Pad waits for what is left of the floor after a send that began at
// start. A nil floor waits for nothing.
func (f *SendFloor) Pad(ctx context.Context, start time.Time) {
	if f == nil {
		return
	}
	wait := f.Min - f.Now().Sub(start)
	if wait <= 0 {
		return
	}
	if f.Sleep != nil {
		f.Sleep(ctx, wait)
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
