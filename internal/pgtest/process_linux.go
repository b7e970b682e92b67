package pgtest

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
)

// setParentDeathSignal makes the kernel send SIGQUIT, PostgreSQL's immediate
// shutdown, to the child when the test binary dies. Go sets it after
// switching credentials, which would otherwise clear it.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGQUIT
}

// zombie reports whether pid has exited but not been reaped, which happens to
// orphans where pid 1 does not reap (as in many containers).
func zombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name, which may itself
	// contain spaces or parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && len(stat) > i+2 && stat[i+2] == 'Z'
}
