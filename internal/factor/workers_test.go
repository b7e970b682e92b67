package factor

import (
	"runtime"
	"sync"
	"testing"
)

func TestRunLowPriorityRunsEveryJob(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]int, 50)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runLowPriority(func() { got[i] = i * i })
		}()
	}
	wg.Wait()
	for i, v := range got {
		if v != i*i {
			t.Fatalf("job %d: got %d, want %d", i, v, i*i)
		}
	}
}

func TestRunLowPriorityReraisesPanics(t *testing.T) {
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want the job's panic", r)
		}
	}()
	runLowPriority(func() { panic("boom") })
	t.Fatal("runLowPriority returned after its job panicked")
}

func TestRunLowPriorityLowersOnlyTheHashingThread(t *testing.T) {
	if !threadPriorities {
		t.Skip("no per-thread priorities on " + runtime.GOOS)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	mine, err := threadNice()
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		var theirs int
		runLowPriority(func() { theirs, err = threadNice() })
		if err != nil {
			t.Fatal(err)
		}
		if want := min(19, mine+HashNice); theirs != want {
			t.Fatalf("hashing thread nice %d, want %d (the caller's %d + %d)", theirs, want, mine, HashNice)
		}
		// The hashing threads are gone: no thread the scheduler hands out
		// later, this one included, runs at their priority.
		if now, _ := threadNice(); now != mine {
			t.Fatalf("caller's thread nice changed from %d to %d", mine, now)
		}
	}
}

// BenchmarkRunLowPriority is what running a hash on its own low-priority
// thread adds to the hash: a thread start and end and two system calls.
func BenchmarkRunLowPriority(b *testing.B) {
	for b.Loop() {
		runLowPriority(func() {})
	}
}
