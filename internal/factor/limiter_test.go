package factor

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/trustgate/trustgate/internal/apierr"
)

var poolTestParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func mustHasher(t *testing.T, cfg HasherConfig) *Hasher {
	t.Helper()
	h, err := NewHasher(cfg)
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	return h
}

// These tests run in a synctest bubble: time is fake and advances only when
// every goroutine is blocked, so "immediately" and "after exactly QueueWait"
// are exact.

func TestPoolRejectsCallerBeyondQueueImmediately(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := mustHasher(t, HasherConfig{Params: poolTestParams, MaxConcurrent: 1, MaxQueue: 1})
		ctx := context.Background()
		// First caller: holds the only slot.
		if err := h.limit.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		// Second caller: waits in the queue.
		secondErr := make(chan error, 1)
		go func() {
			_, err := h.Hash(ctx, "second caller")
			secondErr <- err
		}()
		synctest.Wait()
		if got := h.Stats(); got.Running != 1 || got.Queued != 1 {
			t.Fatalf("Stats = %+v, want Running 1, Queued 1", got)
		}
		// Third caller: no slot, full queue.
		start := time.Now()
		_, err := h.Hash(ctx, "third caller")
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("third Hash error = %v, want ErrBusy", err)
		}
		if e, ok := apierr.As(err); !ok || e.Code != apierr.TooManyRequests || e.Meta["retryAfterSeconds"] != 1 {
			t.Errorf("third Hash error = %#v, want too_many_requests with retryAfterSeconds 1 for every caller", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("third caller waited %v, want 0 (fail fast)", waited)
		}
		if ok, _, err := h.Verify(ctx, h.dummy, "third caller"); ok || !errors.Is(err, ErrBusy) {
			t.Errorf("third Verify = %v, %v; want false, ErrBusy", ok, err)
		}
		if got := h.Stats().Rejected; got != 2 {
			t.Errorf("Stats.Rejected = %d, want 2", got)
		}
		h.limit.release()
		if err := <-secondErr; err != nil {
			t.Errorf("queued caller error = %v, want nil once the slot is released", err)
		}
		// The slot held above and the second caller's hash count; the two
		// rejected calls ran nothing.
		if got := h.Stats(); got.Running != 0 || got.Queued != 0 || got.Done != 2 {
			t.Errorf("Stats after all done = %+v, want Running 0, Queued 0, Done 2", got)
		}
	})
}

func TestPoolQueuedCallerGivesUpWhenContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := mustHasher(t, HasherConfig{Params: poolTestParams, MaxConcurrent: 1, MaxQueue: 1})
		if err := h.limit.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, _, err := h.Verify(ctx, h.dummy, "queued")
			done <- err
		}()
		synctest.Wait()
		if got := h.Stats().Queued; got != 1 {
			t.Fatalf("Stats.Queued = %d, want 1", got)
		}
		cancel()
		err := <-done
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Verify error = %v, want context.Canceled", err)
		}
		if errors.Is(err, ErrBusy) {
			t.Errorf("Verify error = %v, want it not to be ErrBusy (the caller left, nothing was rejected)", err)
		}
		if got := h.Stats(); got.Queued != 0 || got.Canceled != 1 || got.Running != 1 {
			t.Errorf("Stats = %+v, want Queued 0, Canceled 1, Running 1", got)
		}
		h.limit.release()
	})
}

func TestPoolQueuedCallerGivesUpAfterQueueWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := mustHasher(t, HasherConfig{Params: poolTestParams, MaxConcurrent: 1, MaxQueue: 4, QueueWait: 2 * time.Second})
		if err := h.limit.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := h.Hash(context.Background(), "waits")
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("Hash error = %v, want ErrBusy", err)
		}
		if waited := time.Since(start); waited != 2*time.Second {
			t.Errorf("caller waited %v, want exactly 2s", waited)
		}
		if got := h.Stats(); got.TimedOut != 1 || got.Queued != 0 {
			t.Errorf("Stats = %+v, want TimedOut 1, Queued 0", got)
		}
		h.limit.release()
	})
}

