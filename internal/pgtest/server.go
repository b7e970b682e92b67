package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// dirPrefix starts the name of every server directory; the pid of the
	// test binary that owns it follows, so that a later run can tell which
	// directories were left behind by a binary that is gone.
	dirPrefix = "trustgate-pgtest-"

	// startTimeout bounds how long postgres may take to accept connections.
	startTimeout = 60 * time.Second

	// stopTimeout bounds how long postgres may take to exit after SIGQUIT
	// before it is killed.
	stopTimeout = 10 * time.Second
)

// errPortTaken reports that postgres could not bind its port, which another
// process took between freePort and postgres starting.
var errPortTaken = errors.New("port already in use")

// server is a throwaway PostgreSQL server run by this test binary.
type server struct {
	dir     string // owned by the server's user; holds data/, postgres.log and the socket
	port    int
	proc    *os.Process
	exited  chan struct{} // closed once postgres has exited
	waitErr error         // how postgres exited; read only after exited is closed
}

// adminURL is the URL of the server's postgres database as the superuser.
func (s *server) adminURL() *url.URL {
	return &url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
}

func (s *server) dataDir() string { return filepath.Join(s.dir, "data") }
func (s *server) logPath() string { return filepath.Join(s.dir, "postgres.log") }

// startLocal creates a cluster in a new temporary directory and starts a
// postgres serving it on a free port.
func startLocal() (*server, error) {
	initdb, postgres, err := findBinaries(exec.LookPath, "/usr/lib/postgresql")
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	reapStale(os.TempDir())

	dir, err := os.MkdirTemp("", dirPrefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("create server directory: %w", err)
	}
	if err := chownForServer(dir, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &server{dir: dir}
	if err := s.initdb(initdb, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Another process may take the port between freePort closing its
	// listener and postgres binding it; a new port fixes that.
	for attempt := 1; ; attempt++ {
		err = s.start(postgres, cred)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

// initdb writes a new cluster into the data directory.
func (s *server) initdb(initdb string, cred *serverUser) error {
	cmd := exec.Command(initdb,
		"-D", s.dataDir(),
		"-A", "trust",
		"-U", "postgres",
		"-E", "UTF8",
		"--locale=C",
		"--no-sync",
	)
	cmd.Dir = s.dir
	cmd.Env = serverEnv()
	cmd.SysProcAttr = procAttr(cred, false)
	out, err := cmd.CombinedOutput()
	if err != nil {
		hint := ""
		if cred != nil {
			hint = fmt.Sprintf(" (initdb runs as the postgres user, which must be able to reach %s)", s.dir)
		}
		return fmt.Errorf("%s failed: %v%s\n%s", initdb, err, hint, out)
	}
	return nil
}

// start runs postgres on a free port and waits until it accepts connections.
func (s *server) start(postgres string, cred *serverUser) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.port = port
	logFile, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer logFile.Close()

	// Durability is off because the data is thrown away; the rest keeps the
	// server private to this run and its log readable.
	cmd := exec.Command(postgres,
		"-D", s.dataDir(),
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+s.dir,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
		"-c", "timezone=UTC",
		"-c", "log_timezone=UTC",
		"-c", "logging_collector=off",
	)
	cmd.Dir = s.dir
	cmd.Env = serverEnv()
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = procAttr(cred, true)

	s.exited = make(chan struct{})
	started := make(chan error, 1)
	go func() {
		// The kernel sends the parent-death signal when the thread that
		// started the child exits, not the process; this goroutine holds
		// its thread until postgres is gone so that only the death of the
		// whole test binary sends it.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		s.proc = cmd.Process
		started <- nil
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start %s: %w", postgres, err)
	}
	if err := s.waitReady(); err != nil {
		return errors.Join(err, s.halt())
	}
	return nil
}

// waitReady polls the server until it accepts connections, or fails when
// postgres exits or the start timeout passes, quoting the server log.
func (s *server) waitReady() error {
	db, err := sql.Open("postgres", s.adminURL().String())
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			log := s.readLog()
			if bytes.Contains(log, []byte("Address already in use")) {
				return fmt.Errorf("postgres on port %d: %w", s.port, errPortTaken)
			}
			return fmt.Errorf("postgres exited before accepting connections (%v); log %s:\n%s", s.waitErr, s.logPath(), log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within %v (last error: %v); log %s:\n%s", startTimeout, err, s.logPath(), s.readLog())
		}
	}
}

// stop shuts the server down and removes its directory.
func (s *server) stop() error {
	err := s.halt()
	if rmErr := os.RemoveAll(s.dir); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("remove server directory: %w", rmErr))
	}
	return err
}

