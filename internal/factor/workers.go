package factor

import "runtime"

// HashNice is how much nicer than the rest of the process the threads that
// compute password hashes run, where the platform has per-thread priorities
// (Linux). A hash is 20–30 ms of CPU that nobody waits on with a deadline
// tighter than the hash itself, while everything else a request does —
// parsing, SQL, a session token, another user's code check — is short and
// latency-bound. At the same priority a running hash holds its core until Go
// preempts it (every 10 ms), so each of a request's steps can wait that long;
// at a lower priority the kernel gives the core to the short work as soon as
// it is runnable, and the hashes take whatever CPU is left. With spare Ps
// (see HashProcs) the hashes still use every idle core: the priority decides
// who runs first, not how much runs.
const HashNice = 10

// HashProcs is how many Ps (GOMAXPROCS) a process should add for n
// concurrent hashes, so that the hashing threads never hold every P: n where
// hashes run at a lower priority, else 0.
func HashProcs(n int) int {
	if !threadPriorities {
		return 0
	}
	return n
}

// runLowPriority runs job on a new OS thread whose priority is lowered by
// HashNice and returns when it has finished; a panic in job is raised again
// in the caller. A thread's priority can be lowered without privileges but
// not raised back, so the thread is never handed back to the Go scheduler:
// its goroutine exits still locked to it, and the runtime ends the thread.
// That costs a thread start per hash (tens of microseconds against a hash's
// tens of milliseconds; see BenchmarkRunLowPriority) and keeps no state, so
// nothing outlives the hash.
func runLowPriority(job func()) {
	done := make(chan struct{})
	var panicked any
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		runtime.LockOSThread() // never unlocked, see above
		lowerThreadPriority(HashNice)
		job()
	}()
	<-done
	if panicked != nil {
		panic(panicked)
	}
}
