package factor

import "syscall"

const threadPriorities = true

// lowerThreadPriority makes the calling thread nice more than it is (Linux
// keeps a niceness per thread, and setpriority with a thread id changes just
// that thread), at most 19. A failure leaves the thread at its priority:
// slower to yield, still correct.
func lowerThreadPriority(nice int) {
	now, err := threadNice()
	if err != nil {
		return
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), min(19, now+nice))
}

// threadNice returns the calling thread's niceness. The system call answers
// 20 − nice, so that its result is never negative.
func threadNice() (int, error) {
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	return 20 - raw, err
}
