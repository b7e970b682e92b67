-- Modify "email_addresses" table
ALTER TABLE "email_addresses" ADD COLUMN "verification_id" character varying NULL, ADD COLUMN "held_at" timestamptz NULL;
