package factor

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trustgate/trustgate/internal/apierr"
)

// priorityKey marks a context whose password hash should jump the queue.
type priorityKey struct{}

// WithPriority marks ctx so its hash is served before ordinary waiters. The
// sign-in engine uses it for password attempts from a client the user already
// trusts: during a hash flood from new devices, known devices still get in.
// Priority waiters have their own bounded queue, so they cannot be crowded out.
func WithPriority(ctx context.Context) context.Context {
	return context.WithValue(ctx, priorityKey{}, true)
}

func hasPriority(ctx context.Context) bool {
	p, _ := ctx.Value(priorityKey{}).(bool)
	return p
}

// limiter is a counting semaphore with two bounded, time-limited FIFO wait
// queues. A freed slot is handed straight to the first priority waiter, else
// to the first ordinary waiter, so a newcomer never overtakes anyone waiting.
// A caller may need several slots at once (acquireN: a hash that costs
// several slots' memory); the first waiter then waits until that many are
// free, and those behind it wait too, so that it is not starved.
//
// A newcomer is refused at once when the queue is full (maxQueue), or when,
// at the pace slots have lately been given back (hold), the waiters ahead of
// it would keep it waiting longer than wait: it would fail after waiting
// anyway. So a burst of sign-ins that the slots serve within wait queues
// (with 2 slots and 30 ms hashes, about 130 callers within 2 s) instead of
// being refused, and a flood beyond that is refused without a wait. Only
// running hashes hold memory; a waiter holds none.
type limiter struct {
	maxConcurrent int
	maxQueue      int
	wait          time.Duration

	mu       sync.Mutex
	free     int
	priority []*waiter
	ordinary []*waiter
	// hold is a moving average of how long a caller holds a slot, zero
	// until the first is given back (observe).
	hold time.Duration

	running  atomic.Int64
	done     atomic.Uint64
	rejected atomic.Uint64
	timedOut atomic.Uint64
	canceled atomic.Uint64
}

// waiter is a queued caller: granted is closed once it holds need slots.
type waiter struct {
	granted chan struct{}
	need    int
}

func newLimiter(maxConcurrent, maxQueue int, wait time.Duration) *limiter {
	return &limiter{maxConcurrent: maxConcurrent, maxQueue: maxQueue, wait: wait, free: maxConcurrent}
}

// acquire takes one slot.
func (l *limiter) acquire(ctx context.Context) error { return l.acquireN(ctx, 1) }

// acquireN takes n slots at once (at most maxConcurrent; more counts as
// maxConcurrent). Give them back with releaseN(n).
func (l *limiter) acquireN(ctx context.Context, n int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("factor: password hashing not started: %w", err)
	}
	n = max(1, min(n, l.maxConcurrent))
	prio := hasPriority(ctx)
	l.mu.Lock()
	if l.free >= n && len(l.priority) == 0 && len(l.ordinary) == 0 {
		l.free -= n
		l.mu.Unlock()
		l.running.Add(1)
		return nil
	}
	queue := &l.ordinary
	if prio {
		queue = &l.priority
	}
	if len(*queue) >= l.maxQueue {
		l.mu.Unlock()
		l.rejected.Add(1)
		return busy(fmt.Errorf("%w: all %d slots busy and %d callers already waiting", ErrBusy, l.maxConcurrent, l.maxQueue))
	}
	// The slots those ahead need (priority waiters are served first), at
	// the pace slots come back, is how long this caller would wait.
	ahead, slots := len(l.priority), needs(l.priority)
	if !prio {
		ahead, slots = ahead+len(l.ordinary), slots+needs(l.ordinary)
	}
	if expected := time.Duration(slots+n) * l.hold / time.Duration(l.maxConcurrent); expected > l.wait {
		l.mu.Unlock()
		l.rejected.Add(1)
		return busy(fmt.Errorf("%w: %d callers waiting ahead would take about %s, more than %s", ErrBusy, ahead, expected.Round(time.Millisecond), l.wait))
	}
	w := &waiter{granted: make(chan struct{}), need: n}
	*queue = append(*queue, w)
	// Slots may be free while an ordinary waiter that needs more waits:
	// a priority waiter that fits goes first.
	l.grant()
	l.mu.Unlock()

	timer := time.NewTimer(l.wait)
	defer timer.Stop()
	var giveUp error
	select {
	case <-w.granted:
		l.running.Add(1)
		return nil
	case <-ctx.Done():
		giveUp = fmt.Errorf("factor: gave up waiting for a password hashing slot: %w", context.Cause(ctx))
	case <-timer.C:
		giveUp = busy(fmt.Errorf("%w: no slot free within %s", ErrBusy, l.wait))
	}
	l.mu.Lock()
	if remove(queue, w) {
		// Those behind a waiter that needed more slots than were free
		// may fit now.
		l.grant()
		l.mu.Unlock()
		if ctx.Err() != nil {
			l.canceled.Add(1)
		} else {
			l.timedOut.Add(1)
		}
		return giveUp
	}
	l.mu.Unlock()
	// The slot was handed over just as we gave up: take it after all.
	l.running.Add(1)
	return nil
}

