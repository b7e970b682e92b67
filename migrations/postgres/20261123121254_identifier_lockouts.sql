-- Create "identifier_lockouts" table
CREATE TABLE "identifier_lockouts" ("id" character varying NOT NULL, "failed_attempts" bigint NOT NULL DEFAULT 0, "locked_at" timestamptz NULL, "lockout_expires_at" timestamptz NULL, "updated_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "identifierlockout_updated_at" to table: "identifier_lockouts"
CREATE INDEX "identifierlockout_updated_at" ON "identifier_lockouts" ("updated_at");
