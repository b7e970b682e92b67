-- Create "pending_notices" table
CREATE TABLE `pending_notices` (`id` text NOT NULL, `created_at` datetime NOT NULL, `application_id` text NULL, `user_id` text NOT NULL DEFAULT (''), `what` text NOT NULL, `channel` text NOT NULL, `to` text NOT NULL, `kind` text NOT NULL, `subject` text NOT NULL DEFAULT (''), `text` text NOT NULL, `html` text NOT NULL DEFAULT (''), `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "pendingnotice_next_attempt_at" to table: "pending_notices"
CREATE INDEX `pendingnotice_next_attempt_at` ON `pending_notices` (`next_attempt_at`);
