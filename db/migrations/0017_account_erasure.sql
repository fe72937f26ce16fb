-- Account deletion also forgets the pre-authentication state kept for the user (e-mailed tokens, which
-- hold the address they were sent to, and the failed-login counter keyed by the e-mail). Those tables
-- are system-only; this function erases exactly the current user's rows, in the caller's transaction.
-- Call it before the user's e-mail is overwritten.
CREATE OR REPLACE FUNCTION luminous_erase_auth_state() RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
DECLARE
  address citext;
BEGIN
  SELECT u.email INTO address FROM users u WHERE u.id = current_user_id();
  DELETE FROM user_tokens WHERE user_id = current_user_id();
  IF address IS NOT NULL THEN
    DELETE FROM login_throttles WHERE key = 'account:' || lower(address::text);
  END IF;
END $$;

REVOKE ALL ON FUNCTION luminous_erase_auth_state() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION luminous_erase_auth_state() TO luminous_app;
