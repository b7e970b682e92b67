//go:build unix && !linux

package pgtest

import "syscall"

// setParentDeathSignal does nothing: only Linux has a parent-death signal.
// A server orphaned by a killed test binary is stopped by the next run's
// reapStale instead.
func setParentDeathSignal(*syscall.SysProcAttr) {}

// zombie reports false: without /proc there is no cheap way to tell.
func zombie(int) bool { return false }
