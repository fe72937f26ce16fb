-- A signed-in user (or the transaction that creates them) may issue and see their own e-mailed tokens
-- (only hashes are stored): registration and "resend verification" run as the user. Redeeming a token
-- happens before anyone is signed in, so it stays system work.
CREATE POLICY own_user_tokens ON user_tokens
  USING (user_id = current_user_id()) WITH CHECK (user_id = current_user_id());
