-- Modify "sign_ins" table
ALTER TABLE "sign_ins" ADD COLUMN "new_password_hash" character varying NULL, ADD COLUMN "sign_out_other_sessions" boolean NOT NULL DEFAULT false, ADD COLUMN "user_password_updated_at" timestamptz NULL;