func TestPoolWithoutQueueFailsFastWhenSlotsBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := mustHasher(t, HasherConfig{Params: poolTestParams, MaxConcurrent: 2, MaxQueue: -1})
		ctx := context.Background()
		for range 2 {
			if err := h.limit.acquire(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.Hash(ctx, "x"); !errors.Is(err, ErrBusy) {
			t.Errorf("Hash with both slots busy = %v, want ErrBusy", err)
		}
		h.limit.release()
		if _, err := h.Hash(ctx, "x"); err != nil {
			t.Errorf("Hash with a slot free = %v, want nil", err)
		}
		h.limit.release()
	})
}

func TestPoolServesQueuedCallersBeforeNewcomers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := mustHasher(t, HasherConfig{Params: poolTestParams, MaxConcurrent: 1, MaxQueue: 1})
		ctx := context.Background()
		if err := h.limit.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		queued := make(chan error, 1)
		go func() { queued <- h.limit.acquire(ctx) }()
		synctest.Wait()
		h.limit.release()
		// Releasing hands the slot straight to the blocked waiter, before it
		// even runs again, so a newcomer's fast path finds no free slot.
		h.limit.mu.Lock()
		free := h.limit.free
		h.limit.mu.Unlock()
		if free != 0 {
			t.Errorf("the released slot became free (%d) instead of passing to the queued caller", free)
		}
		if err := <-queued; err != nil {
			t.Fatalf("queued acquire = %v", err)
		}
		if got := h.Stats(); got.Running != 1 || got.Queued != 0 {
			t.Errorf("Stats after hand-over = %+v, want Running 1, Queued 0", got)
		}
		h.limit.release()
	})
}

func TestPoolRefusesWorkForEndedContext(t *testing.T) {
	h := mustHasher(t, HasherConfig{Params: poolTestParams})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash(canceled) = %v, want context.Canceled", err)
	}
	if got := h.Stats(); got != (HasherStats{}) {
		t.Errorf("Stats = %+v, want zero (no work, no queueing)", got)
	}
}

func TestHasherDefaults(t *testing.T) {
	tests := []struct {
		name         string
		cfg          HasherConfig
		wantParams   Params
		wantConc     int
		wantQueue    int
		wantWait     time.Duration
		wantSaltSize int
	}{
		{
			name:       "zero config",
			cfg:        HasherConfig{},
			wantParams: DefaultParams(),
			wantConc:   max(1, min(runtime.NumCPU(), 512*1024/19456)),
			wantQueue:  64 * max(1, min(runtime.NumCPU(), 512*1024/19456)),
			wantWait:   2 * time.Second,
		},
		{
			name:       "1 GiB hashes run one at a time",
			cfg:        HasherConfig{Params: Params{Memory: 1 << 20, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
			wantParams: Params{Memory: 1 << 20, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
			wantConc:   1,
			wantQueue:  64,
			wantWait:   2 * time.Second,
		},
		{
			name:       "explicit values",
			cfg:        HasherConfig{Params: poolTestParams, MaxConcurrent: 3, MaxQueue: 5, QueueWait: time.Second},
			wantParams: poolTestParams,
			wantConc:   3,
			wantQueue:  5,
			wantWait:   time.Second,
		},
		{
			name:       "negative queue means no waiting",
			cfg:        HasherConfig{Params: poolTestParams, MaxConcurrent: 2, MaxQueue: -1},
			wantParams: poolTestParams,
			wantConc:   2,
			wantQueue:  0,
			wantWait:   2 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := mustHasher(t, tt.cfg)
			if h.Params() != tt.wantParams {
				t.Errorf("Params = %+v, want %+v", h.Params(), tt.wantParams)
			}
			if got := h.limit.maxConcurrent; got != tt.wantConc {
				t.Errorf("MaxConcurrent = %d, want %d", got, tt.wantConc)
			}
			if h.limit.maxQueue != tt.wantQueue {
				t.Errorf("MaxQueue = %d, want %d", h.limit.maxQueue, tt.wantQueue)
			}
			if h.limit.wait != tt.wantWait {
				t.Errorf("QueueWait = %v, want %v", h.limit.wait, tt.wantWait)
			}
		})
	}
}

func TestDummyHashHasProductionParams(t *testing.T) {
	for _, p := range []Params{DefaultParams(), {Memory: 47104, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}} {
		h := mustHasher(t, HasherConfig{Params: p})
		got, err := parseArgon2id(h.dummy)
		if err != nil {
			t.Fatalf("dummy hash %q does not parse: %v", h.dummy, err)
		}
		if got.params != p {
			t.Errorf("dummy hash params = %+v, want the hasher's %+v", got.params, p)
		}
	}
}

func FuzzParseArgon2idRoundTrip(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc")
	f.Add("$argon2id$v=19$m=065536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$argon2id$v=19$m=4194305,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseArgon2id(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("parseArgon2id(%q) error %v does not wrap ErrMalformedHash", s, err)
			}
			return
		}
		if err := a.params.check(); err != nil {
			t.Fatalf("parseArgon2id(%q) accepted params %+v: %v", s, a.params, err)
		}
		if got := formatArgon2id(a.params, a.salt, a.key); got != s {
			t.Fatalf("format(parse(%q)) = %q, want the input back", s, got)
		}
	})
}

