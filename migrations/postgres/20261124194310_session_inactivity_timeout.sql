-- Modify "sessions" table
ALTER TABLE "sessions" ADD COLUMN "lifetime_ends_at" timestamptz NULL;
