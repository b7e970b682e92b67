-- Modify "sign_ins" table
ALTER TABLE "sign_ins" ADD COLUMN "new_password_hash" character varying NULL, ADD COLUMN "sign_out_other_sessions" boolean NOT NULL DEFAULT false, ADD COLUMN "user_password_updated_at" timestamptz NULL;
-- Create index "signin_expire_at_staged_password" to table: "sign_ins"
CREATE INDEX "signin_expire_at_staged_password" ON "sign_ins" ("expire_at") WHERE (new_password_hash IS NOT NULL);
-- Sign-ins past their first factor when this migration runs keep going: their copy of the user's
-- password_updated_at is the current one (see signin.seePassword).
UPDATE sign_ins SET user_password_updated_at = (SELECT password_updated_at FROM users WHERE users.id = sign_ins.user_id)
WHERE user_id IS NOT NULL AND status IN ('needs_second_factor', 'needs_client_trust', 'needs_new_password');
