-- Authentication state that belongs to no organization: failed-login counters (per account and per IP)
-- and single-use tokens e-mailed to users (password reset, e-mail verification). Both are read and
-- written only as system work before anyone is signed in, so the application role sees no rows.

-- One row per throttled key: 'account:<e-mail>' or 'ip:<address>'. Keys exist for e-mails that have no
-- account too, so a lockout never tells whether an account exists.
CREATE TABLE login_throttles (
  key              text PRIMARY KEY,
  failures         integer NOT NULL DEFAULT 0,
  last_failure_at  timestamptz NOT NULL,
  locked_until     timestamptz
);
CREATE INDEX login_throttles_last_failure ON login_throttles (last_failure_at);
ALTER TABLE login_throttles ENABLE ROW LEVEL SECURITY;

-- Single-use tokens sent by e-mail, stored as SHA-256 hashes. `email` is the address the token was
-- sent to: a verification token confirms that address only, not one the user changed to since.
CREATE TABLE user_tokens (
  token_hash  text PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose     text NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
  email       citext NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose) WHERE used_at IS NULL;
ALTER TABLE user_tokens ENABLE ROW LEVEL SECURITY;

