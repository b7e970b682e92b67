-- Drop index "totp_user_id" from table: "totps"
DROP INDEX "totp_user_id";
