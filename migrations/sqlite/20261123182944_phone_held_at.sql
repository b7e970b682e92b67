-- Add column "held_at" to table: "phone_numbers"
ALTER TABLE `phone_numbers` ADD COLUMN `held_at` datetime NULL;
