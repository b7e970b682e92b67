-- Add column "lifetime_ends_at" to table: "sessions"
ALTER TABLE `sessions` ADD COLUMN `lifetime_ends_at` datetime NULL;
