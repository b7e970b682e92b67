// Package pgtest gives tests a fresh, empty PostgreSQL database.
//
// URL returns the connection URL of a new database (named t_<random>) that is
// dropped when the test ends. Where the environment variable
// TRUSTGATE_TEST_POSTGRES_URL names a server, the databases are created there.
// Otherwise the first call in a test binary starts one throwaway server for the
// whole package run:
//
//   - The PostgreSQL server binaries (initdb and postgres) are looked up next to
//     initdb on PATH, then in /usr/lib/postgresql/<version>/bin, newest version
//     first.
//   - initdb writes a cluster into a temporary directory named
//     trustgate-pgtest-<pid of the test binary>-<random> (trust authentication,
//     superuser postgres, UTF8, locale C, no fsync), and postgres serves it on a
//     free TCP port on 127.0.0.1 with durability turned off, since the data is
//     thrown away. The server log is postgres.log in that directory and is
//     quoted in the error when the server fails to start.
//   - PostgreSQL refuses to run as root, so when the test binary runs as root
//     the server runs as the postgres system user, which must exist (most
//     PostgreSQL packages create it; otherwise `useradd --system postgres`).
//
// Packages that use URL must stop the server when their tests finish:
//
//	func TestMain(m *testing.M) { pgtest.RunMain(m) }
//
// If the test binary dies before RunMain can stop the server (a crash, a
// SIGKILL, the panic raised by go test -timeout), the server does not outlive
// it: on Linux postgres runs as a direct child of the test binary with a
// parent-death signal (SIGQUIT, PostgreSQL's immediate shutdown). The next
// test binary that starts a server removes directories left behind by test
// binaries that are no longer running, stopping any postgres still serving
// one; by hand, `pg_ctl stop -m immediate -D <dir>/data` and removing the
// directory does the same (the server's pid is the first line of
// <dir>/data/postmaster.pid).
//
// When no PostgreSQL binaries are found, URL skips the test, unless
// TRUSTGATE_REQUIRE_POSTGRES=1 (as in CI), where it fails it instead.
package pgtest