func TestLimiterPriority(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(1, 2, time.Minute)
		ctx := context.Background()
		if err := l.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		order := make(chan string, 3)
		go func() {
			if l.acquire(ctx) == nil {
				order <- "ordinary"
				l.release()
			}
		}()
		synctest.Wait()
		go func() {
			if l.acquire(WithPriority(ctx)) == nil {
				order <- "priority"
				l.release()
			}
		}()
		synctest.Wait()
		l.release()
		synctest.Wait()
		if first := <-order; first != "priority" {
			t.Fatalf("first served = %s, want the priority waiter although it queued later", first)
		}
		if second := <-order; second != "ordinary" {
			t.Fatalf("second served = %s", second)
		}
	})
}

func TestLimiterPriorityQueueIsSeparate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		l2 := newLimiter(1, 1, time.Minute)
		_ = l2.acquire(ctx)
		go func() { _ = l2.acquire(ctx) }()
		synctest.Wait()
		if err := l2.acquire(ctx); err == nil {
			t.Fatal("a second ordinary waiter was queued past MaxQueue")
		}
		done := make(chan error, 1)
		go func() { done <- l2.acquire(WithPriority(ctx)) }()
		synctest.Wait()
		if got := l2.stats().Queued; got != 2 {
			t.Fatalf("queued = %d, want 2 (one ordinary, one priority)", got)
		}
		l2.release()
		if err := <-done; err != nil {
			t.Fatalf("priority waiter: %v", err)
		}
		// Let the ordinary waiter through so every goroutine of the bubble ends.
		l2.release()
		synctest.Wait()
	})
}

