-- Create "session_verifications" table
CREATE TABLE `session_verifications` (`id` text NOT NULL, `created_at` datetime NOT NULL, `level` text NOT NULL, `first_factor_strategy` text NULL, `first_factor_at` datetime NULL, `second_factor_strategy` text NULL, `second_factor_at` datetime NULL, `code_verification_id` text NULL, `expire_at` datetime NOT NULL, `session_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `session_verifications_sessions_verification` FOREIGN KEY (`session_id`) REFERENCES `sessions` (`id`) ON DELETE CASCADE);
-- Create index "session_verifications_session_id_key" to table: "session_verifications"
CREATE UNIQUE INDEX `session_verifications_session_id_key` ON `session_verifications` (`session_id`);
-- Create index "sessionverification_expire_at" to table: "session_verifications"
CREATE INDEX `sessionverification_expire_at` ON `session_verifications` (`expire_at`);
