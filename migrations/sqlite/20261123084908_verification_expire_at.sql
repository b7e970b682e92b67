-- Create index "verification_expire_at" to table: "verifications"
CREATE INDEX `verification_expire_at` ON `verifications` (`expire_at`);
