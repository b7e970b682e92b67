-- Create "sign_ups" table
CREATE TABLE "sign_ups" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "application_id" character varying NOT NULL, "client_id" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'missing_requirements', "email_address" character varying NULL, "phone_number" character varying NULL, "username" character varying NULL, "password_hash" character varying NULL, "email_verification_id" character varying NULL, "phone_verification_id" character varying NULL, "created_user_id" character varying NULL, "created_session_id" character varying NULL, "expire_at" timestamptz NOT NULL, "ip_address" character varying NOT NULL DEFAULT '', "user_agent" character varying NOT NULL DEFAULT '', PRIMARY KEY ("id"));
-- Create index "signup_client_id" to table: "sign_ups"
CREATE INDEX "signup_client_id" ON "sign_ups" ("client_id");
-- Create index "signup_expire_at" to table: "sign_ups"
CREATE INDEX "signup_expire_at" ON "sign_ups" ("expire_at");
-- Create "signing_keys" table
CREATE TABLE "signing_keys" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "algorithm" character varying NOT NULL DEFAULT 'EdDSA', "public_key" bytea NOT NULL, "private_key_sealed" bytea NOT NULL, "retired_at" timestamptz NULL, PRIMARY KEY ("id"));
-- Create "audit_events" table
CREATE TABLE "audit_events" ("id" character varying NOT NULL, "at" timestamptz NOT NULL, "actor" character varying NOT NULL, "action" character varying NOT NULL, "target_type" character varying NOT NULL DEFAULT '', "target_id" character varying NOT NULL DEFAULT '', "application_id" character varying NULL, "ip_address" character varying NOT NULL DEFAULT '', "before" text NULL, "after" text NULL, PRIMARY KEY ("id"));
-- Create index "auditevent_application_id_at_id" to table: "audit_events"
CREATE INDEX "auditevent_application_id_at_id" ON "audit_events" ("application_id", "at", "id");
-- Create index "auditevent_at_id" to table: "audit_events"
CREATE INDEX "auditevent_at_id" ON "audit_events" ("at", "id");
-- Create "verifications" table
CREATE TABLE "verifications" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "strategy" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'unverified', "target_id" character varying NULL, "target" character varying NULL, "code_hash" bytea NULL, "attempts" bigint NOT NULL DEFAULT 0, "expire_at" timestamptz NULL, "sent_at" timestamptz NULL, "send_count" bigint NOT NULL DEFAULT 0, "verified_at" timestamptz NULL, PRIMARY KEY ("id"));
-- Create "api_keys" table
CREATE TABLE "api_keys" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "name" character varying NOT NULL DEFAULT '', "prefix" character varying NOT NULL, "secret_hash" bytea NOT NULL, "role" character varying NOT NULL, "application_id" character varying NOT NULL, "created_by" character varying NOT NULL DEFAULT '', "last_used_at" timestamptz NULL, "revoked_at" timestamptz NULL, PRIMARY KEY ("id"));
-- Create index "api_keys_secret_hash_key" to table: "api_keys"
CREATE UNIQUE INDEX "api_keys_secret_hash_key" ON "api_keys" ("secret_hash");
-- Create "sign_in_events" table
CREATE TABLE "sign_in_events" ("id" character varying NOT NULL, "at" timestamptz NOT NULL, "application_id" character varying NOT NULL, "sign_in_id" character varying NULL, "user_id" character varying NULL, "identifier" character varying NOT NULL DEFAULT '', "identifier_digest" character varying NULL, "client_id" character varying NULL, "ip_address" character varying NOT NULL DEFAULT '', "user_agent" character varying NOT NULL DEFAULT '', "kind" character varying NOT NULL, "strategy" character varying NULL, "outcome" character varying NOT NULL, "reason" character varying NULL, PRIMARY KEY ("id"));
-- Create index "signinevent_application_id_at_id" to table: "sign_in_events"
CREATE INDEX "signinevent_application_id_at_id" ON "sign_in_events" ("application_id", "at", "id");
-- Create index "signinevent_application_id_identifier_digest_at_id" to table: "sign_in_events"
CREATE INDEX "signinevent_application_id_identifier_digest_at_id" ON "sign_in_events" ("application_id", "identifier_digest", "at", "id");
-- Create index "signinevent_application_id_ip_address_at_id" to table: "sign_in_events"
CREATE INDEX "signinevent_application_id_ip_address_at_id" ON "sign_in_events" ("application_id", "ip_address", "at", "id");
-- Create index "signinevent_application_id_kind_at_id" to table: "sign_in_events"
CREATE INDEX "signinevent_application_id_kind_at_id" ON "sign_in_events" ("application_id", "kind", "at", "id");
-- Create index "signinevent_client_id_at_id" to table: "sign_in_events"
CREATE INDEX "signinevent_client_id_at_id" ON "sign_in_events" ("client_id", "at", "id");
-- Create index "signinevent_user_id_at_id" to table: "sign_in_events"
CREATE INDEX "signinevent_user_id_at_id" ON "sign_in_events" ("user_id", "at", "id");
-- Create "sign_ins" table
CREATE TABLE "sign_ins" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "application_id" character varying NOT NULL, "client_id" character varying NOT NULL, "user_id" character varying NULL, "identifier" character varying NULL, "status" character varying NOT NULL DEFAULT 'needs_identifier', "client_trust_state" character varying NULL, "first_factor_verification_id" character varying NULL, "second_factor_verification_id" character varying NULL, "created_session_id" character varying NULL, "expire_at" timestamptz NOT NULL, "ip_address" character varying NOT NULL DEFAULT '', "user_agent" character varying NOT NULL DEFAULT '', PRIMARY KEY ("id"));
-- Create index "signin_client_id" to table: "sign_ins"
CREATE INDEX "signin_client_id" ON "sign_ins" ("client_id");
-- Create index "signin_expire_at" to table: "sign_ins"
CREATE INDEX "signin_expire_at" ON "sign_ins" ("expire_at");
-- Create "outbox_messages" table
CREATE TABLE "outbox_messages" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "application_id" character varying NULL, "channel" character varying NOT NULL, "to" character varying NOT NULL, "kind" character varying NOT NULL, "subject" character varying NOT NULL DEFAULT '', "text" text NOT NULL, "html" text NOT NULL DEFAULT '', PRIMARY KEY ("id"));
-- Create index "outboxmessage_application_id_created_at" to table: "outbox_messages"
CREATE INDEX "outboxmessage_application_id_created_at" ON "outbox_messages" ("application_id", "created_at");
-- Create "role_assignments" table
CREATE TABLE "role_assignments" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "subject" character varying NOT NULL, "role" character varying NOT NULL, "domain" character varying NOT NULL, "created_by" character varying NOT NULL DEFAULT '', PRIMARY KEY ("id"));
-- Create index "roleassignment_subject_role_domain" to table: "role_assignments"
CREATE UNIQUE INDEX "roleassignment_subject_role_domain" ON "role_assignments" ("subject", "role", "domain");
-- Create "rate_limit_buckets" table
CREATE TABLE "rate_limit_buckets" ("key" character varying NOT NULL, "window_start" timestamptz NOT NULL, "count" bigint NOT NULL DEFAULT 0, "expires_at" timestamptz NOT NULL, PRIMARY KEY ("key"));
-- Create index "ratelimitbucket_expires_at" to table: "rate_limit_buckets"
CREATE INDEX "ratelimitbucket_expires_at" ON "rate_limit_buckets" ("expires_at");
-- Create "applications" table
CREATE TABLE "applications" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "publishable_key" character varying NOT NULL, "dashboard" boolean NOT NULL DEFAULT false, "settings" jsonb NULL, "updates" jsonb NULL, PRIMARY KEY ("id"));
-- Create index "applications_publishable_key_key" to table: "applications"
CREATE UNIQUE INDEX "applications_publishable_key_key" ON "applications" ("publishable_key");
-- Create "server_configs" table
CREATE TABLE "server_configs" ("key" character varying NOT NULL, "value" text NOT NULL, "updated_at" timestamptz NOT NULL, PRIMARY KEY ("key"));
-- Create "users" table
CREATE TABLE "users" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "username" character varying NULL, "password_hash" character varying NULL, "password_updated_at" timestamptz NULL, "primary_email_address_id" character varying NULL, "primary_phone_number_id" character varying NULL, "failed_attempts" bigint NOT NULL DEFAULT 0, "locked_at" timestamptz NULL, "lockout_expires_at" timestamptz NULL, "banned" boolean NOT NULL DEFAULT false, "last_sign_in_at" timestamptz NULL, "last_active_at" timestamptz NULL, "application_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "users_applications_users" FOREIGN KEY ("application_id") REFERENCES "applications" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "user_application_id_created_at" to table: "users"
CREATE INDEX "user_application_id_created_at" ON "users" ("application_id", "created_at");
-- Create index "user_application_id_username" to table: "users"
CREATE UNIQUE INDEX "user_application_id_username" ON "users" ("application_id", "username");
-- Create "backup_codes" table
CREATE TABLE "backup_codes" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "code_hash" bytea NOT NULL, "used_at" timestamptz NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "backup_codes_users_backup_codes" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "backupcode_user_id" to table: "backup_codes"
CREATE INDEX "backupcode_user_id" ON "backup_codes" ("user_id");
-- Create "clients" table
CREATE TABLE "clients" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "token_hash" bytea NOT NULL, "user_agent" character varying NOT NULL DEFAULT '', "ip_address" character varying NOT NULL DEFAULT '', "last_active_at" timestamptz NULL, "sign_in_id" character varying NULL, "sign_up_id" character varying NULL, "application_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "clients_applications_clients" FOREIGN KEY ("application_id") REFERENCES "applications" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "clients_token_hash_key" to table: "clients"
CREATE UNIQUE INDEX "clients_token_hash_key" ON "clients" ("token_hash");
-- Create index "device_application_id_last_active_at" to table: "clients"
CREATE INDEX "device_application_id_last_active_at" ON "clients" ("application_id", "last_active_at");
-- Create "email_addresses" table
CREATE TABLE "email_addresses" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "application_id" character varying NOT NULL, "email_address" character varying NOT NULL, "verified" boolean NOT NULL DEFAULT false, "verified_at" timestamptz NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "email_addresses_users_email_addresses" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "emailaddress_application_id_email_address" to table: "email_addresses"
CREATE UNIQUE INDEX "emailaddress_application_id_email_address" ON "email_addresses" ("application_id", "email_address");
-- Create index "emailaddress_user_id" to table: "email_addresses"
CREATE INDEX "emailaddress_user_id" ON "email_addresses" ("user_id");
-- Create "operators" table
CREATE TABLE "operators" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "email" character varying NOT NULL, "disabled_at" timestamptz NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "operators_users_operator" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "operators_email_key" to table: "operators"
CREATE UNIQUE INDEX "operators_email_key" ON "operators" ("email");
-- Create index "operators_user_id_key" to table: "operators"
CREATE UNIQUE INDEX "operators_user_id_key" ON "operators" ("user_id");
-- Create "phone_numbers" table
CREATE TABLE "phone_numbers" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "application_id" character varying NOT NULL, "phone_number" character varying NOT NULL, "verified" boolean NOT NULL DEFAULT false, "verified_at" timestamptz NULL, "reserved_for_second_factor" boolean NOT NULL DEFAULT false, "default_second_factor" boolean NOT NULL DEFAULT false, "verification_id" character varying NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "phone_numbers_users_phone_numbers" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "phonenumber_application_id_phone_number" to table: "phone_numbers"
CREATE UNIQUE INDEX "phonenumber_application_id_phone_number" ON "phone_numbers" ("application_id", "phone_number");
-- Create index "phonenumber_user_id" to table: "phone_numbers"
CREATE INDEX "phonenumber_user_id" ON "phone_numbers" ("user_id");
-- Create "sessions" table
CREATE TABLE "sessions" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "application_id" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'active', "last_active_at" timestamptz NOT NULL, "expire_at" timestamptz NOT NULL, "ended_at" timestamptz NULL, "first_factor_at" timestamptz NULL, "second_factor_at" timestamptz NULL, "sign_in_id" character varying NULL, "ip_address" character varying NOT NULL DEFAULT '', "user_agent" character varying NOT NULL DEFAULT '', "client_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "sessions_clients_sessions" FOREIGN KEY ("client_id") REFERENCES "clients" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "sessions_users_sessions" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "session_client_id_status" to table: "sessions"
CREATE INDEX "session_client_id_status" ON "sessions" ("client_id", "status");
-- Create index "session_user_id_status" to table: "sessions"
CREATE INDEX "session_user_id_status" ON "sessions" ("user_id", "status");
-- Create "totps" table
CREATE TABLE "totps" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "secret_sealed" bytea NOT NULL, "verified" boolean NOT NULL DEFAULT false, "verified_at" timestamptz NULL, "last_used_step" bigint NOT NULL DEFAULT 0, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "totps_users_totp" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "totp_user_id" to table: "totps"
CREATE UNIQUE INDEX "totp_user_id" ON "totps" ("user_id");
-- Create index "totps_user_id_key" to table: "totps"
CREATE UNIQUE INDEX "totps_user_id_key" ON "totps" ("user_id");
-- Create "trusted_clients" table
CREATE TABLE "trusted_clients" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "method" character varying NOT NULL DEFAULT '', "ip_address" character varying NOT NULL DEFAULT '', "user_agent" character varying NOT NULL DEFAULT '', "last_used_at" timestamptz NULL, "client_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "trusted_clients_clients_trusts" FOREIGN KEY ("client_id") REFERENCES "clients" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "trusted_clients_users_trusted_clients" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "trustedclient_client_id" to table: "trusted_clients"
CREATE INDEX "trustedclient_client_id" ON "trusted_clients" ("client_id");
-- Create index "trustedclient_user_id_client_id" to table: "trusted_clients"
CREATE UNIQUE INDEX "trustedclient_user_id_client_id" ON "trusted_clients" ("user_id", "client_id");
