-- TOTP two-factor authentication: one secret per user (encrypted by the application, AES-256-GCM) and
-- one-time recovery codes (stored as SHA-256 hashes; they carry 80 random bits, so a hash is enough).
-- Both belong to a user, not to an organization: visible only to that user (and to system work such as
-- login, which runs before anyone is signed in).

CREATE TABLE user_two_factor (
  user_id           uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_encrypted  text NOT NULL,
  -- NULL while enrolment awaits its first code (confirm).
  enabled_at        timestamptz,
  -- The last TOTP time step accepted: a code from this step or an earlier one is a replay.
  last_used_step    bigint,
  -- Wrong codes in a row on the account routes (disable, regenerate); reset by a right one.
  failed_attempts   integer NOT NULL DEFAULT 0,
  last_failed_at    timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER user_two_factor_touch BEFORE UPDATE ON user_two_factor
  FOR EACH ROW EXECUTE FUNCTION luminous_touch_updated_at();

CREATE TABLE user_recovery_codes (
  id          uuid PRIMARY KEY DEFAULT luminous_uuid7(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash   text NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, code_hash)
);

ALTER TABLE user_two_factor ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_two_factor ON user_two_factor
  USING (user_id = current_user_id()) WITH CHECK (user_id = current_user_id());

ALTER TABLE user_recovery_codes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_recovery_codes ON user_recovery_codes
  USING (user_id = current_user_id()) WITH CHECK (user_id = current_user_id());
