-- Modify "phone_numbers" table
ALTER TABLE "phone_numbers" ADD COLUMN "held_at" timestamptz NULL;