// TestPoolQueuesWhatItServesInTime: a caller queues while the waiters ahead
// of it would be served within QueueWait at the pace slots have been held,
// and is refused at once beyond that, well before the queue's bound; a
// priority caller counts only the priority waiters ahead of it.
func TestPoolQueuesWhatItServesInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := mustHasher(t, HasherConfig{Params: poolTestParams, MaxConcurrent: 2, MaxQueue: 100, QueueWait: time.Second})
		ctx := context.Background()
		h.limit.observe(100 * time.Millisecond)
		h.limit.observe(900 * time.Millisecond) // a moving average: 100 + (900-100)/8
		if got := h.Stats().Hold; got != 200*time.Millisecond {
			t.Fatalf("Stats().Hold = %v, want 200ms", got)
		}
		for range 2 {
			if err := h.limit.acquire(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Two slots, 200 ms each: the 10th waiter expects 10 × 200 / 2 = 1 s, the 11th 1.1 s.
		waiter := func(ctx context.Context) {
			if err := h.limit.acquire(ctx); err == nil {
				h.limit.release()
			}
		}
		for range 10 {
			go waiter(ctx)
		}
		synctest.Wait()
		if got := h.Stats(); got.Queued != 10 || got.Rejected != 0 {
			t.Fatalf("Stats = %+v, want 10 queued, none rejected", got)
		}
		start := time.Now()
		if err := h.limit.acquire(ctx); !errors.Is(err, ErrBusy) {
			t.Fatalf("11th waiter: %v, want ErrBusy", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("11th waiter waited %v, want a refusal at once", waited)
		}
		// A trusted device's hash is behind no priority waiter: it queues.
		go waiter(WithPriority(ctx))
		synctest.Wait()
		if got := h.Stats(); got.Queued != 11 || got.Rejected != 1 {
			t.Fatalf("Stats = %+v, want 11 queued, 1 rejected", got)
		}
		h.limit.release()
		h.limit.release()
		synctest.Wait()
		if got := h.Stats(); got.Queued != 0 || got.Running != 0 || got.TimedOut != 0 {
			t.Fatalf("Stats after all done = %+v, want nothing queued, running or timed out", got)
		}
	})
}

// TestHeavyHashesTakeSeveralSlots: a slot stands for one hash with the
// Hasher's parameters, and the pool's size bounds memory only if a hash
// that costs more takes more slots. An imported argon2id hash may use
// m=64 MiB and p=8 (ParseImportedHash): it used to run in one slot, so
// MaxConcurrent of them held several times what the pool was sized for.
func TestHeavyHashesTakeSeveralSlots(t *testing.T) {
	h := mustHasher(t, HasherConfig{Params: poolTestParams, MaxConcurrent: 4})
	for _, c := range []struct {
		p    Params
		want int
	}{
		{poolTestParams, 1},
		{Params{Memory: 32, Time: 9, Threads: 1}, 1}, // time costs the slot's core longer, not more memory
		{Params{Memory: 65, Time: 1, Threads: 1}, 2},
		{Params{Memory: 256, Time: 1, Threads: 1}, 4},
		{Params{Memory: 64, Time: 1, Threads: 3}, 3},
		{Params{Memory: 4096, Time: 1, Threads: 8}, 64}, // acquireN caps it at MaxConcurrent
	} {
		if got := h.slotsFor(c.p); got != c.want {
			t.Errorf("slotsFor(%s) = %d, want %d", c.p, got, c.want)
		}
	}

	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(4, 8, time.Minute)
		ctx := context.Background()
		if err := l.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		served := make(chan string, 2)
		go func() {
			if l.acquireN(ctx, 64) == nil { // capped at 4
				served <- "heavy"
				l.releaseN(64)
			}
		}()
		synctest.Wait()
		go func() {
			if l.acquire(ctx) == nil {
				served <- "light"
				l.release()
			}
		}()
		synctest.Wait()
		// Three slots are free, but the heavy waiter needs four, and the
		// light one behind it does not overtake it.
		if got := l.stats(); got.Running != 1 || got.Queued != 2 {
			t.Fatalf("stats %+v, want 1 running, 2 waiting", got)
		}
		l.release()
		synctest.Wait()
		if first, second := <-served, <-served; first != "heavy" || second != "light" {
			t.Fatalf("served %s then %s, want heavy then light", first, second)
		}
		if got := l.stats(); got.Running != 0 || got.Queued != 0 || l.free != 4 {
			t.Fatalf("stats %+v, %d free; want all 4 slots back", got, l.free)
		}
	})

	t.Run("a heavy waiter that gives up lets those behind it through", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLimiter(2, 8, time.Second)
			ctx := context.Background()
			if err := l.acquire(ctx); err != nil {
				t.Fatal(err)
			}
			heavy := make(chan error, 1)
			go func() { heavy <- l.acquireN(ctx, 2) }()
			synctest.Wait()
			time.Sleep(time.Second / 2)
			light := make(chan error, 1)
			go func() { light <- l.acquire(ctx) }()
			synctest.Wait()
			time.Sleep(time.Second / 2) // the heavy waiter's wait runs out, not the light one's
			synctest.Wait()
			if err := <-heavy; !errors.Is(err, ErrBusy) {
				t.Fatalf("heavy waiter: %v, want ErrBusy after its wait", err)
			}
			select {
			case err := <-light:
				if err != nil {
					t.Fatalf("light waiter: %v", err)
				}
			default:
				t.Fatal("the light waiter still waits behind a heavy one that gave up, with a slot free")
			}
			l.release()
			l.release()
		})
	})
}

