-- Drop index "clients_token_hash_key" from table: "clients"
DROP INDEX `clients_token_hash_key`;
-- Create index "device_token_hash_application_id" to table: "clients"
CREATE UNIQUE INDEX `device_token_hash_application_id` ON `clients` (`token_hash`, `application_id`);
