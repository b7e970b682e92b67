-- Add columns "new_password_hash", "sign_out_other_sessions" and "user_password_updated_at" to table: "sign_ins"
-- (written by hand: two ADD COLUMNs instead of the generated copy of the whole table)
ALTER TABLE `sign_ins` ADD COLUMN `new_password_hash` text NULL;
ALTER TABLE `sign_ins` ADD COLUMN `sign_out_other_sessions` bool NOT NULL DEFAULT (false);
ALTER TABLE `sign_ins` ADD COLUMN `user_password_updated_at` datetime NULL;
