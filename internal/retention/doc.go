// Package retention prunes the sign-in history: every application keeps its
// sign-in events for its eventRetentionDays setting, and a Pruner deletes
// older ones in bounded batches. serve runs one Pruner per replica; on
// PostgreSQL a session-level advisory lock and a last-run row make the work
// happen once per interval across all replicas. On SQLite, which one process
// serves, the lock is not needed.
package retention
