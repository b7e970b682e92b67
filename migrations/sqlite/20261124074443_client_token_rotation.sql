-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_clients" table
CREATE TABLE `new_clients` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `token_hash` blob NOT NULL, `previous_token_hash` blob NULL, `rotated_at` datetime NULL, `user_agent` text NOT NULL DEFAULT (''), `ip_address` text NOT NULL DEFAULT (''), `last_active_at` datetime NULL, `sign_in_id` text NULL, `sign_up_id` text NULL, `application_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `clients_applications_clients` FOREIGN KEY (`application_id`) REFERENCES `applications` (`id`) ON DELETE NO ACTION);
-- Copy rows from old table "clients" to new temporary table "new_clients"
INSERT INTO `new_clients` (`id`, `created_at`, `updated_at`, `token_hash`, `user_agent`, `ip_address`, `last_active_at`, `sign_in_id`, `sign_up_id`, `application_id`) SELECT `id`, `created_at`, `updated_at`, `token_hash`, `user_agent`, `ip_address`, `last_active_at`, `sign_in_id`, `sign_up_id`, `application_id` FROM `clients`;
-- Drop "clients" table after copying rows
DROP TABLE `clients`;
-- Rename temporary table "new_clients" to "clients"
ALTER TABLE `new_clients` RENAME TO `clients`;
-- Create index "device_token_hash_application_id" to table: "clients"
CREATE UNIQUE INDEX `device_token_hash_application_id` ON `clients` (`token_hash`, `application_id`);
-- Create index "device_previous_token_hash" to table: "clients"
CREATE INDEX `device_previous_token_hash` ON `clients` (`previous_token_hash`);
-- Create index "device_application_id_last_active_at" to table: "clients"
CREATE INDEX `device_application_id_last_active_at` ON `clients` (`application_id`, `last_active_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