// TestAnImportedHashRunsInItsSlots: verifications of an imported hash that
// needs every slot run one at a time.
func TestAnImportedHashRunsInItsSlots(t *testing.T) {
	h := mustHasher(t, HasherConfig{Params: poolTestParams, MaxConcurrent: 4})
	heavy := poolTestParams
	heavy.Memory = 4 * poolTestParams.Memory * 64 // 16 MiB: long enough to overlap
	salt := make([]byte, 16)
	phc := formatArgon2id(heavy, salt, argon2.IDKey([]byte("imported password"), salt, heavy.Time, heavy.Memory, heavy.Threads, heavy.KeyLen))
	if err := ParseImportedHash(phc); err != nil {
		t.Fatal(err)
	}
	var running atomic.Int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n := int64(h.Stats().Running); n > running.Load() {
				running.Store(n)
			}
			runtime.Gosched()
		}
	}()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if ok, _, err := h.Verify(context.Background(), phc, "imported password"); err != nil || !ok {
				t.Errorf("Verify = %v, %v; want a match", ok, err)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	if n := running.Load(); n > 1 {
		t.Fatalf("%d verifications of a hash that needs all 4 slots ran at once", n)
	}
}

// TestPriorityWaiterIsNotHeldBehindAHeavyOrdinaryOne (review rev-2nd): before
// acquireN, a waiter only existed when no slot was free, so a priority
// newcomer that found a queue could only wait. Now an ordinary waiter that
// needs more slots than are free may head its queue with slots free: a
// priority caller (a trusted device) that fits in them is queued anyway and
// waits for the next release, though the design serves priority first.
func TestPriorityWaiterIsNotHeldBehindAHeavyOrdinaryOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(4, 8, time.Minute)
		ctx := context.Background()
		if err := l.acquire(ctx); err != nil { // 1 running, 3 free
			t.Fatal(err)
		}
		go func() {
			if l.acquireN(ctx, 4) == nil { // an ordinary heavy hash: waits for all 4
				l.releaseN(4)
			}
		}()
		synctest.Wait()
		got := make(chan error, 1)
		go func() { got <- l.acquire(WithPriority(ctx)) }()
		synctest.Wait()
		select {
		case err := <-got:
			if err != nil {
				t.Fatal(err)
			}
			l.release()
			l.release() // the first caller's: the heavy waiter runs
		default:
			t.Error("a priority caller needing 1 slot waits with 3 free, behind an ordinary waiter it should precede")
			l.release() // the first caller's: the priority waiter runs now
			synctest.Wait()
			if err := <-got; err != nil {
				t.Fatal(err)
			}
			l.release() // the heavy waiter runs
		}
		synctest.Wait()
		if st := l.stats(); st.Running != 0 || st.Queued != 0 || l.free != 4 {
			t.Fatalf("stats %+v, %d free; want all 4 slots back", st, l.free)
		}
	})
}