// needs is how many slots the waiters of queue need in all.
func needs(queue []*waiter) int {
	n := 0
	for _, w := range queue {
		n += w.need
	}
	return n
}

// remove deletes w from the queue and reports whether it was still there.
func remove(queue *[]*waiter, w *waiter) bool {
	for i, c := range *queue {
		if c == w {
			*queue = append((*queue)[:i], (*queue)[i+1:]...)
			return true
		}
	}
	return false
}

// observe adds d, how long a caller held a slot, to the moving average
// acquire paces the queue by. Each new hold weighs an eighth, so a machine
// that slows down (or a cost raised by a new TRUSTGATE_ARGON2_* setting) is
// seen within a few dozen hashes.
func (l *limiter) observe(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hold == 0 {
		l.hold = d
		return
	}
	l.hold += (d - l.hold) / 8
}

// releaseTimed gives back n slots taken at start and observes how long
// they were held.
func (l *limiter) releaseTimed(start time.Time, n int) {
	l.observe(time.Since(start))
	l.releaseN(n)
}

// release gives back one slot.
func (l *limiter) release() { l.releaseN(1) }

// releaseN gives back the n slots of one acquireN(n).
func (l *limiter) releaseN(n int) {
	l.running.Add(-1)
	l.done.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.free += max(1, min(n, l.maxConcurrent))
	l.grant()
}

// grant hands free slots to the waiters in order, priority first, while
// the first of them fits; l.mu is held.
func (l *limiter) grant() {
	for {
		q := &l.priority
		if len(*q) == 0 {
			q = &l.ordinary
		}
		if len(*q) == 0 || (*q)[0].need > l.free {
			return
		}
		next := (*q)[0]
		*q = (*q)[1:]
		l.free -= next.need
		close(next.granted)
	}
}

func (l *limiter) stats() HasherStats {
	l.mu.Lock()
	queued := len(l.priority) + len(l.ordinary)
	hold := l.hold
	l.mu.Unlock()
	return HasherStats{
		Running:  int(l.running.Load()),
		Done:     l.done.Load(),
		Queued:   queued,
		Hold:     hold,
		Rejected: l.rejected.Load(),
		TimedOut: l.timedOut.Load(),
		Canceled: l.canceled.Load(),
	}
}

// busy makes an ErrBusy error the client-facing too_many_requests it is
// reported as (retry after a second), wherever a hash is refused: sign-in,
// sign-up, password change. errors.Is(err, ErrBusy) still holds.
func busy(err error) error {
	return apierr.New(apierr.TooManyRequests).WithMeta("retryAfterSeconds", 1).Wrap(err)
}
