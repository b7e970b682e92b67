-- Create "identifier_lockouts" table
CREATE TABLE `identifier_lockouts` (`id` text NOT NULL, `failed_attempts` integer NOT NULL DEFAULT (0), `locked_at` datetime NULL, `lockout_expires_at` datetime NULL, `updated_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "identifierlockout_updated_at" to table: "identifier_lockouts"
CREATE INDEX `identifierlockout_updated_at` ON `identifier_lockouts` (`updated_at`);
