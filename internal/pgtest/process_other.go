//go:build !unix

package pgtest

import (
	"os"
	"syscall"
)

// serverUser is empty: the server always runs as this process's user.
type serverUser struct{}

// quitSignal ends postgres; os.Process can send no other signal here.
var quitSignal os.Signal = os.Kill

// serverCredential returns nil: the server runs as this process's user.
func serverCredential() (*serverUser, error) { return nil, nil }

// chownForServer does nothing: the server runs as this process's user.
func chownForServer(string, *serverUser) error { return nil }

// procAttr returns nil: no special process attributes are used here.
func procAttr(*serverUser, bool) *syscall.SysProcAttr { return nil }

// processAlive reports true because it cannot tell, which keeps reapStale
// from removing a directory that may still be in use.
func processAlive(int) bool { return true }

// signalQuit kills pid.
func signalQuit(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
