// Package retention prunes the sign-in history: every application keeps its
// sign-in events for its eventRetentionDays setting, and a Pruner deletes
// older ones in bounded batches. The same pass deletes expired state:
// sign-ins and sign-ups a day after they expired (FlowGrace) with the
// verifications they point to, codes never verified a day after they
// expired, clients without sessions or trust after 30 idle days
// (ClientIdle), and outbox messages after 7 days (OutboxAge); a credential
// stuffing wave leaves one client and one sign-in per attempt, which would
// otherwise stay for ever. serve runs one Pruner per replica; on
// PostgreSQL a session-level advisory lock and a last-run row make the work
// happen once per interval across all replicas. On SQLite, which one process
// serves, the lock is not needed.
package retention
