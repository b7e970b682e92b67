-- Add column "verification_id" to table: "email_addresses"
ALTER TABLE `email_addresses` ADD COLUMN `verification_id` text NULL;
-- Add column "held_at" to table: "email_addresses"
ALTER TABLE `email_addresses` ADD COLUMN `held_at` datetime NULL;
