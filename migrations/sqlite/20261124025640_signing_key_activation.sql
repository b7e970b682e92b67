-- Add column "activates_at" to table: "signing_keys"
ALTER TABLE `signing_keys` ADD COLUMN `activates_at` datetime NULL;
