//go:build unix

package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// serverUser is the identity initdb and postgres run as.
type serverUser = syscall.Credential

// quitSignal asks postgres for an immediate shutdown.
var quitSignal os.Signal = syscall.SIGQUIT

// serverCredential returns the identity initdb and postgres must run as:
// nil (this process's own) unless this process runs as root, which
// PostgreSQL refuses, and then the postgres system user.
func serverCredential() (*serverUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, which PostgreSQL refuses, and there is no postgres system user to run it as (%v); create one with `useradd --system --user-group postgres` or run the tests as another user", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres user has a non-numeric uid %q", u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres user has a non-numeric gid %q", u.Gid)
	}
	// An empty Groups drops root's supplementary groups too.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// chownForServer hands dir to the user the server runs as.
func chownForServer(dir string, cred *serverUser) error {
	if cred == nil {
		return nil
	}
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("hand %s to the postgres user: %w", dir, err)
	}
	return nil
}

// procAttr runs a child as cred in its own process group, so that a Ctrl-C
// meant for go test does not reach it directly. A server child also gets
// SIGQUIT when the test binary dies, where the platform offers that.
func procAttr(cred *serverUser, server bool) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if server {
		setParentDeathSignal(attr)
	}
	return attr
}

// processAlive reports whether a process with this pid is running.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return (err == nil || errors.Is(err, syscall.EPERM)) && !zombie(pid)
}

// signalQuit sends SIGQUIT, PostgreSQL's immediate shutdown, to pid.
func signalQuit(pid int) error {
	return syscall.Kill(pid, syscall.SIGQUIT)
}
