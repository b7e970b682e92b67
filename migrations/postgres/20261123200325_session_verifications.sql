-- Create "session_verifications" table
CREATE TABLE "session_verifications" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "level" character varying NOT NULL, "first_factor_strategy" character varying NULL, "first_factor_at" timestamptz NULL, "second_factor_strategy" character varying NULL, "second_factor_at" timestamptz NULL, "code_verification_id" character varying NULL, "expire_at" timestamptz NOT NULL, "session_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "session_verifications_sessions_verification" FOREIGN KEY ("session_id") REFERENCES "sessions" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "session_verifications_session_id_key" to table: "session_verifications"
CREATE UNIQUE INDEX "session_verifications_session_id_key" ON "session_verifications" ("session_id");
-- Create index "sessionverification_expire_at" to table: "session_verifications"
CREATE INDEX "sessionverification_expire_at" ON "session_verifications" ("expire_at");