// halt ends postgres with an immediate shutdown (SIGQUIT, as pg_ctl stop -m
// immediate sends), killing it if it lingers.
func (s *server) halt() error {
	if s.proc == nil {
		return nil
	}
	select {
	case <-s.exited:
		return nil
	default:
	}
	if err := s.proc.Signal(quitSignal); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop postgres (pid %d): %w", s.proc.Pid, err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	if err := s.proc.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill postgres (pid %d): %w", s.proc.Pid, err)
	}
	<-s.exited
	return fmt.Errorf("postgres (pid %d) ignored SIGQUIT for %v and was killed", s.proc.Pid, stopTimeout)
}

func (s *server) readLog() []byte {
	b, err := os.ReadFile(s.logPath())
	if err != nil {
		return []byte("(no log: " + err.Error() + ")")
	}
	return b
}

// findBinaries returns the paths of initdb and postgres from the first
// directory that has both: the one initdb on PATH really lives in (PATH often
// holds symlinks into a versioned directory), the PATH directory itself, then
// root/<version>/bin, newest version first.
func findBinaries(lookPath func(string) (string, error), root string) (initdb, postgres string, err error) {
	var dirs []string
	if p, err := lookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	dirs = append(dirs, versionedBinDirs(root)...)
	for _, dir := range dirs {
		initdb, postgres := filepath.Join(dir, "initdb"), filepath.Join(dir, "postgres")
		if isExecutable(initdb) && isExecutable(postgres) {
			return initdb, postgres, nil
		}
	}
	return "", "", ErrNoPostgres
}

// versionedBinDirs lists root/*/bin, the layout of Debian's postgresql-common,
// newest version first: 15 before 9.6.
func versionedBinDirs(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	type versioned struct {
		version []int
		dir     string
	}
	var found []versioned
	for _, e := range entries {
		dir := filepath.Join(root, e.Name(), "bin")
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			continue
		}
		found = append(found, versioned{parseVersion(e.Name()), dir})
	}
	slices.SortStableFunc(found, func(a, b versioned) int {
		return -slices.Compare(a.version, b.version)
	})
	dirs := make([]string, len(found))
	for i, f := range found {
		dirs[i] = f.dir
	}
	return dirs
}

// parseVersion reads "9.6" as [9 6]; a part that is not a number counts as -1
// so that odd names sort after real versions.
func parseVersion(name string) []int {
	parts := strings.Split(name, ".")
	v := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			n = -1
		}
		v[i] = n
	}
	return v
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// serverEnv is this process's environment without PG* variables, which
// would otherwise change where initdb and postgres look, and with the C
// locale so that their messages are in English.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C", "LANG=C")
}

// reapStale removes server directories under tmp whose test binary is no
// longer running, first stopping a postgres still serving one. Directories
// it cannot judge safely are left alone.
func reapStale(tmp string) {
	matches, _ := filepath.Glob(filepath.Join(tmp, dirPrefix+"*"))
	for _, dir := range matches {
		owner, ok := ownerPID(filepath.Base(dir))
		if !ok || owner == os.Getpid() || processAlive(owner) {
			continue
		}
		if pid, ok := postmasterPID(dir); ok && processAlive(pid) {
			// Only a postgres started on this directory may be stopped;
			// the pid may since have been reused by something else.
			cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if err != nil || !bytes.Contains(cmdline, []byte(dir)) {
				continue
			}
			if signalQuit(pid) != nil || !waitGone(pid, 5*time.Second) {
				continue
			}
		}
		os.RemoveAll(dir)
	}
}

// ownerPID reads the pid out of a directory name made by startLocal.
func ownerPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, dirPrefix)
	if !ok {
		return 0, false
	}
	pid, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(pid)
	return n, err == nil && n > 0
}

// postmasterPID reads the server pid from the first line of
// data/postmaster.pid.
func postmasterPID(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	n, err := strconv.Atoi(strings.TrimSpace(line))
	return n, err == nil && n > 0
}

func waitGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
