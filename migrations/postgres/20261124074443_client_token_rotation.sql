-- Modify "clients" table
ALTER TABLE "clients" ADD COLUMN "previous_token_hash" bytea NULL, ADD COLUMN "rotated_at" timestamptz NULL;
-- Create index "device_previous_token_hash" to table: "clients"
CREATE INDEX "device_previous_token_hash" ON "clients" ("previous_token_hash");
