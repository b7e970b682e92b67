package factor

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// limiter is a counting semaphore with a bounded, time-limited wait queue.
type limiter struct {
	slots    chan struct{}
	maxQueue int
	wait     time.Duration

	mu     sync.Mutex
	queued int

	running  atomic.Int64
	rejected atomic.Uint64
	timedOut atomic.Uint64
	canceled atomic.Uint64
}

func newLimiter(maxConcurrent, maxQueue int, wait time.Duration) *limiter {
	return &limiter{slots: make(chan struct{}, maxConcurrent), maxQueue: maxQueue, wait: wait}
}

func (l *limiter) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("factor: password hashing not started: %w", err)
	}
	select {
	case l.slots <- struct{}{}:
		l.running.Add(1)
		return nil
	default:
	}
	l.mu.Lock()
	if l.queued >= l.maxQueue {
		l.mu.Unlock()
		l.rejected.Add(1)
		return fmt.Errorf("%w: all %d slots busy and %d callers already waiting", ErrBusy, cap(l.slots), l.maxQueue)
	}
	l.queued++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.queued--
		l.mu.Unlock()
	}()

	// Blocked senders on a buffered channel are served before newcomers'
	// non-blocking sends, so queued callers are not starved.
	timer := time.NewTimer(l.wait)
	defer timer.Stop()
	select {
	case l.slots <- struct{}{}:
		l.running.Add(1)
		return nil
	case <-ctx.Done():
		l.canceled.Add(1)
		return fmt.Errorf("factor: gave up waiting for a password hashing slot: %w", context.Cause(ctx))
	case <-timer.C:
		l.timedOut.Add(1)
		return fmt.Errorf("%w: no slot free within %s", ErrBusy, l.wait)
	}
}

func (l *limiter) release() {
	l.running.Add(-1)
	<-l.slots
}

func (l *limiter) stats() HasherStats {
	l.mu.Lock()
	queued := l.queued
	l.mu.Unlock()
	return HasherStats{
		Running:  int(l.running.Load()),
		Queued:   queued,
		Rejected: l.rejected.Load(),
		TimedOut: l.timedOut.Load(),
		Canceled: l.canceled.Load(),
	}
}
