-- Modify "sign_ins" table
ALTER TABLE "sign_ins" ADD COLUMN "second_factor_failure_noticed" boolean NOT NULL DEFAULT false;
