-- Create "api_keys" table
CREATE TABLE `api_keys` (`id` text NOT NULL, `created_at` datetime NOT NULL, `name` text NOT NULL DEFAULT (''), `prefix` text NOT NULL, `secret_hash` blob NOT NULL, `role` text NOT NULL, `application_id` text NOT NULL, `created_by` text NOT NULL DEFAULT (''), `last_used_at` datetime NULL, `revoked_at` datetime NULL, PRIMARY KEY (`id`));
-- Create index "api_keys_secret_hash_key" to table: "api_keys"
CREATE UNIQUE INDEX `api_keys_secret_hash_key` ON `api_keys` (`secret_hash`);
-- Create "applications" table
CREATE TABLE `applications` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `publishable_key` text NOT NULL, `dashboard` bool NOT NULL DEFAULT (false), `settings` json NULL, `updates` json NULL, PRIMARY KEY (`id`));
-- Create index "applications_publishable_key_key" to table: "applications"
CREATE UNIQUE INDEX `applications_publishable_key_key` ON `applications` (`publishable_key`);
-- Create "audit_events" table
CREATE TABLE `audit_events` (`id` text NOT NULL, `at` datetime NOT NULL, `actor` text NOT NULL, `action` text NOT NULL, `target_type` text NOT NULL DEFAULT (''), `target_id` text NOT NULL DEFAULT (''), `application_id` text NULL, `ip_address` text NOT NULL DEFAULT (''), `before` text NULL, `after` text NULL, PRIMARY KEY (`id`));
-- Create index "auditevent_application_id_at_id" to table: "audit_events"
CREATE INDEX `auditevent_application_id_at_id` ON `audit_events` (`application_id`, `at`, `id`);
-- Create index "auditevent_at_id" to table: "audit_events"
CREATE INDEX `auditevent_at_id` ON `audit_events` (`at`, `id`);
-- Create "backup_codes" table
CREATE TABLE `backup_codes` (`id` text NOT NULL, `created_at` datetime NOT NULL, `code_hash` blob NOT NULL, `used_at` datetime NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `backup_codes_users_backup_codes` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "backupcode_user_id" to table: "backup_codes"
CREATE INDEX `backupcode_user_id` ON `backup_codes` (`user_id`);
-- Create "clients" table
CREATE TABLE `clients` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `token_hash` blob NOT NULL, `user_agent` text NOT NULL DEFAULT (''), `ip_address` text NOT NULL DEFAULT (''), `last_active_at` datetime NULL, `sign_in_id` text NULL, `sign_up_id` text NULL, `application_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `clients_applications_clients` FOREIGN KEY (`application_id`) REFERENCES `applications` (`id`) ON DELETE NO ACTION);
-- Create index "clients_token_hash_key" to table: "clients"
CREATE UNIQUE INDEX `clients_token_hash_key` ON `clients` (`token_hash`);
-- Create index "device_application_id_last_active_at" to table: "clients"
CREATE INDEX `device_application_id_last_active_at` ON `clients` (`application_id`, `last_active_at`);
-- Create "email_addresses" table
CREATE TABLE `email_addresses` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `application_id` text NOT NULL, `email_address` text NOT NULL, `verified` bool NOT NULL DEFAULT (false), `verified_at` datetime NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `email_addresses_users_email_addresses` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "emailaddress_application_id_email_address" to table: "email_addresses"
CREATE UNIQUE INDEX `emailaddress_application_id_email_address` ON `email_addresses` (`application_id`, `email_address`);
-- Create index "emailaddress_user_id" to table: "email_addresses"
CREATE INDEX `emailaddress_user_id` ON `email_addresses` (`user_id`);
-- Create "operators" table
CREATE TABLE `operators` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `disabled_at` datetime NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `operators_users_operator` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "operators_email_key" to table: "operators"
CREATE UNIQUE INDEX `operators_email_key` ON `operators` (`email`);
-- Create index "operators_user_id_key" to table: "operators"
CREATE UNIQUE INDEX `operators_user_id_key` ON `operators` (`user_id`);
-- Create "outbox_messages" table
CREATE TABLE `outbox_messages` (`id` text NOT NULL, `created_at` datetime NOT NULL, `application_id` text NULL, `channel` text NOT NULL, `to` text NOT NULL, `kind` text NOT NULL, `subject` text NOT NULL DEFAULT (''), `text` text NOT NULL, `html` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- Create index "outboxmessage_application_id_created_at" to table: "outbox_messages"
CREATE INDEX `outboxmessage_application_id_created_at` ON `outbox_messages` (`application_id`, `created_at`);
-- Create "phone_numbers" table
CREATE TABLE `phone_numbers` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `application_id` text NOT NULL, `phone_number` text NOT NULL, `verified` bool NOT NULL DEFAULT (false), `verified_at` datetime NULL, `reserved_for_second_factor` bool NOT NULL DEFAULT (false), `default_second_factor` bool NOT NULL DEFAULT (false), `verification_id` text NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `phone_numbers_users_phone_numbers` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "phonenumber_application_id_phone_number" to table: "phone_numbers"
CREATE UNIQUE INDEX `phonenumber_application_id_phone_number` ON `phone_numbers` (`application_id`, `phone_number`);
-- Create index "phonenumber_user_id" to table: "phone_numbers"
CREATE INDEX `phonenumber_user_id` ON `phone_numbers` (`user_id`);
-- Create "rate_limit_buckets" table
CREATE TABLE `rate_limit_buckets` (`key` text NOT NULL, `window_start` datetime NOT NULL, `count` integer NOT NULL DEFAULT (0), `expires_at` datetime NOT NULL, PRIMARY KEY (`key`));
-- Create index "ratelimitbucket_expires_at" to table: "rate_limit_buckets"
CREATE INDEX `ratelimitbucket_expires_at` ON `rate_limit_buckets` (`expires_at`);
-- Create "role_assignments" table
CREATE TABLE `role_assignments` (`id` text NOT NULL, `created_at` datetime NOT NULL, `subject` text NOT NULL, `role` text NOT NULL, `domain` text NOT NULL, `created_by` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- Create index "roleassignment_subject_role_domain" to table: "role_assignments"
CREATE UNIQUE INDEX `roleassignment_subject_role_domain` ON `role_assignments` (`subject`, `role`, `domain`);
-- Create "server_configs" table
CREATE TABLE `server_configs` (`key` text NOT NULL, `value` text NOT NULL, `updated_at` datetime NOT NULL, PRIMARY KEY (`key`));
-- Create "sessions" table
CREATE TABLE `sessions` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `application_id` text NOT NULL, `status` text NOT NULL DEFAULT ('active'), `last_active_at` datetime NOT NULL, `expire_at` datetime NOT NULL, `ended_at` datetime NULL, `first_factor_at` datetime NULL, `second_factor_at` datetime NULL, `sign_in_id` text NULL, `ip_address` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `client_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sessions_clients_sessions` FOREIGN KEY (`client_id`) REFERENCES `clients` (`id`) ON DELETE CASCADE, CONSTRAINT `sessions_users_sessions` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "session_user_id_status" to table: "sessions"
CREATE INDEX `session_user_id_status` ON `sessions` (`user_id`, `status`);
-- Create index "session_client_id_status" to table: "sessions"
CREATE INDEX `session_client_id_status` ON `sessions` (`client_id`, `status`);
-- Create "sign_ins" table
CREATE TABLE `sign_ins` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `application_id` text NOT NULL, `client_id` text NOT NULL, `user_id` text NULL, `identifier` text NULL, `status` text NOT NULL DEFAULT ('needs_identifier'), `client_trust_state` text NULL, `first_factor_verification_id` text NULL, `second_factor_verification_id` text NULL, `created_session_id` text NULL, `expire_at` datetime NOT NULL, `ip_address` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- Create index "signin_client_id" to table: "sign_ins"
CREATE INDEX `signin_client_id` ON `sign_ins` (`client_id`);
-- Create index "signin_expire_at" to table: "sign_ins"
CREATE INDEX `signin_expire_at` ON `sign_ins` (`expire_at`);
-- Create "sign_in_events" table
CREATE TABLE `sign_in_events` (`id` text NOT NULL, `at` datetime NOT NULL, `application_id` text NOT NULL, `sign_in_id` text NULL, `user_id` text NULL, `identifier` text NOT NULL DEFAULT (''), `identifier_digest` text NULL, `client_id` text NULL, `ip_address` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `kind` text NOT NULL, `strategy` text NULL, `outcome` text NOT NULL, `reason` text NULL, PRIMARY KEY (`id`));
-- Create index "signinevent_application_id_at_id" to table: "sign_in_events"
CREATE INDEX `signinevent_application_id_at_id` ON `sign_in_events` (`application_id`, `at`, `id`);
-- Create index "signinevent_user_id_at_id" to table: "sign_in_events"
CREATE INDEX `signinevent_user_id_at_id` ON `sign_in_events` (`user_id`, `at`, `id`);
-- Create index "signinevent_client_id_at_id" to table: "sign_in_events"
CREATE INDEX `signinevent_client_id_at_id` ON `sign_in_events` (`client_id`, `at`, `id`);
-- Create index "signinevent_application_id_ip_address_at_id" to table: "sign_in_events"
CREATE INDEX `signinevent_application_id_ip_address_at_id` ON `sign_in_events` (`application_id`, `ip_address`, `at`, `id`);
-- Create index "signinevent_application_id_identifier_digest_at_id" to table: "sign_in_events"
CREATE INDEX `signinevent_application_id_identifier_digest_at_id` ON `sign_in_events` (`application_id`, `identifier_digest`, `at`, `id`);
-- Create index "signinevent_application_id_kind_at_id" to table: "sign_in_events"
CREATE INDEX `signinevent_application_id_kind_at_id` ON `sign_in_events` (`application_id`, `kind`, `at`, `id`);
-- Create "sign_ups" table
CREATE TABLE `sign_ups` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `application_id` text NOT NULL, `client_id` text NOT NULL, `status` text NOT NULL DEFAULT ('missing_requirements'), `email_address` text NULL, `phone_number` text NULL, `username` text NULL, `password_hash` text NULL, `email_verification_id` text NULL, `phone_verification_id` text NULL, `created_user_id` text NULL, `created_session_id` text NULL, `expire_at` datetime NOT NULL, `ip_address` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- Create index "signup_client_id" to table: "sign_ups"
CREATE INDEX `signup_client_id` ON `sign_ups` (`client_id`);
-- Create index "signup_expire_at" to table: "sign_ups"
CREATE INDEX `signup_expire_at` ON `sign_ups` (`expire_at`);
-- Create "signing_keys" table
CREATE TABLE `signing_keys` (`id` text NOT NULL, `created_at` datetime NOT NULL, `algorithm` text NOT NULL DEFAULT ('EdDSA'), `public_key` blob NOT NULL, `private_key_sealed` blob NOT NULL, `retired_at` datetime NULL, PRIMARY KEY (`id`));
-- Create "totps" table
CREATE TABLE `totps` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `secret_sealed` blob NOT NULL, `verified` bool NOT NULL DEFAULT (false), `verified_at` datetime NULL, `last_used_step` integer NOT NULL DEFAULT (0), `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `totps_users_totp` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "totps_user_id_key" to table: "totps"
CREATE UNIQUE INDEX `totps_user_id_key` ON `totps` (`user_id`);
-- Create index "totp_user_id" to table: "totps"
CREATE UNIQUE INDEX `totp_user_id` ON `totps` (`user_id`);
-- Create "trusted_clients" table
CREATE TABLE `trusted_clients` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `method` text NOT NULL DEFAULT (''), `ip_address` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `last_used_at` datetime NULL, `client_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `trusted_clients_clients_trusts` FOREIGN KEY (`client_id`) REFERENCES `clients` (`id`) ON DELETE CASCADE, CONSTRAINT `trusted_clients_users_trusted_clients` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "trustedclient_user_id_client_id" to table: "trusted_clients"
CREATE UNIQUE INDEX `trustedclient_user_id_client_id` ON `trusted_clients` (`user_id`, `client_id`);
-- Create index "trustedclient_client_id" to table: "trusted_clients"
CREATE INDEX `trustedclient_client_id` ON `trusted_clients` (`client_id`);
-- Create "users" table
CREATE TABLE `users` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `username` text NULL, `password_hash` text NULL, `password_updated_at` datetime NULL, `primary_email_address_id` text NULL, `primary_phone_number_id` text NULL, `failed_attempts` integer NOT NULL DEFAULT (0), `locked_at` datetime NULL, `lockout_expires_at` datetime NULL, `banned` bool NOT NULL DEFAULT (false), `last_sign_in_at` datetime NULL, `last_active_at` datetime NULL, `application_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `users_applications_users` FOREIGN KEY (`application_id`) REFERENCES `applications` (`id`) ON DELETE NO ACTION);
-- Create index "user_application_id_username" to table: "users"
CREATE UNIQUE INDEX `user_application_id_username` ON `users` (`application_id`, `username`);
-- Create index "user_application_id_created_at" to table: "users"
CREATE INDEX `user_application_id_created_at` ON `users` (`application_id`, `created_at`);
-- Create "verifications" table
CREATE TABLE `verifications` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `strategy` text NOT NULL, `status` text NOT NULL DEFAULT ('unverified'), `target_id` text NULL, `target` text NULL, `code_hash` blob NULL, `attempts` integer NOT NULL DEFAULT (0), `expire_at` datetime NULL, `sent_at` datetime NULL, `send_count` integer NOT NULL DEFAULT (0), `verified_at` datetime NULL, PRIMARY KEY (`id`));
