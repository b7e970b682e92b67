-- Create "pending_notices" table
CREATE TABLE "pending_notices" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "application_id" character varying NULL, "user_id" character varying NOT NULL DEFAULT '', "what" character varying NOT NULL, "channel" character varying NOT NULL, "to" character varying NOT NULL, "kind" character varying NOT NULL, "subject" character varying NOT NULL DEFAULT '', "text" text NOT NULL, "html" text NOT NULL DEFAULT '', "attempts" bigint NOT NULL DEFAULT 0, "next_attempt_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "pendingnotice_next_attempt_at" to table: "pending_notices"
CREATE INDEX "pendingnotice_next_attempt_at" ON "pending_notices" ("next_attempt_at");
