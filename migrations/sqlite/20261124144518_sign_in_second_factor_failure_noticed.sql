-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_sign_ins" table
CREATE TABLE `new_sign_ins` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `application_id` text NOT NULL, `client_id` text NOT NULL, `user_id` text NULL, `identifier` text NULL, `status` text NOT NULL DEFAULT ('needs_identifier'), `client_trust_state` text NULL, `first_factor_verification_id` text NULL, `second_factor_verification_id` text NULL, `created_session_id` text NULL, `expire_at` datetime NOT NULL, `ip_address` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `new_password_hash` text NULL, `sign_out_other_sessions` bool NOT NULL DEFAULT (false), `user_password_updated_at` datetime NULL, `second_factor_failure_noticed` bool NOT NULL DEFAULT (false), PRIMARY KEY (`id`));
-- Copy rows from old table "sign_ins" to new temporary table "new_sign_ins"
INSERT INTO `new_sign_ins` (`id`, `created_at`, `updated_at`, `application_id`, `client_id`, `user_id`, `identifier`, `status`, `client_trust_state`, `first_factor_verification_id`, `second_factor_verification_id`, `created_session_id`, `expire_at`, `ip_address`, `user_agent`, `new_password_hash`, `sign_out_other_sessions`, `user_password_updated_at`) SELECT `id`, `created_at`, `updated_at`, `application_id`, `client_id`, `user_id`, `identifier`, `status`, `client_trust_state`, `first_factor_verification_id`, `second_factor_verification_id`, `created_session_id`, `expire_at`, `ip_address`, `user_agent`, `new_password_hash`, `sign_out_other_sessions`, `user_password_updated_at` FROM `sign_ins`;
-- Drop "sign_ins" table after copying rows
DROP TABLE `sign_ins`;
-- Rename temporary table "new_sign_ins" to "sign_ins"
ALTER TABLE `new_sign_ins` RENAME TO `sign_ins`;
-- Create index "signin_client_id" to table: "sign_ins"
CREATE INDEX `signin_client_id` ON `sign_ins` (`client_id`);
-- Create index "signin_expire_at" to table: "sign_ins"
CREATE INDEX `signin_expire_at` ON `sign_ins` (`expire_at`);
-- Create index "signin_expire_at_staged_password" to table: "sign_ins"
CREATE INDEX `signin_expire_at_staged_password` ON `sign_ins` (`expire_at`) WHERE new_password_hash IS NOT NULL;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
