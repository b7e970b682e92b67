-- Create index "signin_expire_at_staged_password" to table: "sign_ins"
CREATE INDEX `signin_expire_at_staged_password` ON `sign_ins` (`expire_at`) WHERE new_password_hash IS NOT NULL;
-- Sign-ins past their first factor when this migration runs keep going: their copy of the user's
-- password_updated_at, taken from now on as the first factor passes (signin.seePassword), is the
-- current one. A copy taken earlier (as the sign-in began) stays.
UPDATE sign_ins SET user_password_updated_at = (SELECT password_updated_at FROM users WHERE users.id = sign_ins.user_id)
WHERE user_id IS NOT NULL AND user_password_updated_at IS NULL
  AND status IN ('needs_second_factor', 'needs_client_trust', 'needs_new_password');
